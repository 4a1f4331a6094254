// SPDX-License-Identifier: MIT
/*
 * Shadow virtqueues between a fake zone driver and a fake device that
 * serves the shadow ring: the bytes the zone offers reach the device in
 * order, the bytes the device writes land in the zone's buffers split as
 * the zone split them, and neither a hostile zone nor a confused device
 * makes the bridge copy outside zone RAM or the shadow pool.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "../../hvbridge/shadow.h"
#include "check.h"
#include "fake_driver.h"

#define QSIZE 8
#define IOVA  0x10000000ull

static struct fake_driver d;
static struct hvb_shadow *s;
static int kick, call;
static struct vring_desc *sdesc;
static struct vring_avail *savail;
static struct vring_used *sused;
static uint16_t dev_last_avail, dev_used_idx;

static void *dev_ptr(uint64_t iova, uint32_t len)
{
	CHECK(iova >= IOVA && iova + len <= IOVA + hvb_shadow_bytes(s));
	return (uint8_t *)hvb_shadow_host(s) + (iova - IOVA);
}

static void setup_features(uint64_t features);

static void setup(void)
{
	setup_features(1ull << 32);
}

static void setup_features(uint64_t features)
{
	struct hv_vq_layout l;
	struct hv_mmio_queue zq;
	uint64_t desc, avail, used;
	uint16_t num;

	fd_init(&d, 32 << 20, QSIZE);
	fd_layout(&d, &l, 0);
	zq = (struct hv_mmio_queue){
		.num = QSIZE, .desc = l.desc_addr, .driver = l.avail_addr, .device = l.used_addr};
	CHECK_EQ(hvb_shadow_create(1, QSIZE, &s), 0);
	hvb_shadow_set_iova(s, IOVA);
	kick = eventfd(0, EFD_NONBLOCK);
	call = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(hvb_shadow_queue_start(s, 0, &d.fm.mem, &zq, features, kick, call, &desc, &avail,
					&used, &num),
		 0);
	CHECK_EQ(num, QSIZE);
	sdesc = dev_ptr(desc, 16 * QSIZE);
	savail = dev_ptr(avail, 6 + 2 * QSIZE);
	sused = dev_ptr(used, 6 + 8 * QSIZE);
	dev_last_avail = dev_used_idx = 0;
}

static void teardown(void)
{
	hvb_shadow_destroy(s);
	close(kick);
	close(call);
	fd_free(&d);
}

static bool kicked(void)
{
	uint64_t n;

	return read(kick, &n, sizeof(n)) == sizeof(n);
}

/* The device: every chain's readable bytes, each XOR 0x5a, are written
 * into its writable bytes (as many as fit). Returns chains served. */
static int serve(uint32_t used_len_bonus)
{
	int n = 0;

	while (dev_last_avail != savail->idx) {
		static uint8_t in[8 << 20];
		uint16_t head = savail->ring[dev_last_avail++ % QSIZE], i = head;
		uint32_t in_n = 0, out_n = 0;

		for (;;) {
			struct vring_desc *e = &sdesc[i];
			uint8_t *p = dev_ptr(e->addr, e->len);

			if (e->flags & VRING_DESC_F_WRITE) {
				for (uint32_t k = 0; k < e->len; k++)
					p[k] = in_n + k < out_n ? in[in_n + k] ^ 0x5a : 0xee;
				in_n += e->len;
			} else {
				memcpy(in + out_n, p, e->len);
				out_n += e->len;
			}
			if (!(e->flags & VRING_DESC_F_NEXT))
				break;
			CHECK(e->next < QSIZE);
			i = e->next % QSIZE;
		}
		sused->ring[dev_used_idx % QSIZE].id = head;
		sused->ring[dev_used_idx % QSIZE].len = in_n + used_len_bonus;
		__atomic_store_n(&sused->idx, ++dev_used_idx, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

/* The shadow rings are split, without indirect tables or event index: a
 * device's packed ring is never passed on to the zone. */
static void test_features_split_only(void)
{
	uint64_t dev = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_PACKED) |
		       (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_RING_F_EVENT_IDX);

	CHECK_EQ(hvb_shadow_device_features(dev), 1ull << VIRTIO_F_VERSION_1);
}

static void test_round_trip(void)
{
	uint64_t o1, o2, i1, i2;
	uint32_t id, len;
	uint16_t head;

	setup();
	o1 = fd_alloc(&d, 16);
	o2 = fd_alloc(&d, 5000);
	i1 = fd_alloc(&d, 3000);
	i2 = fd_alloc(&d, 2021);
	for (int k = 0; k < 16; k++)
		((uint8_t *)fd_ptr(&d, o1))[k] = (uint8_t)k;
	for (int k = 0; k < 5000; k++)
		((uint8_t *)fd_ptr(&d, o2))[k] = (uint8_t)(k * 7);
	head = fd_chain(
		&d,
		(struct fd_buf[]){
			{o1, 16, false}, {o2, 5000, false}, {i1, 3000, true}, {i2, 2021, true}},
		4);
	fd_publish(&d, head);
	CHECK_EQ(hvb_shadow_kick(s, 0), 0);
	CHECK(kicked());
	/* The zone's pieces, in order and of the same sizes (a device's
	 * limit per segment, which the zone obeyed, holds on our side). */
	{
		static const uint32_t lens[] = {16, 5000, 3000, 2021};
		uint16_t i = savail->ring[0];

		for (int k = 0; k < 4; k++) {
			CHECK_EQ(sdesc[i].len, lens[k]);
			CHECK_EQ(!!(sdesc[i].flags & VRING_DESC_F_WRITE), k >= 2);
			CHECK_EQ(!!(sdesc[i].flags & VRING_DESC_F_NEXT), k < 3);
			i = sdesc[i].next % QSIZE;
		}
	}
	CHECK_EQ(serve(0), 1);
	CHECK_EQ(hvb_shadow_complete(s, 0), 1);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 5021);
	/* Zone in-buffers: bytes 0..3000 then 3000..5021 of the reply. */
	for (int k = 0; k < 3000; k++) {
		uint8_t want = (uint8_t)((k < 16 ? k : (k - 16) * 7) ^ 0x5a);

		if (((uint8_t *)fd_ptr(&d, i1))[k] != want) {
			CHECK(0);
			break;
		}
	}
	for (int k = 0; k < 2021; k++) {
		int b = 3000 + k;
		uint8_t want = (uint8_t)((b < 5016 ? (b - 16) * 7 ^ 0x5a : 0xee));

		if (((uint8_t *)fd_ptr(&d, i2))[k] != want) {
			CHECK(0);
			break;
		}
	}
	teardown();
}

static void test_pool_exhaustion_waits(void)
{
	uint64_t big = 0;
	uint32_t id, len;
	int served = 0, used = 0;

	setup();
	big = fd_alloc(&d, 3 << 20);
	for (int k = 0; k < 6; k++)
		fd_publish(&d, fd_chain(&d, (struct fd_buf[]){{big, 3 << 20, false}}, 1));
	CHECK_EQ(hvb_shadow_kick(s, 0), 0);
	/* 8 MiB of pool: two 3 MiB requests at a time. */
	CHECK_EQ(savail->idx, 2);
	while (served < 6) {
		int n = serve(0);

		CHECK(n > 0);
		if (n <= 0)
			break;
		served += n;
		CHECK(hvb_shadow_complete(s, 0) >= 0);
	}
	while (fd_used(&d, &id, &len))
		used++;
	CHECK_EQ(used, 6);
	teardown();
}

static void test_hostile_zone(void)
{
	uint64_t ok_buf;
	uint32_t id, len;
	uint16_t head;

	setup_features((1ull << 32) | (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	ok_buf = fd_alloc(&d, 64);
	/* Outside zone RAM, and wrapping: answered with 0, never placed. */
	head = fd_chain(&d, (struct fd_buf[]){{0x1000, 64, false}}, 1);
	fd_publish(&d, head);
	head = fd_chain(&d, (struct fd_buf[]){{~0ull - 16, 64, true}}, 1);
	fd_publish(&d, head);
	CHECK_EQ(hvb_shadow_kick(s, 0), 1);
	CHECK_EQ(savail->idx, 0);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(len, 0);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(len, 0);
	/* Larger than the pool: failed, not waited for forever. */
	head = fd_chain(&d, (struct fd_buf[]){{ok_buf, 64, false}, {FD_BASE, 16 << 20, true}}, 2);
	fd_publish(&d, head);
	CHECK_EQ(hvb_shadow_kick(s, 0), 1);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(savail->idx, 0);
	/* More pieces (an indirect table) than our ring has descriptors:
	 * failed, not waited for forever (the zone's ring already refuses a
	 * chain longer than the queue, virtio 1.2 2.7.5.3.1). */
	{
		struct fd_buf b[QSIZE + 1];

		for (int k = 0; k <= QSIZE; k++)
			b[k] = (struct fd_buf){ok_buf, 4, k == QSIZE};
		fd_publish(&d, fd_chain_indirect(&d, b, QSIZE + 1));
	}
	CHECK_EQ(hvb_shadow_kick(s, 0), 1);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(savail->idx, 0);
	/* The avail index jumping past the queue size: the ring is broken. */
	d.avail->idx = (uint16_t)(d.avail->idx + QSIZE + 3);
	CHECK_EQ(hvb_shadow_kick(s, 0), -EIO);
	teardown();
}

static void test_confused_device(void)
{
	uint64_t o, i;
	uint32_t id, len;

	setup();
	o = fd_alloc(&d, 100);
	i = fd_alloc(&d, 10);
	fd_publish(&d, fd_chain(&d, (struct fd_buf[]){{o, 100, false}, {i, 10, true}}, 2));
	CHECK_EQ(hvb_shadow_kick(s, 0), 0);
	/* Claims to have written far more than the zone offered. */
	CHECK_EQ(serve(1 << 30), 1);
	CHECK_EQ(hvb_shadow_complete(s, 0), 1);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(len, 10);
	/* An id it was never given, and a used index far ahead. */
	sused->ring[dev_used_idx % QSIZE].id = 5;
	__atomic_store_n(&sused->idx, ++dev_used_idx, __ATOMIC_RELEASE);
	CHECK_EQ(hvb_shadow_complete(s, 0), 0);
	CHECK(!fd_used(&d, &id, &len));
	sused->idx = (uint16_t)(sused->idx + 100);
	CHECK_EQ(hvb_shadow_complete(s, 0), -EIO);
	teardown();
}

static void test_write_only_request(void)
{
	uint64_t i;
	uint32_t id, len;

	setup();
	i = fd_alloc(&d, 1500);
	fd_publish(&d, fd_chain(&d, (struct fd_buf[]){{i, 1500, true}}, 1));
	CHECK_EQ(hvb_shadow_kick(s, 0), 0);
	CHECK_EQ(sdesc[savail->ring[0]].flags, VRING_DESC_F_WRITE);
	CHECK_EQ(serve(0), 1);
	CHECK_EQ(hvb_shadow_complete(s, 0), 1);
	CHECK(fd_used(&d, &id, &len));
	CHECK_EQ(len, 1500);
	CHECK_EQ(((uint8_t *)fd_ptr(&d, i))[0], 0xee);
	teardown();
}

/* A zone with EVENT_IDX (Linux's virtio_blk negotiates it; the shadow
 * keeps it on the zone's side) kicks only when its avail index passes the
 * avail_event we publish: each time the ring is found empty, avail_event
 * must say "kick for the next one", or the zone never kicks again. */
static void test_event_idx_asks_for_kicks(void)
{
	uint16_t *avail_event;
	uint32_t id, len;

	setup_features((1ull << 32) | (1ull << VIRTIO_RING_F_EVENT_IDX));
	avail_event = (uint16_t *)&d.used->ring[QSIZE];
	for (uint16_t round = 1; round <= 3; round++) {
		uint64_t i = fd_alloc(&d, 512);

		fd_publish(&d, fd_chain(&d, (struct fd_buf[]){{i, 512, true}}, 1));
		CHECK_EQ(hvb_shadow_kick(s, 0), 0);
		/* The next chain (index round) is to be kicked. */
		CHECK_EQ(*avail_event, round);
		CHECK(vring_need_event(*avail_event, (uint16_t)(round + 1), round));
		CHECK_EQ(serve(0), 1);
		CHECK(hvb_shadow_complete(s, 0) >= 0);
		CHECK(fd_used(&d, &id, &len));
	}
	teardown();
}

static bool called(void)
{
	uint64_t n;

	return read(call, &n, sizeof(n)) == sizeof(n);
}

/* Issue 12 #1b: one QueueNotify answers at most a queue's worth of zone
 * chains and returns; the bridge is called back (call_fd) for the rest,
 * and nothing the zone queued is lost. */
static void test_endless_zone_yields(void)
{
	uint32_t id, len;
	unsigned long answered = 0, published;
	int r, rounds = 0;

	setup();
	d.fm.refill_head = fd_chain(&d, (struct fd_buf[]){{0x1000, 64, false}}, 1);
	fd_publish(&d, d.fm.refill_head);
	d.fm.refills = 100000;
	CHECK_EQ(hvb_shadow_kick(s, 0), 1);
	while (fd_used(&d, &id, &len))
		answered++;
	CHECK_EQ(answered, QSIZE);
	CHECK(called()); /* it asked to come back */
	CHECK(d.fm.refills > 0);
	/* The writer stops; the callbacks finish the rest. */
	d.fm.refills = 0;
	published = le16toh(d.avail->idx);
	do {
		r = hvb_shadow_complete(s, 0);
		CHECK(r >= 0);
		while (fd_used(&d, &id, &len))
			answered++;
	} while (called() && ++rounds < 100);
	CHECK_EQ(answered, published);
	CHECK(!kicked()); /* none of it reached the device */
	teardown();
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_features_split_only);
	RUN(test_pool_exhaustion_waits);
	RUN(test_hostile_zone);
	RUN(test_confused_device);
	RUN(test_write_only_request);
	RUN(test_event_idx_asks_for_kicks);
	RUN(test_endless_zone_yields);
	return check_done();
}
