/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_VIRTQUEUE_H
#define HVDPA_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "hvdpa/guest_mem.h"
#include "hvdpa/log.h"

/*
 * The device side of a virtqueue over any guest memory: split (virtio 1.2,
 * 2.7; virtqueue.c) or packed (2.8; virtqueue_packed.c), chosen by
 * VIRTIO_F_RING_PACKED in the negotiated features; the calls below are the
 * same for both. Nothing here knows about VDUSE or vhost: hvbridge uses it
 * too (split only).
 *
 * Everything the driver writes is untrusted. Indices and lengths are read
 * once into locals and bounded before use; a chain that is malformed is
 * answered with a used length of 0 and counted, and a ring whose avail index
 * or head is impossible marks the queue broken (the device needs a reset).
 *
 * The work a driver can cause is bounded: a chain has at most queue-size
 * descriptors, indirect ones included (virtio 1.2, 2.7.5.3.1: an indirect
 * table of more entries is malformed), and one pass takes at most
 * queue-size chains, malformed ones included, however fast the driver adds
 * them, and begins none once it read HV_VQ_PASS_DESC * queue-size
 * descriptors: then hv_vq_pop() says -EAGAIN and the caller comes back
 * later.
 *
 * Packed ring: a chain is its ring descriptors (at most queue-size, or one
 * that points at an indirect table of at most queue-size), ending at the
 * one without NEXT, whose id names the buffer. An id out of range, an id
 * already in flight, a chain without an end, or more descriptors taken and
 * not given back than the ring holds leave no way to answer: the queue is
 * broken. Completions may come in any order; each used entry is followed by
 * as many ring slots as its chain took.
 */

#define HV_VQ_MAX_SIZE 32768u
/* Descriptors one pass reads, per queue entry, before it stops beginning
 * chains: a pass is O(queue size) whatever the chains look like. */
#define HV_VQ_PASS_DESC 4u

struct hv_inflight;

struct hv_vq_elem {
	uint16_t head;
	uint16_t out_num; /* device-readable iovecs, first */
	uint16_t in_num;  /* device-writable iovecs, after them */
	uint16_t max_iov; /* capacity of iov[], set by the owner */
	/* Descriptors with a non-empty buffer, per direction (a descriptor
	 * may take several iovecs where guest memory is split). */
	uint16_t out_desc, in_desc;
	uint64_t out_len;
	uint64_t in_len;
	struct iovec *iov;
};

struct hv_vq_stats {
	uint64_t malformed;   /* chains answered with length 0 */
	uint64_t descriptors; /* read while walking chains */
	uint64_t popped;
	uint64_t notifies;
};

/* The packed ring's own state (struct hv_vq.pk). Positions are ring slots
 * with their wrap counters; slots taken and given back are counted in
 * descriptors, not chains. */
struct hv_vq_packed {
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver_event; /* the driver's: when to interrupt */
	struct vring_packed_desc_event *device_event; /* ours: when to kick */
	uint16_t avail_pos, used_pos;
	bool avail_wrap, used_wrap;
	/* Ring slots popped and not yet pushed / not yet published, and
	 * pushed since the last hv_vq_flush() (for EVENT_IDX). */
	uint32_t in_flight, unpublished, unflushed;
	/* First used entry of the batch hv_vq_flush() publishes: its flags
	 * are written last, so the driver sees the batch at once. */
	bool batch_open;
	uint16_t batch_pos, batch_flags;
	/* Ring slots of each buffer id in flight; 0: not in flight. Sized
	 * for the largest queue (64 KiB): nothing to allocate at a reset,
	 * or to fail or free. */
	uint16_t chain_len[HV_VQ_MAX_SIZE];
};

struct hv_vq {
	struct hv_mem *mem;
	uint16_t size;
	bool event_idx;
	bool indirect;
	bool packed;
	bool broken;

	/* Split: the next avail and used slots. Packed: chains popped and
	 * pushed, counted from 0 (in flight is their distance either way). */
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_used_valid;

	uint64_t desc_addr, avail_addr, used_addr;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct hv_vq_packed pk;

	/* Optional crash log (include/hvdpa/inflight.h), and the chains it
	 * says are to be run again before any new one. */
	struct hv_inflight *log;
	uint16_t resubmit_pos, resubmit_n;

	/* Chains hv_vq_pop() may still take in this pass, and descriptors it
	 * may still read (a chain is begun while both are left). */
	uint32_t pass_left, pass_desc_left;

	struct hv_vq_stats stats;
	/* Kept by hv_vq_init(): a driver that resets its device does not win
	 * a fresh burst of log lines. */
	struct hv_ratelimit rl;
	const char *name; /* for log lines */
};

struct hv_vq_layout {
	uint16_t size;
	/* Packed: avail_addr is the driver event suppression area, used_addr
	 * the device's. */
	uint64_t desc_addr, avail_addr, used_addr;
	/* negotiated: EVENT_IDX, INDIRECT_DESC, RING_PACKED matter */
	uint64_t features;
	/* Where the device resumes (0 after reset). Packed: slot | wrap << 15
	 * (VRING_PACKED_EVENT_F_WRAP_CTR), 1 << 15 after reset. */
	uint16_t last_avail;
	uint16_t used_idx;
};

/* Maps the rings. -EINVAL for a size that is not a power of two up to
 * HV_VQ_MAX_SIZE, -EFAULT when a ring is not mapped contiguously. vq must
 * be zeroed or initialised before: its rate-limit state is kept. Starts a
 * pass. */
int hv_vq_init(struct hv_vq *vq, struct hv_mem *mem, const struct hv_vq_layout *l,
	       const char *name);

/*
 * Takes the next available chain. Returns 1 with elem filled, 0 when the
 * ring is empty, -EIO when the queue is broken, -EAGAIN when chains wait
 * but this pass has spent its budget (see above): the caller must
 * yield and come back (a new pass) without waiting for a kick. Malformed
 * chains met on the way are pushed back with length 0 (flush them with
 * hv_vq_flush()).
 */
int hv_vq_pop(struct hv_vq *vq, struct hv_vq_elem *elem);

/* Starts a pass: hv_vq_pop() may take up to queue-size chains again. */
void hv_vq_begin_pass(struct hv_vq *vq);

/* Returns a chain to the driver, unpublished until hv_vq_flush(). */
void hv_vq_push(struct hv_vq *vq, uint16_t head, uint32_t len);

/* Publishes pushed entries; returns true when the driver wants an
 * interrupt for them (EVENT_IDX or NO_INTERRUPT honoured). */
bool hv_vq_flush(struct hv_vq *vq);

/* Asks for kicks again; returns true when chains arrived meanwhile, so the
 * caller must keep popping instead of sleeping. */
bool hv_vq_enable_notify(struct hv_vq *vq);
void hv_vq_disable_notify(struct hv_vq *vq);

/* Pending chains: those the ring holds, plus any recovered ones. The
 * packed ring has no index to count from: there it is non-zero when a
 * chain waits, not a count. */
uint16_t hv_vq_avail_count(struct hv_vq *vq);

/* iovec helpers, bounded by the iovec's own lengths. */
size_t hv_iov_size(const struct iovec *iov, unsigned int n);
size_t hv_iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset, void *buf, size_t len);
size_t hv_iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset, const void *buf,
		       size_t len);
/* Drops the first `bytes` bytes of an iovec array in place; returns the
 * new count. */
unsigned int hv_iov_skip(struct iovec *iov, unsigned int n, size_t bytes);
/* Drops the last `bytes` bytes; returns the new count. */
unsigned int hv_iov_trim_tail(struct iovec *iov, unsigned int n, size_t bytes);

#endif
