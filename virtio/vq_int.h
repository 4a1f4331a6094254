/* SPDX-License-Identifier: MIT */
/*
 * What the split ring (virtqueue.c) and the packed ring (virtqueue_packed.c)
 * share: reading the driver's fields, the pass budget, turning one buffer
 * descriptor into iovecs, and how a bad chain or ring is answered.
 */
#ifndef HVDPA_VQ_INT_H
#define HVDPA_VQ_INT_H

#include <endian.h>

#include "hvdpa/virtqueue.h"

static inline uint16_t load16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline bool pass_spent(const struct hv_vq *vq)
{
	return vq->pass_left == 0 || vq->pass_desc_left == 0;
}

/* One descriptor read from the driver, counted against the pass. */
static inline void pass_count_desc(struct hv_vq *vq)
{
	vq->stats.descriptors++;
	if (vq->pass_desc_left)
		vq->pass_desc_left--;
}

/* Packed: moves a ring slot and its wrap counter n slots on (n <= size). */
static inline void slot_advance(uint16_t size, uint16_t *pos, bool *wrap, uint32_t n)
{
	uint32_t p = *pos + n;

	if (p >= size) {
		p -= size;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

void vq_mark_broken(struct hv_vq *vq, const char *why, unsigned int v);

/* Empties elem for the chain `head`. */
void vq_elem_reset(struct hv_vq_elem *elem, uint16_t head);

/*
 * Adds one buffer descriptor (not an indirect one) to elem: direction
 * order, guest memory and the 4 GiB bound checked. 0, or a negative errno
 * with *why set.
 */
int vq_add_buf(struct hv_vq *vq, struct hv_vq_elem *elem, uint64_t addr, uint32_t len, bool write,
	       const char **why);

/* Answers a chain that cannot be served with length 0, counted and logged. */
void vq_answer_malformed(struct hv_vq *vq, uint16_t head, const char *what, const char *why);

/* Packed ring (virtqueue_packed.c), called by the hv_vq_* entry points. */
int vqp_init(struct hv_vq *vq, const struct hv_vq_layout *l);
int vqp_pop(struct hv_vq *vq, struct hv_vq_elem *elem);
void vqp_push(struct hv_vq *vq, uint16_t id, uint32_t len);
bool vqp_flush(struct hv_vq *vq);
void vqp_disable_notify(struct hv_vq *vq);
void vqp_enable_notify(struct hv_vq *vq);
bool vqp_pending(struct hv_vq *vq);
/* Walks the chain of id again from the in-flight log's copy (recovery). */
int vqp_walk_logged(struct hv_vq *vq, uint16_t id, struct hv_vq_elem *elem, const char **why);

#endif
