/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_INFLIGHT_H
#define HVDPA_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "hvdpa/virtqueue.h"

/*
 * The in-flight log of one virtqueue, split or packed: what the device has taken from
 * the driver and not yet given back. It lives in memory that outlives the
 * process (a MAP_SHARED file under /run), so a daemon that is killed can be
 * restarted, find out which requests were lost with it and run them again.
 *
 * The virtqueue keeps it up to date as it goes (see hv_vq_pop, hv_vq_push,
 * hv_vq_flush); nothing here needs the backend's help.
 *
 * Why it is enough: every chain the device has popped is either in flight
 * (flag set here) or counted in the used index, so after a crash the next
 * avail slot to read is used_idx + in-flight count. A completion published
 * to the driver (used->idx moved) but not yet cleared here is found again
 * through used_ring[], the log's copy of the heads the device pushed.
 *
 * A packed ring has no used index in guest memory and reuses the ring
 * slots of a chain for used entries, possibly while an older chain is still
 * in flight: its log keeps a copy of each chain's ring descriptors (pool[],
 * linked per buffer id, written before the id is marked), the published
 * used slot, and finds completions published but not yet cleared by
 * reading the used entries that follow that slot. The next avail slot is
 * then the used slot plus the ring slots of the chains still in flight.
 */

/* One ring descriptor as the packed ring had it when popped. */
struct hv_inflight_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next; /* pool index of the chain's next descriptor */
};

/* hv_inflight.active: 0 between a reset and the next start. */
#define HV_INFLIGHT_SPLIT  1u /* the only value state files of version 1 hold */
#define HV_INFLIGHT_PACKED 2u

/*
 * The layout of a split ring's log is that of state files version 1, so a
 * device made by an older hvdpad is taken over by this one. A packed ring's
 * log has a tail after the split arrays (struct hv_inflight_packed, then
 * its arrays), which only a device that offers VIRTIO_F_RING_PACKED makes
 * room for.
 */
struct hv_inflight {
	uint16_t size;	   /* the queue size this log was laid out for */
	uint16_t used_idx; /* used index whose entries are cleared below */
	uint32_t active;   /* HV_INFLIGHT_SPLIT or _PACKED from start to reset */
	uint64_t counter;  /* submission order of the last popped chain */
	/* uint64_t desc[size]:       0, or the order the head was popped in
	 * uint16_t used_ring[size]: heads as pushed, by used index
	 * uint16_t resubmit[size]:  scratch for recovery
	 * packed only, from an 8-byte boundary:
	 * struct hv_inflight_packed
	 * struct hv_inflight_desc pool[size]: chains' ring descriptors
	 * uint16_t first[size]:     pool index of each id's chain
	 * uint16_t count[size]:     its ring descriptors */
	uint64_t data[];
};

struct hv_inflight_packed {
	uint16_t used_pos;  /* published used slot | wrap << 15 */
	uint16_t pool_free; /* first free pool entry (>= size: none) */
	uint32_t pad;
};

/* Bytes of a log for a queue of `size` entries, with room for a packed
 * ring or not; a multiple of 8. */
size_t hv_inflight_bytes(uint16_t size, bool packed);

/* Starts logging a queue from scratch (a fresh DRIVER_OK). */
void hv_vq_log_begin(struct hv_vq *vq, struct hv_inflight *log);

/*
 * Resumes a queue from the log left by a process that died: clears what the
 * driver already got back, sets last_avail and used_idx, and queues every
 * chain still in flight to come out of hv_vq_pop() again, oldest first.
 * Returns how many, or -EINVAL when the log does not belong to this ring.
 */
int hv_vq_log_recover(struct hv_vq *vq, struct hv_inflight *log);

#endif
