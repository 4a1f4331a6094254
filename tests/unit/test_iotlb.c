// SPDX-License-Identifier: MIT
/*
 * hvdpad's IOTLB against a played kernel (VDUSE_IOTLB_GET_FD answered from
 * a memfd): a driver that maps and unmaps over and over leaves a bounded
 * number of mappings, and a retired mapping stays while a queue may still
 * use it: a ring in it, or a chain taken before it was retired and not
 * given back (a head put in the ring twice included).
 */
#include <linux/vduse.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../vduse/vduse_int.h"
#include "check.h"

#define PAGES 64
#define PAGE  4096ull
#define QSIZE 16

static int memfd = -1;
static struct hv_device dev = {.name = "t0", .num_queues = 2, .queue_size = QSIZE};
static struct hv_vduse v;
static struct hv_inflight *logs[2];

static int fake_get_fd(struct vduse_iotlb *t, struct vduse_iotlb_entry *e)
{
	uint64_t page = e->start / PAGE;

	(void)t;
	if (page >= PAGES)
		return -1;
	e->start = page * PAGE;
	e->last = e->start + PAGE - 1;
	e->offset = e->start;
	e->perm = VDUSE_ACCESS_RW;
	return dup(memfd);
}

/* Our mappings of the memfd, as the kernel counts them. */
static unsigned int live_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, "memfd:iotlb-test") != NULL;
	if (f)
		fclose(f);
	return n;
}

/* Whether the retired mapping of IOVA page `page` is still there. */
static bool kept(uint64_t page)
{
	for (unsigned int i = 0; i < v.iotlb.ndead; i++)
		if (v.iotlb.dead[i].start == page * PAGE)
			return true;
	return false;
}

static void setup(void)
{
	memset(&v, 0, sizeof(v));
	v.dev = &dev;
	v.queues = calloc(dev.num_queues, sizeof(*v.queues));
	for (unsigned int q = 0; q < dev.num_queues; q++) {
		struct vduse_queue *vq = &v.queues[q];

		logs[q] = calloc(1, hv_inflight_bytes(QSIZE, false));
		vq->kick_fd = -1;
		vq->run.q.vq.size = QSIZE;
		hv_vq_log_begin(&vq->run.q.vq, logs[q]);
	}
	v.queues[0].kick_fd = 100; /* queue 0 runs; queue 1 is stopped */
	vduse_iotlb_init(&v.iotlb, -1);
	v.iotlb.get_fd = fake_get_fd;
}

static void teardown(void)
{
	vduse_iotlb_fini(&v.iotlb);
	for (unsigned int q = 0; q < dev.num_queues; q++)
		free(logs[q]);
	free(v.queues);
	CHECK_EQ(live_maps(), 0);
}

static uint8_t *map(uint64_t page)
{
	return hv_mem_contig(&v.iotlb.mem, page * PAGE, PAGE, true);
}

static void unmap(uint64_t page)
{
	vduse_iotlb_invalidate(&v.iotlb, page * PAGE, page * PAGE + PAGE - 1);
}

/* As hv_vq_pop, hv_vq_push and hv_vq_flush keep the log of queue 0. */
static void take(uint16_t head)
{
	struct hv_vq *vq = &v.queues[0].run.q.vq;

	vq->last_avail++;
	logs[0]->counter++;
	logs[0]->data[head] = logs[0]->counter;
}

static void give_back(uint16_t head)
{
	struct hv_vq *vq = &v.queues[0].run.q.vq;

	logs[0]->data[head] = 0;
	logs[0]->used_idx++;
	vq->used_idx++;
}

static void test_map_unmap_loop_bounded(void)
{
	unsigned int worst = 0;

	setup();
	for (int i = 0; i < 20000; i++) {
		uint8_t *p = map((uint64_t)i % PAGES);

		CHECK(p != NULL);
		if (!p)
			break;
		p[0] = (uint8_t)i;
		/* Requests come and go, as a driver behind a vIOMMU does. */
		take((uint16_t)(i % QSIZE));
		give_back((uint16_t)(i % QSIZE));
		unmap((uint64_t)i % PAGES);
		if (i % 500 == 0) {
			unsigned int n = live_maps();

			worst = n > worst ? n : worst;
		}
	}
	printf("# worst: %u mappings over 20000 map/unmap cycles (%u retired kept)\n", worst,
	       v.iotlb.ndead);
	CHECK(worst <= 2 * 16);
	CHECK(live_maps() <= 2 * 16);
	teardown();
}

static void test_chain_in_flight_pins(void)
{
	uint8_t *p;

	setup();
	take(3);
	p = map(5);
	unmap(5);
	/* Retired under a chain taken before: kept, however many follow. */
	for (int i = 0; i < 100; i++) {
		CHECK(map(6) != NULL);
		unmap(6);
	}
	CHECK(kept(5));
	p[100] = 42; /* the stale access lands in the old page */
	CHECK_EQ(p[100], 42);
	CHECK(live_maps() >= 100);
	/* Given back: the next retirement lets them all go. */
	give_back(3);
	for (int i = 0; i < 16; i++) {
		CHECK(map(7) != NULL);
		unmap(7);
	}
	CHECK(!kept(5));
	printf("# after the chain completed: %u mappings\n", live_maps());
	CHECK(live_maps() <= 16);
	teardown();
}

static void test_duplicate_head_pins(void)
{
	setup();
	take(3);
	CHECK(map(5) != NULL);
	unmap(5);
	take(3); /* the same head again: its mark now says the second */
	give_back(3);
	/* One of the two is still out, but the log cannot say which. */
	for (int i = 0; i < 40; i++) {
		CHECK(map(6) != NULL);
		unmap(6);
	}
	CHECK(kept(5));
	CHECK(live_maps() >= 41);
	give_back(3); /* (clears nothing more; the counts now agree) */
	for (int i = 0; i < 16; i++) {
		CHECK(map(7) != NULL);
		unmap(7);
	}
	CHECK(!kept(5));
	CHECK(live_maps() <= 16);
	teardown();
}

static void test_ring_pins(void)
{
	uint8_t *ring;

	setup();
	ring = map(9);
	v.queues[0].run.q.vq.used = (struct vring_used *)(ring + 64);
	unmap(9);
	for (int i = 0; i < 40; i++) {
		CHECK(map(6) != NULL);
		unmap(6);
	}
	CHECK(kept(9));
	ring[64] = 1; /* the queue still runs on it */
	CHECK(live_maps() <= 16);
	/* Stopped: nothing holds it. */
	v.queues[0].kick_fd = -1;
	for (int i = 0; i < 16; i++) {
		CHECK(map(7) != NULL);
		unmap(7);
	}
	CHECK(!kept(9));
	CHECK(live_maps() <= 16);
	teardown();
}

int main(void)
{
	memfd = memfd_create("iotlb-test", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)(PAGES * PAGE)) < 0)
		return 1;
	hv_log_level = HV_LOG_ERR;
	RUN(test_map_unmap_loop_bounded);
	RUN(test_chain_in_flight_pins);
	RUN(test_duplicate_head_pins);
	RUN(test_ring_pins);
	return check_done();
}
