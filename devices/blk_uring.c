// SPDX-License-Identifier: MIT
/*
 * The io_uring engine: each queue owns a ring; a kick's requests are
 * prepared as one SQE each and submitted with one syscall.
 *
 * The ring is lent to the queue's loop (loop.h, ring mode), so that the
 * queue thread sleeps in io_uring_enter: the SQEs of a pass go out with
 * that wait, and completions come back as the wait's own result, with no
 * eventfd and no epoll between. Where the loop cannot take it, the ring
 * is the engine's alone and signals completions on an eventfd.
 */
#include <errno.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "blk_engine.h"
#include "blk_image.h"
#include "hvdpa/log.h"

struct blk_engine_queue {
	struct blk_image *img;
	struct hv_loop *loop;
	struct io_uring own;
	struct io_uring *ring; /* &own, or the one lent to the loop */
	bool lent;
	bool draining;
	/* Lent: what the loop handed over and reap() has not yet (res in
	 * io->err), oldest first. */
	struct blk_io *done_head, **done_tail;
	int efd;
	unsigned int inflight;
	unsigned int unsubmitted;
	void (*ready)(void *opaque);
	void *opaque;
};

/* Shared by every queue of every device: a failing io_uring_submit says so
 * a few times, not once per batch. */
static struct hv_ratelimit uring_rl;

static void uring_event(void *opaque, uint32_t events)
{
	struct blk_engine_queue *eq = opaque;

	/* Edge-triggered: each signal wakes us once; the counter is never
	 * read, which saves a read() per wake-up. */
	(void)events;
	eq->ready(eq->opaque);
}

/* Lent ring: the loop hands over each of ours as it comes... */
static void lent_cqe(void *opaque, uint64_t data, int32_t res)
{
	struct blk_engine_queue *eq = opaque;
	struct blk_io *io = (struct blk_io *)(uintptr_t)data;

	eq->inflight--;
	io->err = res;
	io->next = NULL;
	*eq->done_tail = io;
	eq->done_tail = &io->next;
}

/* ...and once per batch, as the eventfd would have. */
static void lent_batch_end(void *opaque)
{
	struct blk_engine_queue *eq = opaque;

	if (!eq->draining)
		eq->ready(eq->opaque);
}

static int uring_open(void *ctx, struct hv_loop *loop, unsigned int depth,
		      void (*ready)(void *opaque), void *opaque, struct blk_engine_queue **out)
{
	struct blk_engine_queue *eq = calloc(1, sizeof(*eq));
	struct hv_loop_ring_owner owner = {lent_cqe, lent_batch_end, eq};
	int r;

	if (!eq)
		return -ENOMEM;
	eq->img = ctx;
	eq->loop = loop;
	eq->ready = ready;
	eq->opaque = opaque;
	eq->efd = -1;
	eq->done_tail = &eq->done_head;
	/* One SQE per request in flight at most: the caller's pool bounds
	 * it. */
	if (hv_loop_ring_enable(loop, depth, &owner, &eq->ring) == 0) {
		eq->lent = true;
		*out = eq;
		return 0;
	}
	eq->ring = &eq->own;
	r = io_uring_queue_init(depth, eq->ring, 0);
	if (r < 0)
		goto fail;
	eq->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eq->efd < 0) {
		r = -errno;
		goto fail_ring;
	}
	r = io_uring_register_eventfd(eq->ring, eq->efd);
	if (r < 0)
		goto fail_efd;
	r = hv_loop_add(loop, eq->efd, EPOLLIN | EPOLLET, uring_event, eq);
	if (r < 0)
		goto fail_efd;
	*out = eq;
	return 0;

fail_efd:
	close(eq->efd);
fail_ring:
	io_uring_queue_exit(eq->ring);
fail:
	free(eq);
	return r;
}

static int uring_submit(struct blk_engine_queue *eq, struct blk_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(eq->ring);
	int fd = eq->img->fd, mode;

	if (!sqe) {
		/* Cannot happen while in-flight <= SQ entries; stay safe. */
		io_uring_submit(eq->ring);
		eq->unsubmitted = 0;
		sqe = io_uring_get_sqe(eq->ring);
	}
	if (!sqe)
		return -EBUSY;
	switch (io->op) {
	case BLK_IO_READ:
		io_uring_prep_readv(sqe, fd, io->iov, io->niov, io->offset);
		break;
	case BLK_IO_WRITE:
		io_uring_prep_writev(sqe, fd, io->iov, io->niov, io->offset);
		break;
	case BLK_IO_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BLK_IO_DISCARD:
	case BLK_IO_ZERO:
		mode = io->op == BLK_IO_DISCARD ? FALLOC_FL_PUNCH_HOLE : eq->img->zero_mode;
		if (io->op == BLK_IO_ZERO && io->unmap && eq->img->can_discard)
			mode = FALLOC_FL_PUNCH_HOLE;
		io_uring_prep_fallocate(sqe, fd, mode | FALLOC_FL_KEEP_SIZE, io->offset, io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	eq->inflight++;
	eq->unsubmitted++;
	return 0;
}

static void uring_flush(struct blk_engine_queue *eq)
{
	/* Lent: the loop sends them with its wait, or before it polls. */
	if (eq->lent)
		eq->unsubmitted = 0;
	if (eq->unsubmitted) {
		int r = io_uring_submit(eq->ring);

		if (r < 0)
			hv_warn_ratelimited(&uring_rl, "io_uring_submit: %s", strerror(-r));
		eq->unsubmitted = 0;
	}
}

static unsigned int lent_reap(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct blk_io *io = eq->done_head;
	unsigned int n = 0;

	/* done() may submit again (a short transfer goes on): those come
	 * back through the loop later, never onto this list meanwhile. */
	eq->done_head = NULL;
	eq->done_tail = &eq->done_head;
	while (io) {
		struct blk_io *next = io->next;

		done(io, io->err);
		io = next;
		n++;
	}
	return n;
}

static unsigned int uring_reap(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	if (eq->lent)
		return lent_reap(eq, done);
	/* done() may submit again (a short transfer goes on): that fills
	 * SQEs, not the CQEs walked here. */
	io_uring_for_each_cqe(eq->ring, head, cqe)
	{
		eq->inflight--;
		done(io_uring_cqe_get_data(cqe), cqe->res);
		n++;
	}
	io_uring_cq_advance(eq->ring, n);
	return n;
}

static bool uring_ready_now(struct blk_engine_queue *eq)
{
	/* Lent: the loop's hv_loop_ready_now() sees them. */
	return eq->lent ? eq->done_head != NULL : io_uring_cq_ready(eq->ring) > 0;
}

/* Lent: what is in flight comes back through the loop, which keeps the
 * events of its fds (a kick) for later: no new work starts here. */
static void lent_drain(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	eq->draining = true;
	hv_loop_submit(eq->loop);
	while (eq->inflight) {
		int r = hv_loop_ring_wait_owner(eq->loop);

		if (r < 0) {
			hv_err_ratelimited(&uring_rl, "waiting for in-flight I/O: %s",
					   strerror(-r));
			break;
		}
		lent_reap(eq, done);
		hv_loop_submit(eq->loop);
	}
	lent_reap(eq, done);
	eq->draining = false;
}

static void uring_drain(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	if (eq->lent) {
		lent_drain(eq, done);
		return;
	}
	uring_flush(eq);
	/* Every buffer handed to the kernel must be done with before the
	 * transport drops guest memory. */
	while (eq->inflight) {
		struct io_uring_cqe *cqe;
		int r = io_uring_wait_cqe(eq->ring, &cqe);

		if (r < 0 && r != -EINTR) {
			hv_err_ratelimited(&uring_rl, "waiting for in-flight I/O: %s",
					   strerror(-r));
			break;
		}
		uring_reap(eq, done);
		uring_flush(eq);
	}
}

static void uring_close(struct blk_engine_queue *eq)
{
	if (eq->lent) {
		hv_loop_ring_disable(eq->loop);
	} else {
		hv_loop_del(eq->loop, eq->efd);
		close(eq->efd);
		io_uring_queue_exit(eq->ring);
	}
	free(eq);
}

const struct blk_engine_ops blk_uring_ops = {
	.queue_open = uring_open,
	.submit = uring_submit,
	.flush = uring_flush,
	.reap = uring_reap,
	.ready_now = uring_ready_now,
	.drain = uring_drain,
	.queue_close = uring_close,
};
