// SPDX-License-Identifier: MIT
/*
 * Bytes that depend on their offset and a seed, so that a misplaced block
 * never compares equal, and that the test script can regenerate with
 * `zonesim gen-pattern` to compare with the image file.
 */
#include "zonesim.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

void zs_pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t o = offset + i;

		buf[i] = (uint8_t)(mix(seed ^ (o / 8)) >> (8 * (o % 8)));
	}
}
