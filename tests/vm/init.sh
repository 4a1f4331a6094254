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

# hvdpa.init=systemd (run.sh with HVDPA_VM_INIT=systemd): systemd as PID 1
# on the host's root, the job run by a unit (tests/vm/systemd-tests.sh).
# systemd sees only the units in two runtime directories (SYSTEMD_UNIT_PATH)
# and runs no generator: the host's own units (sysinit.target's udev,
# random seed, utmp, machine-id commit, firstboot, fstab's mounts, ...)
# would write to the shared root or hang the boot. The targets that
# services' default dependencies name are there, empty; so is journald,
# keeping its journal in /run.
if [ "$(arg hvdpa.init)" = systemd ]; then
	if ! grep -q " $r/run tmpfs " /proc/mounts; then
		echo "init: systemd needs /run on tmpfs (run the job from elsewhere)"
		poweroff -f
	fi
	u=$r/run/hvdpa-vm/units
	mkdir -p $u $r/run/hvdpa-vm/no-generators $r/run/systemd/system $r/run/systemd/journald.conf.d
	for f in systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket \
		systemd-journald-audit.socket; do
		cp $r/lib/systemd/system/$f $u/
	done
	printf '[Journal]\nStorage=volatile\n' >$r/run/systemd/journald.conf.d/hvdpa-vm.conf
	for t in sysinit basic sockets local-fs local-fs-pre swap network-pre network network-online \
		paths timers slices shutdown umount final multi-user; do
		printf '[Unit]\nDescription=%s (empty in the test VM)\nDefaultDependencies=no\n' \
			$t.target >$u/$t.target
	done
	{
		echo "HOME=/root TMPDIR=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh '$job/cmd.sh' </dev/console >/dev/console 2>&1"
		echo "echo \$? >'$job/rc'"
		echo sync
	} >$r/run/hvdpa-vm/job.sh
	# Powered off at once when the job ends, as below. Type=simple: a
	# start job left running for the whole job would have systemd draw
	# its progress on the console.
	printf '%s\n' '[Unit]' 'Description=hvdpa test job' 'DefaultDependencies=no' \
		'Wants=systemd-journald.socket systemd-journald.service' \
		'After=systemd-journald.socket systemd-journald.service' \
		'SuccessAction=poweroff-immediate' 'FailureAction=poweroff-immediate' \
		'[Service]' 'Type=simple' \
		'ExecStart=/bin/sh /run/hvdpa-vm/job.sh' >$u/hvdpa-job.service
	printf '%s\n' '[Unit]' 'Description=hvdpa test job' 'DefaultDependencies=no' \
		'Requires=hvdpa-job.service' 'After=hvdpa-job.service' >$u/hvdpa-job.target
	exec chroot $r /usr/bin/env SYSTEMD_UNIT_PATH=/run/systemd/system:/run/hvdpa-vm/units \
		SYSTEMD_GENERATOR_PATH=/run/hvdpa-vm/no-generators \
		SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/run/hvdpa-vm/no-generators \
		/lib/systemd/systemd --unit=hvdpa-job.target --show-status=no --log-target=kmsg
fi

chroot $r /bin/sh -c "HOME=/root TMPDIR=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh '$job/cmd.sh'" </dev/console >/dev/console 2>&1
echo $? >"$r$job/rc"
sync
poweroff -f
