// SPDX-License-Identifier: MIT
/*
 * The queue runner every transport uses: a queue the driver enables after
 * DRIVER_OK is served once it does (on a kick, or on the back-off timer when
 * the kick was lost), stop works while it waits, and a ring the driver broke
 * is parked instead of polled.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fake_driver.h"
#include "hvdpa/log.h"
#include "hvdpa/queue_runner.h"

static struct fake_driver drv;
static int enabled; /* the "driver" has enabled the queue */
static int prepares, kicks, served;

static int test_prepare(struct hv_queue_runner *r)
{
	struct hv_vq_layout l;

	__atomic_add_fetch(&prepares, 1, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&enabled, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	fd_layout(&drv, &l, 0);
	return hv_vq_init(&r->q.vq, &drv.fm.mem, &l, "test/vq0");
}

static int test_queue_start(struct hv_device *dev, struct hv_queue *q)
{
	(void)dev;
	(void)q;
	return 0;
}

/* Serves whatever is there, as a backend does; the ring may be broken. */
static void test_queue_kick(struct hv_queue *q)
{
	struct hv_vq_elem e;
	struct iovec iov[8];

	__atomic_add_fetch(&kicks, 1, __ATOMIC_RELAXED);
	e.iov = iov;
	e.max_iov = 8;
	while (hv_vq_pop(&q->vq, &e) == 1) {
		hv_vq_push(&q->vq, e.head, 0);
		__atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
	}
	hv_vq_flush(&q->vq);
}

static void test_queue_stop(struct hv_queue *q)
{
	(void)q;
}

static const struct hv_device_ops ops = {
	.queue_start = test_queue_start,
	.queue_kick = test_queue_kick,
	.queue_stop = test_queue_stop,
};

static struct hv_device dev = {.ops = &ops, .name = "test"};

static void notify(struct hv_queue *q)
{
	(void)q;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool wait_served(int n, unsigned int ms)
{
	uint64_t end = ms_now() + ms;

	while (__atomic_load_n(&served, __ATOMIC_RELAXED) < n && ms_now() < end)
		usleep(1000);
	return __atomic_load_n(&served, __ATOMIC_RELAXED) >= n;
}

static void setup(struct hv_queue_runner *r, int kick_fd, uint32_t poll_ns)
{
	fd_init(&drv, 1 << 20, 16);
	enabled = prepares = kicks = served = 0;
	*r = (struct hv_queue_runner){0};
	dev.poll_ns = poll_ns;
	CPU_ZERO(&dev.cpus);
	hv_queue_runner_init(r, &dev, 0, notify, NULL, test_prepare, kick_fd, "test/vq0");
}

static void publish_one(void)
{
	uint64_t buf = fd_alloc(&drv, 64);

	fd_publish(&drv, fd_chain(&drv, &(struct fd_buf){buf, 64, true}, 1));
}

/* Enabled after "DRIVER_OK", then kicked: served at once. */
static void test_enabled_late_then_kicked(void)
{
	struct hv_queue_runner r;
	int kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1;

	setup(&r, kfd, 0);
	CHECK_EQ(hv_queue_runner_start(&r), 0);
	/* Long enough for the back-off to reach 1 s: only the kick can make
	 * it look again within the next 600 ms. */
	usleep(1100000);
	CHECK(__atomic_load_n(&prepares, __ATOMIC_RELAXED) >= 1);
	CHECK_EQ(__atomic_load_n(&kicks, __ATOMIC_RELAXED), 0);
	CHECK_EQ(hv_queue_runner_last_avail(&r), 0);
	publish_one();
	__atomic_store_n(&enabled, 1, __ATOMIC_RELEASE);
	CHECK_EQ(write(kfd, &one, sizeof(one)), 8);
	CHECK(wait_served(1, 600));
	CHECK_EQ(hv_queue_runner_last_avail(&r), 1);
	publish_one();
	CHECK_EQ(write(kfd, &one, sizeof(one)), 8);
	CHECK(wait_served(2, 1000));
	hv_queue_runner_stop(&r);
	close(kfd);
	fd_free(&drv);
}

/* The kick came while the queue was not ready, and the kernel dropped it:
 * the back-off timer finds the queue enabled all the same. */
static void test_enabled_late_kick_lost(void)
{
	struct hv_queue_runner r;
	int kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	setup(&r, kfd, 50000);
	CHECK_EQ(hv_queue_runner_start(&r), 0);
	usleep(20000);
	publish_one();
	__atomic_store_n(&enabled, 1, __ATOMIC_RELEASE);
	CHECK(wait_served(1, 2500));
	hv_queue_runner_stop(&r);
	close(kfd);
	fd_free(&drv);
}

/* A queue never enabled: stop returns at once, nothing served, and the
 * wait backs off instead of spinning. */
static void test_stop_while_waiting(void)
{
	struct hv_queue_runner r;
	int kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t t0;

	setup(&r, kfd, 50000);
	CHECK_EQ(hv_queue_runner_start(&r), 0);
	usleep(1500000);
	/* 1, 2, 4, ... 1024 ms: about 11 looks in 1.5 s, not thousands. */
	CHECK(__atomic_load_n(&prepares, __ATOMIC_RELAXED) <= 16);
	t0 = ms_now();
	hv_queue_runner_stop(&r);
	CHECK(ms_now() - t0 < 1000); /* not after the 1 s back-off */
	CHECK_EQ(served, 0);
	CHECK_EQ(kicks, 0);
	hv_queue_runner_stop(&r); /* twice is harmless */
	close(kfd);
	fd_free(&drv);
}

static uint64_t thread_cpu_ms(pthread_t t)
{
	clockid_t c;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &c) || clock_gettime(c, &ts))
		return UINT64_MAX;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The driver jumps its avail index more than a queue ahead: the queue is
 * broken until reset. The runner parks it: no polling, kicks ignored. */
static void test_broken_ring_parked(void)
{
	struct hv_queue_runner r;
	int kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1, cpu0, cpu1;
	int k;

	setup(&r, kfd, 1000000); /* busy-polls 1 ms after work */
	enabled = 1;
	CHECK_EQ(hv_queue_runner_start(&r), 0);
	publish_one();
	CHECK_EQ(write(kfd, &one, sizeof(one)), 8);
	CHECK(wait_served(1, 1000));
	drv.avail->idx = htole16(le16toh(drv.avail->idx) + 100);
	CHECK_EQ(write(kfd, &one, sizeof(one)), 8);
	usleep(100000);
	k = __atomic_load_n(&kicks, __ATOMIC_RELAXED);
	cpu0 = thread_cpu_ms(r.thread);
	usleep(500000);
	cpu1 = thread_cpu_ms(r.thread);
	/* A spinning thread burns the whole 500 ms. */
	CHECK(cpu1 - cpu0 < 100);
	CHECK_EQ(write(kfd, &one, sizeof(one)), 8);
	usleep(50000);
	CHECK_EQ(__atomic_load_n(&kicks, __ATOMIC_RELAXED), k);
	hv_queue_runner_stop(&r);
	close(kfd);
	fd_free(&drv);
}

/* cpus=: the queue thread runs on the CPUs given, and serves as before. */
static void test_keeps_to_cpus(void)
{
	struct hv_queue_runner r;
	int kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cpu_set_t allowed, got;
	uint64_t one = 1;
	int c = CPU_SETSIZE - 1;

	CHECK_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	/* The last CPU allowed: on a machine of several, not where an
	 * unpinned thread would be confined anyway. */
	while (c > 0 && !CPU_ISSET(c, &allowed))
		c--;
	setup(&r, kfd, 0);
	CPU_SET(c, &dev.cpus);
	__atomic_store_n(&enabled, 1, __ATOMIC_RELEASE);
	CHECK_EQ(hv_queue_runner_start(&r), 0);
	publish_one();
	CHECK_EQ(write(kfd, &one, sizeof(one)), 8);
	CHECK(wait_served(1, 1000));
	CHECK_EQ(pthread_getaffinity_np(r.thread, sizeof(got), &got), 0);
	CHECK(CPU_EQUAL(&got, &dev.cpus));
	hv_queue_runner_stop(&r);
	CPU_ZERO(&dev.cpus);
	close(kfd);
	fd_free(&drv);
}

int main(void)
{
	hv_log_level = HV_LOG_ERR;
	RUN(test_enabled_late_then_kicked);
	RUN(test_enabled_late_kick_lost);
	RUN(test_stop_while_waiting);
	RUN(test_broken_ring_parked);
	RUN(test_keeps_to_cpus);
	return check_done();
}
