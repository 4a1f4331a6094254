/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_LOG_H
#define HVDPA_LOG_H

#include <stdbool.h>
#include <time.h>

/* HV_LOG_NONE as the level prints nothing at all (fuzz targets); it is
 * never the level of a line. The enum is unsigned: there is nothing below
 * HV_LOG_NONE. */
enum hv_log_level { HV_LOG_NONE, HV_LOG_ERR, HV_LOG_WARN, HV_LOG_INFO, HV_LOG_DEBUG };

extern enum hv_log_level hv_log_level;

void hv_log(enum hv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Whether stderr is the systemd journal's stream ($JOURNAL_STREAM names
 * stderr's device and inode). hv_log then starts each line with its
 * sd-daemon priority ("<3>" error, "<4>" warning, "<6>" info, "<7>"
 * debug), so that journalctl -p filters and colours them.
 */
bool hv_log_to_journal(void);

#define hv_err(...)   hv_log(HV_LOG_ERR, __VA_ARGS__)
#define hv_warn(...)  hv_log(HV_LOG_WARN, __VA_ARGS__)
#define hv_info(...)  hv_log(HV_LOG_INFO, __VA_ARGS__)
#define hv_debug(...) hv_log(HV_LOG_DEBUG, __VA_ARGS__)

/*
 * A driver that sends garbage can send it a million times a second; the
 * log must not become the denial of service. Allows a burst per interval.
 * Safe to share between threads. Keep one where the driver cannot renew
 * it (in the device, or a queue that survives resets): a limiter that a
 * reset re-creates limits nothing.
 */
struct hv_ratelimit {
	time_t window_start;
	unsigned int printed;
	unsigned long suppressed;
};

bool hv_ratelimit_ok(struct hv_ratelimit *rl);

#define hv_log_ratelimited(rl, level, ...)                                                         \
	do {                                                                                       \
		if ((level) <= hv_log_level && hv_ratelimit_ok(rl))                                \
			hv_log(level, __VA_ARGS__);                                                \
	} while (0)

#define hv_err_ratelimited(rl, ...)  hv_log_ratelimited(rl, HV_LOG_ERR, __VA_ARGS__)
#define hv_warn_ratelimited(rl, ...) hv_log_ratelimited(rl, HV_LOG_WARN, __VA_ARGS__)
#define hv_info_ratelimited(rl, ...) hv_log_ratelimited(rl, HV_LOG_INFO, __VA_ARGS__)

#endif
