#!/bin/sh
# Runs one shell command inside a test VM that boots Debian's 6.12 backports
# kernel under TCG, with this machine's root shared over 9p and the command
# run in a chroot of it, in the current directory. The command's output is
# printed as it runs; its exit status is ours.
#
#   tests/vm/run.sh [-t SECONDS] [-m MiB] 'command ...'
#
# HVDPA_VM_INIT=systemd boots systemd as PID 1 on that root and runs the
# command as a unit of it (init.sh says how).
#
# Exit 125 means the VM itself failed (no status came back).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${HVDPA_VM_TIMEOUT:-1200}
mem=${HVDPA_VM_MEM:-3072}
while getopts t:m: o; do
	case $o in
	t) timeout_s=$OPTARG ;;
	m) mem=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-t SECONDS] [-m MiB] 'command'" >&2; exit 2; }

sh "$here/host-deps.sh"
kroot=$(sh "$here/fetch-kernel.sh")
kver=$(basename "$(ls -d "$kroot"/lib/modules/*)")
cache=$(dirname "$kroot")

# The initramfs: busybox, the 9p modules and init.sh. Rebuilt when init.sh
# changes.
initrd=$cache/initramfs-$kver.cpio.gz
stamp=$(cksum <"$here/init.sh" | cut -d' ' -f1)
if [ ! -f "$initrd" ] || [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ]; then
	sh "$here/mkinitrd.sh" "$kroot" "$kver" "$initrd" "$here/init.sh" 9pnet_virtio 9p
	echo "$stamp" >"$initrd.stamp"
fi

# The VM binds the kernel's modules here; the host has no /lib/modules of
# its own on a minimal image.
[ -d /lib/modules ] || mkdir -p /lib/modules

job=$(mktemp -d "$cache/job.XXXXXX")
qpid=""
# If we are stopped, the VM goes with us: a lingering QEMU would hold the
# caller's pipes open.
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$job"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pwd >"$job/cwd"
{
	echo "cd '$(pwd)' || exit 125"
	printf '%s\n' "$1"
} >"$job/cmd.sh"

# HVDPA_VM_QEMU: another QEMU command, e.g. fetch-qemu.sh's QEMU 10 as
# "DIR/usr/bin/qemu-system-x86_64 -L DIR/usr/share/qemu -L /usr/share/qemu".
qemu=${HVDPA_VM_QEMU:-qemu-system-x86_64}
accel=$(sh "$here/accel.sh" "$kroot/boot/vmlinuz-$kver")

# tsc=reliable: under TCG on a loaded host the clocksource watchdog may
# find the TSC "unstable" minutes in; the kernel then patches
# sched_clock's static branch with int3 while the other vCPU runs it, and
# multi-threaded TCG can run the stale code and panic ("Oops: int3" in
# sched_clock_cpu, seen once). TCG's TSC follows the host's clock.
# softlockup_panic=1: a CPU of the VM stuck under a nested zone's KVM_RUN
# never came back (CI, 2026-12-03: 27 minutes of silence until the
# timeout); a panic ends the boot at once, and tests/vm/suites.sh boots
# again for the suites left.
# shellcheck disable=SC2086
timeout -k 5 "$timeout_s" $qemu $accel -smp "${HVDPA_VM_CPUS:-2}" -m "$mem" \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial stdio \
	-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 softlockup_panic=1 tsc=reliable hvdpa.job=$job hvdpa.moddir=$kroot/lib/modules${HVDPA_VM_INIT:+ hvdpa.init=$HVDPA_VM_INIT systemd.show_status=0}" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,multidevs=remap \
	</dev/null &
qpid=$!
wait "$qpid" || echo "vm: qemu ended with status $?" >&2
qpid=""

if [ ! -f "$job/rc" ]; then
	echo "vm: the VM reported no exit status (boot failure or timeout after ${timeout_s}s)" >&2
	exit 125
fi
exit "$(cat "$job/rc")"
