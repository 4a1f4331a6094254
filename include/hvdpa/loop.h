/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_LOOP_H
#define HVDPA_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A minimal epoll loop: one per thread, callbacks run on that thread.
 *
 * Ring mode (hv_loop_ring_enable): an io_uring engine on the loop's thread
 * may lend the loop its ring, so that the thread sleeps in io_uring_enter
 * instead of epoll_wait: the engine's submissions go out with the wait
 * (one syscall, not two) and its completions need no eventfd. Edge-
 * triggered fds (EPOLLET: the queue's kick) are then polled by the ring
 * itself (multishot POLL_ADD); the others stay in epoll, whose fd the ring
 * polls, so their level-triggered meaning is kept.
 */
typedef void (*hv_loop_cb)(void *opaque, uint32_t events);

struct hv_loop_slot {
	int fd; /* -1: free */
	uint32_t gen;
	uint32_t events;       /* as added */
	uint32_t ring_pending; /* ring mode: events not yet delivered */
	bool in_ring;	       /* ring mode: polled by the ring, not epoll */
	hv_loop_cb cb;
	void *opaque;
};

struct io_uring;

/* Ring mode: the lender's completions (user_data without bit 63, which the
 * loop keeps for its own), then once per batch that had any. */
struct hv_loop_ring_owner {
	void (*cqe)(void *opaque, uint64_t user_data, int32_t res);
	void (*batch_end)(void *opaque);
	void *opaque;
};

struct hv_loop {
	int epfd;
	unsigned int nslots;
	struct hv_loop_slot *slots;
	struct io_uring *ring; /* NULL: epoll only */
	struct hv_loop_ring_owner owner;
	bool epoll_pending; /* ring mode: epoll may hold ready fds */
};

int hv_loop_init(struct hv_loop *loop);
void hv_loop_fini(struct hv_loop *loop);
int hv_loop_add(struct hv_loop *loop, int fd, uint32_t events, hv_loop_cb cb, void *opaque);
/* Changes the events fd is watched for (an NBD socket that now has
 * something to write). */
int hv_loop_mod(struct hv_loop *loop, int fd, uint32_t events);
/* Safe from inside a callback: a pending event for fd is not delivered. */
int hv_loop_del(struct hv_loop *loop, int fd);
/* Waits up to timeout_ms (-1: forever) and runs ready callbacks. Returns
 * the number run, or a negative errno (-EINTR included). */
int hv_loop_run_once(struct hv_loop *loop, int timeout_ms);
/* The same, with sigmask in force while it waits (epoll_pwait): a loop
 * that keeps its stop signals blocked lets them in only there, so one that
 * comes between its check of the stop flag and the wait is not lost. */
int hv_loop_run_pwait(struct hv_loop *loop, int timeout_ms, const sigset_t *sigmask);

/*
 * Ring mode. Makes an io_uring of `entries` SQEs (completions: twice that)
 * that the loop waits in, moves the EPOLLET fds into it, and returns it in
 * *ring for the owner's own SQEs (user_data: bit 63 clear). The owner's SQEs
 * are sent when the loop next waits or hv_loop_submit() is called. -EBUSY
 * when the loop lends a ring already.
 */
int hv_loop_ring_enable(struct hv_loop *loop, unsigned int entries,
			const struct hv_loop_ring_owner *owner, struct io_uring **ring);
/* Back to epoll alone (the owner has nothing in flight). */
void hv_loop_ring_disable(struct hv_loop *loop);
/* Sends queued SQEs now (busy polling needs them out); nothing outside
 * ring mode. */
void hv_loop_submit(struct hv_loop *loop);
/* Something for hv_loop_run_once(loop, 0) to run, seen without a syscall
 * (ring mode); false outside it. */
bool hv_loop_ready_now(struct hv_loop *loop);
/* Waits for at least one completion and hands the owner's to it; events
 * for fds are kept for the next hv_loop_run_once(), not run: an owner
 * draining its I/O must not start new work. */
int hv_loop_ring_wait_owner(struct hv_loop *loop);

/*
 * A call on a later round of a loop: a pass that stopped on its budget
 * comes back by itself, without waiting for a kick, once whatever else is
 * ready (a stop request) had its turn.
 */
struct hv_defer {
	struct hv_loop *loop;
	int fd;
	bool armed;
	void (*fn)(void *opaque);
	void *opaque;
};

int hv_defer_init(struct hv_defer *d, struct hv_loop *loop, void (*fn)(void *opaque), void *opaque);
void hv_defer_arm(struct hv_defer *d);
/* Safe on a zeroed or finished one, and from inside the loop. */
void hv_defer_fini(struct hv_defer *d);

#endif
