// SPDX-License-Identifier: MIT
/*
 * One thread per running virtqueue: it waits on the kick eventfd, the
 * backend's completion fds and a stop eventfd, and is the only thread that
 * touches its ring.
 */
#include <endian.h>
#include <errno.h>
#include <linux/vduse.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "hvdpa/cpu.h"
#include "hvdpa/log.h"
#include "vduse_int.h"

static void vduse_notify(struct hv_queue *q)
{
	struct vduse_queue *vq = q->transport;
	uint32_t index = q->index;

	if (ioctl(vq->v->dev_fd, VDUSE_VQ_INJECT_IRQ, &index) < 0)
		hv_warn_ratelimited(&q->vq.rl, "%s: VDUSE_VQ_INJECT_IRQ: %s", vq->name,
				    strerror(errno));
}

static void on_kick(void *opaque, uint32_t events)
{
	struct vduse_queue *vq = opaque;

	/* Edge-triggered: each kick wakes us once; the counter is never read,
	 * which saves a read() per kick. */
	(void)events;
	vq->q.dev->ops->queue_kick(&vq->q);
}

static void on_stop(void *opaque, uint32_t events)
{
	struct vduse_queue *vq = opaque;

	(void)events;
	vq->running = false;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Looks for work without a syscall for up to poll_ns: a request that comes
 * meanwhile skips the eventfd wake-up and the scheduler. */
static bool busy_poll(struct vduse_queue *vq)
{
	const struct hv_device_ops *ops = vq->q.dev->ops;
	uint64_t deadline = now_ns() + vq->q.dev->poll_ns;

	do {
		if (hv_vq_avail_count(&vq->q.vq)) {
			ops->queue_kick(&vq->q);
			return true;
		}
		if (ops->queue_poll && ops->queue_poll(&vq->q))
			return true;
		hv_cpu_relax();
	} while (now_ns() < deadline && __atomic_load_n(&vq->running, __ATOMIC_ACQUIRE));
	return false;
}

static void *queue_thread(void *opaque)
{
	struct vduse_queue *vq = opaque;
	bool poll = vq->q.dev->poll_ns > 0;

	/* A kick that came before the eventfd was wired is replayed by the
	 * kernel, but look once anyway: it costs nothing. After a takeover it
	 * matters: kicks sent while nobody served the queue are gone, and the
	 * dead process may have published completions without an interrupt. */
	if (vq->recovered)
		vq->q.notify(&vq->q);
	vq->q.dev->ops->queue_kick(&vq->q);
	while (__atomic_load_n(&vq->running, __ATOMIC_ACQUIRE)) {
		int r = hv_loop_run_once(&vq->loop, poll ? 0 : -1);

		if (r == 0 && poll && !busy_poll(vq))
			r = hv_loop_run_once(&vq->loop, -1);
		if (r < 0 && r != -EINTR) {
			hv_err("%s: epoll: %s", vq->name, strerror(-r));
			break;
		}
	}
	vq->q.dev->ops->queue_stop(&vq->q);
	return NULL;
}

uint16_t vduse_queue_last_avail(struct vduse_queue *vq)
{
	return __atomic_load_n(&vq->q.vq.last_avail, __ATOMIC_RELAXED);
}

/* A log still active means a process died with this queue running: what it
 * had in flight is run again before anything new. */
static int attach_log(struct vduse_queue *vq, struct hv_inflight *log)
{
	int n;

	if (!__atomic_load_n(&log->active, __ATOMIC_ACQUIRE)) {
		hv_vq_log_begin(&vq->q.vq, log);
		return 0;
	}
	n = hv_vq_log_recover(&vq->q.vq, log);
	if (n < 0) {
		hv_err("%s: the in-flight log does not match the ring; requests in flight "
		       "before the restart will not complete",
		       vq->name);
		hv_vq_log_begin(&vq->q.vq, log);
		return 0;
	}
	vq->recovered = true;
	hv_info("%s: resumed at avail %u, used %u: %d request%s to run again", vq->name,
		vq->q.vq.last_avail, vq->q.vq.used_idx, n, n == 1 ? "" : "s");
	return 0;
}

int vduse_queue_start(struct hv_vduse *v, struct vduse_queue *vq, unsigned int index)
{
	struct vduse_vq_info info = {.index = index};
	struct vduse_vq_eventfd kick = {.index = index};
	struct hv_vq_layout l = {0};
	int r;

	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = vq->stop_fd = -1;
	vq->v = v;
	snprintf(vq->name, sizeof(vq->name), "%s/vq%u", v->dev->name, index);
	if (ioctl(v->dev_fd, VDUSE_VQ_GET_INFO, &info) < 0)
		return -errno;
	if (!info.ready)
		return -EAGAIN;

	l.size = (uint16_t)info.num;
	l.desc_addr = info.desc_addr;
	l.avail_addr = info.driver_addr;
	l.used_addr = info.device_addr;
	l.features = v->features;
	l.last_avail = info.split.avail_index;
	r = hv_vq_init(&vq->q.vq, &v->iotlb.mem, &l, vq->name);
	if (r < 0) {
		hv_err("%s: cannot map the rings (size %u, desc 0x%llx, avail 0x%llx, used "
		       "0x%llx): %s",
		       vq->name, info.num, (unsigned long long)info.desc_addr,
		       (unsigned long long)info.driver_addr, (unsigned long long)info.device_addr,
		       strerror(-r));
		return r;
	}
	/* Resume after what the driver already got back. */
	vq->q.vq.used_idx = le16toh(__atomic_load_n(&vq->q.vq.used->idx, __ATOMIC_ACQUIRE));
	vq->q.vq.signalled_used = vq->q.vq.used_idx;
	r = attach_log(vq, vduse_state_log(v->state, index));
	if (r < 0)
		return r;

	vq->q.dev = v->dev;
	vq->q.index = index;
	vq->q.loop = &vq->loop;
	vq->q.notify = vduse_notify;
	vq->q.transport = vq;

	r = hv_loop_init(&vq->loop);
	if (r < 0)
		return r;
	vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->kick_fd < 0 || vq->stop_fd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = hv_loop_add(&vq->loop, vq->kick_fd, EPOLLIN | EPOLLET, on_kick, vq)) < 0 ||
	    (r = hv_loop_add(&vq->loop, vq->stop_fd, EPOLLIN, on_stop, vq)) < 0)
		goto fail;
	r = v->dev->ops->queue_start(v->dev, &vq->q);
	if (r < 0)
		goto fail;
	kick.fd = vq->kick_fd;
	if (ioctl(v->dev_fd, VDUSE_VQ_SETUP_KICKFD, &kick) < 0) {
		r = -errno;
		v->dev->ops->queue_stop(&vq->q);
		goto fail;
	}
	vq->running = true;
	r = -pthread_create(&vq->thread, NULL, queue_thread, vq);
	if (r < 0) {
		vq->running = false;
		v->dev->ops->queue_stop(&vq->q);
		goto fail;
	}
	hv_debug("%s: started, size %u, last avail %u", vq->name, info.num, info.split.avail_index);
	return 0;

fail:
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->stop_fd >= 0)
		close(vq->stop_fd);
	vq->kick_fd = vq->stop_fd = -1;
	hv_loop_fini(&vq->loop);
	return r;
}

void vduse_queue_stop(struct vduse_queue *vq)
{
	struct vduse_vq_eventfd kick = {.index = vq->q.index, .fd = VDUSE_EVENTFD_DEASSIGN};
	uint64_t one = 1;

	if (vq->kick_fd < 0)
		return;
	if (write(vq->stop_fd, &one, sizeof(one)) < 0)
		hv_err("%s: cannot signal stop: %s", vq->name, strerror(errno));
	pthread_join(vq->thread, NULL);
	/* After a reset the kernel has dropped it already; harmless then. */
	ioctl(vq->v->dev_fd, VDUSE_VQ_SETUP_KICKFD, &kick);
	close(vq->kick_fd);
	close(vq->stop_fd);
	vq->kick_fd = vq->stop_fd = -1;
	hv_loop_fini(&vq->loop);
}
