/* SPDX-License-Identifier: MIT */
/*
 * Address ranges in a zone's physical space: device windows and RAM. One
 * overlap check for the config readers and for devices added at run time.
 */
#ifndef HVBRIDGE_RANGE_H
#define HVBRIDGE_RANGE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Whether [a, a+alen) and [b, b+blen) share an address. Ranges that only
 * touch (one ends where the other begins) do not; an empty range overlaps
 * nothing. A range may end exactly at the top of the 64-bit space; one that
 * would run past it and wrap overlaps every non-empty range, so that it can
 * never be accepted for lack of a conflict (callers refuse it anyway).
 */
static inline bool hvb_range_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	uint64_t a_last, b_last;

	if (alen == 0 || blen == 0)
		return false;
	if (__builtin_add_overflow(a, alen - 1, &a_last) ||
	    __builtin_add_overflow(b, blen - 1, &b_last))
		return true;
	return a <= b_last && b <= a_last;
}

#endif
