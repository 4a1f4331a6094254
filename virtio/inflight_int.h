/* SPDX-License-Identifier: MIT */
/* The in-flight log's arrays, shared by virtqueue.c and inflight.c. */
#ifndef HVDPA_INFLIGHT_INT_H
#define HVDPA_INFLIGHT_INT_H

#include "hvdpa/inflight.h"

static inline uint64_t *log_desc(struct hv_inflight *log)
{
	return log->data;
}

static inline uint16_t *log_used_ring(struct hv_inflight *log)
{
	return (uint16_t *)(log->data + log->size);
}

static inline uint16_t *log_resubmit(struct hv_inflight *log)
{
	return log_used_ring(log) + log->size;
}

/* The packed ring's tail, after the split arrays (version 1's layout). */
static inline struct hv_inflight_packed *log_pk(struct hv_inflight *log)
{
	size_t off = (sizeof(*log) + (size_t)log->size * (8 + 2 + 2) + 7) & ~(size_t)7;

	return (struct hv_inflight_packed *)((char *)log + off);
}

static inline struct hv_inflight_desc *log_pool(struct hv_inflight *log)
{
	return (struct hv_inflight_desc *)(log_pk(log) + 1);
}

static inline uint16_t *log_first(struct hv_inflight *log)
{
	return (uint16_t *)(log_pool(log) + log->size);
}

static inline uint16_t *log_count(struct hv_inflight *log)
{
	return log_first(log) + log->size;
}

static inline bool log_is_packed(const struct hv_inflight *log)
{
	return log->active == HV_INFLIGHT_PACKED;
}

/* Packed: gives the pool entries of id's chain back. Only once its used
 * entry is published: until then a successor may need the copy. */
static inline void log_pool_release(struct hv_inflight *log, uint16_t id)
{
	struct hv_inflight_desc *pool = log_pool(log);
	uint16_t e = log_first(log)[id];

	for (uint16_t k = log_count(log)[id]; k && e < log->size; k--) {
		uint16_t next = pool[e].next;

		pool[e].next = log_pk(log)->pool_free;
		log_pk(log)->pool_free = e;
		e = next;
	}
	log_count(log)[id] = 0;
}

/* The stores below are what a successor reads after we die: the process can
 * stop between any two, so each is a single aligned atomic store, made in
 * the order recovery relies on. */
static inline void log_mark(struct hv_inflight *log, uint16_t head)
{
	uint64_t order = log->counter + 1;

	__atomic_store_n(&log->counter, order, __ATOMIC_RELAXED);
	__atomic_store_n(&log_desc(log)[head], order, __ATOMIC_RELEASE);
}

static inline void log_pushed(struct hv_inflight *log, uint16_t used_idx, uint16_t head)
{
	__atomic_store_n(&log_used_ring(log)[used_idx & (log->size - 1)], head, __ATOMIC_RELAXED);
}

/* After used->idx reached `published`: the heads pushed since are no longer
 * the device's. */
static inline void log_published(struct hv_inflight *log, uint16_t published)
{
	uint16_t *ring = log_used_ring(log);

	for (uint16_t i = log->used_idx; i != published; i++) {
		uint16_t head = ring[i & (log->size - 1)];

		if (head >= log->size)
			continue;
		__atomic_store_n(&log_desc(log)[head], 0, __ATOMIC_RELAXED);
		if (log_is_packed(log))
			log_pool_release(log, head);
	}
	__atomic_store_n(&log->used_idx, published, __ATOMIC_RELEASE);
}

#endif
