// SPDX-License-Identifier: MIT
/*
 * kvm_hold: a KVM VM with one vCPU that never runs, held until killed.
 *
 * Every vCPU's local APIC starts software-disabled and counts in KVM's
 * apic_sw_disabled static key until its guest enables it, so each zone
 * that comes and goes flips that key, and the test VM's kernel patches
 * KVM's code with int3 while its other vCPU runs it, which multi-threaded
 * TCG gets wrong ("Oops: int3" in apic_has_pending_timer, seen once). One
 * held vCPU keeps the key from ever reaching 0.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 ||
	    ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("kvm_hold");
		return 1;
	}
	pause();
	return 0;
}
