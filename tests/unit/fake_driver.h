/* SPDX-License-Identifier: MIT */
/*
 * The driver side of a split or packed ring over a flat buffer posing as
 * guest memory, for tests. It can also be told to misbehave: tests write descriptors by
 * hand through fd_desc().
 */
#ifndef HVDPA_TESTS_FAKE_DRIVER_H
#define HVDPA_TESTS_FAKE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "hvdpa/guest_mem.h"
#include "hvdpa/virtqueue.h"

#define FD_BASE 0x100000ull /* guest address of the first byte */

struct fake_mem {
	struct hv_mem mem;
	uint8_t *buf;
	uint64_t size;
	/* Non-zero: translations stop at this guest address, as if two
	 * mappings met there. */
	uint64_t split_at;
	unsigned long translations;
	/* A second vCPU that publishes refill_head again on each of our
	 * reads, refills times: a driver that adds a chain for every one the
	 * device answers. */
	unsigned long refills;
	uint16_t refill_head;
	/* Optional: runs on each read, as another vCPU would (hook_arg is the
	 * test's). */
	void (*hook)(struct fake_mem *fm);
	void *hook_arg;
};

struct fake_driver {
	struct fake_mem fm;
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t next_desc;
	uint16_t last_used;
	uint64_t heap; /* bump allocator, guest addresses */

	/* Packed ring (fd_init_packed): desc_gpa is the ring, avail_gpa and
	 * used_gpa the driver and device event areas. */
	bool packed;
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *drv_event, *dev_event;
	uint16_t avail_pos, used_pos;
	bool avail_wrap, used_wrap;
	uint16_t *plen; /* ring slots of each id made available */
};

struct fd_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

void fd_init(struct fake_driver *d, uint64_t mem_size, uint16_t qsize);
void fd_free(struct fake_driver *d);
void fd_layout(struct fake_driver *d, struct hv_vq_layout *l, uint64_t features);
uint64_t fd_alloc(struct fake_driver *d, uint64_t len);
void *fd_ptr(struct fake_driver *d, uint64_t gpa);
struct vring_desc *fd_desc(struct fake_driver *d, uint16_t i);
/* Writes a chain into consecutive descriptors; returns its head. */
uint16_t fd_chain(struct fake_driver *d, const struct fd_buf *b, unsigned int n);
/* Same, as one indirect descriptor pointing at a table in guest memory. */
uint16_t fd_chain_indirect(struct fake_driver *d, const struct fd_buf *b, unsigned int n);
void fd_publish(struct fake_driver *d, uint16_t head);
/* Makes a chain available on either ring (packed: with the lowest id not
 * in flight); returns its head or id. */
uint16_t fd_submit(struct fake_driver *d, const struct fd_buf *b, unsigned int n);
/* Next used entry, if any (packed: skipping the slots its id's chain
 * took). */
bool fd_used(struct fake_driver *d, uint32_t *id, uint32_t *len);

/* Packed ring. fd_layout() then asks for VIRTIO_F_RING_PACKED and starts
 * both wrap counters at 1, as a reset does. */
void fd_init_packed(struct fake_driver *d, uint64_t mem_size, uint16_t qsize);
/* Makes a chain of n ring descriptors with buffer id `id` available (the
 * first one's flags written last); returns its first slot. */
uint16_t fdp_chain(struct fake_driver *d, uint16_t id, const struct fd_buf *b, unsigned int n);
/* Same, as one indirect descriptor pointing at a table in guest memory. */
uint16_t fdp_chain_indirect(struct fake_driver *d, uint16_t id, const struct fd_buf *b,
			    unsigned int n);
/* The flags that make a descriptor available at a slot of this wrap. */
uint16_t fdp_avail_flags(bool wrap);

#endif
