// SPDX-License-Identifier: MIT
/*
 * Log levels: HV_LOG_NONE silences everything (the fuzz targets use it),
 * and each level lets through what is at least as severe. Under systemd,
 * with stderr the journal's stream, each line carries its priority.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* What the four levels print with $JOURNAL_STREAM set to what fmt makes
 * of the captured stderr's device and inode (fmt NULL: unset). */
static char *lines_with_journal(const char *fmt, long long ino_delta)
{
	struct capture c;
	struct stat st;
	char env[128];

	hv_log_level = HV_LOG_DEBUG;
	capture_begin(&c);
	unsetenv("JOURNAL_STREAM");
	if (fmt && fstat(2, &st) == 0) {
		snprintf(env, sizeof(env), fmt, (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino + (unsigned long long)ino_delta);
		setenv("JOURNAL_STREAM", env, 1);
	}
	hv_err("an error");
	hv_warn("a warning");
	hv_info("some news");
	hv_debug("details");
	unsetenv("JOURNAL_STREAM");
	hv_log_level = HV_LOG_INFO;
	return capture_end(&c);
}

static const char plain[] = "hvdpa: error: an error\n"
			    "hvdpa: warning: a warning\n"
			    "hvdpa: info: some news\n"
			    "hvdpa: debug: details\n";

static void test_journal_priorities(void)
{
	static const char want[] = "<3>hvdpa: error: an error\n"
				   "<4>hvdpa: warning: a warning\n"
				   "<6>hvdpa: info: some news\n"
				   "<7>hvdpa: debug: details\n";
	char *out = lines_with_journal("%llu:%llu", 0);

	CHECK(out && !strcmp(out, want));
	if (out && strcmp(out, want))
		printf("# got:\n%s", out);
	free(out);
}

/* Inherited by a process whose stderr is elsewhere: no prefix. */
static void test_journal_other_stream(void)
{
	char *out = lines_with_journal("%llu:%llu", 1);

	CHECK(out && !strcmp(out, plain));
	free(out);
	out = lines_with_journal(NULL, 0);
	CHECK(out && !strcmp(out, plain));
	free(out);
}

/* Garbage around the right numbers is not a match. */
static void test_journal_malformed(void)
{
	static const char *const bad[] = {"%llu:%llux", "%llu;%llu", "x%llu:%llu",
					  "%llu:", "%llu:%llu:1"};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = lines_with_journal(bad[i], 0);

		CHECK(out && !strcmp(out, plain));
		free(out);
	}
	CHECK(!hv_log_to_journal());
}

int main(void)
{
	RUN(test_none_is_silent);
	RUN(test_levels);
	RUN(test_ratelimit_bounds_a_flood);
	RUN(test_journal_priorities);
	RUN(test_journal_other_stream);
	RUN(test_journal_malformed);
	return check_done();
}
