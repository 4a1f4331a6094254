// SPDX-License-Identifier: MIT
/*
 * Log levels: HV_LOG_NONE silences everything (the fuzz targets use it),
 * and each level lets through what is at least as severe.
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "check.h"
#include "hvdpa/log.h"

static unsigned int lines_at(enum hv_log_level level)
{
	struct capture c;
	char *out;
	unsigned int n;

	hv_log_level = level;
	capture_begin(&c);
	hv_err("an error");
	hv_warn("a warning");
	hv_info("some news");
	hv_debug("details");
	out = capture_end(&c);
	n = count_lines(out);
	free(out);
	hv_log_level = HV_LOG_INFO;
	return n;
}

static void test_none_is_silent(void)
{
	CHECK_EQ(lines_at(HV_LOG_NONE), 0);
}

static void test_levels(void)
{
	CHECK_EQ(lines_at(HV_LOG_ERR), 1);
	CHECK_EQ(lines_at(HV_LOG_WARN), 2);
	CHECK_EQ(lines_at(HV_LOG_INFO), 3);
	CHECK_EQ(lines_at(HV_LOG_DEBUG), 4);
}

static void test_ratelimit_bounds_a_flood(void)
{
	struct hv_ratelimit rl = {0};
	struct capture c;
	char *out;

	capture_begin(&c);
	for (int i = 0; i < 100000; i++)
		hv_warn_ratelimited(&rl, "flood %d", i);
	out = capture_end(&c);
	CHECK(count_lines(out) <= 11);
	CHECK(count_lines(out) >= 1);
	free(out);
}

int main(void)
{
	RUN(test_none_is_silent);
	RUN(test_levels);
	RUN(test_ratelimit_bounds_a_flood);
	return check_done();
}
