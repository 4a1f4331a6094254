/* SPDX-License-Identifier: MIT */
/* A virtio-blk device on a temp file, driven through a fake ring and a
 * fake transport, as VDUSE would drive it but without a kernel. */
#ifndef HVDPA_TESTS_BLK_FIXTURE_H
#define HVDPA_TESTS_BLK_FIXTURE_H

#include "fake_driver.h"
#include "hvdpa/blk.h"

struct blk_fixture {
	struct fake_driver d;
	struct hv_device *dev;
	struct hv_queue q;
	struct hv_loop loop;
	int notifies;
	char path[256];
	int fd; /* the test's own view of the image */
};

struct blk_result {
	uint32_t used_len;
	uint8_t status;
};

/* Creates a size-byte image and a started queue of qsize. Returns the
 * hv_blk_create() result. */
int bf_setup(struct blk_fixture *f, uint64_t size, uint16_t qsize, const char *extra_opts);
void bf_teardown(struct blk_fixture *f);

/* Publishes a request: header, then data (written by the device when
 * data_in), then the status byte. Returns its head; *status_gpa gets the
 * status byte's address. */
uint16_t bf_request(struct blk_fixture *f, uint32_t type, uint64_t sector, uint64_t data_gpa,
		    uint32_t len, bool data_in, uint64_t *status_gpa);
/* Kicks and runs the queue's loop until `count` used entries arrived (or
 * 5 s passed). Returns the number that arrived; results in order. */
int bf_run(struct blk_fixture *f, int count, uint32_t *ids, uint32_t *lens);
/* One request end to end. */
struct blk_result bf_do(struct blk_fixture *f, uint32_t type, uint64_t sector, uint64_t data_gpa,
			uint32_t len, bool data_in);

/* n bytes of a pattern that differs with seed: what is written, to be
 * compared with what is read back. */
void bf_pattern(uint8_t *p, size_t n, unsigned int seed);

#endif
