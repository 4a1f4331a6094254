// SPDX-License-Identifier: MIT
/*
 * Shadow virtqueues (see shadow.h). Each zone request becomes one device
 * descriptor per piece of the zone's (the iovecs of its chain, indirect
 * tables flattened), over one run of pool pages, in the same order and of
 * the same sizes. Merging them would be allowed by framing (VERSION_1
 * implies ANY_LAYOUT) but not by the device's limits per segment, which
 * the zone read and obeyed: Linux's virtio_blk writes 2 MiB in segments of
 * at most size_max (hvdpad: 1 MiB), and one 2 MiB descriptor is an error.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvdpa/virtqueue.h"
#include "shadow.h"

#define PAGE	 4096u
#define POOL_PGS (HVB_SHADOW_POOL / PAGE)
#define MAX_IOV	 160u /* blk: 126 segments plus header and status */

struct req {
	bool active;
	uint16_t zone_head, ndesc;
	uint16_t desc[MAX_IOV]; /* the device descriptors it holds */
	uint32_t first_pg, npgs;
	uint64_t out_len, in_len;
	uint16_t out_num, in_num;
	struct iovec iov[MAX_IOV]; /* into zone RAM: out first, then in */
};

struct squeue {
	bool started;
	uint16_t num;
	struct hv_vq zvq;
	uint8_t *base; /* this queue's part of the region */
	uint64_t iova;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, last_used;
	uint16_t *free_desc, nfree;
	struct req *reqs; /* by device head */
	struct req pending;
	bool has_pending;
	uint64_t pool_map[POOL_PGS / 64];
	int kick_fd, call_fd;
	struct hv_ratelimit rl;
};

struct hvb_shadow {
	int fd;
	uint8_t *host;
	uint64_t bytes, per_queue, rings, iova;
	unsigned int nvqs;
	uint16_t max_num;
	struct squeue *q;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint64_t hvb_shadow_device_features(uint64_t zone_features)
{
	/* Our rings are split, with no indirect tables and no event index. */
	return zone_features &
	       ~((1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
		 (1ull << VIRTIO_F_RING_PACKED));
}

int hvb_shadow_create(unsigned int nvqs, uint16_t max_num, struct hvb_shadow **out)
{
	struct hvb_shadow *s = calloc(1, sizeof(*s));
	uint64_t used_off = align_up(16ull * max_num + 6 + 2ull * max_num, 4);

	if (!s)
		return -ENOMEM;
	s->nvqs = nvqs;
	s->max_num = max_num;
	s->rings = align_up(used_off + 6 + 8ull * max_num, PAGE);
	s->per_queue = s->rings + HVB_SHADOW_POOL;
	s->bytes = s->per_queue * nvqs;
	s->q = calloc(nvqs, sizeof(*s->q));
	s->fd = memfd_create("hvbridge-shadow", MFD_CLOEXEC);
	if (!s->q || s->fd < 0 || ftruncate(s->fd, (off_t)s->bytes) < 0)
		goto fail;
	s->host = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->host == MAP_FAILED) {
		s->host = NULL;
		goto fail;
	}
	for (unsigned int i = 0; i < nvqs; i++) {
		struct squeue *sq = &s->q[i];

		sq->base = s->host + i * s->per_queue;
		sq->desc = (struct vring_desc *)sq->base;
		sq->avail = (struct vring_avail *)(sq->base + 16ull * max_num);
		sq->used = (struct vring_used *)(sq->base + used_off);
		sq->kick_fd = sq->call_fd = -1;
	}
	*out = s;
	return 0;
fail:
	hvb_shadow_destroy(s);
	return -ENOMEM;
}

void hvb_shadow_destroy(struct hvb_shadow *s)
{
	if (!s)
		return;
	hvb_shadow_reset(s);
	if (s->host)
		munmap(s->host, s->bytes);
	if (s->fd >= 0)
		close(s->fd);
	free(s->q);
	free(s);
}

void *hvb_shadow_host(const struct hvb_shadow *s)
{
	return s->host;
}

uint64_t hvb_shadow_bytes(const struct hvb_shadow *s)
{
	return s->bytes;
}

void hvb_shadow_set_iova(struct hvb_shadow *s, uint64_t iova)
{
	s->iova = iova;
}

void hvb_shadow_reset(struct hvb_shadow *s)
{
	for (unsigned int i = 0; i < s->nvqs; i++) {
		struct squeue *sq = &s->q[i];

		free(sq->reqs);
		free(sq->free_desc);
		sq->reqs = NULL;
		sq->free_desc = NULL;
		sq->started = false;
		sq->has_pending = false;
	}
}

int hvb_shadow_queue_start(struct hvb_shadow *s, unsigned int q, struct hv_mem *zone_mem,
			   const struct hv_mmio_queue *zq, uint64_t zone_features, int kick_fd,
			   int call_fd, uint64_t *desc, uint64_t *avail, uint64_t *used,
			   uint16_t *num)
{
	struct squeue *sq = &s->q[q];
	struct hv_vq_layout l = {
		.size = zq->num,
		.desc_addr = zq->desc,
		.avail_addr = zq->driver,
		.used_addr = zq->device,
		.features = zone_features,
	};
	uint64_t base_iova = s->iova + q * s->per_queue;
	int r;

	if (q >= s->nvqs || zq->num > s->max_num)
		return -EINVAL;
	free(sq->reqs);
	free(sq->free_desc);
	sq->reqs = NULL;
	sq->free_desc = NULL;
	/* Not zeroed first: its log limiter outlives the zone's resets. */
	r = hv_vq_init(&sq->zvq, zone_mem, &l, "shadow");
	if (r < 0)
		return r;
	sq->num = zq->num;
	sq->reqs = calloc(sq->num, sizeof(*sq->reqs));
	sq->free_desc = calloc(sq->num, sizeof(*sq->free_desc));
	if (!sq->reqs || !sq->free_desc)
		return -ENOMEM;
	memset(sq->base, 0, s->rings);
	memset(sq->pool_map, 0, sizeof(sq->pool_map));
	for (uint16_t i = 0; i < sq->num; i++)
		sq->free_desc[i] = (uint16_t)(sq->num - 1 - i);
	sq->nfree = sq->num;
	sq->avail_idx = sq->last_used = 0;
	sq->has_pending = false;
	sq->kick_fd = kick_fd;
	sq->call_fd = call_fd;
	sq->iova = base_iova;
	sq->started = true;
	*desc = base_iova;
	*avail = base_iova + ((uint8_t *)sq->avail - sq->base);
	*used = base_iova + ((uint8_t *)sq->used - sq->base);
	*num = sq->num;
	return 0;
}

/* First fit of n contiguous free pages; -1 when there is no such run. */
static int64_t pool_alloc(struct squeue *sq, uint32_t n)
{
	uint32_t run = 0;

	for (uint32_t p = 0; p < POOL_PGS; p++) {
		if (sq->pool_map[p / 64] & (1ull << (p % 64))) {
			run = 0;
			continue;
		}
		if (++run == n) {
			uint32_t first = p + 1 - n;

			for (uint32_t i = first; i <= p; i++)
				sq->pool_map[i / 64] |= 1ull << (i % 64);
			return first;
		}
	}
	return -1;
}

static void pool_free(struct squeue *sq, uint32_t first, uint32_t n)
{
	for (uint32_t i = first; i < first + n; i++)
		sq->pool_map[i / 64] &= ~(1ull << (i % 64));
}

static uint8_t *pool_host(struct hvb_shadow *s, struct squeue *sq, uint32_t pg)
{
	return sq->base + s->rings + (uint64_t)pg * PAGE;
}

/* Gives the pending zone request to the device; false when it must wait
 * for descriptors or buffer space to come back. */
static bool place(struct hvb_shadow *s, struct squeue *sq)
{
	struct req *p = &sq->pending, *r;
	uint16_t ndesc = (uint16_t)(p->out_num + p->in_num), d[MAX_IOV];
	uint64_t bytes = p->out_len + p->in_len, buf_iova, off = 0;
	uint32_t npgs = bytes ? (uint32_t)((bytes + PAGE - 1) / PAGE) : 1;
	int64_t pg;

	if (sq->nfree < ndesc)
		return false;
	pg = pool_alloc(sq, npgs);
	if (pg < 0)
		return false;
	buf_iova = sq->iova + s->rings + (uint64_t)pg * PAGE;
	hv_iov_to_buf(p->iov, p->out_num, 0, pool_host(s, sq, (uint32_t)pg), p->out_len);
	for (uint16_t i = 0; i < ndesc; i++)
		d[i] = sq->free_desc[--sq->nfree];
	for (uint16_t i = 0; i < ndesc; i++) {
		sq->desc[d[i]] = (struct vring_desc){
			.addr = buf_iova + off,
			.len = (uint32_t)p->iov[i].iov_len,
			.flags = (uint16_t)((i >= p->out_num ? VRING_DESC_F_WRITE : 0) |
					    (i + 1 < ndesc ? VRING_DESC_F_NEXT : 0)),
			.next = i + 1 < ndesc ? d[i + 1] : 0,
		};
		off += p->iov[i].iov_len;
	}
	r = &sq->reqs[d[0]];
	*r = *p;
	r->active = true;
	r->ndesc = ndesc;
	memcpy(r->desc, d, ndesc * sizeof(d[0]));
	r->first_pg = (uint32_t)pg;
	r->npgs = npgs;
	sq->avail->ring[sq->avail_idx % sq->num] = d[0];
	__atomic_store_n(&sq->avail->idx, ++sq->avail_idx, __ATOMIC_RELEASE);
	sq->has_pending = false;
	return true;
}

static void kick_device(struct squeue *sq)
{
	uint64_t one = 1;

	if (write(sq->kick_fd, &one, sizeof(one)) != sizeof(one))
		hv_warn_ratelimited(&sq->rl, "shadow: kick: %m");
}

/* The caller polls call_fd and comes back through hvb_shadow_complete(),
 * which feeds again: the bridge thread answers other zones meanwhile. */
static void come_back(struct squeue *sq)
{
	uint64_t one = 1;

	if (sq->call_fd >= 0 && write(sq->call_fd, &one, sizeof(one)) != sizeof(one))
		hv_warn_ratelimited(&sq->rl, "shadow: call eventfd: %m");
}

/* Moves zone requests to the device until the zone's ring is empty, our
 * resources are exhausted, or a pass's worth of chains was taken. */
static int feed(struct hvb_shadow *s, struct squeue *sq)
{
	uint16_t before = sq->avail_idx;
	int r = 0;

	hv_vq_begin_pass(&sq->zvq);
	for (;;) {
		struct hv_vq_elem e = {.iov = sq->pending.iov, .max_iov = MAX_IOV};

		if (sq->has_pending && !place(s, sq))
			break;
		r = hv_vq_pop(&sq->zvq, &e);
		/* Empty: ask for the next kick (with EVENT_IDX, which the zone
		 * keeps, avail_event; without it the zone stops kicking after
		 * its first chains), then look once more. */
		if (r == 0 && hv_vq_enable_notify(&sq->zvq))
			continue;
		if (r == -EAGAIN) {
			come_back(sq);
			r = 0;
			break;
		}
		if (r <= 0)
			break;
		sq->pending.zone_head = e.head;
		sq->pending.out_num = e.out_num;
		sq->pending.in_num = e.in_num;
		sq->pending.out_len = e.out_len;
		sq->pending.in_len = e.in_len;
		sq->has_pending = true;
		if (e.out_len + e.in_len > HVB_SHADOW_POOL || e.out_num + e.in_num > sq->num ||
		    e.out_num + e.in_num == 0) {
			hv_warn_ratelimited(&sq->rl,
					    "shadow: a request of %llu bytes in %u pieces does not "
					    "fit the %u-byte pool or %u descriptors; failed",
					    (unsigned long long)(e.out_len + e.in_len),
					    e.out_num + e.in_num, HVB_SHADOW_POOL, sq->num);
			hv_vq_push(&sq->zvq, e.head, 0);
			sq->has_pending = false;
		}
	}
	if (sq->avail_idx != before)
		kick_device(sq);
	if (r < 0)
		return -EIO;
	return hv_vq_flush(&sq->zvq) ? 1 : 0;
}

int hvb_shadow_kick(struct hvb_shadow *s, unsigned int q)
{
	if (q >= s->nvqs || !s->q[q].started)
		return 0;
	return feed(s, &s->q[q]);
}

int hvb_shadow_complete(struct hvb_shadow *s, unsigned int q)
{
	struct squeue *sq;
	uint16_t idx;
	int r;

	if (q >= s->nvqs || !s->q[q].started)
		return 0;
	sq = &s->q[q];
	idx = __atomic_load_n(&sq->used->idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(idx - sq->last_used) > sq->num) {
		hv_warn_ratelimited(&sq->rl, "shadow: the device's used index jumped by %u",
				    (uint16_t)(idx - sq->last_used));
		return -EIO;
	}
	while (sq->last_used != idx) {
		struct vring_used_elem u = sq->used->ring[sq->last_used % sq->num];
		struct req *rq = u.id < sq->num ? &sq->reqs[u.id] : NULL;
		uint32_t len;

		sq->last_used++;
		if (!rq || !rq->active) {
			hv_warn_ratelimited(&sq->rl, "shadow: the device used unknown head %u",
					    u.id);
			continue;
		}
		len = u.len < rq->in_len ? u.len : (uint32_t)rq->in_len;
		hv_iov_from_buf(rq->iov + rq->out_num, rq->in_num, 0,
				pool_host(s, sq, rq->first_pg) + rq->out_len, len);
		hv_vq_push(&sq->zvq, rq->zone_head, len);
		pool_free(sq, rq->first_pg, rq->npgs);
		for (uint16_t i = 0; i < rq->ndesc; i++)
			sq->free_desc[sq->nfree++] = rq->desc[i];
		rq->active = false;
	}
	r = hv_vq_flush(&sq->zvq) ? 1 : 0;
	/* Room came back: requests that waited for it go now. */
	if (sq->has_pending || hv_vq_avail_count(&sq->zvq)) {
		int f = feed(s, sq);

		if (f < 0)
			return f;
		r |= f;
	}
	return r;
}
