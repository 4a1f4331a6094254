// SPDX-License-Identifier: MIT
/*
 * hvbridge's one overlap check (windows against windows and RAM), at its
 * edges: ranges that touch, that sit at the top of the address space or
 * would wrap past it, and empty ones. Both orders, since callers pass
 * either range first.
 */
#include "../../hvbridge/range.h"
#include "check.h"

#define TOP UINT64_MAX

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	bool r = hvb_range_overlap(a, alen, b, blen);

	CHECK_EQ(hvb_range_overlap(b, blen, a, alen), r);
	return r;
}

static void test_disjoint_and_touching(void)
{
	CHECK(!overlap(0x1000, 0x1000, 0x3000, 0x1000));
	/* One ends where the other begins. */
	CHECK(!overlap(0x1000, 0x1000, 0x2000, 0x1000));
	CHECK(!overlap(0, 1, 1, 1));
	/* One byte in common, at either end. */
	CHECK(overlap(0x1000, 0x1001, 0x2000, 0x1000));
	CHECK(overlap(0x1000, 0x1000, 0x1fff, 1));
	CHECK(overlap(0x1000, 0x1000, 0x1000, 1));
}

static void test_containment(void)
{
	CHECK(overlap(0x1000, 0x1000, 0x1000, 0x1000));
	CHECK(overlap(0x80000000, 0x10000000, 0x80001000, 0x200));
	CHECK(overlap(0, TOP, 0x1234, 4));
}

static void test_empty(void)
{
	CHECK(!overlap(0x1000, 0, 0x1000, 0x1000));
	CHECK(!overlap(0x1800, 0, 0x1000, 0x1000));
	CHECK(!overlap(0x1000, 0, 0x1000, 0));
	CHECK(!overlap(TOP, 0, 0, TOP));
}

static void test_top_of_space(void)
{
	/* Ending exactly at 2^64 is not a wrap. */
	CHECK(overlap(TOP - 0xfff, 0x1000, TOP, 1));
	CHECK(!overlap(TOP - 0xfff, 0x1000, 0, 0x1000));
	CHECK(!overlap(TOP - 0xfff, 0x1000, TOP - 0x1fff, 0x1000));
	CHECK(overlap(TOP, 1, TOP, 1));
	CHECK(overlap(0, TOP, TOP - 1, 1));
	CHECK(!overlap(0, TOP, TOP, 1));
}

static void test_wrap_around(void)
{
	/* Past the top: it would reach 0 again, so it conflicts with all. */
	CHECK(overlap(TOP - 0xfff, 0x2000, 0, 0x10));
	CHECK(overlap(TOP - 0xfff, 0x2000, 0x80000000, 0x1000));
	CHECK(overlap(TOP, 2, 0x1000, 1));
	CHECK(overlap(2, TOP, 0, 1));
	CHECK(overlap(TOP, TOP, TOP, TOP));
	/* But an empty range still overlaps nothing. */
	CHECK(!overlap(TOP - 0xfff, 0x2000, 0x10, 0));
}

int main(void)
{
	RUN(test_disjoint_and_touching);
	RUN(test_containment);
	RUN(test_empty);
	RUN(test_top_of_space);
	RUN(test_wrap_around);
	return check_done();
}
