// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "hvdpa/log.h"

enum hv_log_level hv_log_level = HV_LOG_INFO;

void hv_log(enum hv_log_level level, const char *fmt, ...)
{
	static const char *const tag[] = {"none", "error", "warning", "info", "debug"};
	va_list ap;

	if (level == HV_LOG_NONE || level > hv_log_level || level > HV_LOG_DEBUG)
		return;
	/* One fprintf per line so lines from queue threads do not interleave. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hvdpa: %s: %s\n", tag[level], line);
}

#define RL_INTERVAL 5
#define RL_BURST    10

bool hv_ratelimit_ok(struct hv_ratelimit *rl)
{
	time_t now = time(NULL);
	time_t start = __atomic_load_n(&rl->window_start, __ATOMIC_RELAXED);

	/* A new window (or a clock that went back): one caller opens it. */
	if ((now - start >= RL_INTERVAL || now < start) &&
	    __atomic_compare_exchange_n(&rl->window_start, &start, now, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED)) {
		unsigned long n = __atomic_exchange_n(&rl->suppressed, 0, __ATOMIC_RELAXED);

		__atomic_store_n(&rl->printed, 0, __ATOMIC_RELAXED);
		if (n)
			hv_warn("%lu similar messages suppressed", n);
	}
	/* Checked before counting, so the count never wraps. */
	if (__atomic_load_n(&rl->printed, __ATOMIC_RELAXED) < RL_BURST &&
	    __atomic_fetch_add(&rl->printed, 1, __ATOMIC_RELAXED) < RL_BURST)
		return true;
	__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
	return false;
}
