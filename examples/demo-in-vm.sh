#!/bin/sh
# What a storage admin does on a host with VDUSE: serve an image, put it on
# the vDPA bus, and use the disk the kernel's virtio driver makes of it.
set -eu
B=$(cd "${1:-build}" && pwd)
say() { printf '\n>>> %s\n' "$*"; }

say "modprobe vduse vdpa virtio_vdpa virtio_blk ext4"
modprobe -a vduse vdpa virtio_vdpa virtio_blk ext4

say "truncate -s 256M /run/demo.img"
truncate -s 256M /run/demo.img

say "hvdpad --blk name=hblk0,path=/run/demo.img,serial=demo-disk &"
"$B/hvdpad" --blk name=hblk0,path=/run/demo.img,serial=demo-disk &
pid=$!
while [ ! -e /dev/vduse/hblk0 ]; do sleep 0.1; done
sleep 0.2

say "vdpa dev add name hblk0 mgmtdev vduse"
vdpa dev add name hblk0 mgmtdev vduse
vdpa dev show hblk0
while [ -z "$(ls /sys/bus/vdpa/devices/hblk0/virtio*/block 2>/dev/null)" ]; do sleep 0.1; done
disk=/dev/$(ls /sys/bus/vdpa/devices/hblk0/virtio*/block)
echo "the kernel's virtio_blk made $disk of it: $(blockdev --getsize64 "$disk") bytes," \
	"serial $(cat /sys/block/"${disk#/dev/}"/serial)"

say "mkfs.ext4 $disk; mount $disk /mnt"
mkfs.ext4 -q -F "$disk"
mkdir -p /run/mnt
mount "$disk" /run/mnt

say "write a 10 MiB file, drop caches, read it back"
head -c 10485760 /dev/urandom >/run/demo.data
cp /run/demo.data /run/mnt/file
sync
umount /run/mnt
mount "$disk" /run/mnt
echo "written:   $(sha256sum </run/demo.data)"
echo "read back: $(sha256sum </run/mnt/file)"
same=no
cmp -s /run/demo.data /run/mnt/file && same=yes
echo "identical: $same"
df -h /run/mnt | tail -n 1

say "umount; vdpa dev del hblk0; stop hvdpad"
umount /run/mnt
vdpa dev del hblk0
kill -TERM $pid
wait $pid
[ -e /dev/vduse/hblk0 ] && echo "hblk0 still exists!" || echo "hblk0 is gone"
[ "$same" = yes ]
