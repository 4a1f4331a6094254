// SPDX-License-Identifier: MIT
/* The adaptive busy-poll window (poll_adapt.h). */
#include "hvdpa/poll_adapt.h"

/* Below max/64 a window is not worth its syscall-free wake-up: none. */
#define FLOOR_SHIFT 6
/* Where a reopened window starts: a quarter of the maximum. */
#define REOPEN_SHIFT 2

void hv_poll_adapt_init(struct hv_poll_adapt *a, uint32_t max_ns)
{
	a->max_ns = max_ns;
	a->window_ns = max_ns;
}

void hv_poll_adapt_hit(struct hv_poll_adapt *a)
{
	uint64_t w = (uint64_t)a->window_ns * 2;

	a->window_ns = w > a->max_ns ? a->max_ns : (uint32_t)w;
}

void hv_poll_adapt_miss(struct hv_poll_adapt *a)
{
	a->window_ns /= 2;
	if (a->window_ns < a->max_ns >> FLOOR_SHIFT)
		a->window_ns = 0;
}

void hv_poll_adapt_woken(struct hv_poll_adapt *a, uint64_t slept_ns)
{
	uint32_t reopen = a->max_ns >> REOPEN_SHIFT;

	if (slept_ns >= a->max_ns)
		return;
	/* Polling would have caught this one: poll again, a bit longer than
	 * the gap that was just seen. */
	if (a->window_ns < reopen)
		a->window_ns = reopen;
	else
		hv_poll_adapt_hit(a);
}
