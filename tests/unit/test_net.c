// SPDX-License-Identifier: MIT
/*
 * virtio-net against a SOCK_SEQPACKET pair standing in for the tap (one
 * packet per read and write, as a tap with a vnet header): TX chains leave
 * as one packet, RX packets land whole with num_buffers set, spread over
 * mergeable buffers, and wait rather than drop while the driver has no
 * buffers posted. RX buffers are taken ahead of the read, which lands in
 * them: the driver's buffer shapes (tiny, split over descriptors,
 * overlapping, too few for a packet) must neither lose a packet silently
 * nor let one spill past them.
 */
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "fake_driver.h"
#include "hvdpa/net.h"

static struct fake_driver rxd, txd;
static struct hv_device *dev;
static struct hv_queue rxq, txq;
static struct hv_loop loop;
static int peer, notifies;

static void count_notify(struct hv_queue *q)
{
	(void)q;
	notifies++;
}

static void setup_mem(uint64_t drop_features, uint16_t qsize, uint64_t mem)
{
	struct hv_net_options o;
	struct hv_vq_layout l;
	char err[256];
	int sv[2];
	uint64_t f;

	CHECK_EQ(hv_net_options_parse(&o, "name=tnet,tap=tap-test", err, sizeof(err)), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	peer = sv[1];
	CHECK_EQ(hv_net_create_fd(&o, sv[0], &dev, err, sizeof(err)), 0);
	f = dev->features & ~drop_features & ~(1ull << VIRTIO_RING_F_EVENT_IDX);
	CHECK_EQ(hv_loop_init(&loop), 0);
	fd_init(&rxd, mem, qsize);
	fd_init(&txd, 1 << 20, 16);
	fd_layout(&rxd, &l, f);
	CHECK_EQ(hv_vq_init(&rxq.vq, &rxd.fm.mem, &l, "rx"), 0);
	fd_layout(&txd, &l, f);
	CHECK_EQ(hv_vq_init(&txq.vq, &txd.fm.mem, &l, "tx"), 0);
	rxq = (struct hv_queue){
		.dev = dev, .index = 0, .vq = rxq.vq, .loop = &loop, .notify = count_notify};
	txq = (struct hv_queue){
		.dev = dev, .index = 1, .vq = txq.vq, .loop = &loop, .notify = count_notify};
	CHECK_EQ(dev->ops->start(dev, f), 0);
	CHECK_EQ(dev->ops->queue_start(dev, &rxq), 0);
	CHECK_EQ(dev->ops->queue_start(dev, &txq), 0);
	notifies = 0;
}

static void setup_q(uint64_t drop_features, uint16_t qsize)
{
	setup_mem(drop_features, qsize, 1 << 20);
}

static void setup(uint64_t drop_features)
{
	setup_q(drop_features, 16);
}

static void teardown(void)
{
	dev->ops->queue_stop(&rxq);
	dev->ops->queue_stop(&txq);
	dev->ops->destroy(dev);
	hv_loop_fini(&loop);
	fd_free(&rxd);
	fd_free(&txd);
	close(peer);
}

static void run(void)
{
	while (hv_loop_run_once(&loop, 50) > 0)
		;
}

/* An RX buffer of len bytes; returns its address. */
static uint64_t post_rx(uint32_t len)
{
	uint64_t a = fd_alloc(&rxd, len);

	memset(fd_ptr(&rxd, a), 0xcc, len);
	fd_publish(&rxd, fd_chain(&rxd, (struct fd_buf[]){{a, len, true}}, 1));
	return a;
}

static void send_pkt(uint32_t len, uint8_t seed)
{
	uint8_t *p = malloc(len);

	memset(p, 0, 12);
	for (uint32_t i = 12; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
	CHECK_EQ(write(peer, p, len), (long long)len);
	free(p);
}

static bool pkt_ok(const uint8_t *p, uint32_t off, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		if (off + i >= 12 && p[i] != (uint8_t)(seed + (off + i) * 13))
			return false;
	return true;
}

static void test_tx_one_packet_per_chain(void)
{
	uint64_t h, d;
	uint8_t got[2048];
	uint32_t id, len;

	setup(0);
	h = fd_alloc(&txd, 12);
	d = fd_alloc(&txd, 100);
	memset(fd_ptr(&txd, h), 0, 12);
	memset(fd_ptr(&txd, d), 0x42, 100);
	fd_publish(&txd, fd_chain(&txd, (struct fd_buf[]){{h, 12, false}, {d, 100, false}}, 2));
	dev->ops->queue_kick(&txq);
	CHECK_EQ(read(peer, got, sizeof(got)), 112);
	CHECK_EQ(got[12], 0x42);
	CHECK_EQ(got[111], 0x42);
	CHECK(fd_used(&txd, &id, &len));
	CHECK_EQ(len, 0);
	CHECK(notifies > 0);
	teardown();
}

static void test_rx_whole_packet(void)
{
	uint64_t b;
	uint32_t id, len;
	struct virtio_net_hdr_v1 *hdr;

	setup(0);
	b = post_rx(2048);
	send_pkt(1012, 7);
	run();
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 1012);
	hdr = fd_ptr(&rxd, b);
	CHECK_EQ(hdr->num_buffers, 1);
	CHECK(pkt_ok(fd_ptr(&rxd, b), 0, 1012, 7));
	teardown();
}

static void test_rx_waits_for_buffers(void)
{
	struct hv_net_stats s;
	uint64_t b[3];
	uint32_t id, len;

	setup(0);
	send_pkt(600, 1);
	send_pkt(700, 2);
	send_pkt(800, 3);
	run();
	CHECK(!fd_used(&rxd, &id, &len));
	hv_net_stats(dev, &s);
	CHECK(s.rx_waits >= 1);
	CHECK_EQ(s.rx_dropped, 0);
	for (int i = 0; i < 3; i++)
		b[i] = post_rx(2048);
	dev->ops->queue_kick(&rxq);
	for (int i = 0; i < 3; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, 600 + 100 * i);
		CHECK(pkt_ok(fd_ptr(&rxd, b[i]), 0, len, (uint8_t)(i + 1)));
	}
	hv_net_stats(dev, &s);
	CHECK_EQ(s.rx_packets, 3);
	CHECK_EQ(s.rx_dropped, 0);
	teardown();
}

static void test_rx_mergeable_spans_buffers(void)
{
	uint64_t b[4];
	uint32_t id, len, total = 0;

	setup(0);
	for (int i = 0; i < 4; i++)
		b[i] = post_rx(1536);
	send_pkt(5012, 9);
	run();
	for (int i = 0; i < 4; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, i < 3 ? 1536 : 5012 - 3 * 1536);
		CHECK(pkt_ok(fd_ptr(&rxd, b[i]), total, len, 9));
		total += len;
	}
	CHECK_EQ(((struct virtio_net_hdr_v1 *)fd_ptr(&rxd, b[0]))->num_buffers, 4);
	teardown();
}

static void test_rx_partial_then_more_buffers(void)
{
	uint64_t b[3];
	uint32_t id, len;

	setup(0);
	b[0] = post_rx(1536);
	send_pkt(4000, 4);
	run();
	/* One buffer is not enough: held, nothing published yet. */
	CHECK(!fd_used(&rxd, &id, &len));
	b[1] = post_rx(1536);
	b[2] = post_rx(1536);
	dev->ops->queue_kick(&rxq);
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 1536);
	CHECK(fd_used(&rxd, &id, &len));
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 4000 - 2 * 1536);
	CHECK(pkt_ok(fd_ptr(&rxd, b[2]), 2 * 1536, len, 4));
	CHECK_EQ(((struct virtio_net_hdr_v1 *)fd_ptr(&rxd, b[0]))->num_buffers, 3);
	teardown();
}

static void test_rx_small_buffer_without_mrg(void)
{
	struct hv_net_stats s;
	uint64_t b;
	uint32_t id, len;

	setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
	post_rx(1000);
	b = post_rx(4096);
	send_pkt(3000, 5);
	send_pkt(900, 6);
	run();
	/* The first packet does not fit its buffer: lost, buffer back empty;
	 * the next one goes on. */
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 0);
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 900);
	CHECK(pkt_ok(fd_ptr(&rxd, b), 0, 900, 6));
	hv_net_stats(dev, &s);
	CHECK_EQ(s.rx_dropped, 1);
	teardown();
}

static void test_rx_buffer_the_device_cannot_write(void)
{
	uint64_t bad, b;
	uint32_t id, len;

	setup(0);
	bad = fd_alloc(&rxd, 2048);
	fd_publish(&rxd, fd_chain(&rxd, (struct fd_buf[]){{bad, 2048, false}}, 1));
	b = post_rx(2048);
	send_pkt(100, 8);
	run();
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 0);
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 100);
	CHECK(pkt_ok(fd_ptr(&rxd, b), 0, 100, 8));
	teardown();
}

static uint16_t num_buffers(uint64_t b)
{
	return le16toh(((struct virtio_net_hdr_v1 *)fd_ptr(&rxd, b))->num_buffers);
}

/* A GSO-sized packet over page-sized buffers posted ahead, as Linux's
 * mergeable mode posts them: whole, in order, num_buffers right. */
static void test_rx_gso_packet_over_pages(void)
{
	enum { N = 17, PKT = 65000 + 12 };
	uint64_t b[N];
	uint32_t id, len, total = 0;

	setup_q(0, 32);
	for (int i = 0; i < N; i++)
		b[i] = post_rx(4096);
	send_pkt(PKT, 3);
	run();
	for (int i = 0; i < 16; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, i < 15 ? 4096 : PKT - 15 * 4096);
		CHECK(pkt_ok(fd_ptr(&rxd, b[i]), total, len, 3));
		total += len;
	}
	CHECK_EQ(total, PKT);
	CHECK_EQ(num_buffers(b[0]), 16);
	/* The 17th stays with the device for the next packet. */
	CHECK(!fd_used(&rxd, &id, &len));
	send_pkt(200, 4);
	run();
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 200);
	CHECK(pkt_ok(fd_ptr(&rxd, b[16]), 0, 200, 4));
	CHECK_EQ(num_buffers(b[16]), 1);
	teardown();
}

/* Buffers held ahead serve the packets that follow, one each, in order. */
static void test_rx_held_buffers_serve_later_packets(void)
{
	uint64_t b[4];
	uint32_t id, len;

	setup(0);
	for (int i = 0; i < 4; i++)
		b[i] = post_rx(2048);
	for (int i = 0; i < 3; i++)
		send_pkt(100 + (uint32_t)i, (uint8_t)(20 + i));
	run();
	for (int i = 0; i < 3; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, 100 + (uint32_t)i);
		CHECK(pkt_ok(fd_ptr(&rxd, b[i]), 0, len, (uint8_t)(20 + i)));
		CHECK_EQ(num_buffers(b[i]), 1);
	}
	CHECK(!fd_used(&rxd, &id, &len));
	teardown();
}

/* A buffer smaller than a header is given back empty; one spread over many
 * small descriptors takes its bytes in order; one over more segments than
 * the device takes is refused by the ring. None costs a packet. */
static void test_rx_hostile_buffer_shapes(void)
{
	struct fd_buf split[8], many[9];
	uint64_t tiny, base;
	uint32_t id, len, total = 0;
	struct hv_net_stats s;

	setup_q(0, 32);
	tiny = fd_alloc(&rxd, 8);
	fd_publish(&rxd, fd_chain(&rxd, (struct fd_buf[]){{tiny, 8, true}}, 1));
	for (int i = 0; i < 9; i++)
		many[i] = (struct fd_buf){fd_alloc(&rxd, 64), 64, true};
	fd_publish(&rxd, fd_chain(&rxd, many, 9));
	base = fd_alloc(&rxd, 8 * 40);
	for (int i = 0; i < 8; i++)
		split[i] = (struct fd_buf){base + 40u * i, 13 + (uint32_t)i, true};
	fd_publish(&rxd, fd_chain(&rxd, split, 8));
	post_rx(2048);
	send_pkt(300, 11);
	run();
	CHECK(fd_used(&rxd, &id, &len)); /* the tiny one */
	CHECK_EQ(len, 0);
	CHECK(fd_used(&rxd, &id, &len)); /* nine segments: malformed */
	CHECK_EQ(len, 0);
	/* 13 + 14 + ... + 20 = 132 bytes in the split one, the rest next. */
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 132);
	for (int i = 0; i < 8; i++) {
		CHECK(pkt_ok(fd_ptr(&rxd, split[i].gpa), total, split[i].len, 11));
		total += split[i].len;
	}
	CHECK_EQ(num_buffers(base), 2);
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 300 - 132);
	hv_net_stats(dev, &s);
	CHECK_EQ(s.rx_packets, 1);
	CHECK_EQ(s.rx_dropped, 0);
	teardown();
}

/* Two buffers over the same guest memory: the device writes both, never
 * past them, and answers each with its own length. */
static void test_rx_overlapping_buffers(void)
{
	uint64_t a, guard;
	uint32_t id, len;

	setup(0);
	a = fd_alloc(&rxd, 64);
	guard = fd_alloc(&rxd, 64);
	memset(fd_ptr(&rxd, guard), 0xee, 64);
	fd_publish(&rxd, fd_chain(&rxd, (struct fd_buf[]){{a, 64, true}}, 1));
	fd_publish(&rxd, fd_chain(&rxd, (struct fd_buf[]){{a, 64, true}}, 1));
	send_pkt(100, 12);
	run();
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 64);
	CHECK(fd_used(&rxd, &id, &len));
	CHECK_EQ(len, 36);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(((uint8_t *)fd_ptr(&rxd, guard))[i], 0xee);
	teardown();
}

/* A packet that more than MAX_HELD (64) buffers could not take is dropped
 * and counted, its buffers given back empty; the next packet goes on. */
static void test_rx_packet_beyond_held_buffers(void)
{
	uint64_t b[70];
	uint32_t id, len;
	struct hv_net_stats s;

	setup_q(0, 128);
	for (int i = 0; i < 70; i++)
		b[i] = post_rx(100);
	send_pkt(8000, 13);
	run();
	for (int i = 0; i < 64; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, 0);
	}
	hv_net_stats(dev, &s);
	CHECK_EQ(s.rx_dropped, 1);
	CHECK(!fd_used(&rxd, &id, &len));
	send_pkt(500, 14);
	run();
	for (int i = 0; i < 5; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, 100);
	}
	CHECK(pkt_ok(fd_ptr(&rxd, b[64]), 0, 100, 14));
	CHECK(pkt_ok(fd_ptr(&rxd, b[68]), 400, 100, 14));
	CHECK_EQ(num_buffers(b[64]), 5);
	hv_net_stats(dev, &s);
	CHECK_EQ(s.rx_packets, 1);
	teardown();
}

/* A packet read while no buffer was posted lands whole once they come,
 * though the first of them is only a header's size. */
static void test_rx_header_sized_buffers(void)
{
	uint64_t b[10];
	uint32_t id, len, total = 0;

	setup(0);
	send_pkt(120, 15);
	run();
	for (int i = 0; i < 10; i++)
		b[i] = post_rx(12);
	dev->ops->queue_kick(&rxq);
	for (int i = 0; i < 10; i++) {
		CHECK(fd_used(&rxd, &id, &len));
		CHECK_EQ(len, 12);
		CHECK(pkt_ok(fd_ptr(&rxd, b[i]), total, 12, 15));
		total += 12;
	}
	CHECK_EQ(num_buffers(b[0]), 10);
	teardown();
}

/* The stress test's buffers: where each segment is, for the guards. */
struct seg {
	uint64_t gpa;
	uint32_t len;
};
static struct seg segs[8192];
static unsigned int nsegs;
static struct seg chain_segs[256][3]; /* by head */
static unsigned int chain_nsegs[256];
static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

/* A segment of len bytes between 16-byte guards of 0xee, filled 0xcc. */
static uint64_t guarded(uint32_t len)
{
	uint64_t a = fd_alloc(&rxd, len + 32u);

	memset(fd_ptr(&rxd, a), 0xee, len + 32u);
	memset(fd_ptr(&rxd, a + 16), 0xcc, len);
	CHECK(nsegs < sizeof(segs) / sizeof(segs[0]));
	segs[nsegs++] = (struct seg){a + 16, len};
	return a + 16;
}

/* A buffer of a size a hostile or odd driver may post, in one to three
 * descriptors. */
static void post_random(void)
{
	static const uint32_t sizes[] = {1, 8, 12, 13, 64, 1500, 1526, 4096, 20000, 70000};
	uint32_t len = sizes[rnd(sizeof(sizes) / sizeof(sizes[0]))];
	unsigned int n = len >= 36 && rnd(3) == 0 ? 3 : 1;
	struct fd_buf b[3];
	uint16_t head;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t l = i + 1 < n ? 12 + rnd(12) : len;

		len -= i + 1 < n ? l : 0;
		b[i] = (struct fd_buf){guarded(l), l, true};
	}
	head = fd_chain(&rxd, b, n);
	for (unsigned int i = 0; i < n; i++)
		chain_segs[head][i] = (struct seg){b[i].gpa, b[i].len};
	chain_nsegs[head] = n;
	fd_publish(&rxd, head);
}

/* Copies used length len of chain head to out. */
static void chain_read(uint16_t head, uint32_t len, uint8_t *out)
{
	for (unsigned int i = 0; i < chain_nsegs[head] && len; i++) {
		uint32_t l = chain_segs[head][i].len < len ? chain_segs[head][i].len : len;

		memcpy(out, fd_ptr(&rxd, chain_segs[head][i].gpa), l);
		out += l;
		len -= l;
	}
}

/* Packets of any size against buffers of random shapes posted a few at a
 * time: each packet arrives whole and in order (num_buffers right) or is
 * counted dropped, never both, never neither; no byte is written outside a
 * buffer, and a buffer too small for a header is never written. */
static void stress(uint64_t drop_features, uint64_t min_delivered)
{
	static uint8_t got[70000 + 65536];
	struct hv_net_stats s;
	uint64_t settled = 0, delivered = 0;

	setup_mem(drop_features, 256, 32u << 20);
	nsegs = 0;
	for (unsigned int i = 0; i < 150; i++) {
		uint32_t len = rnd(4) ? 12 + rnd(1600) : 12 + rnd(65536);
		uint32_t id, ulen, off = 0, nbufs = 0, want = 0;

		send_pkt(len, (uint8_t)i);
		/* The packet is queued: the tap's edge fires at once. */
		while (hv_loop_run_once(&loop, 0) > 0)
			;
		for (int round = 0; round < 300; round++) {
			hv_net_stats(dev, &s);
			if (s.rx_packets + s.rx_dropped > settled)
				break;
			for (uint32_t k = 1 + rnd(3); k; k--)
				post_random();
			dev->ops->queue_kick(&rxq);
		}
		hv_net_stats(dev, &s);
		CHECK_EQ(s.rx_packets + s.rx_dropped, settled + 1);
		settled = s.rx_packets + s.rx_dropped;
		while (fd_used(&rxd, &id, &ulen)) {
			if (ulen == 0)
				continue;
			CHECK(id < 256 && off + ulen <= sizeof(got));
			if (id >= 256 || off + ulen > sizeof(got))
				break;
			chain_read((uint16_t)id, ulen, got + off);
			if (nbufs++ == 0)
				want = le16toh(((struct virtio_net_hdr_v1 *)got)->num_buffers);
			off += ulen;
		}
		if (s.rx_packets > delivered) {
			CHECK_EQ(off, len);
			CHECK_EQ(nbufs, want);
			CHECK(pkt_ok(got, 0, off, (uint8_t)i));
			delivered = s.rx_packets;
		} else {
			CHECK_EQ(off, 0); /* a dropped packet's buffers go back empty */
		}
	}
	if (delivered < min_delivered)
		printf("# %llu of 150 delivered\n", (unsigned long long)delivered);
	CHECK(delivered >= min_delivered);
	for (unsigned int i = 0; i < nsegs; i++) {
		const uint8_t *p = fd_ptr(&rxd, segs[i].gpa);

		for (int g = 1; g <= 16; g++)
			CHECK(p[-g] == 0xee && p[segs[i].len + (uint32_t)g - 1] == 0xee);
		if (segs[i].len < 12)
			CHECK(p[0] == 0xcc);
	}
	teardown();
}

static void test_rx_stress_mergeable(void)
{
	/* Only a packet more than 64 buffers cannot take is lost. */
	stress(0, 140);
}

static void test_rx_stress_whole_buffers(void)
{
	/* One buffer per packet: it goes when that one is too small. */
	stress(1ull << VIRTIO_NET_F_MRG_RXBUF, 40);
}

static void test_options(void)
{
	struct hv_net_options o;
	char err[256];

	CHECK_EQ(hv_net_options_parse(&o, "name=n0,tap=t0,mac=52:54:00:12:34:56,mtu=9000", err,
				      sizeof(err)),
		 0);
	CHECK_EQ(o.mac[5], 0x56);
	CHECK_EQ(o.mtu, 9000);
	CHECK(hv_net_options_parse(&o, "name=n0,tap=t0,mac=01:00:00:00:00:01", err, sizeof(err)) <
		      0 &&
	      strstr(err, "unicast"));
	CHECK(hv_net_options_parse(&o, "name=n0", err, sizeof(err)) < 0 &&
	      strstr(err, "tap= is required"));
	CHECK(hv_net_options_parse(&o, "name=n0,tap=t0,mtu=20", err, sizeof(err)) < 0);
	CHECK(!o.packed);
	CHECK_EQ(hv_net_options_parse(&o, "name=n0,tap=t0,packed=on", err, sizeof(err)), 0);
	CHECK(o.packed);
	CHECK_EQ(CPU_COUNT(&o.cpus), 0);
	CHECK_EQ(hv_net_options_parse(&o, "name=n0,tap=t0,cpus=1:3", err, sizeof(err)), 0);
	CHECK(CPU_COUNT(&o.cpus) == 2 && CPU_ISSET(1, &o.cpus) && CPU_ISSET(3, &o.cpus));
	CHECK(hv_net_options_parse(&o, "name=n0,tap=t0,cpus=1,3", err, sizeof(err)) < 0 &&
	      strstr(err, "'3' is not key=value"));
	CHECK(hv_net_options_parse(&o, "name=n0,tap=t0,speed=10", err, sizeof(err)) < 0 &&
	      strstr(err, "unknown key 'speed'"));
	/* The default address is stable and locally administered. */
	CHECK_EQ(hv_net_options_parse(&o, "name=n0,tap=t0", err, sizeof(err)), 0);
	CHECK_EQ(o.mac[0], 0x02);
}

int main(void)
{
	hv_log_level = HV_LOG_ERR;
	RUN(test_tx_one_packet_per_chain);
	RUN(test_rx_whole_packet);
	RUN(test_rx_waits_for_buffers);
	RUN(test_rx_mergeable_spans_buffers);
	RUN(test_rx_partial_then_more_buffers);
	RUN(test_rx_small_buffer_without_mrg);
	RUN(test_rx_buffer_the_device_cannot_write);
	RUN(test_rx_gso_packet_over_pages);
	RUN(test_rx_held_buffers_serve_later_packets);
	RUN(test_rx_hostile_buffer_shapes);
	RUN(test_rx_overlapping_buffers);
	RUN(test_rx_packet_beyond_held_buffers);
	RUN(test_rx_header_sized_buffers);
	RUN(test_rx_stress_mergeable);
	RUN(test_rx_stress_whole_buffers);
	RUN(test_options);
	return check_done();
}
