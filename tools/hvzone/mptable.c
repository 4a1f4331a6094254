// SPDX-License-Identifier: MIT
/*
 * An Intel MP table (MultiProcessor Specification 1.4), only so that a zone
 * with more than one vCPU finds them without ACPI: one processor entry per
 * vCPU (local APIC id = vCPU index, as KVM sets it), an ISA bus, LINT0 as
 * ExtINT and LINT1 as NMI. No I/O APIC: the zone runs with "noapic", so
 * every legacy IRQ goes through the PIC to the boot vCPU, as with one vCPU.
 *
 * The floating pointer sits at the start of the last KiB of base memory
 * (0x9fc00, where Linux looks), the table right after it; the e820 map
 * keeps that KiB out of RAM.
 */
#include <string.h>

#include "hvzone.h"

#define MP_ADDR 0x9fc00

/* The specification's structures (Linux: arch/x86/include/asm/mpspec_def.h,
 * not exported to userspace). */
struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;  /* the configuration table */
	uint8_t length;	   /* in 16 bytes: 1 */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5]; /* 0: a configuration table follows */
} __attribute__((packed));

struct mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount; /* entries */
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type; /* 0 */
	uint8_t apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type; /* 1 */
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_lintsrc {
	uint8_t type; /* 4 */
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbusid, srcbusirq, destapic, destapiclint;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "mpf_intel");
_Static_assert(sizeof(struct mpc_table) == 44, "mpc_table");
_Static_assert(sizeof(struct mpc_cpu) == 20, "mpc_cpu");
_Static_assert(sizeof(struct mpc_bus) == 8, "mpc_bus");
_Static_assert(sizeof(struct mpc_lintsrc) == 8, "mpc_lintsrc");

#define MP_PROCESSOR	  0
#define MP_BUS		  1
#define MP_LINTSRC	  4
#define mp_NMI		  1
#define mp_ExtINT	  3
#define CPU_ENABLED	  1
#define CPU_BOOTPROCESSOR 2

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

int hvzone_mptable(uint8_t *ram, unsigned int ncpus)
{
	struct mpf_intel *mpf = (struct mpf_intel *)(ram + MP_ADDR);
	struct mpc_table *t = (struct mpc_table *)(mpf + 1);
	uint8_t *at = (uint8_t *)(t + 1);
	struct mpc_bus *bus;
	struct mpc_lintsrc *lint;

	memset(mpf, 0, 1024);
	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = MP_ADDR + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = 4;

	memcpy(t->signature, "PCMP", 4);
	memcpy(t->oem, "HVZONE  ", 8);
	memcpy(t->productid, "hvzone      ", 12);
	t->spec = 4;
	t->lapic = 0xfee00000;
	for (unsigned int i = 0; i < ncpus; i++) {
		struct mpc_cpu *c = (struct mpc_cpu *)at;

		c->type = MP_PROCESSOR;
		c->apicid = (uint8_t)i;
		c->apicver = 0x14;
		c->cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0);
		c->cpufeature = 0x600;
		c->featureflag = 0x201; /* FPU, APIC */
		at += sizeof(*c);
	}
	bus = (struct mpc_bus *)at;
	bus->type = MP_BUS;
	bus->busid = 0;
	memcpy(bus->bustype, "ISA   ", 6);
	at += sizeof(*bus);
	for (int pin = 0; pin < 2; pin++) {
		lint = (struct mpc_lintsrc *)at;
		lint->type = MP_LINTSRC;
		lint->irqtype = pin == 0 ? mp_ExtINT : mp_NMI;
		lint->srcbusid = 0;
		lint->destapic = 0xff; /* every local APIC */
		lint->destapiclint = (uint8_t)pin;
		at += sizeof(*lint);
	}
	t->length = (uint16_t)(at - (uint8_t *)t);
	t->oemcount = (uint16_t)(ncpus + 3);
	if (at > ram + MP_ADDR + 1024)
		return -1;
	t->checksum = checksum(t, t->length);
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
