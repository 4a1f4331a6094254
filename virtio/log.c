// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "hvdpa/log.h"

enum hv_log_level hv_log_level = HV_LOG_INFO;

bool hv_log_to_journal(void)
{
	const char *s = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	/* systemd sets JOURNAL_STREAM=DEV:INO (decimal) for a service whose
	 * stdout or stderr it connects to the journal; it is inherited, so
	 * it counts only while stderr is still that very stream (not after a
	 * redirect, nor in a child with stderr to a file). */
	if (!s || !*s)
		return false;
	dev = strtoull(s, &end, 10);
	if (end == s || *end != ':')
		return false;
	s = end + 1;
	ino = strtoull(s, &end, 10);
	if (end == s || *end)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void hv_log(enum hv_log_level level, const char *fmt, ...)
{
	static const char *const tag[] = {"none", "error", "warning", "info", "debug"};
	/* sd-daemon(3)'s SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG: the journal
	 * takes a line's priority from this prefix and strips it. */
	static const char *const prio[] = {"", "<3>", "<4>", "<6>", "<7>"};
	va_list ap;

	if (level == HV_LOG_NONE || level > hv_log_level || level > HV_LOG_DEBUG)
		return;
	/* One fprintf per line so lines from queue threads do not interleave. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Asked per line, not once: stderr may be redirected at any time,
	 * and log lines are few (the floods are rate-limited). */
	fprintf(stderr, "%shvdpa: %s: %s\n", hv_log_to_journal() ? prio[level] : "", tag[level],
		line);
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
