/* SPDX-License-Identifier: MIT */
/*
 * hvzone: a small KVM virtual machine that boots a Linux bzImage as a zone
 * whose virtio-mmio windows hvbridge serves over the simulator protocol
 * (hvbridge/sim_proto.h). Each piece has a file: boot.c (x86 64-bit boot
 * protocol), mptable.c (the vCPUs, when there are several), uart.c (a 16550 on 0x3f8), link.c (the
 * socket to hvbridge), main.c (the VM, the vCPU loop and how the zone ends).
 */
#ifndef HVZONE_H
#define HVZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVZONE_MAX_WINDOWS 8
#define HVZONE_MAX_VCPUS   4
#define HVZONE_MAX_RAM	   2 /* from 0 (--mem) and one more (--ram2) */

/* The zone's own port: its kernel module (tools/hvzone/guest) writes the
 * reason it ends here. */
#define HVZONE_EXIT_PORT  0x501
#define HVZONE_EXIT_OFF	  0 /* power off */
#define HVZONE_EXIT_PANIC 1 /* a panic notifier: the reboot that follows is one */

/* Exit status of hvzone. */
enum {
	HVZONE_ST_POWEROFF = 0,
	HVZONE_ST_ERROR = 1,
	HVZONE_ST_REBOOT = 2,
	HVZONE_ST_PANIC = 3,
	HVZONE_ST_CRASH = 4, /* triple fault, KVM internal error */
};

struct hvzone_window {
	uint64_t base, size;
	uint32_t irq;
};

/* A region of zone RAM: a sealed memfd, mapped here and as a KVM memslot
 * at base, and handed to hvbridge, which maps the same pages. */
struct hvzone_ram {
	uint64_t base, size;
	uint8_t *host;
	int fd;
};

/* boot.c */
struct hvzone_boot {
	const char *kernel, *initrd, *cmdline;
	uint8_t *ram; /* the region from 0: everything we load goes there */
	uint64_t ram_size;
	uint64_t ram2_base, ram2_size;	       /* a second region (size 0: none), RAM in e820 */
	uint64_t entry, boot_params, cr3, gdt; /* set by hvzone_boot_load */
};

int hvzone_boot_load(struct hvzone_boot *b);
/* vCPU id: 0 starts at the kernel's entry, the others wait for its INIT
 * and SIPI (KVM's local APIC). */
int hvzone_boot_vcpu(const struct hvzone_boot *b, int kvm_fd, int vcpu_fd, unsigned int id);

/* mptable.c: only for more than one vCPU. */
int hvzone_mptable(uint8_t *ram, unsigned int ncpus);

/* uart.c: output goes to out_fd; the interrupt line through set_irq. */
struct hvzone_uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	int irq_level;
	int out_fd;
	void (*set_irq)(void *arg, int level);
	void *arg;
};

void hvzone_uart_init(struct hvzone_uart *u, int out_fd, void (*set_irq)(void *, int), void *arg);
/* Port offset 0-7 from the base. */
uint8_t hvzone_uart_in(struct hvzone_uart *u, unsigned int off);
void hvzone_uart_out(struct hvzone_uart *u, unsigned int off, uint8_t val);

/* link.c */
struct hvzone_link;

/* One HELLO per region of RAM. */
struct hvzone_link *hvzone_link_open(const char *path, uint32_t zone, const struct hvzone_ram *ram,
				     unsigned int n_ram, void (*irq)(void *, uint32_t), void *arg);
/* One trapped access; blocks until hvbridge answers (reads and writes). */
uint64_t hvzone_link_access(struct hvzone_link *l, unsigned int vcpu, uint64_t addr,
			    unsigned int size, bool write, uint64_t val);
/* A QueueNotify write, which hvisor does not hold the vCPU for
 * (need_interrupt): sent, not answered. Ordered with the vCPU's other
 * accesses, as they share the socket. */
void hvzone_link_notify(struct hvzone_link *l, unsigned int vcpu, uint64_t addr, unsigned int size,
			uint64_t val);
/* Round trips of the accesses so far, send to answer, reads or writes. */
struct hvzone_rtt {
	uint64_t n, sum_ns, min_ns, max_ns;
};
struct hvzone_rtt hvzone_link_rtt(struct hvzone_link *l, bool write);

#endif
