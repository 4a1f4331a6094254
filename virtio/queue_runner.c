// SPDX-License-Identifier: MIT
/* The queue thread every transport runs (see queue_runner.h). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "hvdpa/clock.h"
#include "hvdpa/cpu.h"
#include "hvdpa/log.h"
#include "hvdpa/queue_runner.h"

#define PREPARE_WAIT_MAX_MS 1000

static bool is_running(struct hv_queue_runner *r)
{
	return __atomic_load_n(&r->running, __ATOMIC_ACQUIRE);
}

static void on_kick(void *opaque, uint32_t events)
{
	struct hv_queue_runner *r = opaque;

	/* Edge-triggered: each kick wakes us once; the counter is never read,
	 * which saves a read() per kick. Before serving, the wake-up alone is
	 * what counts: prepare() is asked again. */
	(void)events;
	r->kicked = true;
	if (r->serving && !r->parked) {
		hv_stat_add(&r->q.stats.kicks, 1);
		r->q.dev->ops->queue_kick(&r->q);
	}
}

static void on_stop(void *opaque, uint32_t events)
{
	struct hv_queue_runner *r = opaque;

	(void)events;
	__atomic_store_n(&r->running, false, __ATOMIC_RELEASE);
}

/* Looks for work without a syscall for up to poll_ns: a request that comes
 * meanwhile skips the eventfd wake-up and the scheduler. */
static bool busy_poll(struct hv_queue_runner *r)
{
	const struct hv_device_ops *ops = r->q.dev->ops;
	uint64_t deadline = hv_now_ns() + r->adapt.window_ns;

	do {
		if (!r->q.vq.broken && hv_vq_avail_count(&r->q.vq)) {
			hv_stat_add(&r->q.stats.poll_hits, 1);
			ops->queue_kick(&r->q);
			return true;
		}
		if (ops->queue_poll && ops->queue_poll(&r->q)) {
			hv_stat_add(&r->q.stats.poll_hits, 1);
			return true;
		}
		hv_cpu_relax();
	} while (hv_now_ns() < deadline && is_running(r));
	return false;
}

/* Nothing to do: poll for the window, else sleep until something comes,
 * and learn from either how long to poll next time. */
static int poll_then_sleep(struct hv_queue_runner *r)
{
	uint64_t slept;
	int n;

	if (r->adapt.window_ns) {
		if (busy_poll(r)) {
			hv_poll_adapt_hit(&r->adapt);
			return 1;
		}
		hv_poll_adapt_miss(&r->adapt);
	}
	r->kicked = false;
	slept = hv_now_ns();
	n = hv_loop_run_once(&r->loop, -1);
	if (r->kicked)
		hv_poll_adapt_woken(&r->adapt, hv_now_ns() - slept);
	return n;
}

/* From now on only stop (and the backend's completions of what is in
 * flight) wakes the thread: no kick, no polling. */
static void park(struct hv_queue_runner *r, const char *why)
{
	r->parked = true;
	hv_loop_del(&r->loop, r->kick_fd);
	hv_warn_ratelimited(&r->rl, "%s: %s: parked until the device is reset", r->name, why);
}

static bool wait_prepared(struct hv_queue_runner *r)
{
	int wait_ms = 1;

	for (;;) {
		int e = r->prepare(r);

		if (e == 0)
			return true;
		if (e != -EAGAIN) {
			park(r, strerror(-e));
			return false;
		}
		e = hv_loop_run_once(&r->loop, wait_ms);
		if (!is_running(r))
			return false;
		if (e == 0 && wait_ms < PREPARE_WAIT_MAX_MS)
			wait_ms *= 2;
	}
}

/* cpus=: made sure of when the device was made; a cpuset changed since
 * then only costs the placement, so the queue is served anyway. */
static void keep_to_cpus(struct hv_queue_runner *r)
{
	const cpu_set_t *cpus = &r->q.dev->cpus;
	int e;

	if (!CPU_COUNT(cpus))
		return;
	e = pthread_setaffinity_np(pthread_self(), sizeof(*cpus), cpus);
	if (e)
		hv_warn("%s: cannot keep to cpus=: %s; running on any CPU", r->name, strerror(e));
}

static void *runner_thread(void *opaque)
{
	struct hv_queue_runner *r = opaque;
	bool poll = r->q.dev->poll_ns > 0;

	keep_to_cpus(r);
	if (!wait_prepared(r))
		goto wait_stop;
	__atomic_store_n(&r->serving, true, __ATOMIC_RELEASE);
	/* A kick that came before the eventfd was wired may be gone: look
	 * once anyway, it costs nothing. */
	r->q.dev->ops->queue_kick(&r->q);
	while (is_running(r)) {
		int n;

		if (r->q.vq.broken && !r->parked)
			park(r, "the driver broke the ring");
		n = hv_loop_run_once(&r->loop, poll && !r->parked ? 0 : -1);
		if (n == 0 && poll && !r->parked)
			n = poll_then_sleep(r);
		if (n < 0 && n != -EINTR) {
			hv_err("%s: epoll: %s", r->name, strerror(-n));
			break;
		}
	}
	r->q.dev->ops->queue_stop(&r->q);
	return NULL;

wait_stop:
	while (is_running(r)) {
		int n = hv_loop_run_once(&r->loop, -1);

		if (n < 0 && n != -EINTR)
			break;
	}
	return NULL;
}

void hv_queue_runner_init(struct hv_queue_runner *r, struct hv_device *dev, unsigned int index,
			  void (*notify)(struct hv_queue *q), void *transport,
			  int (*prepare)(struct hv_queue_runner *r), int kick_fd, const char *name)
{
	r->q.dev = dev;
	r->q.index = index;
	r->q.notify = notify;
	r->q.transport = transport;
	r->prepare = prepare;
	r->kick_fd = kick_fd;
	r->name = name;
}

int hv_queue_runner_start(struct hv_queue_runner *r)
{
	int e;

	r->serving = r->parked = false;
	hv_poll_adapt_init(&r->adapt, r->q.dev->poll_ns);
	r->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->stop_fd < 0)
		return -errno;
	e = hv_loop_init(&r->loop);
	if (e < 0)
		goto fail_stop;
	if ((e = hv_loop_add(&r->loop, r->kick_fd, EPOLLIN | EPOLLET, on_kick, r)) < 0 ||
	    (e = hv_loop_add(&r->loop, r->stop_fd, EPOLLIN, on_stop, r)) < 0)
		goto fail_loop;
	r->q.loop = &r->loop;
	r->running = true;
	e = -pthread_create(&r->thread, NULL, runner_thread, r);
	if (e < 0)
		goto fail_loop;
	r->started = true;
	return 0;

fail_loop:
	r->running = false;
	hv_loop_fini(&r->loop);
fail_stop:
	close(r->stop_fd);
	r->stop_fd = -1;
	return e;
}

void hv_queue_runner_stop(struct hv_queue_runner *r)
{
	uint64_t one = 1;

	if (!r->started)
		return;
	if (write(r->stop_fd, &one, sizeof(one)) < 0)
		hv_err("%s: cannot signal stop: %s", r->name, strerror(errno));
	pthread_join(r->thread, NULL);
	r->started = false;
	hv_loop_fini(&r->loop);
	close(r->stop_fd);
	r->stop_fd = -1;
}

uint16_t hv_queue_runner_last_avail(struct hv_queue_runner *r)
{
	if (!__atomic_load_n(&r->serving, __ATOMIC_ACQUIRE))
		return 0;
	return __atomic_load_n(&r->q.vq.last_avail, __ATOMIC_RELAXED);
}
