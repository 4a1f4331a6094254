// SPDX-License-Identifier: MIT
/* The packed ring against a well-behaved and a hostile driver, and its
 * in-flight log across a crash. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "fake_driver.h"
#include "fake_driver_check.h"
#include "hvdpa/inflight.h"
#include "../../virtio/inflight_int.h"
#include "hvdpa/virtqueue.h"

#define QSIZE 8
#define FEATS ((1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC))

static struct fake_driver d;
static struct hv_vq vq;
static struct iovec iov[16];
static struct hv_vq_elem elem;
static struct hv_vq_layout layout;

static void setup(uint64_t features)
{
	fd_init_packed(&d, 1 << 20, QSIZE);
	fd_layout(&d, &layout, features);
	memset(&vq, 0, sizeof(vq));
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &layout, "test"), 0);
	CHECK(vq.packed);
	memset(&elem, 0, sizeof(elem));
	elem.iov = iov;
	elem.max_iov = 16;
}

static void test_chain_roundtrip(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 16), b = fd_alloc(&d, 512), c = fd_alloc(&d, 1);
	struct fd_buf bufs[] = {{a, 16, false}, {b, 512, true}, {c, 1, true}};

	memcpy(fd_ptr(&d, a), "0123456789abcdef", 16);
	CHECK_EQ(hv_vq_avail_count(&vq), 0);
	fdp_chain(&d, 5, bufs, 3);
	CHECK(hv_vq_avail_count(&vq) != 0);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(elem.head, 5);
	CHECK_EQ(elem.out_num, 1);
	CHECK_EQ(elem.in_num, 2);
	CHECK_EQ(elem.out_len, 16);
	CHECK_EQ(elem.in_len, 513);
	CHECK(memcmp(elem.iov[0].iov_base, "0123456789abcdef", 16) == 0);
	CHECK(elem.iov[1].iov_base == fd_ptr(&d, b));
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	hv_vq_push(&vq, 5, 513);
	CHECK(!fd_used(&d, &(uint32_t){0}, &(uint32_t){0})); /* not before flush */
	CHECK(hv_vq_flush(&vq));
	fd_expect_used(&d, 5, 513);
	CHECK_EQ(d.used_pos, 3); /* the chain's three slots skipped */
	fd_free(&d);
}

/* Completions in another order than the chains came, over many laps of the
 * ring: each used entry is where the driver looks, once. */
static void test_out_of_order_wraps(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 64);
	struct fd_buf bufs[3] = {{a, 8, false}, {a + 8, 8, true}, {a + 16, 8, true}};
	uint16_t ids[QSIZE], n = 0;
	uint32_t done = 0, slots = 0;

	for (unsigned int round = 0; round < 200; round++) {
		/* Chains of 1 to 3 slots while they fit in the free slots. */
		unsigned int len = 1 + round % 3, used_slots = 0;

		for (unsigned int i = 0; i < n; i++)
			used_slots += d.plen[ids[i]];
		if (used_slots + len <= QSIZE) {
			uint16_t id = (uint16_t)((round * 5) % QSIZE);
			bool busy = false;

			for (unsigned int i = 0; i < n; i++)
				busy |= ids[i] == id;
			if (!busy) {
				fdp_chain(&d, id, bufs, len);
				hv_vq_begin_pass(&vq);
				CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
				CHECK_EQ(elem.head, id);
				CHECK_EQ(elem.out_num + elem.in_num, len);
				ids[n++] = id;
				continue;
			}
		}
		/* Complete the newest, or the oldest, by turns. */
		uint16_t k = round % 2 ? n - 1 : 0, id = ids[k];

		memmove(&ids[k], &ids[k + 1], (n - k - 1) * sizeof(ids[0]));
		n--;
		slots += d.plen[id];
		hv_vq_push(&vq, id, id + 100u);
		hv_vq_flush(&vq);
		fd_expect_used(&d, id, id + 100u);
		done++;
	}
	CHECK(!vq.broken);
	/* Both wrap counters went round several times. */
	CHECK(slots > 8 * QSIZE);
	CHECK_EQ(vq.stats.malformed, 0);
	fd_free(&d);
}

static void test_indirect(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 16), b = fd_alloc(&d, 4096), c = fd_alloc(&d, 1);
	struct fd_buf bufs[] = {{a, 16, false}, {b, 4096, false}, {c, 1, true}};

	fdp_chain_indirect(&d, 3, bufs, 3);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(elem.head, 3);
	CHECK_EQ(elem.out_num, 2);
	CHECK_EQ(elem.in_num, 1);
	CHECK_EQ(elem.out_len, 4112);
	hv_vq_push(&vq, 3, 1);
	CHECK(hv_vq_flush(&vq));
	fd_expect_used(&d, 3, 1);
	CHECK_EQ(d.used_pos, 1); /* one ring slot */
	fd_free(&d);
}

/* A chain the device cannot serve is answered with length 0; the ring goes
 * on. */
static void expect_malformed(uint16_t id)
{
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	CHECK_EQ(vq.stats.malformed, 1);
	CHECK(!vq.broken);
	hv_vq_flush(&vq);
	fd_expect_used(&d, id, 0);
}

static void test_indirect_not_negotiated(void)
{
	setup(0);
	fdp_chain_indirect(&d, 2, (struct fd_buf[]){{fd_alloc(&d, 8), 8, true}}, 1);
	expect_malformed(2);
	fd_free(&d);
}

static void test_indirect_bad_length(void)
{
	setup(FEATS);
	uint16_t slot = fdp_chain_indirect(&d, 4, (struct fd_buf[]){{fd_alloc(&d, 8), 8, true}}, 1);

	(void)slot;
	/* Rewritten before the device looks: 17 bytes is no table. */
	d.pdesc[0].len = htole32(17);
	expect_malformed(4);
	fd_free(&d);
}

static void test_indirect_larger_than_queue(void)
{
	setup(FEATS);
	struct fd_buf bufs[QSIZE + 1];
	uint64_t a = fd_alloc(&d, 8);

	for (unsigned int i = 0; i < QSIZE + 1; i++)
		bufs[i] = (struct fd_buf){a, 8, false};
	fdp_chain_indirect(&d, 1, bufs, QSIZE + 1);
	expect_malformed(1);
	fd_free(&d);
}

static void test_indirect_in_chain(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);

	fdp_chain(&d, 6, (struct fd_buf[]){{a, 8, false}, {a, 8, true}}, 2);
	/* The second descriptor claims to be a table. */
	d.pdesc[1].flags |= htole16(VRING_DESC_F_INDIRECT);
	expect_malformed(6);
	fd_free(&d);
}

static void test_buffer_outside(void)
{
	setup(FEATS);
	fdp_chain(&d, 0, (struct fd_buf[]){{FD_BASE + (2 << 20), 8, true}}, 1);
	expect_malformed(0);
	fd_free(&d);
}

static void test_id_out_of_range_breaks_queue(void)
{
	setup(FEATS);
	fdp_chain(&d, 0, (struct fd_buf[]){{fd_alloc(&d, 8), 8, true}}, 1);
	d.pdesc[0].id = htole16(QSIZE);
	CHECK_EQ(hv_vq_pop(&vq, &elem), -EIO);
	CHECK(vq.broken);
	CHECK(!hv_vq_enable_notify(&vq));
	fd_free(&d);
}

static void test_id_in_flight_breaks_queue(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);

	fdp_chain(&d, 2, (struct fd_buf[]){{a, 8, true}}, 1);
	fdp_chain(&d, 2, (struct fd_buf[]){{a, 8, true}}, 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), -EIO);
	CHECK(vq.broken);
	/* Given back, the id may come again (after a reset here). */
	fd_free(&d);
}

static void test_id_reused_after_completion(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);

	for (int i = 0; i < 3 * QSIZE; i++) {
		fdp_chain(&d, 2, (struct fd_buf[]){{a, 8, true}}, 1);
		hv_vq_begin_pass(&vq);
		CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
		hv_vq_push(&vq, 2, 8);
		hv_vq_flush(&vq);
		fd_expect_used(&d, 2, 8);
	}
	CHECK(!vq.broken);
	fd_free(&d);
}

/* Every slot of the ring says NEXT: the chain never ends. */
static void test_chain_longer_than_queue(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);

	for (unsigned int i = 0; i < QSIZE; i++) {
		d.pdesc[i].addr = htole64(a);
		d.pdesc[i].len = htole32(8);
		d.pdesc[i].id = htole16(1);
		d.pdesc[i].flags = htole16(VRING_DESC_F_NEXT | fdp_avail_flags(true));
	}
	CHECK_EQ(hv_vq_pop(&vq, &elem), -EIO);
	CHECK(vq.broken);
	CHECK(vq.stats.descriptors <= QSIZE);
	fd_free(&d);
}

/* The driver makes a slot available again that it never got back. */
static void test_more_slots_than_ring_breaks_queue(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);

	for (uint16_t i = 0; i < QSIZE; i++) {
		fdp_chain(&d, i, (struct fd_buf[]){{a, 8, true}}, 1);
		CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	}
	fdp_chain(&d, 0, (struct fd_buf[]){{a, 8, true}}, 1);
	hv_vq_begin_pass(&vq);
	CHECK_EQ(hv_vq_pop(&vq, &elem), -EIO);
	CHECK(vq.broken);
	fd_free(&d);
}

/* A second vCPU rewrites the descriptor once the device started reading
 * it: the device keeps what it read first. */
static void rewrite(struct fake_mem *fm)
{
	struct vring_packed_desc *x = fm->hook_arg;

	x->len = htole32(1 << 19);
	x->flags |= htole16(VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT);
	x->id = htole16(QSIZE + 3);
}

static void test_descriptor_rewrite(void)
{
	setup(FEATS);
	fdp_chain(&d, 1, (struct fd_buf[]){{fd_alloc(&d, 16), 16, false}}, 1);
	d.fm.hook = rewrite;
	d.fm.hook_arg = &d.pdesc[0];
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	d.fm.hook = NULL;
	CHECK_EQ(elem.head, 1);
	CHECK_EQ(elem.out_len, 16);
	CHECK_EQ(elem.out_num, 1);
	CHECK_EQ(vq.pk.avail_pos, 1);
	fd_free(&d);
}

static void test_pass_bounded(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);
	struct fd_buf bufs[QSIZE];
	int r, pops = 0;

	for (unsigned int i = 0; i < QSIZE; i++)
		bufs[i] = (struct fd_buf){a, 8, false};
	for (uint16_t i = 0; i < QSIZE; i++)
		fdp_chain_indirect(&d, i, bufs, QSIZE);
	hv_vq_begin_pass(&vq);
	while ((r = hv_vq_pop(&vq, &elem)) == 1)
		pops++;
	/* Each chain reads 1 + QSIZE descriptors: the pass stops begining
	 * chains once HV_VQ_PASS_DESC * QSIZE are read. */
	CHECK_EQ(r, -EAGAIN);
	CHECK(pops < QSIZE);
	CHECK(vq.stats.descriptors <= (HV_VQ_PASS_DESC + 1) * QSIZE + 1);
	hv_vq_begin_pass(&vq);
	while (hv_vq_pop(&vq, &elem) == 1)
		pops++;
	CHECK_EQ(pops, QSIZE);
	fd_free(&d);
}

static void test_interrupt_suppression(void)
{
	setup(0);
	uint64_t a = fd_alloc(&d, 8);

	fdp_chain(&d, 0, (struct fd_buf[]){{a, 8, true}}, 1);
	fdp_chain(&d, 1, (struct fd_buf[]){{a, 8, true}}, 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	hv_vq_push(&vq, 0, 8);
	CHECK(hv_vq_flush(&vq));
	CHECK(!hv_vq_flush(&vq)); /* nothing new */
	d.drv_event->flags = htole16(VRING_PACKED_EVENT_FLAG_DISABLE);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	hv_vq_push(&vq, 1, 8);
	CHECK(!hv_vq_flush(&vq));

	hv_vq_disable_notify(&vq);
	CHECK_EQ(le16toh(d.dev_event->flags), VRING_PACKED_EVENT_FLAG_DISABLE);
	CHECK(!hv_vq_enable_notify(&vq));
	CHECK_EQ(le16toh(d.dev_event->flags), VRING_PACKED_EVENT_FLAG_ENABLE);
	fdp_chain(&d, 2, (struct fd_buf[]){{a, 8, true}}, 1);
	CHECK(hv_vq_enable_notify(&vq)); /* a chain raced in: keep going */
	fd_free(&d);
}

/* EVENT_IDX: the driver names the used slot (and lap) after which it wants
 * an interrupt; we name the avail slot after which we want a kick. */
static void test_event_idx(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);

	for (uint16_t i = 0; i < 6; i++)
		fdp_chain(&d, i, (struct fd_buf[]){{a, 8, true}}, 1);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK(!hv_vq_enable_notify(&vq));
	CHECK_EQ(le16toh(d.dev_event->flags), VRING_PACKED_EVENT_FLAG_DESC);
	CHECK_EQ(le16toh(d.dev_event->off_wrap), 6 | 1u << 15);

	hv_vq_push(&vq, 0, 8);
	CHECK(hv_vq_flush(&vq));		       /* the first look: nothing known yet */
	d.drv_event->off_wrap = htole16(3 | 1u << 15); /* after slot 3, lap 1 */
	d.drv_event->flags = htole16(VRING_PACKED_EVENT_FLAG_DESC);
	hv_vq_push(&vq, 1, 8);
	CHECK(!hv_vq_flush(&vq)); /* used slot 2: event 3 not reached */
	hv_vq_push(&vq, 2, 8);
	CHECK(!hv_vq_flush(&vq)); /* slot 3 */
	hv_vq_push(&vq, 3, 8);
	hv_vq_push(&vq, 4, 8);
	CHECK(hv_vq_flush(&vq)); /* slot 5 passes 3 */
	/* An event on the next lap is not reached on this one. */
	d.drv_event->off_wrap = htole16(0);
	hv_vq_push(&vq, 5, 8);
	CHECK(!hv_vq_flush(&vq));
	fd_free(&d);
}

/* The event offset is taken on the lap it names, across the wrap. */
static void test_event_idx_across_wrap(void)
{
	setup(FEATS);
	uint64_t a = fd_alloc(&d, 8);
	uint32_t id, len;

	for (uint16_t i = 0; i < QSIZE - 1; i++) {
		fdp_chain(&d, i, (struct fd_buf[]){{a, 8, true}}, 1);
		hv_vq_begin_pass(&vq);
		CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
		hv_vq_push(&vq, i, 8);
		hv_vq_flush(&vq);
		CHECK(fd_used(&d, &id, &len));
	}
	/* Used slot 7 on lap 1; the driver wants slot 1 of lap 0. */
	d.drv_event->off_wrap = htole16(1);
	d.drv_event->flags = htole16(VRING_PACKED_EVENT_FLAG_DESC);
	for (uint16_t i = 0; i < 3; i++)
		fdp_chain(&d, i, (struct fd_buf[]){{a, 8, true}}, 1);
	hv_vq_begin_pass(&vq);
	for (uint16_t i = 0; i < 3; i++)
		CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	hv_vq_push(&vq, 0, 8);
	CHECK(!hv_vq_flush(&vq)); /* slot 0 of lap 0 */
	hv_vq_push(&vq, 1, 8);
	CHECK(!hv_vq_flush(&vq)); /* slot 1 */
	hv_vq_push(&vq, 2, 8);
	CHECK(hv_vq_flush(&vq)); /* slot 2 passes it */
	fd_free(&d);
}

/* ---- the in-flight log ---- */

static struct hv_inflight *log_start(void)
{
	struct hv_inflight *log = calloc(1, hv_inflight_bytes(QSIZE, true));

	hv_vq_log_begin(&vq, log);
	return log;
}

/* A new process maps the same ring and reads the log. */
static int restart(struct hv_inflight *log)
{
	memset(&vq, 0, sizeof(vq));
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &layout, "test"), 0);
	return hv_vq_log_recover(&vq, log);
}

static void test_log_resubmits_in_flight(void)
{
	setup(FEATS);
	struct hv_inflight *log = log_start();
	uint64_t a = fd_alloc(&d, 64), t = fd_alloc(&d, 64);
	struct fd_buf two[] = {{a, 8, false}, {a + 8, 24, true}};
	struct fd_buf three[] = {{t, 4, false}, {t + 4, 4, false}, {t + 8, 40, true}};

	fdp_chain(&d, 4, two, 2);
	fdp_chain_indirect(&d, 1, three, 3);
	fdp_chain(&d, 7, (struct fd_buf[]){{a + 32, 8, true}}, 1);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	hv_vq_push(&vq, 1, 40);
	hv_vq_flush(&vq);
	fd_expect_used(&d, 1, 40);
	/* Answered, not published: must run again. The second entry of the
	 * batch already has its used flags; only the first lacks them. */
	hv_vq_push(&vq, 7, 8);
	hv_vq_push(&vq, 4, 24);
	/* The ring slots of id 4 now hold used entries: the log's copy is
	 * what is walked again. */
	CHECK_EQ(restart(log), 2);
	CHECK(!fd_used(&d, &(uint32_t){0}, &(uint32_t){0}));
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(elem.head, 4);
	CHECK_EQ(elem.out_len, 8);
	CHECK_EQ(elem.in_len, 24);
	CHECK(elem.iov[1].iov_base == fd_ptr(&d, a + 8));
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(elem.head, 7);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 0);
	/* The ring goes on where the dead process left it, and the driver
	 * does not take the dead process's unpublished entry for id 4. */
	hv_vq_push(&vq, 7, 8);
	hv_vq_flush(&vq);
	fd_expect_used(&d, 7, 8);
	CHECK(!fd_used(&d, &(uint32_t){0}, &(uint32_t){0}));
	hv_vq_push(&vq, 4, 24);
	hv_vq_flush(&vq);
	fd_expect_used(&d, 4, 24);
	fdp_chain(&d, 4, two, 2);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(elem.head, 4);
	CHECK(!vq.broken);
	free(log);
	fd_free(&d);
}

/* Killed between publishing and clearing the log: the used entry in the
 * ring says the chain is done, and it does not run twice. */
static void test_log_published_not_cleared(void)
{
	setup(FEATS);
	struct hv_inflight *log = log_start();
	uint64_t a = fd_alloc(&d, 8);

	fdp_chain(&d, 3, (struct fd_buf[]){{a, 8, true}}, 1);
	fdp_chain(&d, 5, (struct fd_buf[]){{a, 8, true}}, 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	hv_vq_push(&vq, 3, 8);
	vq.log = NULL; /* the flush the log never heard of */
	hv_vq_flush(&vq);
	fd_expect_used(&d, 3, 8);
	CHECK_EQ(restart(log), 1);
	CHECK_EQ(hv_vq_pop(&vq, &elem), 1);
	CHECK_EQ(elem.head, 5);
	hv_vq_push(&vq, 5, 8);
	hv_vq_flush(&vq);
	fd_expect_used(&d, 5, 8);
	free(log);
	fd_free(&d);
}

/* Rings where the driver put them: misaligned ones are refused. */
static void test_misaligned_rings_refused(void)
{
	struct hv_vq_layout l;

	setup(FEATS);
	l = layout;
	l.used_addr += 2;
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &l, "test"), -EINVAL);
	l = layout;
	l.desc_addr += 8;
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &l, "test"), -EINVAL);
	l = layout;
	l.desc_addr = FD_BASE + (1 << 20) - 16; /* runs past guest memory */
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &l, "test"), -EFAULT);
	l = layout;
	l.last_avail = QSIZE; /* slot past the ring */
	CHECK_EQ(hv_vq_init(&vq, &d.fm.mem, &l, "test"), -EINVAL);
	fd_free(&d);
}

static void test_log_of_other_ring_refused(void)
{
	setup(FEATS);
	struct hv_inflight *log = log_start();

	/* A split ring's log. */
	log->active = HV_INFLIGHT_SPLIT;
	CHECK_EQ(restart(log), -EINVAL);
	log->active = HV_INFLIGHT_PACKED;
	log_pk(log)->used_pos = QSIZE;
	CHECK_EQ(restart(log), -EINVAL);
	free(log);
	fd_free(&d);
}

int main(void)
{
	hv_log_level = HV_LOG_NONE;
	RUN(test_chain_roundtrip);
	RUN(test_out_of_order_wraps);
	RUN(test_indirect);
	RUN(test_indirect_not_negotiated);
	RUN(test_indirect_bad_length);
	RUN(test_indirect_larger_than_queue);
	RUN(test_indirect_in_chain);
	RUN(test_buffer_outside);
	RUN(test_id_out_of_range_breaks_queue);
	RUN(test_id_in_flight_breaks_queue);
	RUN(test_id_reused_after_completion);
	RUN(test_chain_longer_than_queue);
	RUN(test_more_slots_than_ring_breaks_queue);
	RUN(test_descriptor_rewrite);
	RUN(test_pass_bounded);
	RUN(test_interrupt_suppression);
	RUN(test_event_idx);
	RUN(test_event_idx_across_wrap);
	RUN(test_log_resubmits_in_flight);
	RUN(test_log_published_not_cleared);
	RUN(test_misaligned_rings_refused);
	RUN(test_log_of_other_ring_refused);
	return check_done();
}
