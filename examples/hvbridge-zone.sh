#!/bin/sh
# Serves a disk image to an hvisor zone through VDUSE and vhost-vdpa:
# hvdpad serves it, the vDPA device is bound to vhost_vdpa, and hvbridge
# answers the zone's virtio-mmio accesses with it.
#   sh examples/hvbridge-zone.sh IMAGE CONFIG.json
# CONFIG.json's device "vhost" must name the node printed below
# (see examples/hvbridge-hvisor.json and docs/hvbridge.md).
set -eu
img=${1:?usage: $0 IMAGE CONFIG.json}
config=${2:?usage: $0 IMAGE CONFIG.json}
name=${HVDPA_NAME:-hblk1}
here=$(cd "$(dirname "$0")/.." && pwd)
B=${HVDPA_BUILD:-$here/build}

modprobe -a vduse vhost_vdpa
"$B/hvdpad" --blk name="$name",path="$img" &
until [ -e "/dev/vduse/$name" ]; do sleep 0.1; done
vdpa dev add name "$name" mgmtdev vduse
d=/sys/bus/vdpa/devices/$name
[ -e "$d/driver" ] && echo "$name" >"$d/driver/unbind"
echo vhost_vdpa >"$d/driver_override"
echo "$name" >/sys/bus/vdpa/drivers/vhost_vdpa/bind
echo "$name is /dev/$(basename "$(ls -d "$d"/vhost-vdpa-*)")"
exec "$B/hvbridge" --config "$config"
