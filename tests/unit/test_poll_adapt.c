// SPDX-License-Identifier: MIT
/* The adaptive busy-poll window: misses close it, hits and early wake-ups
 * open it, never past the configured maximum. */
#include "check.h"
#include "hvdpa/poll_adapt.h"

static void test_misses_close_it(void)
{
	struct hv_poll_adapt a;
	uint32_t prev;
	int n = 0;

	hv_poll_adapt_init(&a, 50000);
	CHECK_EQ(a.window_ns, 50000);
	do {
		prev = a.window_ns;
		hv_poll_adapt_miss(&a);
		CHECK(a.window_ns < prev);
		n++;
	} while (a.window_ns && n < 100);
	CHECK_EQ(a.window_ns, 0);
	CHECK(n <= 8); /* a few idle passes, not a long decay */
	hv_poll_adapt_miss(&a);
	CHECK_EQ(a.window_ns, 0);
}

static void test_hits_open_it_up_to_max(void)
{
	struct hv_poll_adapt a;

	hv_poll_adapt_init(&a, 50000);
	hv_poll_adapt_miss(&a);
	hv_poll_adapt_miss(&a);
	CHECK_EQ(a.window_ns, 12500);
	hv_poll_adapt_hit(&a);
	CHECK_EQ(a.window_ns, 25000);
	hv_poll_adapt_hit(&a);
	hv_poll_adapt_hit(&a);
	CHECK_EQ(a.window_ns, 50000);
}

static void test_early_wake_reopens(void)
{
	struct hv_poll_adapt a;

	hv_poll_adapt_init(&a, 40000);
	for (int i = 0; i < 10; i++)
		hv_poll_adapt_miss(&a);
	CHECK_EQ(a.window_ns, 0);
	/* Woken long after: polling would not have caught it. */
	hv_poll_adapt_woken(&a, 40000);
	CHECK_EQ(a.window_ns, 0);
	hv_poll_adapt_woken(&a, 1000000);
	CHECK_EQ(a.window_ns, 0);
	/* Woken soon after: poll again. */
	hv_poll_adapt_woken(&a, 5000);
	CHECK_EQ(a.window_ns, 10000);
	hv_poll_adapt_woken(&a, 5000);
	CHECK_EQ(a.window_ns, 20000);
	hv_poll_adapt_woken(&a, 5000);
	hv_poll_adapt_woken(&a, 5000);
	CHECK_EQ(a.window_ns, 40000);
}

static void test_no_polling_stays_none(void)
{
	struct hv_poll_adapt a;

	hv_poll_adapt_init(&a, 0);
	hv_poll_adapt_hit(&a);
	hv_poll_adapt_woken(&a, 0);
	CHECK_EQ(a.window_ns, 0);
}

int main(void)
{
	printf("TAP version 13\n1..4\n");
	RUN(test_misses_close_it);
	RUN(test_hits_open_it_up_to_max);
	RUN(test_early_wake_reopens);
	RUN(test_no_polling_stays_none);
	return check_failures ? 1 : 0;
}
