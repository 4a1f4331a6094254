// SPDX-License-Identifier: MIT
/*
 * virtio-blk. A kick pops every chain it can and hands each request to the
 * queue's storage engine (blk_engine.h: io_uring on a file, an NBD server
 * or a Ceph RBD image), which sends the batch at once; completions come back in the
 * queue's loop and are published to the used ring in one batch with at most
 * one interrupt.
 */
#include <endian.h>
#include <errno.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_engine.h"
#include "blk_image.h"
#include "hvdpa/blk.h"
#include "hvdpa/log.h"
#include "options.h"

#define SECTOR_SHIFT 9
#define SECTOR_SIZE  (1u << SECTOR_SHIFT)
#define BLK_SEG_MAX  126
/* A request's iovecs: its segments plus header and status, each with room
 * to straddle two guest mappings. A chain that needs more is malformed
 * (hv_vq_pop() drops it), so the driver's chains are bounded by what we
 * offer, not by what we allocate. */
#define BLK_IOV_FOR(seg_max) (2u * ((seg_max) + 2u))
#define BLK_SIZE_MAX	     (1u << 20)
#define BLK_MAX_DISCARD_SEC  (1u << 22) /* 2 GiB per request */

struct blk_dev {
	struct hv_device dev;
	struct hv_blk_options opt;
	struct blk_image img; /* a file's (fd -1 for null, NBD and RBD) */
	struct blk_nbd *nbd;  /* an NBD export's */
	struct blk_rbd *rbd;  /* an RBD image's */
	const struct blk_engine_ops *eng;
	void *eng_ctx;
	bool can_discard, can_zero; /* what the storage does */
	uint64_t capacity;	    /* sectors */
	uint32_t seg_max;	    /* as offered: data segments per request */
	bool warned_unlinked;
	/* For what the driver can make us log: here, not in a queue, so that
	 * a reset (which restarts the queues) does not renew it. */
	struct hv_ratelimit rl;
};

struct blk_queue;

struct blk_req {
	struct hv_vq_elem elem;
	struct blk_queue *bq;
	struct blk_req *next_free;
	uint8_t *status;
	uint32_t type;
	struct blk_io io;   /* to the engine: offset is where the next I/O goes */
	uint32_t remaining; /* bytes still to transfer */
	uint32_t used_len;  /* bytes written to the driver's buffers */
	uint32_t data_len;  /* a read's or write's bytes, for the statistics */
	struct iovec iov[]; /* the queue's max_iov */
};

struct blk_queue {
	struct blk_dev *blk;
	struct hv_queue *q;
	struct blk_engine_queue *eq;
	bool starved;	      /* stopped popping for want of a free request */
	struct hv_defer more; /* a pass stopped on its budget: come back */
	/* Requests are made when the driver first has that many in flight,
	 * up to one per ring entry: an idle or shallow queue holds a few KiB,
	 * not a ring's worth of the largest chains (about 1 MiB). */
	struct blk_req **reqs; /* the nreqs made, of at most max_reqs */
	unsigned int nreqs, max_reqs;
	uint16_t max_iov;
	struct blk_req *free;
	struct hv_ratelimit *rl; /* the device's */
};

static inline struct blk_dev *to_blk(struct hv_device *dev)
{
	return (struct blk_dev *)dev;
}

uint64_t hv_blk_size(const struct hv_device *dev)
{
	return __atomic_load_n(&((const struct blk_dev *)dev)->capacity, __ATOMIC_RELAXED)
	       << SECTOR_SHIFT;
}

bool hv_blk_read_only(const struct hv_device *dev)
{
	return ((const struct blk_dev *)dev)->opt.readonly;
}

static void blk_req_free(struct blk_req *r)
{
	r->next_free = r->bq->free;
	r->bq->free = r;
}

/* A free request, or a new one while fewer than the ring's size exist.
 * NULL when every one is in flight, or memory ran out (the queue always
 * has one, so some are in flight then, and their completions call us
 * again). */
static struct blk_req *blk_req_get(struct blk_queue *bq)
{
	struct blk_req *r = bq->free;

	if (r) {
		bq->free = r->next_free;
		return r;
	}
	if (bq->nreqs >= bq->max_reqs)
		return NULL;
	r = malloc(sizeof(*r) + (size_t)bq->max_iov * sizeof(r->iov[0]));
	if (!r) {
		hv_warn_ratelimited(bq->rl, "%s: out of memory for a request: waiting for one",
				    bq->blk->dev.name);
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->bq = bq;
	r->elem.iov = r->iov;
	r->elem.max_iov = bq->max_iov;
	bq->reqs[bq->nreqs++] = r;
	return r;
}

static void blk_finish(struct blk_req *r, uint8_t status)
{
	struct hv_queue_stats *st = &r->bq->q->stats;

	hv_stat_add(&st->requests, 1);
	if (status == VIRTIO_BLK_S_OK)
		hv_stat_add(&st->bytes, r->data_len);
	else
		hv_stat_add(&st->errors, 1);
	*r->status = status;
	hv_vq_push(&r->bq->q->vq, r->elem.head, r->used_len + 1);
	blk_req_free(r);
}

/* Hands r to the engine; one it cannot take is answered with IOERR. */
static void blk_submit(struct blk_req *r, enum blk_io_op op)
{
	struct blk_queue *bq = r->bq;
	int e;

	r->io.op = op;
	e = bq->blk->eng->submit(bq->eq, &r->io);
	if (e < 0) {
		hv_warn_ratelimited(bq->rl, "%s: cannot submit request type %u: %s",
				    bq->blk->dev.name, r->type, strerror(-e));
		blk_finish(r, VIRTIO_BLK_S_IOERR);
	}
}

static void blk_submit_rw(struct blk_req *r)
{
	blk_submit(r, r->type == VIRTIO_BLK_T_IN ? BLK_IO_READ : BLK_IO_WRITE);
}

static bool blk_in_range(struct blk_dev *blk, uint64_t sector, uint64_t nsectors)
{
	/* resize may change it meanwhile: one load, one answer. */
	uint64_t cap = __atomic_load_n(&blk->capacity, __ATOMIC_RELAXED);

	return sector <= cap && nsectors <= cap - sector;
}

static void blk_discard_or_zero(struct blk_req *r, const struct iovec *out, unsigned int nout)
{
	struct blk_dev *blk = r->bq->blk;
	struct virtio_blk_discard_write_zeroes seg;
	bool discard = r->type == VIRTIO_BLK_T_DISCARD;
	uint64_t sector;
	uint32_t nsec, flags;

	if (blk->opt.readonly) {
		blk_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (discard ? !blk->can_discard : !blk->can_zero) {
		blk_finish(r, VIRTIO_BLK_S_UNSUPP);
		return;
	}
	/* We advertise one segment per request. */
	if (hv_iov_size(out, nout) != sizeof(seg) ||
	    hv_iov_to_buf(out, nout, 0, &seg, sizeof(seg)) != sizeof(seg)) {
		blk_finish(r, VIRTIO_BLK_S_UNSUPP);
		return;
	}
	sector = le64toh(seg.sector);
	nsec = le32toh(seg.num_sectors);
	flags = le32toh(seg.flags);
	if ((discard && flags) || (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)) {
		blk_finish(r, VIRTIO_BLK_S_UNSUPP);
		return;
	}
	if (nsec == 0 || nsec > BLK_MAX_DISCARD_SEC || !blk_in_range(blk, sector, nsec)) {
		blk_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	r->io.unmap = (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) && blk->can_discard;
	r->io.offset = sector << SECTOR_SHIFT;
	r->io.len = (uint64_t)nsec << SECTOR_SHIFT;
	blk_submit(r, discard ? BLK_IO_DISCARD : BLK_IO_ZERO);
}

/* Decodes one chain and either queues its I/O or answers it at once. */
/* A deleted image keeps working through our fd, and everything written to
 * it is lost at exit: say so while the admin can still copy it out
 * (/proc/PID/fd). Checked at flush time, when the driver wants durability. */
static void blk_check_unlinked(struct blk_dev *blk)
{
	struct stat st;

	if (blk->img.fd < 0 || __atomic_load_n(&blk->warned_unlinked, __ATOMIC_RELAXED) ||
	    fstat(blk->img.fd, &st) < 0 || st.st_nlink > 0)
		return;
	__atomic_store_n(&blk->warned_unlinked, true, __ATOMIC_RELAXED);
	hv_err("%s: the image %s was deleted; writes go to a file that is gone when hvdpad "
	       "exits (copy it out from /proc/%d/fd/%d)",
	       blk->dev.name, blk->opt.path, (int)getpid(), blk->img.fd);
}

/*
 * The limits we offer (seg_max, size_max) bound what one request may make
 * us do; the driver is held to them. The data's direction carries the data
 * segments plus the header (writes) or the status byte (reads), which may
 * share a descriptor with data; each data buffer is at most size_max (an
 * iovec is part of one descriptor), and so the whole at most seg_max
 * times size_max.
 */
static bool blk_within_limits(const struct blk_dev *blk, const struct hv_vq_elem *e, bool in_req,
			      const struct iovec *data, unsigned int ndata, uint64_t len)
{
	unsigned int ndesc = in_req ? e->in_desc : e->out_desc;

	if (ndesc > blk->seg_max + 1u || len > (uint64_t)blk->seg_max * BLK_SIZE_MAX)
		return false;
	for (unsigned int i = 0; i < ndata; i++)
		if (data[i].iov_len > BLK_SIZE_MAX)
			return false;
	return true;
}

static void blk_handle(struct blk_queue *bq, struct blk_req *r)
{
	struct blk_dev *blk = bq->blk;
	struct hv_vq_elem *e = &r->elem;
	struct virtio_blk_outhdr hdr;
	struct iovec *out = r->iov, *in = r->iov + e->out_num;
	unsigned int nout = e->out_num, nin = e->in_num;
	uint64_t sector;

	r->used_len = 0;
	r->data_len = 0;
	if (nin == 0) {
		/* No byte to put a status in: all we can do is give it back. */
		hv_warn_ratelimited(bq->rl, "%s: request without a status byte", blk->dev.name);
		hv_stat_add(&bq->q->stats.errors, 1);
		hv_vq_push(&bq->q->vq, e->head, 0);
		blk_req_free(r);
		return;
	}
	r->status = (uint8_t *)in[nin - 1].iov_base + in[nin - 1].iov_len - 1;
	nin = hv_iov_trim_tail(in, nin, 1);

	if (hv_iov_to_buf(out, nout, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		hv_warn_ratelimited(bq->rl, "%s: request shorter than its header", blk->dev.name);
		blk_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	nout = hv_iov_skip(out, nout, sizeof(hdr));
	r->type = le32toh(hdr.type);
	sector = le64toh(hdr.sector);

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool in_req = r->type == VIRTIO_BLK_T_IN;
		struct iovec *data = in_req ? in : out;
		unsigned int ndata = in_req ? nin : nout;
		uint64_t len = hv_iov_size(data, ndata);

		if (!in_req && blk->opt.readonly) {
			blk_finish(r, VIRTIO_BLK_S_IOERR);
			return;
		}
		if (!blk_within_limits(blk, e, in_req, data, ndata, len)) {
			hv_warn_ratelimited(
				bq->rl,
				"%s: %s of %llu bytes in %u descriptors is beyond the "
				"offered seg_max %u or size_max %u",
				blk->dev.name, in_req ? "read" : "write", (unsigned long long)len,
				in_req ? e->in_desc : e->out_desc, blk->seg_max, BLK_SIZE_MAX);
			blk_finish(r, VIRTIO_BLK_S_IOERR);
			return;
		}
		if (len % SECTOR_SIZE || !blk_in_range(blk, sector, len >> SECTOR_SHIFT)) {
			hv_warn_ratelimited(bq->rl,
					    "%s: %s of %llu bytes at sector %llu is outside the "
					    "%llu-sector disk or not whole sectors",
					    blk->dev.name, in_req ? "read" : "write",
					    (unsigned long long)len, (unsigned long long)sector,
					    (unsigned long long)__atomic_load_n(&blk->capacity,
										__ATOMIC_RELAXED));
			blk_finish(r, VIRTIO_BLK_S_IOERR);
			return;
		}
		r->data_len = (uint32_t)len;
		if (len == 0 || blk->opt.null) {
			if (in_req)
				r->used_len = (uint32_t)len;
			blk_finish(r, VIRTIO_BLK_S_OK);
			return;
		}
		/* The data iovecs are moved to the front of iov[] so a short
		 * transfer can be resumed by skipping in place. */
		memmove(r->iov, data, ndata * sizeof(*data));
		r->io.iov = r->iov;
		r->io.niov = ndata;
		r->io.offset = sector << SECTOR_SHIFT;
		r->io.len = len;
		r->remaining = (uint32_t)len;
		blk_submit_rw(r);
		return;
	}
	case VIRTIO_BLK_T_FLUSH:
		if (blk->opt.null) {
			blk_finish(r, VIRTIO_BLK_S_OK);
			return;
		}
		blk_check_unlinked(blk);
		blk_submit(r, BLK_IO_FLUSH);
		return;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = {0};

		memcpy(id, blk->opt.serial, strnlen(blk->opt.serial, sizeof(id)));
		r->used_len = (uint32_t)hv_iov_from_buf(in, nin, 0, id, sizeof(id));
		blk_finish(r, VIRTIO_BLK_S_OK);
		return;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		blk_discard_or_zero(r, out, nout);
		return;
	default:
		blk_finish(r, VIRTIO_BLK_S_UNSUPP);
		return;
	}
}

static void blk_complete_one(struct blk_io *io, int res)
{
	struct blk_req *r = (struct blk_req *)((char *)io - offsetof(struct blk_req, io));
	struct blk_queue *bq = r->bq;

	if (res < 0) {
		hv_warn_ratelimited(bq->rl, "%s: I/O error on request type %u: %s",
				    bq->blk->dev.name, r->type, strerror(-res));
		blk_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (r->type != VIRTIO_BLK_T_IN && r->type != VIRTIO_BLK_T_OUT) {
		blk_finish(r, VIRTIO_BLK_S_OK);
		return;
	}
	if (r->type == VIRTIO_BLK_T_IN)
		r->used_len += (uint32_t)res;
	if ((uint32_t)res >= r->remaining) {
		blk_finish(r, VIRTIO_BLK_S_OK);
		return;
	}
	if (res == 0) {
		/* The image shrank under us: no progress is possible. */
		hv_warn_ratelimited(bq->rl, "%s: image ended at byte %llu: was it truncated?",
				    bq->blk->dev.name, (unsigned long long)r->io.offset);
		blk_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	/* Short transfer: carry on from where it stopped. */
	r->remaining -= (uint32_t)res;
	r->io.offset += (uint32_t)res;
	r->io.len -= (uint32_t)res;
	r->io.niov = hv_iov_skip(r->io.iov, r->io.niov, (size_t)res);
	blk_submit_rw(r);
}

static void blk_reap(struct blk_queue *bq)
{
	bq->blk->eng->reap(bq->eq, blk_complete_one);
}

static void blk_flush_sq(struct blk_queue *bq)
{
	bq->blk->eng->flush(bq->eq);
}

static void blk_process(struct blk_queue *bq)
{
	struct hv_vq *vq = &bq->q->vq;

	bq->starved = false;
	hv_vq_begin_pass(vq);
	for (;;) {
		int got = 0;

		struct blk_req *r;

		hv_vq_disable_notify(vq);
		while ((r = blk_req_get(bq))) {
			got = hv_vq_pop(vq, &r->elem);
			if (got <= 0) {
				blk_req_free(r);
				break;
			}
			blk_handle(bq, r);
		}
		if (got == -EAGAIN) {
			/* A pass's worth: submit it, and carry on from the
			 * loop, after a stop request if one came. */
			hv_defer_arm(&bq->more);
			break;
		}
		if (!r) {
			/* Completions will free requests and call us again. */
			bq->starved = true;
			break;
		}
		if (!hv_vq_enable_notify(vq))
			break;
	}
	blk_flush_sq(bq);
	hv_queue_publish(bq->q);
}

static void blk_queue_kick(struct hv_queue *q)
{
	blk_process(q->backend);
}

/* Publishes what has completed; restarts popping if the pool ran dry. */
static void blk_complete_pending(struct blk_queue *bq)
{
	blk_reap(bq);
	blk_flush_sq(bq); /* resubmitted short transfers */
	hv_queue_publish(bq->q);
	if (bq->starved)
		blk_process(bq);
}

static bool blk_queue_poll(struct hv_queue *q)
{
	struct blk_queue *bq = q->backend;

	if (!bq->blk->eng->ready_now(bq->eq))
		return false;
	blk_complete_pending(bq);
	return true;
}

static void blk_more(void *opaque)
{
	blk_process(opaque);
}

static void blk_engine_ready(void *opaque)
{
	blk_complete_pending(opaque);
}

static void blk_reqs_free(struct blk_queue *bq)
{
	for (unsigned int i = 0; bq->reqs && i < bq->nreqs; i++)
		free(bq->reqs[i]);
	free(bq->reqs);
}

static int blk_queue_start(struct hv_device *dev, struct hv_queue *q)
{
	struct blk_queue *bq = calloc(1, sizeof(*bq));
	unsigned int n = q->vq.size;
	int r;

	if (!bq)
		return -ENOMEM;
	bq->blk = to_blk(dev);
	bq->rl = &bq->blk->rl;
	bq->q = q;
	bq->max_reqs = n;
	bq->max_iov = (uint16_t)BLK_IOV_FOR(bq->blk->seg_max);
	bq->reqs = calloc(n, sizeof(*bq->reqs));
	/* One from the start: with none in flight, blk_req_get() finds it. */
	if (!bq->reqs || !blk_req_get(bq)) {
		r = -ENOMEM;
		goto fail;
	}
	blk_req_free(bq->reqs[0]);
	r = bq->blk->eng->queue_open(bq->blk->eng_ctx, q->loop, n, blk_engine_ready, bq, &bq->eq);
	if (r < 0)
		goto fail;
	r = hv_defer_init(&bq->more, q->loop, blk_more, bq);
	if (r < 0) {
		bq->blk->eng->queue_close(bq->eq);
		goto fail;
	}
	q->backend = bq;
	return 0;

fail:
	blk_reqs_free(bq);
	free(bq);
	return r;
}

static void blk_queue_stop(struct hv_queue *q)
{
	struct blk_queue *bq = q->backend;

	if (!bq)
		return;
	/* Every buffer handed to the storage must be done with before the
	 * transport drops guest memory. */
	bq->blk->eng->drain(bq->eq, blk_complete_one);
	hv_queue_publish(bq->q);
	hv_defer_fini(&bq->more);
	bq->blk->eng->queue_close(bq->eq);
	blk_reqs_free(bq);
	free(bq);
	q->backend = NULL;
}

static void blk_destroy(struct hv_device *dev)
{
	struct blk_dev *blk = to_blk(dev);

	blk_image_close(&blk->img);
	if (blk->nbd)
		blk_nbd_close(blk->nbd);
#if HVDPA_HAVE_RBD
	if (blk->rbd)
		blk_rbd_close(blk->rbd);
#endif
	free(blk);
}

static void blk_set_capacity(struct blk_dev *blk, uint64_t bytes);

/* An RBD image's header changed in the cluster: the driver hears of a new
 * size from here, the device's thread, as from a resize request. */
static int blk_control_fd(struct hv_device *dev)
{
#if HVDPA_HAVE_RBD
	if (to_blk(dev)->rbd)
		return blk_rbd_resize_fd(to_blk(dev)->rbd);
#else
	(void)dev;
#endif
	return -1;
}

static void blk_control_event(struct hv_device *dev)
{
#if HVDPA_HAVE_RBD
	struct blk_dev *blk = to_blk(dev);
	uint64_t size;
	int r;

	if (!blk->rbd)
		return;
	r = blk_rbd_size(blk->rbd, &size);
	if (r < 0) {
		hv_warn_ratelimited(&blk->rl, "%s: the image changed, its size is unknown: %s",
				    dev->name, strerror(-r));
		return;
	}
	if (size >> SECTOR_SHIFT != hv_blk_size(dev) >> SECTOR_SHIFT && size >= SECTOR_SIZE)
		blk_set_capacity(blk, size);
#else
	(void)dev;
#endif
}

static const struct hv_device_ops blk_ops = {
	.queue_start = blk_queue_start,
	.queue_kick = blk_queue_kick,
	.queue_poll = blk_queue_poll,
	.queue_stop = blk_queue_stop,
	.control_fd = blk_control_fd,
	.control_event = blk_control_event,
	.destroy = blk_destroy,
};

static void blk_fill_config(struct blk_dev *blk)
{
	struct virtio_blk_config c;
	const struct hv_blk_options *o = &blk->opt;
	uint32_t seg_max;

	memset(&c, 0, sizeof(c));
	c.capacity = htole64(blk->capacity);
	c.size_max = htole32(BLK_SIZE_MAX);
	seg_max = BLK_SEG_MAX;
	/* Without indirect descriptors a request must fit in the ring. */
	if (o->queue_size > 2 && o->queue_size - 2u < seg_max)
		seg_max = o->queue_size - 2u;
	c.seg_max = htole32(seg_max);
	blk->seg_max = seg_max;
	c.blk_size = htole32(SECTOR_SIZE);
	c.num_queues = htole16(o->num_queues);
	if (blk->can_discard) {
		c.max_discard_sectors = htole32(BLK_MAX_DISCARD_SEC);
		c.max_discard_seg = htole32(1);
		c.discard_sector_alignment = htole32(4096 >> SECTOR_SHIFT);
	}
	if (blk->can_zero) {
		c.max_write_zeroes_sectors = htole32(BLK_MAX_DISCARD_SEC);
		c.max_write_zeroes_seg = htole32(1);
		c.write_zeroes_may_unmap = blk->can_discard;
	}
	memcpy(blk->dev.config, &c, sizeof(c));
	blk->dev.config_size = sizeof(c);
}

int hv_blk_create(const struct hv_blk_options *o, struct hv_device **out, char *err, size_t errlen)
{
	struct blk_dev *blk;
	uint64_t f;
	int r = hv_opt_cpus_usable(&o->cpus, err, errlen);

	if (r < 0)
		return r;
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return -ENOMEM;
	_Static_assert(sizeof(struct virtio_blk_config) <= HV_CONFIG_MAX, "config space");
	blk->opt = *o;
	blk->eng = &blk_uring_ops;
	blk->eng_ctx = &blk->img;
	if (o->null) {
		blk->img.fd = -1;
		blk->img.size = o->size;
	} else if (o->nbd) {
		struct blk_nbd_info info;

		blk->img.fd = -1;
		r = blk_nbd_open(o->name, o->path, o->timeout_s, &blk->nbd, &info, err, errlen);
		if (r < 0) {
			free(blk);
			return r;
		}
		blk->img.size = info.size;
		/* A read-only export makes a read-only disk, whatever was
		 * asked: the driver learns it from F_RO instead of from errors. */
		blk->opt.readonly = o->readonly || info.read_only;
		blk->can_discard = !blk->opt.readonly && info.can_trim;
		blk->can_zero = !blk->opt.readonly && info.can_zero;
		blk->eng = &blk_nbd_ops;
		blk->eng_ctx = blk->nbd;
	} else if (o->rbd) {
#if HVDPA_HAVE_RBD
		struct blk_rbd_params p = {.spec = o->path,
					   .conf = o->ceph_conf,
					   .id = o->ceph_id,
					   .timeout_s = o->timeout_s,
					   .read_only = o->readonly};
		struct blk_rbd_info info;

		blk->img.fd = -1;
		r = blk_rbd_open(o->name, &p, &blk->rbd, &info, err, errlen);
		if (r < 0) {
			free(blk);
			return r;
		}
		blk->img.size = info.size;
		blk->opt.readonly = info.read_only;
		/* librbd discards and zeroes any image it may write. */
		blk->can_discard = blk->can_zero = !info.read_only;
		blk->eng = &blk_rbd_ops;
		blk->eng_ctx = blk->rbd;
#else
		snprintf(err, errlen,
			 "%s: rbd=%s: this hvdpad was built without librbd (meson -Drbd=enabled "
			 "with librbd-dev)",
			 o->name, o->path);
		free(blk);
		return -EOPNOTSUPP;
#endif
	} else {
		r = blk_image_open(o->path, o->readonly, &blk->img, err, errlen);
		if (r < 0) {
			free(blk);
			return r;
		}
		blk->can_discard = blk->img.can_discard;
		blk->can_zero = blk->img.zero_mode != 0;
	}
	o = &blk->opt;
	if (blk->img.size % SECTOR_SIZE)
		hv_warn("%s: %s is not a whole number of sectors: the last %llu bytes are not "
			"visible",
			o->name, o->path, (unsigned long long)(blk->img.size % SECTOR_SIZE));
	blk->capacity = blk->img.size >> SECTOR_SHIFT;

	f = hv_device_common_features() | (1ull << VIRTIO_BLK_F_SIZE_MAX) |
	    (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
	    (1ull << VIRTIO_BLK_F_FLUSH);
	/* Never CONFIG_WCE: VDUSE refuses it, and the driver cannot write
	 * config space there anyway. */
	if (o->readonly)
		f |= 1ull << VIRTIO_BLK_F_RO;
	if (o->num_queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	if (blk->can_discard)
		f |= 1ull << VIRTIO_BLK_F_DISCARD;
	if (blk->can_zero)
		f |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	if (o->packed)
		f |= 1ull << VIRTIO_F_RING_PACKED;

	blk->dev.ops = &blk_ops;
	snprintf(blk->dev.name, sizeof(blk->dev.name), "%s", o->name);
	blk->dev.device_id = VIRTIO_ID_BLOCK;
	blk->dev.features = f;
	blk->dev.num_queues = o->num_queues;
	blk->dev.queue_size = o->queue_size;
	blk->dev.poll_ns = o->poll_us * 1000u;
	blk->dev.cpus = o->cpus;
	blk_fill_config(blk);
	*out = &blk->dev;
	return 0;
}

int hv_blk_resize(struct hv_device *dev, uint64_t bytes, char *err, size_t errlen)
{
	struct blk_dev *blk = to_blk(dev);
	uint64_t cap = bytes >> SECTOR_SHIFT;
	struct stat st;

	if (blk->nbd || blk->rbd) {
		snprintf(err, errlen, "%s: %s size is the %s: resize it there%s", dev->name,
			 blk->nbd ? "an NBD export's" : "an RBD image's",
			 blk->nbd ? "server's" : "cluster's",
			 blk->rbd ? " (rbd resize), and the disk follows" : "");
		return -EOPNOTSUPP;
	}
	if (bytes % SECTOR_SIZE || cap == 0) {
		snprintf(err, errlen, "%s: size %llu is not a positive number of 512-byte sectors",
			 dev->name, (unsigned long long)bytes);
		return -EINVAL;
	}
	if (!blk->opt.null && blk->img.is_blockdev) {
		/* A block device is as big as it is: a resize tells the driver
		 * what the device became (an LV grown, say), up to its size. */
		uint64_t have = 0;

		if (ioctl(blk->img.fd, BLKGETSIZE64, &have) < 0 || bytes > have) {
			snprintf(err, errlen, "%s: %s has %llu bytes, fewer than %llu", dev->name,
				 blk->opt.path, (unsigned long long)have,
				 (unsigned long long)bytes);
			return -EINVAL;
		}
	} else if (!blk->opt.null) {
		if (blk->opt.readonly) {
			snprintf(err, errlen, "%s: read-only: %s is not resized", dev->name,
				 blk->opt.path);
			return -EROFS;
		}
		if (fstat(blk->img.fd, &st) == 0 && (uint64_t)st.st_size != bytes &&
		    ftruncate(blk->img.fd, (off_t)bytes) < 0) {
			int e = errno;

			snprintf(err, errlen, "%s: cannot resize %s: %s", dev->name, blk->opt.path,
				 strerror(e));
			return -e;
		}
	}
	blk_set_capacity(blk, bytes);
	return 0;
}

/* The disk is bytes big from now on; the driver is told. On the device's
 * thread. */
static void blk_set_capacity(struct blk_dev *blk, uint64_t bytes)
{
	struct hv_device *dev = &blk->dev;
	uint64_t cap = bytes >> SECTOR_SHIFT, le;

	blk->img.size = bytes;
	__atomic_store_n(&blk->capacity, cap, __ATOMIC_RELAXED);
	le = htole64(cap);
	memcpy(dev->config + offsetof(struct virtio_blk_config, capacity), &le, sizeof(le));
	if (dev->config_changed)
		dev->config_changed(dev, offsetof(struct virtio_blk_config, capacity), sizeof(le));
	hv_info("%s: resized to %llu bytes (%llu sectors)", dev->name, (unsigned long long)bytes,
		(unsigned long long)cap);
}
