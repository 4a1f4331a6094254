#!/bin/busybox sh
# PID 1 of the test VM. Loads 9p, mounts the host's root, binds the kernel's
# modules and scratch tmpfs into it, runs the job's command in a chroot and
# records its exit status where the host harness reads it.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

for m in $(cat /modules.order); do
	insmod "/modules/$m" || echo "init: insmod $m failed"
done

arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
job=$(arg hvdpa.job)
moddir=$(arg hvdpa.moddir)

r=/newroot
mkdir -p $r
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 hostroot $r; then
	echo "init: cannot mount the host root over 9p"
	poweroff -f
fi
mount --bind /proc $r/proc
mount --bind /sys $r/sys
mount --bind /dev $r/dev
# devtmpfs has no pts or shm directories: without devpts, /dev/ptmx
# cannot open (the console tests need ptys).
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o ptmxmode=0666 devpts $r/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $r/dev/shm 2>/dev/null
# Scratch space in RAM: 9p is slow and tools that create-and-unlink temp
# files misbehave on it. Not over a directory that holds the command's
# working directory or the job itself (a CI clone may live in /tmp).
cwd=$(cat "$r$job/cwd")
for d in /run /tmp; do
	case "$cwd/" in "$d"/*) echo "init: $d holds $cwd: not mounting tmpfs there"; continue ;; esac
	case "$job/" in "$d"/*) echo "init: $d holds $job: not mounting tmpfs there"; continue ;; esac
	mount -t tmpfs -o size=75% tmpfs "$r$d"
done
mount --bind "$r$moddir" $r/lib/modules
ip link set lo up 2>/dev/null

chroot $r /bin/sh -c "HOME=/root TMPDIR=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh '$job/cmd.sh'" </dev/console >/dev/console 2>&1
echo $? >"$r$job/rc"
sync
poweroff -f
