// SPDX-License-Identifier: MIT
/*
 * Packed virtqueue, device side (virtio 1.2, 2.8), behind the hv_vq_* calls
 * of virtqueue.c. See include/hvdpa/virtqueue.h for the rules on untrusted
 * input; what the split ring has too (buffers into iovecs, the pass budget,
 * answering a bad chain) is in virtqueue.c.
 *
 * One ring of descriptors serves both ways: the driver makes a descriptor
 * available by setting its AVAIL flag to its wrap counter and USED to the
 * opposite, the device hands a buffer back by writing a used entry (id,
 * length, AVAIL = USED = its own wrap counter) at its next used slot, and
 * skips as many slots as the chain had.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "hvdpa/virtqueue.h"
#include "inflight_int.h"
#include "vq_int.h"

#define PDESC_SIZE sizeof(struct vring_packed_desc)
#define F_AVAIL	   (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED	   (1u << VRING_PACKED_DESC_F_USED)
#define WRAP_BIT   (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

static bool is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) != wrap;
}

int vqp_init(struct hv_vq *vq, const struct hv_vq_layout *l)
{
	struct hv_vq_packed *pk = &vq->pk;

	/* Alignments of virtio 1.2, 2.8.10: the event areas are read and
	 * written as whole words. */
	if ((l->desc_addr & 15) || (l->avail_addr & 3) || (l->used_addr & 3))
		return -EINVAL;
	/* The device writes used entries into the descriptor ring. */
	pk->desc = hv_mem_contig(vq->mem, l->desc_addr, PDESC_SIZE * vq->size, true);
	pk->driver_event = hv_mem_contig(vq->mem, l->avail_addr, sizeof(*pk->driver_event), false);
	pk->device_event = hv_mem_contig(vq->mem, l->used_addr, sizeof(*pk->device_event), true);
	if (!pk->desc || !pk->driver_event || !pk->device_event)
		return -EFAULT;
	pk->avail_pos = l->last_avail & ~WRAP_BIT;
	pk->avail_wrap = l->last_avail & WRAP_BIT;
	pk->used_pos = l->used_idx & ~WRAP_BIT;
	pk->used_wrap = l->used_idx & WRAP_BIT;
	if (pk->avail_pos >= vq->size || pk->used_pos >= vq->size)
		return -EINVAL;
	/* hv_vq_init() left the id table alone; ids are below the size. */
	memset(pk->chain_len, 0, vq->size * sizeof(pk->chain_len[0]));
	return 0;
}

bool vqp_pending(struct hv_vq *vq)
{
	const struct vring_packed_desc *d = &vq->pk.desc[vq->pk.avail_pos];

	return !vq->broken &&
	       is_avail(le16toh(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE)), vq->pk.avail_wrap);
}

/* An indirect table: its entries are the chain's buffers, in order. */
static int vqp_indirect(struct hv_vq *vq, struct hv_vq_elem *elem, uint64_t addr, uint32_t len,
			const char **why)
{
	const struct vring_packed_desc *table;

	if (!vq->indirect) {
		*why = "indirect descriptor not negotiated";
		return -EINVAL;
	}
	if (len == 0 || len % PDESC_SIZE) {
		*why = "bad indirect table length";
		return -EINVAL;
	}
	/* Its entries count against the queue size (virtio 1.2, 2.8.19). */
	if (len / PDESC_SIZE > vq->size) {
		*why = "indirect table larger than the queue";
		return -EINVAL;
	}
	table = hv_mem_contig(vq->mem, addr, len, false);
	if (!table) {
		*why = "indirect table outside guest memory";
		return -EFAULT;
	}
	for (uint32_t i = 0; i < len / PDESC_SIZE; i++) {
		/* One read of each field: the driver may rewrite them. */
		uint64_t a = le64toh(__atomic_load_n(&table[i].addr, __ATOMIC_RELAXED));
		uint32_t l = le32toh(__atomic_load_n(&table[i].len, __ATOMIC_RELAXED));
		uint16_t f = load16(&table[i].flags);
		int r;

		pass_count_desc(vq);
		if (f & VRING_DESC_F_INDIRECT) {
			*why = "nested indirect descriptor";
			return -EINVAL;
		}
		r = vq_add_buf(vq, elem, a, l, f & VRING_DESC_F_WRITE, why);
		if (r)
			return r;
	}
	return 0;
}

/* One ring descriptor of a chain, the first when first. */
static inline int vqp_desc(struct hv_vq *vq, struct hv_vq_elem *elem, uint64_t addr, uint32_t len,
			   uint16_t flags, bool first, const char **why)
{
	if (!(flags & VRING_DESC_F_INDIRECT))
		return vq_add_buf(vq, elem, addr, len, flags & VRING_DESC_F_WRITE, why);
	/* Alone in the ring (2.8.8: never with NEXT): a table ends it. */
	if (!first || (flags & VRING_DESC_F_NEXT)) {
		*why = "indirect descriptor in a chain";
		return -EINVAL;
	}
	return vqp_indirect(vq, elem, addr, len, why);
}

int vqp_walk_logged(struct hv_vq *vq, uint16_t id, struct hv_vq_elem *elem, const char **why)
{
	const struct hv_inflight_desc *pool = log_pool(vq->log);
	uint16_t e = log_first(vq->log)[id];

	/* The chain was checked against the pool by hv_vq_log_recover(). */
	vq_elem_reset(elem, id);
	for (uint16_t k = 0; k < log_count(vq->log)[id]; k++) {
		int r;

		pass_count_desc(vq);
		r = vqp_desc(vq, elem, pool[e].addr, pool[e].len, pool[e].flags, k == 0, why);
		if (r)
			return r;
		e = pool[e].next;
	}
	return 0;
}

/* The copy a successor walks again if we die with the chain in flight. */
static bool log_copy(struct hv_vq *vq, uint16_t *prev, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct hv_inflight *log = vq->log;
	struct hv_inflight_desc *pool = log_pool(log);
	uint16_t e = log_pk(log)->pool_free;

	/* Never short: pool entries are held by unpublished ring slots,
	 * which are bounded by the ring size. */
	if (e >= vq->size)
		return false;
	log_pk(log)->pool_free = pool[e].next;
	pool[e] = (struct hv_inflight_desc){.addr = addr, .len = len, .flags = flags};
	if (*prev < vq->size)
		pool[*prev].next = e;
	*prev = e;
	return true;
}

/*
 * Reads the chain at the avail slot, whose flags (read once, with acquire)
 * said it is available. Fills elem unless *why is set; returns the id, or
 * -EIO when the ring is broken. *slots is the chain's ring descriptors.
 */
static int vqp_read_chain(struct hv_vq *vq, uint16_t flags, struct hv_vq_elem *elem,
			  uint16_t *slots, uint16_t *first_copy, const char **why)
{
	struct hv_vq_packed *pk = &vq->pk;
	uint16_t pos = pk->avail_pos, id = 0, n = 0, copy = UINT16_MAX;
	/* Slots taken and not given back, this chain's included, can never
	 * be more than the ring has: else the driver made slots available it
	 * had not got back, or the chain has no end. */
	uint32_t room = vq->size - pk->unpublished;
	bool wrap = pk->avail_wrap;
	int err = 0;

	vq_elem_reset(elem, 0);
	*first_copy = UINT16_MAX;
	for (;;) {
		const struct vring_packed_desc *d = &pk->desc[pos];
		uint64_t addr;
		uint32_t len;

		if (n >= room) {
			vq_mark_broken(vq, "more descriptors taken than the ring holds",
				       pk->unpublished + n + 1u);
			return -EIO;
		}
		pass_count_desc(vq);
		/* One read of each field: the driver may rewrite them. */
		if (n)
			flags = load16(&d->flags);
		addr = le64toh(__atomic_load_n(&d->addr, __ATOMIC_RELAXED));
		len = le32toh(__atomic_load_n(&d->len, __ATOMIC_RELAXED));
		id = load16(&d->id);
		if (vq->log) {
			if (!log_copy(vq, &copy, addr, len, flags)) {
				vq_mark_broken(vq, "in-flight log full", n);
				return -EIO;
			}
			if (n == 0)
				*first_copy = copy;
		}
		if (!err)
			err = vqp_desc(vq, elem, addr, len, flags, n == 0, why);
		n++;
		slot_advance(vq->size, &pos, &wrap, 1);
		if (!(flags & VRING_DESC_F_NEXT))
			break;
	}
	/* The last descriptor names the buffer (virtio 1.2, 2.8.6). */
	if (id >= vq->size) {
		vq_mark_broken(vq, "buffer id out of range", id);
		return -EIO;
	}
	if (pk->chain_len[id] || (vq->log && log_desc(vq->log)[id])) {
		vq_mark_broken(vq, "buffer id already in flight", id);
		return -EIO;
	}
	if (!err)
		*why = NULL;
	pk->avail_pos = pos;
	pk->avail_wrap = wrap;
	*slots = n;
	return id;
}

int vqp_pop(struct hv_vq *vq, struct hv_vq_elem *elem)
{
	struct hv_vq_packed *pk = &vq->pk;

	for (;;) {
		const struct vring_packed_desc *d = &pk->desc[pk->avail_pos];
		const char *why = "";
		uint16_t flags, slots = 0, first_copy;
		int id;

		if (vq->broken)
			return -EIO;
		/* Acquire: the rest of the chain is read after its flags. */
		flags = le16toh(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE));
		if (!is_avail(flags, pk->avail_wrap))
			return 0;
		/* Malformed chains count too, as in the split ring. */
		if (pass_spent(vq))
			return -EAGAIN;
		vq->pass_left--;
		id = vqp_read_chain(vq, flags, elem, &slots, &first_copy, &why);
		if (id < 0)
			return id;
		pk->chain_len[id] = slots;
		pk->in_flight += slots;
		pk->unpublished += slots;
		vq->last_avail++;
		/* Logged even if malformed, as in the split ring: copies first,
		 * then the mark that makes them count. */
		if (vq->log) {
			log_first(vq->log)[id] = first_copy;
			log_count(vq->log)[id] = slots;
			log_mark(vq->log, (uint16_t)id);
		}
		elem->head = (uint16_t)id;
		if (!why) {
			vq->stats.popped++;
			return 1;
		}
		vq_answer_malformed(vq, (uint16_t)id, "chain with id", why);
	}
}

void vqp_push(struct hv_vq *vq, uint16_t id, uint32_t len)
{
	struct hv_vq_packed *pk = &vq->pk;
	struct vring_packed_desc *d = &pk->desc[pk->used_pos];
	uint16_t slots, flags = pk->used_wrap ? (uint16_t)(F_AVAIL | F_USED) : 0;

	if (id >= vq->size || !pk->chain_len[id]) {
		/* Our own bug, not the driver's: say so, touch nothing. */
		hv_err_ratelimited(&vq->rl, "%s: id %u pushed but not in flight", vq->name, id);
		return;
	}
	slots = pk->chain_len[id];
	pk->chain_len[id] = 0;
	__atomic_store_n(&d->id, htole16(id), __ATOMIC_RELAXED);
	__atomic_store_n(&d->len, htole32(len), __ATOMIC_RELAXED);
	if (!pk->batch_open) {
		pk->batch_open = true;
		pk->batch_pos = pk->used_pos;
		pk->batch_flags = flags;
	} else {
		/* Not seen before the batch's first entry is. */
		__atomic_store_n(&d->flags, htole16(flags), __ATOMIC_RELEASE);
	}
	slot_advance(vq->size, &pk->used_pos, &pk->used_wrap, slots);
	pk->in_flight -= slots;
	pk->unflushed += slots;
	if (vq->log)
		log_pushed(vq->log, vq->used_idx, id);
	vq->used_idx++;
}

/* Whether the driver asked for an interrupt now (2.8.10). */
static bool vqp_need_interrupt(struct hv_vq *vq, uint32_t published)
{
	struct hv_vq_packed *pk = &vq->pk;
	uint16_t flags = load16(&pk->driver_event->flags), off_wrap;
	int32_t event, cur = pk->used_pos, old;

	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx || !vq->signalled_used_valid ||
	    published >= vq->size)
		return true;
	/* The event slot, and the slot the last look left us at, both as
	 * offsets from the start of the current lap (negative: the lap
	 * before), so that vring_need_event() compares them. */
	off_wrap = load16(&pk->driver_event->off_wrap);
	event = off_wrap & ~WRAP_BIT;
	if (!!(off_wrap & WRAP_BIT) != pk->used_wrap)
		event -= vq->size;
	old = cur - (int32_t)published;
	return vring_need_event((uint16_t)event, (uint16_t)cur, (uint16_t)old);
}

bool vqp_flush(struct hv_vq *vq)
{
	struct hv_vq_packed *pk = &vq->pk;
	uint32_t published = pk->unflushed;
	bool notify;

	if (pk->batch_open) {
		/* Entries and the rest of the batch before this. */
		__atomic_store_n(&pk->desc[pk->batch_pos].flags, htole16(pk->batch_flags),
				 __ATOMIC_RELEASE);
		pk->batch_open = false;
	}
	pk->unpublished -= published;
	pk->unflushed = 0;
	if (vq->log) {
		log_published(vq->log, vq->used_idx);
		__atomic_store_n(&log_pk(vq->log)->used_pos,
				 (uint16_t)(pk->used_pos | pk->used_wrap << 15), __ATOMIC_RELEASE);
	}
	/* The flags store must be visible before we read the driver's event
	 * area, or both sides may decide the other will act. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Nothing published since the last look: nothing to tell. */
	if (published == 0)
		return false;
	notify = vqp_need_interrupt(vq, published);
	vq->signalled_used_valid = true;
	if (notify)
		vq->stats.notifies++;
	return notify;
}

void vqp_disable_notify(struct hv_vq *vq)
{
	/* With EVENT_IDX the event slot stays behind us, as in the split
	 * ring: kicks stay quiet while we poll. */
	if (!vq->event_idx)
		store16(&vq->pk.device_event->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

void vqp_enable_notify(struct hv_vq *vq)
{
	struct hv_vq_packed *pk = &vq->pk;

	if (vq->event_idx) {
		uint32_t off_wrap = pk->avail_pos | (pk->avail_wrap ? WRAP_BIT : 0);

		/* One store: the driver reads both halves at once (Linux's
		 * virtqueue_kick_prepare_packed), and must not see the new
		 * slot with old flags. */
		__atomic_store_n((uint32_t *)pk->device_event,
				 htole32(off_wrap | (uint32_t)VRING_PACKED_EVENT_FLAG_DESC << 16),
				 __ATOMIC_RELAXED);
	} else {
		store16(&pk->device_event->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	}
}
