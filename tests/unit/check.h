/* SPDX-License-Identifier: MIT */
/* A TAP producer small enough to read in one go. */
#ifndef HVDPA_TESTS_CHECK_H
#define HVDPA_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);             \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b) {                                                                    \
			printf("# %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__,   \
			       #a, _a, #b, _b);                                                    \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

static inline void check_run(const char *name, void (*fn)(void))
{
	int before = check_failures;

	fn();
	printf("%s %d - %s\n", check_failures == before ? "ok" : "not ok", ++check_count, name);
	fflush(stdout);
}

#define RUN(fn) check_run(#fn, fn)

static inline int check_done(void)
{
	printf("1..%d\n", check_count);
	return check_failures ? 1 : 0;
}

#endif
