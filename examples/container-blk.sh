#!/bin/sh
# A container gets a disk served by hvdpad: the image becomes /dev/vdX
# through virtio_vdpa, mounted inside the container's own mount namespace.
#   sh examples/container-blk.sh IMAGE [NAME] [-- COMMAND...]
# Without a command the container runs an interactive shell. The image must
# hold a filesystem (mkfs.ext4 IMAGE). With docker or podman, pass the disk
# instead:  docker run --device /dev/vdX ...   podman run --device /dev/vdX ...
set -eu
img=${1:?usage: $0 IMAGE [NAME] [-- COMMAND...]}
shift
name=hblk0
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	name=$1
	shift
fi
[ "${1:-}" = "--" ] && shift
B=${HVDPA_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
log=/run/hvdpad-$name.log

modprobe -a vduse vdpa virtio_vdpa virtio_blk
"$B/hvdpad" --blk name="$name",path="$img",attach=virtio >"$log" 2>&1 &
pid=$!
trap '"$B/hvdpactl" detach "$name" >/dev/null 2>&1; kill $pid 2>/dev/null; wait $pid' EXIT
i=0
until dev=$(sed -n "s/^$name: attached (virtio_vdpa): //p" "$log") && [ -n "$dev" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "$name: $dev" >&2
# The container: private mounts and pids; the disk is mounted in it alone.
unshare --mount --pid --fork --mount-proc sh -c \
	"mkdir -p /mnt/$name && mount $dev /mnt/$name && cd /mnt/$name && exec \"\$@\"" \
	container "${@:-sh}"
