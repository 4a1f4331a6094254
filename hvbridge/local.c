// SPDX-License-Identifier: MIT
/*
 * Local serving (see local.h). The register file hands us the zone's
 * negotiation; at DRIVER_OK every ready queue is mapped on zone RAM through
 * the bounds-checked zone memory and served by the queue runner hvdpad's
 * VDUSE queues use (include/hvdpa/queue_runner.h): its thread waits on the
 * kick eventfd (written by QueueNotify) and the backend's own fds.
 *
 * A reset the zone asks for stops the queues on a thread of its own
 * (lo_reset_begin): stopping a queue waits for the requests in flight, and
 * the bridge thread, which serves every zone, must not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvdpa/blk.h"
#include "hvdpa/console.h"
#include "hvdpa/log.h"
#include "hvdpa/loop.h"
#include "hvdpa/net.h"
#include "hvdpa/queue_runner.h"
#include "bg_reset.h"
#include "local.h"

struct lqueue {
	struct hv_queue_runner run;
	struct hvb_local *lo;
	int kick_fd, call_fd; /* outlive resets */
	bool ready;
	struct hv_vq_layout layout;
	char name[80];
};

struct hvb_local {
	struct hvb_backend be; /* first: what the register file and the bridge hold */
	struct hv_device *dev;
	struct hv_mmio_dev *mmio; /* the register file over us */
	struct hv_mem *mem;	  /* zone RAM, NULL while there is none */
	uint64_t features;
	struct lqueue *q;
	struct hv_ratelimit rl;
	/* A reset under way: its thread stops the queues. */
	struct hvb_bg_reset reset;
};

static struct hvb_local *from_be(struct hvb_backend *be)
{
	return be ? container_of(be, struct hvb_local, be) : NULL;
}

static struct hvb_local *to_lo(struct hv_mmio_dev *m)
{
	return from_be(m->backend);
}

static void lq_notify(struct hv_queue *q)
{
	struct lqueue *lq = q->transport;
	uint64_t one = 1;

	if (write(lq->call_fd, &one, sizeof(one)) < 0)
		hv_warn_ratelimited(&q->vq.rl, "%s: call eventfd: %s", lq->name, strerror(errno));
}

static void drain(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) > 0)
		;
}

/* On the queue thread: the rings were checked at QueueReady. */
static int lq_prepare(struct hv_queue_runner *run)
{
	struct lqueue *lq = run->q.transport;
	int r = hv_vq_init(&run->q.vq, lq->lo->mem, &lq->layout, lq->name);

	if (r < 0)
		return r == -EAGAIN ? -EINVAL : r;
	r = lq->lo->dev->ops->queue_start(lq->lo->dev, &run->q);
	return r == -EAGAIN ? -EIO : r;
}

static int lq_start(struct hvb_local *lo, struct lqueue *lq, unsigned int index)
{
	/* The eventfds outlive a reset: what the last run left in them must
	 * not kick this one. */
	drain(lq->kick_fd);
	hv_queue_runner_init(&lq->run, lo->dev, index, lq_notify, lq, lq_prepare, lq->kick_fd,
			     lq->name);
	return hv_queue_runner_start(&lq->run);
}

static void lo_config_read(struct hv_mmio_dev *m, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, to_lo(m)->dev->config + off, len);
}

static int lo_features_ok(struct hv_mmio_dev *m, uint64_t features)
{
	to_lo(m)->features = features;
	return 0;
}

static int lo_queue_ready(struct hv_mmio_dev *m, unsigned int index, const struct hv_mmio_queue *q)
{
	struct hvb_local *lo = to_lo(m);
	struct lqueue *lq = &lo->q[index];

	struct hv_vq probe;
	int r;

	if (!lo->mem)
		return -EFAULT;
	lq->layout = (struct hv_vq_layout){
		.size = q->num,
		.desc_addr = q->desc,
		.avail_addr = q->driver,
		.used_addr = q->device,
		.features = lo->features,
	};
	/* Rings outside zone RAM: the zone hears now, with NEEDS_RESET. */
	memset(&probe, 0, sizeof(probe));
	r = hv_vq_init(&probe, lo->mem, &lq->layout, lq->name);
	if (r < 0) {
		hv_warn_ratelimited(&lo->rl, "%s: rings not in zone RAM", lq->name);
		return r;
	}
	lq->ready = true;
	return 0;
}

static void stop_all(struct hvb_local *lo)
{
	for (unsigned int i = 0; i < lo->dev->num_queues; i++) {
		hv_queue_runner_stop(&lo->q[i].run);
		lo->q[i].ready = false;
	}
}

/* On the reset thread. */
static void stop_queues(void *arg)
{
	struct hvb_local *lo = arg;

	for (unsigned int i = 0; i < lo->dev->num_queues; i++)
		hv_queue_runner_stop(&lo->q[i].run);
}

static int lo_reset_begin(struct hvb_backend *be)
{
	struct hvb_local *lo = from_be(be);
	bool running = false;

	if (lo->reset.running)
		return 1;
	for (unsigned int i = 0; i < lo->dev->num_queues; i++)
		running |= lo->q[i].run.started;
	if (!running)
		return 0;
	if (hvb_bg_reset_start(&lo->reset, stop_queues, lo, lo->dev->name) < 0)
		return 0; /* then on the bridge thread, as it used to be */
	return 1;
}

static int lo_reset_fd(struct hvb_backend *be)
{
	return hvb_bg_reset_fd(&from_be(be)->reset);
}

static int lo_driver_ok(struct hv_mmio_dev *m)
{
	struct hvb_local *lo = to_lo(m);
	int r;

	if (!lo->mem)
		return -EFAULT;
	if (lo->dev->ops->start && (r = lo->dev->ops->start(lo->dev, lo->features)) < 0)
		return r;
	for (unsigned int i = 0; i < lo->dev->num_queues; i++) {
		if (!lo->q[i].ready)
			continue;
		r = lq_start(lo, &lo->q[i], i);
		if (r < 0) {
			stop_all(lo);
			return r;
		}
	}
	return 0;
}

static void lo_notify(struct hv_mmio_dev *m, unsigned int index)
{
	struct lqueue *lq = &to_lo(m)->q[index];
	uint64_t one = 1;

	if (lq->run.started && write(lq->kick_fd, &one, sizeof(one)) < 0)
		hv_warn_ratelimited(&to_lo(m)->rl, "%s: kick: %s", lq->name, strerror(errno));
}

static void lo_reset(struct hv_mmio_dev *m)
{
	struct hvb_local *lo = to_lo(m);

	hvb_bg_reset_wait(&lo->reset);
	stop_all(lo);
	if (lo->dev->ops->reset)
		lo->dev->ops->reset(lo->dev);
	lo->features = 0;
	for (unsigned int i = 0; i < lo->dev->num_queues; i++)
		drain(lo->q[i].call_fd);
}

static const struct hv_mmio_ops local_mmio_ops = {
	.config_read = lo_config_read,
	.features_ok = lo_features_ok,
	.queue_ready = lo_queue_ready,
	.driver_ok = lo_driver_ok,
	.notify = lo_notify,
	.reset = lo_reset,
};

static int lo_set_ram(struct hvb_backend *be, const struct hvb_ram *ram, struct hv_mem *mem,
		      bool shadow)
{
	struct hvb_local *lo = from_be(be);

	(void)shadow; /* served in place: nothing to shadow */
	if (!ram || !ram->n) {
		hvb_bg_reset_wait(&lo->reset);
		stop_all(lo);
		lo->mem = NULL;
		return 0;
	}
	lo->mem = mem;
	return 0;
}

static unsigned int lo_num_queues(struct hvb_backend *be)
{
	return from_be(be)->dev->num_queues;
}

static int lo_call_fd(struct hvb_backend *be, unsigned int q)
{
	struct hvb_local *lo = from_be(be);

	return q < lo->dev->num_queues ? lo->q[q].call_fd : -1;
}

static void lo_completion(struct hvb_backend *be, struct hv_mmio_dev *m, unsigned int q)
{
	(void)be;
	(void)q;
	hv_mmio_raise(m, VIRTIO_MMIO_INT_VRING);
}

static void lo_close(struct hvb_backend *be)
{
	struct hvb_local *lo = from_be(be);

	if (!lo)
		return;
	hvb_bg_reset_fini(&lo->reset);
	if (lo->q) {
		stop_all(lo);
		for (unsigned int i = 0; i < lo->dev->num_queues; i++) {
			struct lqueue *lq = &lo->q[i];

			if (lq->kick_fd >= 0)
				close(lq->kick_fd);
			if (lq->call_fd >= 0)
				close(lq->call_fd);
		}
	}
	if (lo->dev)
		lo->dev->ops->destroy(lo->dev);
	free(lo->q);
	free(lo);
}

/* The device's own fd outside its queues (a NIC's tap link changes). */
static int lo_control_fd(struct hvb_backend *be)
{
	struct hvb_local *lo = from_be(be);

	return lo->dev->ops->control_fd ? lo->dev->ops->control_fd(lo->dev) : -1;
}

static void lo_control(struct hvb_backend *be, struct hv_mmio_dev *m)
{
	struct hvb_local *lo = from_be(be);

	(void)m; /* the device raises through lo_config_changed */

	lo->dev->ops->control_event(lo->dev);
}

/* The device changed its config space (a NIC's link status): the zone
 * hears it with a config interrupt once it drives the device (one, while
 * it has not acknowledged the last), and reads the new value when it gets
 * there otherwise; ConfigGeneration moves either way. */
static void lo_config_changed(struct hv_device *dev, uint32_t off, uint32_t len)
{
	struct hvb_local *lo = dev->transport;

	(void)off;
	(void)len;
	hv_mmio_config_changed(lo->mmio);
}

static const struct hvb_backend_ops local_backend_ops = {
	.mmio = &local_mmio_ops,
	.set_ram = lo_set_ram,
	.num_queues = lo_num_queues,
	.call_fd = lo_call_fd,
	.completion = lo_completion,
	.control_fd = lo_control_fd,
	.control = lo_control,
	.reset_begin = lo_reset_begin,
	.reset_fd = lo_reset_fd,
	.close = lo_close,
};

static int create_device(const char *spec, const char *name, struct hv_device **dev, char *err,
			 size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char opts[4200];
	size_t kind = colon ? (size_t)(colon - spec) : strlen(spec);

	snprintf(opts, sizeof(opts), "name=%s%s%s", name, colon && colon[1] ? "," : "",
		 colon ? colon + 1 : "");
	if (kind == 3 && !strncmp(spec, "blk", 3)) {
		struct hv_blk_options o;

		if (hv_blk_options_parse(&o, opts, err, errlen) < 0)
			return -EINVAL;
		return hv_blk_create(&o, dev, err, errlen);
	}
	if (kind == 3 && !strncmp(spec, "net", 3)) {
		struct hv_net_options o;

		if (hv_net_options_parse(&o, opts, err, errlen) < 0)
			return -EINVAL;
		return hv_net_create(&o, dev, err, errlen);
	}
	if (kind == 7 && !strncmp(spec, "console", 7)) {
		struct hv_console_options o;
		int r;

		if (hv_console_options_parse(&o, opts, err, errlen) < 0)
			return -EINVAL;
		r = hv_console_create(&o, dev, err, errlen);
		if (r == 0)
			hv_info("%s: console on %s", name, hv_console_where(*dev));
		return r;
	}
	snprintf(err, errlen, "local '%s': expected blk:KEYS, net:KEYS or console:KEYS", spec);
	return -EINVAL;
}

int hvb_local_open(const char *spec, const char *name, struct hv_mmio_dev *m,
		   struct hvb_backend **out, char *err, size_t errlen)
{
	struct hvb_local *lo = calloc(1, sizeof(*lo));
	char why[400];
	int r;

	if (!lo) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	lo->be.ops = &local_backend_ops;
	r = hvb_bg_reset_init(&lo->reset);
	if (r < 0) {
		snprintf(err, errlen, "%s: eventfd: %s", name, strerror(-r));
		free(lo);
		return r;
	}
	r = create_device(spec, name, &lo->dev, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		hvb_bg_reset_fini(&lo->reset);
		free(lo);
		return r;
	}
	lo->q = calloc(lo->dev->num_queues, sizeof(*lo->q));
	if (!lo->q) {
		lo_close(&lo->be);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < lo->dev->num_queues; i++)
		lo->q[i].kick_fd = lo->q[i].call_fd = -1;
	for (unsigned int i = 0; i < lo->dev->num_queues; i++) {
		struct lqueue *lq = &lo->q[i];

		snprintf(lq->name, sizeof(lq->name), "%s/vq%u", name, i);
		lq->lo = lo;
		lq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		lq->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (lq->kick_fd < 0 || lq->call_fd < 0) {
			r = -errno;
			lo_close(&lo->be);
			snprintf(err, errlen, "%s: eventfd: %s", name, strerror(-r));
			return r;
		}
	}
	lo->mmio = m;
	lo->dev->transport = lo;
	lo->dev->config_changed = lo_config_changed;
	/* Created with the link up: say what it really is. */
	if (lo->dev->ops->control_fd && lo->dev->ops->control_fd(lo->dev) >= 0)
		lo->dev->ops->control_event(lo->dev);
	m->device_id = lo->dev->device_id;
	m->device_features = lo->dev->features;
	m->num_queues = lo->dev->num_queues;
	m->queue_num_max = lo->dev->queue_size;
	m->config_size = lo->dev->config_size;
	*out = &lo->be;
	return 0;
}
