// SPDX-License-Identifier: MIT
/*
 * Hostile zones for the isolation tests (issue 12 #2 and #7): what one
 * zone's vCPUs can do to make hvbridge keep other zones waiting.
 *
 * reset storm: one vCPU keeps the blk queue full of large reads (one
 * indirect table of seg_max segments of size_max each, all over the same
 * buffer, shared by every ring entry) while another writes Status 0, waits
 * for it to read 0, and starts over. Stopping the queue waits for every read
 * in flight; a bridge that did that on its own thread left every zone
 * waiting as long.
 *
 * notify flood: vCPUs writing QueueNotify as fast as they can (a notify is
 * not answered, so nothing slows them down).
 *
 * leave storm: the queue full of such reads, then the zone goes without a
 * reset (its simulator disconnects, as a zone that is destroyed) and comes
 * back at once. Its devices must be reset before its RAM is unmapped; a
 * bridge that waited for that on its own thread left every zone waiting.
 *
 * The calling thread is vCPU 0 and each thread started here another.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zonesim.h"

/* Zone RAM the storm uses, above what the other drivers use. */
#define STORM_RINGS 0x1000000u
#define STORM_TABLE 0x1004000u
#define STORM_HDR   0x1005000u
#define STORM_BUF   0x1100000u
#define STORM_QMAX  256u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct storm {
	struct zs_link *l;
	struct zs_ring r;
	unsigned int segs;
	uint32_t seg_len;
	int stop, pause, paused; /* atomics */
	uint64_t posted;
};

/* Negotiates, sets up queue 0 with every entry pointing at the one
 * indirect table, DRIVER_OK. */
static int storm_setup(struct storm *s, unsigned int want_segs)
{
	struct zs_link *l = s->l;
	uint64_t base = l->ram_base;
	struct virtio_blk_outhdr *h;
	struct vring_desc *t, *d;
	uint32_t seg_max, size_max, qmax;
	uint16_t qsize;

	if (zs_negotiate(l, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
				    (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
				    (1ull << VIRTIO_BLK_F_SEG_MAX) |
				    (1ull << VIRTIO_BLK_F_SIZE_MAX)) < 0)
		return -1;
	size_max = zs_read(l, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, size_max), 4);
	seg_max = zs_read(l, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, seg_max), 4);
	zs_write(l, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
	qmax = zs_read(l, VIRTIO_MMIO_QUEUE_NUM_MAX, 4);
	qsize = (uint16_t)(qmax < STORM_QMAX ? qmax : STORM_QMAX);
	if (qsize < 4)
		return -1;
	s->segs = want_segs;
	if (s->segs > seg_max)
		s->segs = seg_max;
	if (s->segs > qsize - 2u)
		s->segs = qsize - 2u;
	if (s->segs == 0)
		s->segs = 1;
	s->seg_len = size_max && size_max < (1u << 20) ? size_max : 1u << 20;
	zs_ring_setup(l, 0, &s->r, base + STORM_RINGS, qsize);

	h = zs_ram(l, base + STORM_HDR, 32);
	memset(h, 0, 32);
	h->type = VIRTIO_BLK_T_IN;
	t = zs_ram(l, base + STORM_TABLE, 16ull * (s->segs + 2));
	t[0] = (struct vring_desc){
		.addr = base + STORM_HDR, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1};
	for (unsigned int i = 1; i <= s->segs; i++)
		t[i] = (struct vring_desc){.addr = base + STORM_BUF,
					   .len = s->seg_len,
					   .flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
					   .next = (uint16_t)(i + 1)};
	t[s->segs + 1] = (struct vring_desc){
		.addr = base + STORM_HDR + 16, .len = 1, .flags = VRING_DESC_F_WRITE};
	d = zs_ram(l, s->r.desc, 16ull * qsize);
	for (unsigned int i = 0; i < qsize; i++)
		d[i] = (struct vring_desc){.addr = base + STORM_TABLE,
					   .len = 16 * (s->segs + 2),
					   .flags = VRING_DESC_F_INDIRECT};
	zs_ram(l, base + STORM_BUF, s->seg_len);
	zs_write(l, VIRTIO_MMIO_STATUS, 4,
		 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return zs_read(l, VIRTIO_MMIO_STATUS, 4) ==
			       (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)
		       ? 0
		       : -1;
}

/* The feeding vCPU: keeps every ring entry posted. */
static void *feeder(void *arg)
{
	struct storm *s = arg;

	zs_set_vcpu(1);
	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		struct vring_avail *a;
		struct vring_used *u;
		uint16_t used, n = 0;

		if (__atomic_load_n(&s->pause, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&s->paused, 1, __ATOMIC_SEQ_CST);
			usleep(100);
			continue;
		}
		__atomic_store_n(&s->paused, 0, __ATOMIC_SEQ_CST);
		a = zs_ram(s->l, s->r.avail, 6 + 2ull * s->r.size);
		u = zs_ram(s->l, s->r.used, 6 + 8ull * s->r.size);
		used = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
		while ((uint16_t)(s->r.avail_idx - used) < s->r.size) {
			a->ring[s->r.avail_idx % s->r.size] = s->r.avail_idx % s->r.size;
			s->r.avail_idx++;
			n++;
		}
		if (n) {
			__atomic_store_n(&a->idx, s->r.avail_idx, __ATOMIC_RELEASE);
			s->posted += n;
			zs_write(s->l, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0);
		}
		usleep(200);
	}
	return NULL;
}

static void feeder_pause(struct storm *s)
{
	__atomic_store_n(&s->pause, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->paused, __ATOMIC_SEQ_CST))
		usleep(100);
}

static void feeder_resume(struct storm *s)
{
	__atomic_store_n(&s->paused, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->pause, 0, __ATOMIC_SEQ_CST);
}

int zs_reset_storm(struct zs_link *l, unsigned int segs, unsigned int seconds,
		   struct zs_storm_stats *st)
{
	struct storm s = {.l = l};
	pthread_t th;
	uint64_t end;

	memset(st, 0, sizeof(*st));
	if (storm_setup(&s, segs) < 0)
		return -1;
	st->segs = s.segs;
	st->seg_len = s.seg_len;
	st->qsize = s.r.size;
	if (pthread_create(&th, NULL, feeder, &s))
		return -1;
	printf("# reset-storm: attacking (%u entries of %u x %u bytes)\n", s.r.size, s.segs,
	       s.seg_len);
	fflush(stdout);
	end = now_ns() + seconds * 1000000000ull;
	while (now_ns() < end) {
		uint64_t t0, t1, t2;

		/* Let the device take the ring and start on it. */
		usleep(20000);
		t0 = now_ns();
		zs_write(l, VIRTIO_MMIO_STATUS, 4, 0); /* answered: the vCPU waited this long */
		t1 = now_ns();
		if (zs_read(l, VIRTIO_MMIO_STATUS, 4) != 0)
			st->late++;
		while (zs_read(l, VIRTIO_MMIO_STATUS, 4) != 0) {
			if (now_ns() - t0 > 30000000000ull)
				return -1;
			usleep(50);
		}
		t2 = now_ns();
		if (t1 - t0 > st->worst_answer_ns)
			st->worst_answer_ns = t1 - t0;
		if (t2 - t0 > st->worst_reset_ns)
			st->worst_reset_ns = t2 - t0;
		st->resets++;
		feeder_pause(&s);
		if (storm_setup(&s, segs) < 0) {
			__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
			pthread_join(th, NULL);
			return -1;
		}
		feeder_resume(&s);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	st->posted = s.posted;
	/* Leave nothing running: the zone's disconnect resets it again. */
	zs_reset(l);
	return 0;
}

int zs_leave_storm(struct zs_link *l, const char *path, unsigned int segs, unsigned int seconds,
		   struct zs_leave_stats *st)
{
	uint64_t end = now_ns() + seconds * 1000000000ull;

	memset(st, 0, sizeof(*st));
	printf("# leave-storm: attacking\n");
	fflush(stdout);
	while (now_ns() < end) {
		struct storm s = {.l = l};
		pthread_t th;
		uint64_t t0, back;

		if (storm_setup(&s, segs) < 0 || pthread_create(&th, NULL, feeder, &s))
			return -1;
		/* Let the device take the ring and start on it. */
		usleep(30000);
		__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(th, NULL);
		st->posted += s.posted;
		st->segs = s.segs;
		st->seg_len = s.seg_len;
		zs_disconnect(l);
		t0 = now_ns();
		zs_connect(l, path);
		/* Answered once the bridge took the zone back: after its
		 * devices' resets. */
		if (zs_read(l, VIRTIO_MMIO_MAGIC_VALUE, 4) != ZS_MMIO_MAGIC)
			return -1;
		back = now_ns() - t0;
		if (back > st->worst_back_ns)
			st->worst_back_ns = back;
		st->leaves++;
	}
	zs_reset(l);
	return 0;
}

int zs_fill(struct zs_link *l, unsigned int segs, unsigned int seconds, uint64_t *posted)
{
	struct storm s = {.l = l};
	pthread_t th;

	if (storm_setup(&s, segs) < 0 || pthread_create(&th, NULL, feeder, &s))
		return -1;
	printf("# fill: attacking (%u entries of %u x %u bytes)\n", s.r.size, s.segs, s.seg_len);
	fflush(stdout);
	sleep(seconds);
	__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	*posted = s.posted;
	zs_reset(l);
	return 0;
}

struct flooder {
	struct zs_link *l;
	unsigned int vcpu;
	uint64_t end, sent;
};

static void *flood(void *arg)
{
	struct flooder *f = arg;

	zs_set_vcpu(f->vcpu);
	while (now_ns() < f->end)
		for (int i = 0; i < 64; i++, f->sent++)
			zs_write(f->l, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0);
	return NULL;
}

uint64_t zs_notify_flood(struct zs_link *l, unsigned int threads, unsigned int seconds)
{
	struct flooder f[16];
	pthread_t th[16];
	uint64_t sent = 0;
	unsigned int n = 0;

	if (threads > 16)
		threads = 16;
	printf("# notify-flood: attacking (%u vCPUs)\n", threads);
	fflush(stdout);
	for (unsigned int i = 0; i < threads; i++) {
		f[i] = (struct flooder){
			.l = l, .vcpu = i + 1, .end = now_ns() + seconds * 1000000000ull};
		if (pthread_create(&th[i], NULL, flood, &f[i]))
			break;
		n++;
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		sent += f[i].sent;
	}
	return sent;
}
