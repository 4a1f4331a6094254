/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_POLL_ADAPT_H
#define HVDPA_POLL_ADAPT_H

#include <stdint.h>

/*
 * How long a queue thread busy-polls after work: adaptive, as io_uring's
 * hybrid polling and SPDK's interrupt mode are. Spinning pays only while
 * the next request comes within the window; when the CPU is wanted
 * elsewhere (a busy host, the driver's own thread on the same CPU) the
 * requests come later, polls miss, and the spin steals the very CPU the
 * driver needs to submit. So a miss halves the window, down to none; a
 * hit doubles it, up to max_ns; and a kick that wakes the sleeping thread
 * within max_ns of its going to sleep (a poll would have caught it)
 * opens the window again.
 */
struct hv_poll_adapt {
	uint32_t max_ns;    /* the configured window (poll-us) */
	uint32_t window_ns; /* the current one, 0: sleep at once */
};

void hv_poll_adapt_init(struct hv_poll_adapt *a, uint32_t max_ns);
/* A busy-poll found work. */
void hv_poll_adapt_hit(struct hv_poll_adapt *a);
/* A busy-poll spun its whole window for nothing. */
void hv_poll_adapt_miss(struct hv_poll_adapt *a);
/* The thread slept (after a miss or with no window) and a kick woke it
 * slept_ns later. */
void hv_poll_adapt_woken(struct hv_poll_adapt *a, uint64_t slept_ns);

#endif
