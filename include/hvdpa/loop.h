/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_LOOP_H
#define HVDPA_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* A minimal epoll loop: one per thread, callbacks run on that thread. */
typedef void (*hv_loop_cb)(void *opaque, uint32_t events);

struct hv_loop_slot {
	int fd; /* -1: free */
	uint32_t gen;
	hv_loop_cb cb;
	void *opaque;
};

struct hv_loop {
	int epfd;
	unsigned int nslots;
	struct hv_loop_slot *slots;
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
