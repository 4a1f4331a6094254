/* SPDX-License-Identifier: MIT */
/* The monotonic clock in nanoseconds: deadlines, polling windows. */
#ifndef HVDPA_CLOCK_H
#define HVDPA_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t hv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
