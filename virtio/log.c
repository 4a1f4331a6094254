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

	if (now - rl->window_start >= RL_INTERVAL) {
		if (rl->suppressed)
			hv_warn("%lu similar messages suppressed", rl->suppressed);
		rl->window_start = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < RL_BURST) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
