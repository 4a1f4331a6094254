// SPDX-License-Identifier: MIT
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "hvdpa/device.h"

uint64_t hv_device_common_features(void)
{
	/* ACCESS_PLATFORM: VDUSE refuses devices without it, and it is right
	 * anyway: the driver's addresses are IOVAs, never our pointers. */
	return (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
}

void hv_queue_stats_read(const struct hv_queue *q, struct hv_queue_stats *out)
{
	const struct hv_queue_stats *s = &q->stats;
	/* The queue thread moves both while we look: in flight is their
	 * distance, 0 when we saw the push before the pop. */
	uint16_t popped = __atomic_load_n(&q->vq.last_avail, __ATOMIC_RELAXED);
	uint16_t pushed = __atomic_load_n(&q->vq.used_idx, __ATOMIC_RELAXED);
	uint16_t n = (uint16_t)(popped - pushed);

	out->requests = __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
	out->kicks = __atomic_load_n(&s->kicks, __ATOMIC_RELAXED);
	out->interrupts = __atomic_load_n(&s->interrupts, __ATOMIC_RELAXED);
	out->poll_hits = __atomic_load_n(&s->poll_hits, __ATOMIC_RELAXED);
	out->in_flight = n <= q->vq.size ? n : 0;
}

void hv_queue_stats_sum(struct hv_queue_stats *out, const struct hv_queue_stats *add)
{
	out->requests += add->requests;
	out->bytes += add->bytes;
	out->errors += add->errors;
	out->kicks += add->kicks;
	out->interrupts += add->interrupts;
	out->poll_hits += add->poll_hits;
	out->in_flight += add->in_flight;
}
