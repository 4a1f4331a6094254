#!/bin/sh
# Chooses the test VM's accelerator and prints QEMU's arguments for it; one
# line on stderr says which and why. KVM only after a trial boot under it
# works: some hosts have a /dev/kvm on which QEMU starts, prints "KVM
# internal error ... emulation failure" and keeps the guest paused forever.
#
#   tests/vm/accel.sh KERNEL
#
# HVDPA_VM_TCG=1 skips KVM. HVDPA_KVM_DEV and HVDPA_VM_QEMU name the device
# and the QEMU binary (tests use a fake of each).
set -u
kernel=$1
dev=${HVDPA_KVM_DEV:-/dev/kvm}
qemu=${HVDPA_VM_QEMU:-qemu-system-x86_64}
tcg="-accel tcg,thread=multi -cpu max"

if [ -n "${HVDPA_VM_TCG:-}" ]; then
	echo "vm: TCG (HVDPA_VM_TCG is set)" >&2
	echo "$tcg"
	exit 0
fi
if [ ! -w "$dev" ]; then
	echo "vm: TCG ($dev is missing or not writable)" >&2
	echo "$tcg"
	exit 0
fi

# The trial: the kernel without an init panics at once; panic=-1 with
# -no-reboot ends QEMU. A panic message means the vCPU ran the kernel.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# $qemu may carry options (see run.sh): split as run.sh does.
# shellcheck disable=SC2086
$qemu -accel kvm -cpu host -m 256 -nodefaults -no-user-config -display none -no-reboot \
	-serial "file:$out" -kernel "$kernel" \
	-append "console=ttyS0 panic=-1 rdinit=/no-init init=/no-init" </dev/null >>"$out" 2>&1 &
pid=$!
verdict=""
i=0
while [ $i -lt 300 ]; do
	if grep -q "KVM internal error\|emulation failure" "$out"; then
		verdict="KVM internal error in a trial boot"
		break
	fi
	if grep -q "Kernel panic" "$out"; then
		verdict=ok
		break
	fi
	kill -0 $pid 2>/dev/null || { verdict="QEMU under KVM ended without booting: $(tail -n 1 "$out")"; break; }
	sleep 0.1
	i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ "$verdict" = ok ]; then
	echo "vm: KVM ($dev boots a trial kernel)" >&2
	echo "-accel kvm -cpu host"
else
	echo "vm: TCG (${verdict:-no trial boot under KVM within 30 s}; HVDPA_VM_TCG=1 skips the trial)" >&2
	echo "$tcg"
fi
