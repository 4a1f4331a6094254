// SPDX-License-Identifier: MIT
/*
 * Split virtqueue, device side, and the hv_vq_* entry points, which hand a
 * packed ring to virtqueue_packed.c. See include/hvdpa/virtqueue.h for the
 * rules on untrusted input.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "hvdpa/virtqueue.h"
#include "inflight_int.h"
#include "vq_int.h"

#define DESC_SIZE sizeof(struct vring_desc)

int hv_vq_init(struct hv_vq *vq, struct hv_mem *mem, const struct hv_vq_layout *l, const char *name)
{
	uint64_t n = l->size;
	struct hv_ratelimit rl = vq->rl;

	/* The log's limiter outlives the queue: every reset re-inits it.
	 * Everything is cleared but the packed ring's 64 KiB id table, which
	 * vqp_init() clears as far as its queue size reaches: a split queue
	 * never touches it (no work at each start, no resident pages). */
	size_t table = offsetof(struct hv_vq, pk.chain_len),
	       after = table + sizeof(vq->pk.chain_len);

	memset(vq, 0, table);
	memset((char *)vq + after, 0, sizeof(*vq) - after);
	vq->rl = rl;
	vq->name = name ? name : "vq";
	if (n == 0 || n > HV_VQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	vq->mem = mem;
	vq->size = (uint16_t)n;
	vq->desc_addr = l->desc_addr;
	vq->avail_addr = l->avail_addr;
	vq->used_addr = l->used_addr;
	vq->event_idx = l->features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = l->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	if (l->features & (1ull << VIRTIO_F_RING_PACKED)) {
		vq->packed = true;
		hv_vq_begin_pass(vq);
		return vqp_init(vq, l);
	}

	/* Ring sizes per virtio 1.2 2.7: the trailing u16 is used_event or
	 * avail_event, present either way in the layout. */
	vq->desc = hv_mem_contig(mem, l->desc_addr, DESC_SIZE * n, false);
	vq->avail = hv_mem_contig(mem, l->avail_addr, 6 + 2 * n, false);
	vq->used = hv_mem_contig(mem, l->used_addr, 6 + 8 * n, true);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	vq->last_avail = l->last_avail;
	vq->used_idx = l->used_idx;
	vq->signalled_used = l->used_idx;
	hv_vq_begin_pass(vq);
	return 0;
}

void hv_vq_begin_pass(struct hv_vq *vq)
{
	vq->pass_left = vq->size;
	vq->pass_desc_left = HV_VQ_PASS_DESC * vq->size;
}

uint16_t hv_vq_avail_count(struct hv_vq *vq)
{
	uint16_t idx;

	if (vq->packed)
		return (uint16_t)(vqp_pending(vq) + vq->resubmit_n - vq->resubmit_pos);
	idx = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
	return (uint16_t)(idx - vq->last_avail + vq->resubmit_n - vq->resubmit_pos);
}

void vq_mark_broken(struct hv_vq *vq, const char *why, unsigned int v)
{
	if (!vq->broken)
		hv_err_ratelimited(&vq->rl, "%s: %s (%u): queue needs a reset", vq->name, why, v);
	vq->broken = true;
}

/* Adds one descriptor's buffer to elem, split where guest memory is. */
static int vq_map_desc(struct hv_vq *vq, struct hv_vq_elem *elem, uint64_t addr, uint32_t len,
		       bool write)
{
	uint64_t left = len;

	if (addr + len < addr)
		return -EFAULT;
	while (left) {
		uint64_t avail = 0;
		unsigned int i = elem->out_num + elem->in_num;
		void *p;

		if (i >= elem->max_iov)
			return -E2BIG;
		p = vq->mem->translate(vq->mem, addr, left, write, &avail);
		if (!p || avail == 0 || avail > left)
			return -EFAULT;
		elem->iov[i].iov_base = p;
		elem->iov[i].iov_len = avail;
		if (write)
			elem->in_num++;
		else
			elem->out_num++;
		addr += avail;
		left -= avail;
	}
	if (write) {
		elem->in_len += len;
		elem->in_desc++;
	} else {
		elem->out_len += len;
		elem->out_desc++;
	}
	return 0;
}

int vq_add_buf(struct hv_vq *vq, struct hv_vq_elem *elem, uint64_t addr, uint32_t len, bool write,
	       const char **why)
{
	int r;

	if (!write && (elem->in_num || elem->in_len)) {
		*why = "readable descriptor after a writable one";
		return -EINVAL;
	}
	r = len ? vq_map_desc(vq, elem, addr, len, write) : 0;
	if (r == -E2BIG) {
		*why = "chain has more segments than the device takes";
		return r;
	}
	if (r) {
		*why = "buffer outside guest memory";
		return r;
	}
	if (elem->out_len > UINT32_MAX || elem->in_len > UINT32_MAX) {
		*why = "chain longer than 4 GiB";
		return -EOVERFLOW;
	}
	return 0;
}

void vq_elem_reset(struct hv_vq_elem *elem, uint16_t head)
{
	elem->head = head;
	elem->out_num = elem->in_num = 0;
	elem->out_desc = elem->in_desc = 0;
	elem->out_len = elem->in_len = 0;
}

void vq_answer_malformed(struct hv_vq *vq, uint16_t head, const char *what, const char *why)
{
	vq->stats.malformed++;
	hv_warn_ratelimited(&vq->rl, "%s: %s %u dropped: %s", vq->name, what, head, why);
	hv_vq_push(vq, head, 0);
}

/* Walks the chain at head. Returns 0 or a negative errno naming why the
 * chain is unusable. At most queue-size buffer descriptors are read, plus
 * the one that points at an indirect table. */
static int vq_walk(struct hv_vq *vq, uint16_t head, struct hv_vq_elem *elem, const char **why)
{
	const struct vring_desc *table = vq->desc;
	uint32_t table_size = vq->size;
	uint32_t i = head;
	uint32_t seen = 0;  /* slots of this table visited */
	uint32_t total = 0; /* buffer descriptors of the chain */
	bool in_indirect = false;

	vq_elem_reset(elem, head);
	for (;;) {
		struct vring_desc d;
		int r;

		pass_count_desc(vq);
		/* One read of each field: the driver may rewrite them under us. */
		d.addr = le64toh(__atomic_load_n(&table[i].addr, __ATOMIC_RELAXED));
		d.len = le32toh(__atomic_load_n(&table[i].len, __ATOMIC_RELAXED));
		d.flags = load16(&table[i].flags);
		d.next = load16(&table[i].next);

		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect) {
				*why = "indirect descriptor not negotiated";
				return -EINVAL;
			}
			if (in_indirect) {
				*why = "nested indirect descriptor";
				return -EINVAL;
			}
			if (d.flags & VRING_DESC_F_NEXT) {
				*why = "indirect descriptor with NEXT";
				return -EINVAL;
			}
			if (d.len == 0 || d.len % DESC_SIZE) {
				*why = "bad indirect table length";
				return -EINVAL;
			}
			/* The table's entries are part of the chain, which may
			 * not be longer than the queue (virtio 1.2, 2.7.5.3). */
			if (d.len / DESC_SIZE > vq->size) {
				*why = "indirect table larger than the queue";
				return -EINVAL;
			}
			table = hv_mem_contig(vq->mem, d.addr, d.len, false);
			if (!table) {
				*why = "indirect table outside guest memory";
				return -EFAULT;
			}
			table_size = d.len / DESC_SIZE;
			in_indirect = true;
			seen = 0;
			i = 0;
			continue;
		}

		/* A chain can visit each slot of its table once: any more is
		 * a loop. */
		if (++seen > table_size) {
			*why = "descriptor loop";
			return -ELOOP;
		}
		if (++total > vq->size) {
			*why = "chain longer than the queue";
			return -ELOOP;
		}
		r = vq_add_buf(vq, elem, d.addr, d.len, d.flags & VRING_DESC_F_WRITE, why);
		if (r)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= table_size) {
			*why = "next index out of range";
			return -EINVAL;
		}
	}
}

/* The next chain a dead process left in flight, if any. */
static int vq_pop_recovered(struct hv_vq *vq, struct hv_vq_elem *elem)
{
	while (vq->resubmit_pos < vq->resubmit_n) {
		uint16_t head;
		const char *why = "";

		if (pass_spent(vq))
			return -EAGAIN;
		vq->pass_left--;
		head = log_resubmit(vq->log)[vq->resubmit_pos++];

		if ((vq->packed ? vqp_walk_logged(vq, head, elem, &why)
				: vq_walk(vq, head, elem, &why)) == 0) {
			vq->stats.popped++;
			return 1;
		}
		vq_answer_malformed(
			vq, head,
			vq->packed ? "recovered chain with id" : "recovered chain at head", why);
	}
	return 0;
}

int hv_vq_pop(struct hv_vq *vq, struct hv_vq_elem *elem)
{
	if (vq->broken)
		return -EIO;
	if (vq->resubmit_pos < vq->resubmit_n) {
		int r = vq_pop_recovered(vq, elem);

		if (r)
			return r;
	}
	if (vq->packed)
		return vqp_pop(vq, elem);
	for (;;) {
		uint16_t pending, head;
		const char *why = "";
		int r;

		if (vq->broken)
			return -EIO;
		pending = (uint16_t)(le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE)) -
				     vq->last_avail);
		if (pending == 0)
			return 0;
		if (pending > vq->size) {
			vq_mark_broken(vq, "avail index ran ahead by more than the queue size",
				       pending);
			return -EIO;
		}
		head = load16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
		if (head >= vq->size) {
			/* No valid id to give back: the ring is beyond repair. */
			vq_mark_broken(vq, "head index out of range", head);
			return -EIO;
		}
		/* Malformed chains count too: a driver that adds them as fast
		 * as we answer must not hold this thread. */
		if (pass_spent(vq))
			return -EAGAIN;
		vq->pass_left--;
		/* avail_event is left alone: it moves only in
		 * hv_vq_enable_notify(), so kicks stay quiet while we poll. */
		vq->last_avail++;

		/* Logged even if malformed: every chain taken is either in
		 * flight or published, which is what recovery counts on. */
		if (vq->log)
			log_mark(vq->log, head);

		r = vq_walk(vq, head, elem, &why);
		if (r == 0) {
			vq->stats.popped++;
			return 1;
		}
		vq_answer_malformed(vq, head, "chain at head", why);
	}
}

void hv_vq_push(struct hv_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (vq->packed) {
		vqp_push(vq, head, len);
		return;
	}
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
	if (vq->log)
		log_pushed(vq->log, vq->used_idx, head);
	vq->used_idx++;
}

bool hv_vq_flush(struct hv_vq *vq)
{
	uint16_t prev, cur = vq->used_idx;
	bool valid;

	if (vq->packed)
		return vqp_flush(vq);
	/* Entries before index: the driver reads them after seeing it. */
	__atomic_store_n(&vq->used->idx, htole16(cur), __ATOMIC_RELEASE);
	if (vq->log)
		log_published(vq->log, cur);
	/* The index store must be visible before we read the driver's event
	 * or flags, or both sides may decide the other will act. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	prev = vq->signalled_used;
	valid = vq->signalled_used_valid;
	vq->signalled_used = cur;
	vq->signalled_used_valid = true;
	/* Nothing published since the last look: nothing to tell. (VDUSE
	 * refuses interrupts until it has our answer to DRIVER_OK, and a
	 * queue thread's first pass comes before that.) */
	if (prev == cur)
		return false;

	if (vq->event_idx) {
		uint16_t event = load16(&vq->avail->ring[vq->size]);

		if (valid && !vring_need_event(event, cur, prev))
			return false;
	} else if (load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT) {
		return false;
	}
	vq->stats.notifies++;
	return true;
}

void hv_vq_disable_notify(struct hv_vq *vq)
{
	if (vq->packed)
		vqp_disable_notify(vq);
	else if (!vq->event_idx)
		store16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

bool hv_vq_enable_notify(struct hv_vq *vq)
{
	if (vq->packed)
		vqp_enable_notify(vq);
	else if (vq->event_idx)
		store16(&vq->used->ring[vq->size], vq->last_avail);
	else
		store16(&vq->used->flags, 0);
	/* Publish the request for kicks before looking at avail again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !vq->broken && hv_vq_avail_count(vq) != 0;
}

size_t hv_iov_size(const struct iovec *iov, unsigned int n)
{
	size_t s = 0;

	for (unsigned int i = 0; i < n; i++)
		s += iov[i].iov_len;
	return s;
}

static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t offset, void *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (offset >= l) {
			offset -= l;
			continue;
		}
		l -= offset;
		if (l > len - done)
			l = len - done;
		if (to_iov)
			memcpy((char *)iov[i].iov_base + offset, (char *)buf + done, l);
		else
			memcpy((char *)buf + done, (char *)iov[i].iov_base + offset, l);
		done += l;
		offset = 0;
	}
	return done;
}

size_t hv_iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset, void *buf, size_t len)
{
	return iov_copy(iov, n, offset, buf, len, false);
}

size_t hv_iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset, const void *buf,
		       size_t len)
{
	return iov_copy(iov, n, offset, (void *)buf, len, true);
}

unsigned int hv_iov_skip(struct iovec *iov, unsigned int n, size_t bytes)
{
	unsigned int i = 0;

	while (i < n && bytes >= iov[i].iov_len) {
		bytes -= iov[i].iov_len;
		i++;
	}
	if (i < n && bytes) {
		iov[i].iov_base = (char *)iov[i].iov_base + bytes;
		iov[i].iov_len -= bytes;
	}
	if (i)
		memmove(iov, iov + i, (n - i) * sizeof(*iov));
	return n - i;
}

unsigned int hv_iov_trim_tail(struct iovec *iov, unsigned int n, size_t bytes)
{
	while (n && bytes) {
		if (bytes >= iov[n - 1].iov_len) {
			bytes -= iov[n - 1].iov_len;
			n--;
		} else {
			iov[n - 1].iov_len -= bytes;
			bytes = 0;
		}
	}
	return n;
}
