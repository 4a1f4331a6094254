// SPDX-License-Identifier: MIT
/*
 * The loop's ring mode (loop.h): the thread waits in io_uring_enter, on
 * the ring an io_uring engine lends it.
 *
 * The ring's user_data: an owner's SQE has bit 63 clear (a pointer); the
 * loop's have it set, with the slot's index in the low 32 bits and its
 * generation in bits 32-62, so that a completion of an fd removed since
 * is told from one of the fd now in that slot.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "loop_int.h"

#define TAG	   (1ull << 63)
#define IDX_EPFD   0xffffffffu /* the poll of the epoll fd */
#define IDX_REMOVE 0xfffffffeu /* a poll removal's own completion */
#define GEN_MASK   0x7fffffffu
/* Completions one hv_loop_run_once() takes: its work is bounded, and the
 * rest wait in the ring for the next. */
#define BATCH 32u
/* The events a poll can ask for (EPOLLET is the ring's default). */
#define POLL_BITS (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLERR | EPOLLHUP)

static uint64_t tag(uint32_t i, uint32_t gen)
{
	return TAG | ((uint64_t)(gen & GEN_MASK) << 32) | i;
}

static struct io_uring_sqe *sqe_get(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		/* Full of the owner's: send them, and there is room. */
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static int poll_add(struct io_uring *ring, int fd, uint32_t events, uint64_t data)
{
	struct io_uring_sqe *sqe = sqe_get(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, fd, events & POLL_BITS);
	io_uring_sqe_set_data64(sqe, data);
	return 0;
}

static void poll_remove(struct io_uring *ring, uint64_t data)
{
	struct io_uring_sqe *sqe = sqe_get(ring);

	if (!sqe)
		return;
	io_uring_prep_poll_remove(sqe, data);
	io_uring_sqe_set_data64(sqe, tag(IDX_REMOVE, 0));
	/* Now: the poll holds the file, which its owner may close next. */
	io_uring_submit(ring);
}

int hv_loop_ring_arm(struct hv_loop *loop, unsigned int i)
{
	struct hv_loop_slot *s = &loop->slots[i];
	int r = poll_add(loop->ring, s->fd, s->events, tag(i, s->gen));

	if (r == 0)
		s->in_ring = true;
	return r;
}

void hv_loop_ring_unarm(struct hv_loop *loop, unsigned int i)
{
	poll_remove(loop->ring, tag(i, loop->slots[i].gen));
	loop->slots[i].ring_pending = 0;
}

int hv_loop_ring_enable(struct hv_loop *loop, unsigned int entries,
			const struct hv_loop_ring_owner *owner, struct io_uring **out)
{
	struct io_uring *ring;
	int r;

	if (loop->ring)
		return -EBUSY;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	/* The owner's SQEs and the loop's polls and removals: a few more
	 * than it asked for. */
	r = io_uring_queue_init(entries + 8, ring, 0);
	if (r < 0) {
		free(ring);
		return r;
	}
	r = poll_add(ring, loop->epfd, EPOLLIN, tag(IDX_EPFD, 0));
	if (r < 0)
		goto fail;
	loop->ring = ring;
	loop->owner = *owner;
	/* Whatever epoll holds now was signalled before the ring polled it. */
	loop->epoll_pending = true;
	for (unsigned int i = 0; i < loop->nslots; i++) {
		struct hv_loop_slot *s = &loop->slots[i];

		if (s->fd < 0 || !(s->events & EPOLLET))
			continue;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		r = hv_loop_ring_arm(loop, i);
		if (r < 0) {
			hv_loop_ring_disable(loop);
			return r;
		}
		/* An edge that came before the move: one spurious call is
		 * harmless (a kick finds nothing), a lost one is not. */
		s->ring_pending = EPOLLIN;
	}
	*out = ring;
	return 0;

fail:
	io_uring_queue_exit(ring);
	free(ring);
	return r;
}

/* The ring, gone: its polls with it. */
void hv_loop_ring_fini(struct hv_loop *loop)
{
	if (!loop->ring)
		return;
	io_uring_queue_exit(loop->ring);
	free(loop->ring);
	loop->ring = NULL;
}

void hv_loop_ring_disable(struct hv_loop *loop)
{
	if (!loop->ring)
		return;
	hv_loop_ring_fini(loop);
	for (unsigned int i = 0; i < loop->nslots; i++) {
		struct hv_loop_slot *s = &loop->slots[i];
		struct epoll_event ev = {.events = s->events};

		if (s->fd < 0 || !s->in_ring)
			continue;
		s->in_ring = false;
		s->ring_pending = 0;
		/* A new generation: nothing of the ring's can match it. */
		s->gen++;
		ev.data.u64 = ((uint64_t)s->gen << 32) | i;
		epoll_ctl(loop->epfd, EPOLL_CTL_ADD, s->fd, &ev);
	}
}

void hv_loop_submit(struct hv_loop *loop)
{
	if (loop->ring && io_uring_sq_ready(loop->ring))
		io_uring_submit(loop->ring);
}

static bool slots_pending(const struct hv_loop *loop)
{
	for (unsigned int i = 0; i < loop->nslots; i++)
		if (loop->slots[i].fd >= 0 && loop->slots[i].ring_pending)
			return true;
	return false;
}

bool hv_loop_ready_now(struct hv_loop *loop)
{
	return loop->ring &&
	       (io_uring_cq_ready(loop->ring) || loop->epoll_pending || slots_pending(loop));
}

/* The loop's own completion: which slot, and whether it is still that
 * slot's fd. Its poll is armed again when the kernel ended it (a full
 * completion queue ends multishot polls) but not after an error, which
 * would come back at once. */
static struct hv_loop_slot *own_cqe(struct hv_loop *loop, const struct io_uring_cqe *cqe)
{
	uint32_t i = (uint32_t)cqe->user_data, gen = (uint32_t)(cqe->user_data >> 32) & GEN_MASK;
	bool ended = !(cqe->flags & IORING_CQE_F_MORE);

	if (i == IDX_EPFD) {
		loop->epoll_pending = true;
		if (ended && cqe->res >= 0)
			poll_add(loop->ring, loop->epfd, EPOLLIN, tag(IDX_EPFD, 0));
		return NULL;
	}
	if (i >= loop->nslots || loop->slots[i].fd < 0 || !loop->slots[i].in_ring ||
	    (loop->slots[i].gen & GEN_MASK) != gen)
		return NULL;
	if (ended && cqe->res >= 0)
		hv_loop_ring_arm(loop, i);
	return &loop->slots[i];
}

/* Takes up to BATCH completions off the ring (copied first: a callback may
 * add SQEs, remove fds or wait again). The owner's go to it at once;
 * events for slots are added to their ring_pending. Returns how many were
 * the owner's (the loop's own are counted when their callbacks run). */
static unsigned int take(struct hv_loop *loop)
{
	struct io_uring_cqe batch[BATCH], *cqe;
	unsigned int head, n = 0, owned = 0;

	io_uring_for_each_cqe(loop->ring, head, cqe)
	{
		batch[n++] = *cqe;
		if (n == BATCH)
			break;
	}
	io_uring_cq_advance(loop->ring, n);
	for (unsigned int k = 0; k < n; k++) {
		struct hv_loop_slot *s;

		if (batch[k].user_data == LIBURING_UDATA_TIMEOUT)
			continue;
		if (!(batch[k].user_data & TAG)) {
			loop->owner.cqe(loop->owner.opaque, batch[k].user_data, batch[k].res);
			owned++;
			continue;
		}
		s = own_cqe(loop, &batch[k]);
		if (s)
			s->ring_pending |= batch[k].res < 0 ? EPOLLERR : (uint32_t)batch[k].res;
	}
	if (owned)
		loop->owner.batch_end(loop->owner.opaque);
	return owned;
}

static int ring_wait(struct hv_loop *loop, int timeout_ms, const sigset_t *sigmask)
{
	struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
				       .tv_nsec = (long long)(timeout_ms % 1000) * 1000000};
	struct io_uring_cqe *cqe;
	int r = io_uring_submit_and_wait_timeout(loop->ring, &cqe, 1, timeout_ms < 0 ? NULL : &ts,
						 (sigset_t *)sigmask);

	return r == -ETIME ? 0 : r;
}

int hv_loop_ring_wait_owner(struct hv_loop *loop)
{
	int r;

	if (!loop->ring)
		return -EINVAL;
	r = io_uring_cq_ready(loop->ring) ? 0 : ring_wait(loop, -1, NULL);
	if (r < 0 && r != -EINTR)
		return r;
	take(loop);
	return 0;
}

/* One round without waiting: the ring's completions, the fds' events, and
 * epoll while it may hold something. Returns how many things ran. */
static int ring_round(struct hv_loop *loop)
{
	int n = (int)take(loop), r;

	for (unsigned int i = 0; i < loop->nslots; i++) {
		struct hv_loop_slot *s = &loop->slots[i];
		uint32_t ev = s->ring_pending;

		if (s->fd < 0 || !ev)
			continue;
		s->ring_pending = 0;
		s->cb(s->opaque, ev);
		n++;
	}
	if (loop->epoll_pending) {
		/* Until epoll says it has nothing, it is asked without waiting:
		 * a level-triggered fd that stays ready is not signalled again,
		 * so the ring would not wake for it. */
		r = hv_loop_epoll_run(loop, 0, NULL);
		if (r < 0 && r != -EINTR)
			return r;
		loop->epoll_pending = r > 0;
		n += r > 0 ? r : 0;
	}
	return n;
}

/* A wait that ended on the loop's own business (a poll removed, epoll
 * with nothing after all) is waited again, a few times at most: a finite
 * timeout may so last a few times longer, which no caller minds. */
#define WAITS_MAX 4

int hv_loop_ring_run(struct hv_loop *loop, int timeout_ms, const sigset_t *sigmask)
{
	for (int k = 0; k < WAITS_MAX; k++) {
		int n, r;

		if (timeout_ms != 0 && !hv_loop_ready_now(loop)) {
			/* The owner's queued SQEs go out with the wait. */
			r = ring_wait(loop, timeout_ms, sigmask);
			if (r <= 0 && r != -EBUSY && r != -EAGAIN && !io_uring_cq_ready(loop->ring))
				return r;
		}
		n = ring_round(loop);
		if (n != 0 || timeout_ms == 0)
			return n;
	}
	return 0;
}
