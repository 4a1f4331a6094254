// SPDX-License-Identifier: MIT
/*
 * The in-flight log: a device process "dies" at each point between popping a
 * chain and the driver seeing it completed, and a fresh virtqueue over the
 * same ring and log must give back exactly the chains the driver is still
 * waiting for, each once, and carry on with new ones.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "check.h"
#include "fake_driver.h"
#include "hvdpa/inflight.h"
#include "hvdpa/virtqueue.h"

#define QSIZE 8

static struct fake_driver d;
static struct hv_vq vq;
static struct hv_inflight *log_mem;
static struct iovec iov[16];
static struct hv_vq_elem elem;

static void setup(void)
{
	struct hv_vq_layout l;

	fd_init(&d, 1 << 20, QSIZE);
	fd_layout(&d, &l, 1ull << VIRTIO_RING_F_EVENT_IDX);
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &l, "test"), 0);
	log_mem = calloc(1, hv_inflight_bytes(QSIZE, false));
	hv_vq_log_begin(&vq, log_mem);
	memset(&elem, 0, sizeof(elem));
	elem.iov = iov;
	elem.max_iov = 16;
}

static void teardown(void)
{
	free(log_mem);
	fd_free(&d);
}

/* A one-buffer chain whose device-writable byte says which request it is. */
static uint16_t submit(uint8_t tag)
{
	uint64_t a = fd_alloc(&d, 1);
	struct fd_buf b = {a, 1, false};
	uint16_t head = fd_chain(&d, &b, 1);

	*(uint8_t *)fd_ptr(&d, a) = tag;
	fd_publish(&d, head);
	return head;
}

/* One chain per pass, as a driver kicking for each. */
static int pop_tag(void)
{
	int r;

	hv_vq_begin_pass(&vq);
	r = hv_vq_pop(&vq, &elem);

	if (r <= 0)
		return -1;
	return *(uint8_t *)elem.iov[0].iov_base;
}

/* What a new process does: a queue set up from scratch the way the kernel
 * describes it (indices 0), then resumed from the log. */
static int restart(void)
{
	struct hv_vq_layout l;

	fd_layout(&d, &l, 1ull << VIRTIO_RING_F_EVENT_IDX);
	memset(&vq, 0xa5, sizeof(vq));
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &l, "test"), 0);
	return hv_vq_log_recover(&vq, log_mem);
}

static void test_resubmits_in_flight_oldest_first(void)
{
	setup();
	uint16_t ha = submit('A'), hb = submit('B');
	submit('C');
	CHECK_EQ(pop_tag(), 'A');
	CHECK_EQ(pop_tag(), 'B');
	CHECK_EQ(pop_tag(), 'C');
	hv_vq_push(&vq, hb, 1);
	hv_vq_flush(&vq);
	(void)ha;

	CHECK_EQ(restart(), 2);
	CHECK_EQ(pop_tag(), 'A');
	CHECK_EQ(pop_tag(), 'C');
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	/* A new request after the recovered ones, from the right slot. */
	submit('D');
	CHECK_EQ(hv_vq_avail_count(&vq), 1);
	CHECK_EQ(pop_tag(), 'D');
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	teardown();
}

/* A log as hvdpad wrote it before the packed ring (state files version
 * 1), laid out by hand: {size, used_idx, active = 1, counter}, then desc[],
 * used_ring[], resubmit[]. Upgrading hvdpad over a running device takes
 * such a log over: the chains still in flight run again. */
static void test_version1_log_taken_over(void)
{
	setup();
	uint16_t ha = submit('A'), hb = submit('B'), hc = submit('C');
	CHECK_EQ(pop_tag(), 'A');
	CHECK_EQ(pop_tag(), 'B');
	CHECK_EQ(pop_tag(), 'C');
	hv_vq_push(&vq, hb, 1);
	hv_vq_flush(&vq);

	uint8_t *raw = (uint8_t *)log_mem;
	uint16_t size = QSIZE, used_idx = 1;
	uint32_t active = 1;
	uint64_t counter = 3, order_a = 1, order_c = 3;

	/* Version 1's size: 16 bytes of header and 12 per entry. */
	CHECK_EQ(hv_inflight_bytes(QSIZE, false), 16 + QSIZE * 12);
	memset(raw, 0, 16 + QSIZE * 12);
	memcpy(raw, &size, 2);
	memcpy(raw + 2, &used_idx, 2);
	memcpy(raw + 4, &active, 4);
	memcpy(raw + 8, &counter, 8);
	memcpy(raw + 16 + 8 * ha, &order_a, 8);
	memcpy(raw + 16 + 8 * hc, &order_c, 8);
	memcpy(raw + 16 + 8 * QSIZE, &hb, 2); /* used_ring[0]: B, published */

	CHECK_EQ(restart(), 2);
	CHECK_EQ(pop_tag(), 'A');
	CHECK_EQ(pop_tag(), 'C');
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	submit('D');
	CHECK_EQ(pop_tag(), 'D');
	teardown();
}

static void test_completion_published_but_not_logged(void)
{
	setup();
	uint16_t ha = submit('A');
	submit('B');
	CHECK_EQ(pop_tag(), 'A');
	CHECK_EQ(pop_tag(), 'B');
	hv_vq_push(&vq, ha, 1);
	/* Dies between the used index store and the log update. */
	__atomic_store_n(&vq.used->idx, htole16(vq.used_idx), __ATOMIC_RELEASE);

	CHECK_EQ(restart(), 1);
	CHECK_EQ(pop_tag(), 'B');
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	CHECK_EQ(vq.used_idx, 1);
	teardown();
}

static void test_completion_pushed_but_not_published(void)
{
	setup();
	uint16_t ha = submit('A');
	CHECK_EQ(pop_tag(), 'A');
	hv_vq_push(&vq, ha, 1);
	/* Dies before flushing: the driver never saw it, so it runs again. */
	CHECK_EQ(restart(), 1);
	CHECK_EQ(vq.used_idx, 0);
	CHECK_EQ(pop_tag(), 'A');
	hv_vq_push(&vq, ha, 1);
	hv_vq_flush(&vq);
	uint32_t id, len;
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(id, ha);
	CHECK(!fd_used(&d, &id, &len));
	teardown();
}

static void test_popped_but_not_logged_is_read_again(void)
{
	setup();
	submit('A');
	submit('B');
	CHECK_EQ(pop_tag(), 'A');
	/* B was seen by nobody: the avail slot is read again. */
	CHECK_EQ(restart(), 1);
	CHECK_EQ(pop_tag(), 'A');
	CHECK_EQ(pop_tag(), 'B');
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	teardown();
}

static void test_malformed_unflushed_answered_once(void)
{
	setup();
	uint16_t bad = submit('X');
	fd_desc(&d, bad)->addr = htole64(0xdead00000000ull);
	submit('B');
	CHECK_EQ(pop_tag(), 'B'); /* X pushed with 0 on the way, not flushed */
	/* Both were taken and neither answered: both come back, X to be
	 * refused again and B to run. */
	CHECK_EQ(restart(), 2);
	CHECK_EQ(pop_tag(), 'B');
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	hv_vq_flush(&vq);
	uint32_t id, len;
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(id, bad);
	CHECK_EQ(len, 0);
	CHECK(!fd_used(&d, &id, &len));
	CHECK_EQ(vq.stats.malformed, 1);
	CHECK_EQ(vq.last_avail, 2);
	teardown();
}

static void test_recovered_chain_now_garbage(void)
{
	setup();
	uint16_t ha = submit('A');
	CHECK_EQ(pop_tag(), 'A');
	/* A driver that rewrites a descriptor it handed over. */
	fd_desc(&d, ha)->addr = htole64(~0ull - 4);
	CHECK_EQ(restart(), 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	hv_vq_flush(&vq);
	uint32_t id, len;
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(id, ha);
	CHECK_EQ(len, 0);
	CHECK_EQ(restart(), 0);
	teardown();
}

static void test_index_wraparound(void)
{
	setup();
	uint64_t heap = d.heap;
	/* 70000 requests through, so both 16-bit indices wrap. */
	for (unsigned int i = 0; i < 70000; i++) {
		uint16_t h = submit((uint8_t)i);

		CHECK_EQ(pop_tag(), (uint8_t)i);
		hv_vq_push(&vq, h, 1);
		hv_vq_flush(&vq);
		d.heap = heap;
	}
	submit(1);
	submit(2);
	CHECK_EQ(pop_tag(), 1);
	CHECK_EQ(pop_tag(), 2);
	CHECK_EQ(restart(), 2);
	CHECK_EQ(vq.last_avail, (uint16_t)70002);
	CHECK_EQ(vq.used_idx, (uint16_t)70000);
	CHECK_EQ(pop_tag(), 1);
	CHECK_EQ(pop_tag(), 2);
	teardown();
}

static void test_log_of_another_ring_is_refused(void)
{
	setup();
	submit('A');
	CHECK_EQ(pop_tag(), 'A');
	log_mem->size = QSIZE * 2;
	CHECK_EQ(restart(), -EINVAL);
	log_mem->size = QSIZE;
	/* A used index further than a ring's worth from the log. */
	vq.used->idx = htole16(QSIZE + 1);
	CHECK_EQ(restart(), -EINVAL);
	vq.used->idx = 0;
	log_mem->active = 0;
	CHECK_EQ(restart(), -EINVAL);
	teardown();
}

int main(void)
{
	RUN(test_resubmits_in_flight_oldest_first);
	RUN(test_version1_log_taken_over);
	RUN(test_completion_published_but_not_logged);
	RUN(test_completion_pushed_but_not_published);
	RUN(test_popped_but_not_logged_is_read_again);
	RUN(test_malformed_unflushed_answered_once);
	RUN(test_recovered_chain_now_garbage);
	RUN(test_index_wraparound);
	RUN(test_log_of_another_ring_is_refused);
	return check_done();
}
