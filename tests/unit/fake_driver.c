// SPDX-License-Identifier: MIT
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "fake_driver.h"

static void *fake_translate(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write,
			    uint64_t *avail)
{
	struct fake_mem *fm = (struct fake_mem *)mem;
	uint64_t end = FD_BASE + fm->size;

	(void)write;
	fm->translations++;
	if (fm->refills) {
		fm->refills--;
		/* fm is the first member of its driver. */
		fd_publish((struct fake_driver *)fm, fm->refill_head);
	}
	if (fm->hook)
		fm->hook(fm);
	if (addr < FD_BASE || addr >= end)
		return NULL;
	*avail = end - addr < len ? end - addr : len;
	if (fm->split_at && addr < fm->split_at && addr + *avail > fm->split_at)
		*avail = fm->split_at - addr;
	return fm->buf + (addr - FD_BASE);
}

/* Guest memory and an empty heap, no ring yet. */
static void fd_mem_init(struct fake_driver *d, uint64_t mem_size, uint16_t qsize)
{
	memset(d, 0, sizeof(*d));
	d->fm.mem.translate = fake_translate;
	d->fm.size = mem_size;
	d->fm.buf = calloc(1, mem_size);
	d->size = qsize;
	d->heap = FD_BASE;
}

void fd_init(struct fake_driver *d, uint64_t mem_size, uint16_t qsize)
{
	fd_mem_init(d, mem_size, qsize);
	d->desc_gpa = fd_alloc(d, 16ull * qsize);
	d->avail_gpa = fd_alloc(d, 6 + 2ull * qsize);
	d->used_gpa = fd_alloc(d, 6 + 8ull * qsize);
	d->desc = fd_ptr(d, d->desc_gpa);
	d->avail = fd_ptr(d, d->avail_gpa);
	d->used = fd_ptr(d, d->used_gpa);
}

void fd_init_packed(struct fake_driver *d, uint64_t mem_size, uint16_t qsize)
{
	fd_mem_init(d, mem_size, qsize);
	d->packed = true;
	d->desc_gpa = fd_alloc(d, 16ull * qsize);
	d->avail_gpa = fd_alloc(d, 4);
	d->used_gpa = fd_alloc(d, 4);
	d->pdesc = fd_ptr(d, d->desc_gpa);
	d->drv_event = fd_ptr(d, d->avail_gpa);
	d->dev_event = fd_ptr(d, d->used_gpa);
	d->avail_wrap = d->used_wrap = true;
	d->plen = calloc(qsize, sizeof(*d->plen));
}

void fd_free(struct fake_driver *d)
{
	free(d->fm.buf);
	free(d->plen);
	d->fm.buf = NULL;
	d->plen = NULL;
}

void fd_layout(struct fake_driver *d, struct hv_vq_layout *l, uint64_t features)
{
	memset(l, 0, sizeof(*l));
	l->size = d->size;
	l->desc_addr = d->desc_gpa;
	l->avail_addr = d->avail_gpa;
	l->used_addr = d->used_gpa;
	l->features = features;
	if (d->packed) {
		l->features |= 1ull << VIRTIO_F_RING_PACKED;
		l->last_avail = l->used_idx = 1u << VRING_PACKED_EVENT_F_WRAP_CTR;
	}
}

uint64_t fd_alloc(struct fake_driver *d, uint64_t len)
{
	uint64_t gpa = (d->heap + 15) & ~15ull;

	if (gpa + len > FD_BASE + d->fm.size)
		abort();
	d->heap = gpa + len;
	return gpa;
}

void *fd_ptr(struct fake_driver *d, uint64_t gpa)
{
	return d->fm.buf + (gpa - FD_BASE);
}

struct vring_desc *fd_desc(struct fake_driver *d, uint16_t i)
{
	return &d->desc[i];
}

static void fill(struct vring_desc *t, uint16_t base, uint16_t mod, const struct fd_buf *b,
		 unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		struct vring_desc *x = &t[(base + k) % mod];

		x->addr = htole64(b[k].gpa);
		x->len = htole32(b[k].len);
		x->flags = htole16((b[k].write ? VRING_DESC_F_WRITE : 0) |
				   (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		x->next = htole16((base + k + 1) % mod);
	}
}

uint16_t fd_chain(struct fake_driver *d, const struct fd_buf *b, unsigned int n)
{
	uint16_t head = d->next_desc;

	fill(d->desc, head, d->size, b, n);
	d->next_desc = (head + n) % d->size;
	return head;
}

uint16_t fd_chain_indirect(struct fake_driver *d, const struct fd_buf *b, unsigned int n)
{
	uint64_t t = fd_alloc(d, 16ull * n);
	uint16_t head = d->next_desc;

	fill(fd_ptr(d, t), 0, n, b, n);
	d->desc[head].addr = htole64(t);
	d->desc[head].len = htole32(16 * n);
	d->desc[head].flags = htole16(VRING_DESC_F_INDIRECT);
	d->next_desc = (head + 1) % d->size;
	return head;
}

void fd_publish(struct fake_driver *d, uint16_t head)
{
	uint16_t idx = le16toh(d->avail->idx);

	d->avail->ring[idx % d->size] = htole16(head);
	__atomic_store_n(&d->avail->idx, htole16(idx + 1), __ATOMIC_RELEASE);
}

static bool fdp_used(struct fake_driver *d, uint32_t *id, uint32_t *len);

bool fd_used(struct fake_driver *d, uint32_t *id, uint32_t *len)
{
	uint16_t idx;
	struct vring_used_elem *e;

	if (d->packed)
		return fdp_used(d, id, len);
	idx = le16toh(__atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE));
	if (idx == d->last_used)
		return false;
	e = &d->used->ring[d->last_used % d->size];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
	d->last_used++;
	return true;
}

uint16_t fdp_avail_flags(bool wrap)
{
	return wrap ? 1u << VRING_PACKED_DESC_F_AVAIL : 1u << VRING_PACKED_DESC_F_USED;
}

/* n ring descriptors from the avail slot, made available at once. */
static uint16_t fdp_put(struct fake_driver *d, uint16_t id, const struct vring_packed_desc *v,
			unsigned int n)
{
	uint16_t first = d->avail_pos, first_flags = 0;

	for (unsigned int k = 0; k < n; k++) {
		struct vring_packed_desc *x = &d->pdesc[d->avail_pos];
		uint16_t flags = le16toh(v[k].flags) | fdp_avail_flags(d->avail_wrap);

		x->addr = v[k].addr;
		x->len = v[k].len;
		x->id = htole16(id);
		if (k == 0)
			first_flags = flags;
		else
			x->flags = htole16(flags);
		if (++d->avail_pos == d->size) {
			d->avail_pos = 0;
			d->avail_wrap = !d->avail_wrap;
		}
	}
	__atomic_store_n(&d->pdesc[first].flags, htole16(first_flags), __ATOMIC_RELEASE);
	d->plen[id % d->size] = (uint16_t)n;
	return first;
}

uint16_t fd_submit(struct fake_driver *d, const struct fd_buf *b, unsigned int n)
{
	uint16_t head;

	if (!d->packed) {
		head = fd_chain(d, b, n);
		fd_publish(d, head);
		return head;
	}
	for (head = 0; head < d->size && d->plen[head]; head++)
		;
	if (head == d->size)
		abort(); /* the test has more in flight than the ring */
	fdp_chain(d, head, b, n);
	return head;
}

static void fdp_fill(struct vring_packed_desc *v, const struct fd_buf *b, unsigned int n,
		     bool chain)
{
	for (unsigned int k = 0; k < n; k++) {
		v[k].addr = htole64(b[k].gpa);
		v[k].len = htole32(b[k].len);
		v[k].id = 0;
		v[k].flags = htole16((b[k].write ? VRING_DESC_F_WRITE : 0) |
				     (chain && k + 1 < n ? VRING_DESC_F_NEXT : 0));
	}
}

uint16_t fdp_chain(struct fake_driver *d, uint16_t id, const struct fd_buf *b, unsigned int n)
{
	/* No allocation for the usual short chain: micro-blk times this. */
	struct vring_packed_desc few[8] = {0}, *v = n <= 8 ? few : calloc(n, sizeof(*v));
	uint16_t first;

	fdp_fill(v, b, n, true);
	first = fdp_put(d, id, v, n);
	if (v != few)
		free(v);
	return first;
}

uint16_t fdp_chain_indirect(struct fake_driver *d, uint16_t id, const struct fd_buf *b,
			    unsigned int n)
{
	uint64_t t = fd_alloc(d, 16ull * n);
	struct vring_packed_desc one = {.addr = htole64(t),
					.len = htole32(16 * n),
					.flags = htole16(VRING_DESC_F_INDIRECT)};

	fdp_fill(fd_ptr(d, t), b, n, false);
	return fdp_put(d, id, &one, 1);
}

static bool fdp_used(struct fake_driver *d, uint32_t *id, uint32_t *len)
{
	struct vring_packed_desc *x = &d->pdesc[d->used_pos];
	uint16_t flags = le16toh(__atomic_load_n(&x->flags, __ATOMIC_ACQUIRE));
	bool avail = flags & (1u << VRING_PACKED_DESC_F_AVAIL);
	bool used = flags & (1u << VRING_PACKED_DESC_F_USED);
	uint16_t n;

	if (avail != used || used != d->used_wrap)
		return false;
	*id = le16toh(x->id);
	*len = le32toh(x->len);
	n = *id < d->size ? d->plen[*id] : 1;
	if (*id < d->size)
		d->plen[*id] = 0; /* the id is free again */
	d->used_pos = (uint16_t)(d->used_pos + (n ? n : 1));
	if (d->used_pos >= d->size) {
		d->used_pos -= d->size;
		d->used_wrap = !d->used_wrap;
	}
	return true;
}
