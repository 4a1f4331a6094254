// SPDX-License-Identifier: MIT
/*
 * The io_uring engine: each queue owns a ring; a kick's requests are
 * prepared as one SQE each and submitted with one syscall, completions
 * arrive on an eventfd in the queue's loop.
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
	struct io_uring ring;
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

static int uring_open(void *ctx, struct hv_loop *loop, unsigned int depth,
		      void (*ready)(void *opaque), void *opaque, struct blk_engine_queue **out)
{
	struct blk_engine_queue *eq = calloc(1, sizeof(*eq));
	int r;

	if (!eq)
		return -ENOMEM;
	eq->img = ctx;
	eq->loop = loop;
	eq->ready = ready;
	eq->opaque = opaque;
	/* One SQE per request in flight at most: the caller's pool bounds
	 * it. */
	r = io_uring_queue_init(depth, &eq->ring, 0);
	if (r < 0)
		goto fail;
	eq->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eq->efd < 0) {
		r = -errno;
		goto fail_ring;
	}
	r = io_uring_register_eventfd(&eq->ring, eq->efd);
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
	io_uring_queue_exit(&eq->ring);
fail:
	free(eq);
	return r;
}

static int uring_submit(struct blk_engine_queue *eq, struct blk_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&eq->ring);
	int fd = eq->img->fd, mode;

	if (!sqe) {
		/* Cannot happen while in-flight <= SQ entries; stay safe. */
		io_uring_submit(&eq->ring);
		eq->unsubmitted = 0;
		sqe = io_uring_get_sqe(&eq->ring);
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
	if (eq->unsubmitted) {
		int r = io_uring_submit(&eq->ring);

		if (r < 0)
			hv_warn_ratelimited(&uring_rl, "io_uring_submit: %s", strerror(-r));
		eq->unsubmitted = 0;
	}
}

static unsigned int uring_reap(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	/* done() may submit again (a short transfer goes on): that fills
	 * SQEs, not the CQEs walked here. */
	io_uring_for_each_cqe(&eq->ring, head, cqe)
	{
		eq->inflight--;
		done(io_uring_cqe_get_data(cqe), cqe->res);
		n++;
	}
	io_uring_cq_advance(&eq->ring, n);
	return n;
}

static bool uring_ready_now(struct blk_engine_queue *eq)
{
	return io_uring_cq_ready(&eq->ring) > 0;
}

static void uring_drain(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	uring_flush(eq);
	/* Every buffer handed to the kernel must be done with before the
	 * transport drops guest memory. */
	while (eq->inflight) {
		struct io_uring_cqe *cqe;
		int r = io_uring_wait_cqe(&eq->ring, &cqe);

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
	hv_loop_del(eq->loop, eq->efd);
	close(eq->efd);
	io_uring_queue_exit(&eq->ring);
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
