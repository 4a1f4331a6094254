// SPDX-License-Identifier: MIT
/*
 * Boots a bzImage through its 64-bit entry (Documentation/arch/x86/boot.rst,
 * "64-bit Boot Protocol"): the protected-mode part at 1 MiB, a zero page
 * with the setup header, the e820 map, the command line and the initrd,
 * and a vCPU already in long mode with flat segments from a GDT of ours
 * (__BOOT_CS 0x10, __BOOT_DS 0x18) and the first 4 GiB identity-mapped with
 * 2 MiB pages. RIP is the load address + 0x200, RSI the zero page.
 *
 * Below 640 KiB, ours until the kernel runs: the GDT at 0x500, the zero
 * page at 0x7000, page tables at 0x9000-0xefff, the command line at
 * 0x20000. The initrd goes at the top of RAM (the region from 0). A second
 * region is one more RAM range in the e820 map: the kernel takes it as it
 * takes a PC's memory above 4 GiB.
 */
#include <asm/bootparam.h>
#include <asm/kvm_para.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvzone.h"

#define GDT_ADDR	0x500
#define ZERO_PAGE_ADDR	0x7000
#define STACK_TOP	0x8ff0
#define PML4_ADDR	0x9000
#define PDPT_ADDR	0xa000
#define PD_ADDR		0xb000 /* 4 pages: 4 GiB of 2 MiB pages */
#define CMDLINE_ADDR	0x20000
#define CMDLINE_MAX	0x10000
#define KERNEL_ADDR	0x100000
#define LOW_RAM_END	0x9fc00 /* the e820 map's first RAM range ends here */
#define SETUP_HDR_OFF	0x1f1
#define XLF_KERNEL_64_F (1 << 0)
#define E820_RAM	1
#define E820_RESERVED	2

static ssize_t read_file(const char *path, uint8_t *dst, uint64_t max, const char *what)
{
	struct stat st;
	ssize_t n, done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "hvzone: %s %s: %s\n", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		fprintf(stderr, "hvzone: %s %s: %lld bytes do not fit in 0x%llx\n", what, path,
			(long long)st.st_size, (unsigned long long)max);
		close(fd);
		return -1;
	}
	while (done < st.st_size && (n = read(fd, dst + done, (size_t)(st.st_size - done))) > 0)
		done += n;
	close(fd);
	if (done != st.st_size) {
		fprintf(stderr, "hvzone: %s %s: short read\n", what, path);
		return -1;
	}
	return done;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : (uint64_t)st.st_size;
}

static void add_e820(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + PML4_ADDR), *pdpt = (uint64_t *)(ram + PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + PD_ADDR);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | 3; /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | 3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB */
}

int hvzone_boot_load(struct hvzone_boot *b)
{
	uint8_t *ram = b->ram;
	struct boot_params *bp = (struct boot_params *)(ram + ZERO_PAGE_ADDR);
	uint8_t *img = ram + KERNEL_ADDR; /* read whole, then the setup part moved out */
	uint64_t ksize = file_size(b->kernel), isize = b->initrd ? file_size(b->initrd) : 0;
	uint64_t *gdt = (uint64_t *)(ram + GDT_ADDR);
	size_t hdr_len, setup_len, cmd_len = strlen(b->cmdline);
	ssize_t n;

	if (ksize < 0x1000 || KERNEL_ADDR + ksize + isize + (16 << 20) > b->ram_size) {
		fprintf(stderr, "hvzone: kernel %s (%llu bytes) and initrd do not fit in RAM\n",
			b->kernel, (unsigned long long)ksize);
		return -1;
	}
	if (read_file(b->kernel, img, b->ram_size - KERNEL_ADDR, "kernel") < 0)
		return -1;
	if (memcmp(img + 0x202, "HdrS", 4) != 0 || (img[0x206] | img[0x207] << 8) < 0x20c) {
		fprintf(stderr, "hvzone: %s is not a bzImage of boot protocol 2.12+\n", b->kernel);
		return -1;
	}
	memset(bp, 0, sizeof(*bp));
	hdr_len = 0x202 + img[0x201] - SETUP_HDR_OFF;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, img + SETUP_HDR_OFF, hdr_len);
	if (!(bp->hdr.xloadflags & XLF_KERNEL_64_F)) {
		fprintf(stderr, "hvzone: %s has no 64-bit entry\n", b->kernel);
		return -1;
	}
	setup_len = (size_t)((bp->hdr.setup_sects ? bp->hdr.setup_sects : 4) + 1) * 512;
	memmove(img, img + setup_len, ksize - setup_len);
	memset(img + ksize - setup_len, 0, setup_len);

	if (cmd_len >= CMDLINE_MAX || cmd_len >= bp->hdr.cmdline_size) {
		fprintf(stderr, "hvzone: command line too long (%zu bytes)\n", cmd_len);
		return -1;
	}
	memcpy(ram + CMDLINE_ADDR, b->cmdline, cmd_len + 1);
	bp->hdr.cmd_line_ptr = CMDLINE_ADDR;
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff;

	if (b->initrd) {
		/* At the top of RAM, below what the kernel may address. */
		uint64_t top = b->ram_size < (uint64_t)bp->hdr.initrd_addr_max + 1
				       ? b->ram_size
				       : (uint64_t)bp->hdr.initrd_addr_max + 1;
		uint64_t at = (top - isize) & ~0xfffffull;

		if (at < KERNEL_ADDR + bp->hdr.init_size) {
			fprintf(stderr, "hvzone: no room for the initrd below 0x%llx\n",
				(unsigned long long)top);
			return -1;
		}
		if ((n = read_file(b->initrd, ram + at, top - at, "initrd")) < 0)
			return -1;
		bp->hdr.ramdisk_image = (uint32_t)at;
		bp->hdr.ramdisk_size = (uint32_t)n;
	}

	add_e820(bp, 0, LOW_RAM_END, E820_RAM);
	add_e820(bp, LOW_RAM_END, KERNEL_ADDR - LOW_RAM_END, E820_RESERVED);
	add_e820(bp, KERNEL_ADDR, b->ram_size - KERNEL_ADDR, E820_RAM);
	if (b->ram2_size)
		add_e820(bp, b->ram2_base, b->ram2_size, E820_RAM);

	/* Null, null, __BOOT_CS (64-bit code), __BOOT_DS. */
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffull;
	gdt[3] = 0x00cf93000000ffffull;
	page_tables(ram);

	b->entry = KERNEL_ADDR + 0x200;
	b->boot_params = ZERO_PAGE_ADDR;
	b->cr3 = PML4_ADDR;
	b->gdt = GDT_ADDR;
	return 0;
}

static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* As a BIOS leaves it (kvmtool does the same): LINT0 takes the PIC's
 * interrupts (ExtINT), LINT1 is NMI. With no MP table or ACPI, Linux runs
 * the local APIC in virtual wire mode and the legacy PIC's IRQs come in
 * through LINT0. */
static int set_lint(int vcpu_fd)
{
	struct kvm_lapic_state l;
	uint32_t v;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &l) < 0)
		return -1;
	memcpy(&v, &l.regs[0x350], 4);
	v = (v & ~0x700u) | 0x700u; /* ExtINT */
	memcpy(&l.regs[0x350], &v, 4);
	memcpy(&v, &l.regs[0x360], 4);
	v = (v & ~0x700u) | 0x400u; /* NMI */
	memcpy(&l.regs[0x360], &v, 4);
	return ioctl(vcpu_fd, KVM_SET_LAPIC, &l);
}

int hvzone_boot_vcpu(const struct hvzone_boot *b, int kvm_fd, int vcpu_fd, unsigned int id)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = b->entry,
		.rsi = b->boot_params,
		.rsp = STACK_TOP,
		.rflags = 2,
	};
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	/* kvm_cpuid2 ends in a flexible array: room for 256 entries. */
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	int r;

	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = 256;
	/* The host's CPU as KVM can offer it, with the hypervisor bit and
	 * this vCPU's APIC id (KVM gives local APIC i the id i). */
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		r = -errno;
		free(cpuid);
		return r;
	}
	for (unsigned int i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1) {
			e->ecx |= 1u << 31;
			e->ebx = (e->ebx & 0x00ffffffu) | id << 24;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = id;
		} else if (e->function == KVM_CPUID_FEATURES) {
			/* Without these two the zone's kernel flips no static
			 * key once its second vCPU runs: steal time's at
			 * arch_initcall, a stable sched_clock's at
			 * late_initcall. Under nested KVM on TCG, the test
			 * VM, the other vCPU then hit the patch's int3 after
			 * it was gone ("Oops: int3" in account_process_tick). A
			 * zone on hvisor has neither: it is no KVM guest. */
			e->eax &= ~(1u << KVM_FEATURE_STEAL_TIME |
				    1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
		}
	}
	r = ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (r < 0)
		return r;
	if (id != 0)
		return 0;

	if (set_lint(vcpu_fd) < 0 || ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	flat(&sregs.cs, 0x10, 0xb, true);
	flat(&sregs.ds, 0x18, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = b->gdt;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr0 = 0x80050033; /* PE MP ET NE WP AM PG */
	sregs.cr3 = b->cr3;
	sregs.cr4 = 0x20;   /* PAE */
	sregs.efer = 0x500; /* LME LMA */
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}
