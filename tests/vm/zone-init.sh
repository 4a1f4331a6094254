#!/bin/busybox sh
# PID 1 of a zone that hvzone boots (tests/vm/zone-tests.sh): loads the
# modules, then hvzone_guest with the windows hvzone put on the command
# line (its virtio-mmio devices appear and virtio_mmio probes them), runs
# /test.sh if there is one, and powers the zone off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp

for m in $(cat /modules.order); do
	insmod "/modules/$m" || echo "zone: insmod $m failed"
done
# shellcheck disable=SC2046
insmod /hvzone_guest.ko $(tr ' ' '\n' </proc/cmdline | sed -n 's/^hvzone_guest\.//p') ||
	echo "zone: insmod hvzone_guest failed"
echo "zone: up, kernel $(uname -r)"
if [ -x /test.sh ]; then
	/test.sh
	echo "zone: test.sh exited $?"
else
	setsid cttyhack sh
fi
poweroff -f
