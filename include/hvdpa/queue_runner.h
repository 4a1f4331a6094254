/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_QUEUE_RUNNER_H
#define HVDPA_QUEUE_RUNNER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hvdpa/device.h"
#include "hvdpa/loop.h"
#include "hvdpa/poll_adapt.h"

/*
 * The thread that serves one virtqueue, shared by every transport (VDUSE,
 * hvbridge's local mode): it waits on the driver's kick eventfd, the
 * backend's fds and a stop eventfd, busy-polls after work for an adaptive
 * window of at most dev->poll_ns (poll_adapt.h), and is the only thread that
 * touches its ring.
 *
 * Before it serves, it calls prepare() on its own thread until that returns
 * 0: a transport whose driver may enable a queue after DRIVER_OK returns
 * -EAGAIN and is asked again after every kick and on a back-off timer (1 ms
 * doubling to 1 s), so no message thread waits for a driver. Any other error
 * parks the queue (it waits for stop and does nothing else), and so does a
 * ring the driver broke (hv_vq.broken): a broken queue needs a reset and is
 * never polled.
 */
struct hv_queue_runner {
	struct hv_queue q; /* q.dev, q.index, q.notify, q.transport: the owner's */
	/* Called on the queue thread: map q.vq and start the backend
	 * (dev->ops->queue_start). 0: serve; -EAGAIN: not yet. */
	int (*prepare)(struct hv_queue_runner *r);
	int kick_fd; /* the owner's; edge-triggered here */
	const char *name;
	/* Kept across starts: a driver that breaks its ring after every reset
	 * is not to flood the log. */
	struct hv_ratelimit rl;

	/* The runner's own. */
	struct hv_loop loop;
	pthread_t thread;
	int stop_fd;
	bool started; /* a thread exists: the owner's thread reads it */
	bool running; /* loop condition, cleared by stop */
	bool serving; /* prepare() succeeded: queue_stop() is owed */
	bool parked;
	bool kicked; /* a kick came since the thread last went to sleep */
	struct hv_poll_adapt adapt;
};

/* Sets the owner's parts (q.dev, q.index, q.notify, q.transport, prepare,
 * kick_fd, name) and nothing else: rl and whatever the owner keeps in q.vq
 * survive, as they must across starts. */
void hv_queue_runner_init(struct hv_queue_runner *r, struct hv_device *dev, unsigned int index,
			  void (*notify)(struct hv_queue *q), void *transport,
			  int (*prepare)(struct hv_queue_runner *r), int kick_fd, const char *name);
/* Starts the thread, once hv_queue_runner_init() has set the owner's
 * parts. */
int hv_queue_runner_start(struct hv_queue_runner *r);
/* Stops the thread and waits for it: in-flight work is finished by the
 * backend's queue_stop(). Safe on a runner that never started. */
void hv_queue_runner_stop(struct hv_queue_runner *r);
/* The avail index the device resumes at, 0 before it serves. Any thread. */
uint16_t hv_queue_runner_last_avail(struct hv_queue_runner *r);

#endif
