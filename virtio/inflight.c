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

size_t hv_inflight_bytes(uint16_t size)
{
	size_t b = sizeof(struct hv_inflight) + (size_t)size * (8 + 2 + 2);

	return (b + 7) & ~(size_t)7;
}

void hv_vq_log_begin(struct hv_vq *vq, struct hv_inflight *log)
{
	memset(log, 0, hv_inflight_bytes(vq->size));
	log->size = vq->size;
	log->used_idx = vq->used_idx;
	__atomic_store_n(&log->active, 1, __ATOMIC_RELEASE);
	vq->log = log;
	vq->resubmit_pos = vq->resubmit_n = 0;
}

static int by_order(const void *a, const void *b, void *keys)
{
	const uint64_t *order = keys;
	uint64_t x = order[*(const uint16_t *)a], y = order[*(const uint16_t *)b];

	return x < y ? -1 : x > y;
}

int hv_vq_log_recover(struct hv_vq *vq, struct hv_inflight *log)
{
	uint16_t published, *resubmit = log_resubmit(log);
	uint64_t *desc = log_desc(log);
	unsigned int n = 0;

	if (!log->active || log->size != vq->size)
		return -EINVAL;
	/* The used index is ours: the driver never writes it. Further than a
	 * ring's worth from the log means this is not the ring we logged. */
	published = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(published - log->used_idx) > vq->size)
		return -EINVAL;
	log_published(log, published);

	for (unsigned int h = 0; h < vq->size; h++)
		if (desc[h])
			resubmit[n++] = (uint16_t)h;
	/* Oldest first, as the driver submitted them. */
	qsort_r(resubmit, n, sizeof(*resubmit), by_order, desc);

	vq->log = log;
	vq->used_idx = published;
	vq->signalled_used = published;
	vq->signalled_used_valid = false;
	vq->last_avail = (uint16_t)(published + n);
	vq->resubmit_pos = 0;
	vq->resubmit_n = (uint16_t)n;
	return (int)n;
}
