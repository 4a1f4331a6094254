// SPDX-License-Identifier: MIT
/*
 * In-flight log set-up and crash recovery. The reasoning is in
 * include/hvdpa/inflight.h; the hot-path updates are in virtqueue.c.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "inflight_int.h"
#include "vq_int.h"

size_t hv_inflight_bytes(uint16_t size, bool packed)
{
	/* Version 1's split log, then the packed tail (inflight.h). */
	size_t b = (sizeof(struct hv_inflight) + (size_t)size * (8 + 2 + 2) + 7) & ~(size_t)7;

	if (packed)
		b += sizeof(struct hv_inflight_packed) +
		     (size_t)size * (sizeof(struct hv_inflight_desc) + 2 * 2);
	return (b + 7) & ~(size_t)7;
}

void hv_vq_log_begin(struct hv_vq *vq, struct hv_inflight *log)
{
	memset(log, 0, hv_inflight_bytes(vq->size, vq->packed));
	log->size = vq->size;
	log->used_idx = vq->used_idx;
	if (vq->packed) {
		struct hv_inflight_desc *pool = log_pool(log);

		log_pk(log)->used_pos = (uint16_t)(vq->pk.used_pos | vq->pk.used_wrap << 15);
		for (unsigned int i = 0; i < vq->size; i++)
			pool[i].next = (uint16_t)(i + 1); /* the last: none */
		log_pk(log)->pool_free = 0;
	}
	__atomic_store_n(&log->active, vq->packed ? HV_INFLIGHT_PACKED : HV_INFLIGHT_SPLIT,
			 __ATOMIC_RELEASE);
	vq->log = log;
	vq->resubmit_pos = vq->resubmit_n = 0;
}

static int by_order(const void *a, const void *b, void *keys)
{
	const uint64_t *order = keys;
	uint64_t x = order[*(const uint16_t *)a], y = order[*(const uint16_t *)b];

	return x < y ? -1 : x > y;
}

/* The ids still marked, oldest first, into resubmit[]; how many. */
static unsigned int log_in_flight(struct hv_inflight *log)
{
	uint16_t *resubmit = log_resubmit(log);
	uint64_t *desc = log_desc(log);
	unsigned int n = 0;

	for (unsigned int h = 0; h < log->size; h++)
		if (desc[h])
			resubmit[n++] = (uint16_t)h;
	/* Oldest first, as the driver submitted them. */
	qsort_r(resubmit, n, sizeof(*resubmit), by_order, desc);
	return n;
}

static void resume(struct hv_vq *vq, struct hv_inflight *log, uint16_t published, unsigned int n)
{
	vq->log = log;
	vq->used_idx = published;
	vq->signalled_used = published;
	vq->signalled_used_valid = false;
	vq->last_avail = (uint16_t)(published + n);
	vq->resubmit_pos = 0;
	vq->resubmit_n = (uint16_t)n;
}

/* Used entries the dead process published after its last log update: they
 * follow the logged used slot, marked used for its wrap. */
static uint16_t packed_published(struct hv_vq *vq, struct hv_inflight *log, uint16_t *pos,
				 bool *wrap)
{
	uint16_t published = log->used_idx, *count = log_count(log);
	uint16_t used =
		(uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL | 1u << VRING_PACKED_DESC_F_USED);

	for (unsigned int k = 0; k < vq->size; k++) {
		struct vring_packed_desc *d = &vq->pk.desc[*pos];
		uint16_t flags = le16toh(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE));
		uint16_t id = load16(&d->id);

		if ((flags & used) != (*wrap ? used : 0) || id >= vq->size || !log_desc(log)[id] ||
		    count[id] == 0 || count[id] > vq->size)
			break;
		slot_advance(vq->size, pos, wrap, count[id]);
		__atomic_store_n(&log_desc(log)[id], 0, __ATOMIC_RELAXED);
		log_pool_release(log, id);
		published++;
	}
	return published;
}

/* Checks the chains of the n ids in resubmit[] against the pool, rebuilds
 * the free list from the rest, and sets the ring slots they hold. */
static int packed_resume(struct hv_vq *vq, struct hv_inflight *log, unsigned int n, uint16_t pos,
			 bool wrap)
{
	struct hv_inflight_desc *pool = log_pool(log);
	uint16_t *resubmit = log_resubmit(log), *first = log_first(log), *count = log_count(log);
	uint32_t slots = 0;
	bool *taken = calloc(vq->size, sizeof(*taken));

	if (!taken)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		uint16_t id = resubmit[i], e = first[id];

		if (count[id] == 0 || (slots += count[id]) > vq->size)
			goto bad;
		for (unsigned int k = 0; k < count[id]; k++) {
			if (e >= vq->size || taken[e])
				goto bad;
			taken[e] = true;
			e = pool[e].next;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		vq->pk.chain_len[resubmit[i]] = count[resubmit[i]];
	log_pk(log)->pool_free = vq->size;
	for (unsigned int e = vq->size; e-- > 0;)
		if (!taken[e]) {
			pool[e].next = log_pk(log)->pool_free;
			log_pk(log)->pool_free = (uint16_t)e;
		}
	free(taken);

	/* The dead process may have written used entries for chains it had
	 * not published (all but the first of a batch): make those slots
	 * look neither used nor available, or the driver could read one
	 * after the next completion we publish. */
	vq->pk.used_pos = vq->pk.avail_pos = pos;
	vq->pk.used_wrap = vq->pk.avail_wrap = wrap;
	for (uint32_t k = 0; k < slots; k++) {
		uint16_t stale = vq->pk.avail_wrap ? 0
						   : (uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL |
								1u << VRING_PACKED_DESC_F_USED);

		store16(&vq->pk.desc[vq->pk.avail_pos].flags, stale);
		slot_advance(vq->size, &vq->pk.avail_pos, &vq->pk.avail_wrap, 1);
	}
	vq->pk.in_flight = vq->pk.unpublished = slots;
	__atomic_store_n(&log_pk(log)->used_pos, (uint16_t)(pos | wrap << 15), __ATOMIC_RELEASE);
	return 0;

bad:
	free(taken);
	return -EINVAL;
}

static int log_recover_packed(struct hv_vq *vq, struct hv_inflight *log)
{
	uint16_t pos = log_pk(log)->used_pos & 0x7fff, published;
	bool wrap = log_pk(log)->used_pos >> 15;
	unsigned int n;
	int r;

	if (pos >= vq->size)
		return -EINVAL;
	published = packed_published(vq, log, &pos, &wrap);
	__atomic_store_n(&log->used_idx, published, __ATOMIC_RELEASE);
	n = log_in_flight(log);
	r = packed_resume(vq, log, n, pos, wrap);
	if (r < 0)
		return r;
	resume(vq, log, published, n);
	return (int)n;
}

int hv_vq_log_recover(struct hv_vq *vq, struct hv_inflight *log)
{
	uint16_t published;
	unsigned int n;

	if (log->active != (vq->packed ? HV_INFLIGHT_PACKED : HV_INFLIGHT_SPLIT) ||
	    log->size != vq->size)
		return -EINVAL;
	if (vq->packed)
		return log_recover_packed(vq, log);
	/* The used index is ours: the driver never writes it. Further than a
	 * ring's worth from the log means this is not the ring we logged. */
	published = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(published - log->used_idx) > vq->size)
		return -EINVAL;
	log_published(log, published);
	n = log_in_flight(log);
	resume(vq, log, published, n);
	return (int)n;
}
