# Sourced by VM scripts: a small Linux guest under QEMU inside the test VM,
# driven by the kernel's own drivers. Nested KVM when the VM's vCPU offers
# it (kvm_amd under TCG's -cpu max), TCG otherwise. Needs $W.
#
#   guest_initrd INIT OUT [MODULE ...]   busybox initramfs, same kernel
#   guest_run LOG TIMEOUT QEMU_ARGS...   boots it; the guest's console in LOG
#
# The guest's RAM is a shared memfd: vhost-vdpa maps only file-backed shared
# memory of its user (VDUSE devices use virtual addresses).
GUEST_KVER=$(uname -r)
# Both cached by the host before the VM booted: no network needed here.
GUEST_KERNEL=$(sh "$(dirname "$0")/fetch-kernel.sh")/boot/vmlinuz-$GUEST_KVER
QEMU10=$(sh "$(dirname "$0")/fetch-qemu.sh")

guest_initrd() {
	init=$1 out=$2
	shift 2
	sh "$(dirname "$0")/mkinitrd.sh" / "$GUEST_KVER" "$out" "$init" "$@"
}

guest_accel() {
	modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	if [ -c /dev/kvm ]; then echo "-accel kvm -cpu host"; else echo "-accel tcg"; fi
}

guest_run() {
	log=$1 t=$2
	shift 2
	# shellcheck disable=SC2046
	timeout -k 5 "$t" "$QEMU10/usr/bin/qemu-system-x86_64" -L "$QEMU10/usr/share/qemu" -L /usr/share/qemu \
		$(guest_accel) -M q35,memory-backend=m0 -m 256 -smp 1 \
		-object memory-backend-memfd,id=m0,size=256M,share=on \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$log" -kernel "$GUEST_KERNEL" \
		"$@" </dev/null >"$log.qemu" 2>&1
}
