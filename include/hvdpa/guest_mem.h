/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_GUEST_MEM_H
#define HVDPA_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The memory a driver's addresses point into: IOVAs under VDUSE, zone
 * physical addresses under hvbridge. Everything the virtqueue code touches
 * goes through translate(), so the transport alone decides what is mapped.
 */
struct hv_mem {
	/*
	 * Returns a host pointer to addr, valid for *avail bytes, where
	 * 1 <= *avail <= len (a range may span several mappings: the caller
	 * translates the rest separately). Returns NULL when addr is not
	 * mapped with the access asked for. len is never 0.
	 */
	void *(*translate)(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write,
			   uint64_t *avail);
};

/* The whole range [addr, addr+len) as one contiguous host block, or NULL. */
static inline void *hv_mem_contig(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write)
{
	uint64_t avail = 0;
	void *p;

	if (len == 0 || addr + len < addr)
		return NULL;
	p = mem->translate(mem, addr, len, write, &avail);
	return p && avail == len ? p : NULL;
}

#endif
