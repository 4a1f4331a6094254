/* SPDX-License-Identifier: MIT */
/* Checks on what a fake driver (fake_driver.h) got back; after check.h. */
#ifndef HVDPA_TESTS_FAKE_DRIVER_CHECK_H
#define HVDPA_TESTS_FAKE_DRIVER_CHECK_H

#include "fake_driver.h"

/* The next used entry the device wrote, which must be (head, len). */
static inline void fd_expect_used(struct fake_driver *d, uint16_t head, uint32_t len)
{
	uint32_t id = ~0u, l = ~0u;

	CHECK(fd_used(d, &id, &l));
	CHECK_EQ(id, head);
	CHECK_EQ(l, len);
}

#endif
