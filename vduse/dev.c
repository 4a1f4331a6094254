// SPDX-License-Identifier: MIT
/*
 * A VDUSE device: creation, the control message loop and teardown. The
 * message loop runs on the caller's thread and answers at once; the only
 * wait it does is for queue threads to finish their in-flight I/O on reset,
 * which a healthy backend does in milliseconds, far inside the kernel's
 * message timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vduse.h>
#include <linux/virtio_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "vduse_int.h"

int hv_vduse_fd(const struct hv_vduse *v)
{
	return v->dev_fd;
}

static void stop_queues(struct hv_vduse *v)
{
	for (unsigned int i = 0; i < v->dev->num_queues; i++)
		vduse_queue_stop(&v->queues[i]);
}

static void reset_device(struct hv_vduse *v)
{
	stop_queues(v);
	/* Nothing is in flight after a reset: the logs start over at the
	 * next DRIVER_OK. */
	for (unsigned int i = 0; i < v->dev->num_queues; i++)
		__atomic_store_n(&vduse_state_log(v->state, i)->active, 0, __ATOMIC_RELEASE);
	if (v->dev->ops->reset)
		v->dev->ops->reset(v->dev);
	vduse_iotlb_reset(&v->iotlb);
	v->features = 0;
}

static void start_device(struct hv_vduse *v)
{
	unsigned int started = 0, late = 0;

	if (ioctl(v->dev_fd, VDUSE_DEV_GET_FEATURES, &v->features) < 0) {
		hv_err("%s: VDUSE_DEV_GET_FEATURES: %s", v->dev->name, strerror(errno));
		return;
	}
	if (v->dev->ops->start && v->dev->ops->start(v->dev, v->features) < 0) {
		hv_err_ratelimited(&v->rl, "%s: backend refused features 0x%llx", v->dev->name,
				   (unsigned long long)v->features);
		return;
	}
	for (unsigned int i = 0; i < v->dev->num_queues; i++) {
		int r = vduse_queue_start(v, &v->queues[i], i);

		if (r < 0)
			hv_err_ratelimited(&v->rl, "%s: queue %u not started: %s", v->dev->name, i,
					   strerror(-r));
		else
			started++;
		late += r == 0 && v->queues[i].late;
	}
	/* Never wait for readiness here: this thread answers every device's
	 * messages. A queue the driver enables later starts on its own. */
	hv_info_ratelimited(
		&v->rl,
		"%s: driver ready, features 0x%llx, %u of %u queues started (%u of them "
		"wait for the driver to enable them)",
		v->dev->name, (unsigned long long)v->features, started, v->dev->num_queues, late);
}

static void set_status(struct hv_vduse *v, uint8_t status)
{
	uint8_t old = v->status;

	hv_debug("%s: status 0x%x -> 0x%x", v->dev->name, old, status);
	if (status == 0) {
		if (old)
			reset_device(v);
	} else if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		start_device(v);
	}
	v->status = status;
	/* Recorded before we answer: a successor replays an unanswered
	 * message, and must not act twice on an answered one. */
	vduse_state_set_status(v->state, status);
}

static void handle(struct hv_vduse *v, const struct vduse_dev_request *req,
		   struct vduse_dev_response *resp)
{
	resp->result = VDUSE_REQ_RESULT_OK;
	switch (req->type) {
	case VDUSE_GET_VQ_STATE: {
		uint32_t i = req->vq_state.index;

		if (i >= v->dev->num_queues) {
			resp->result = VDUSE_REQ_RESULT_FAILED;
			break;
		}
		vduse_queue_state(v, i, &resp->vq_state);
		break;
	}
	case VDUSE_SET_STATUS:
		set_status(v, req->s.status);
		break;
	case VDUSE_UPDATE_IOTLB:
		vduse_iotlb_invalidate(&v->iotlb, req->iova.start, req->iova.last);
		break;
	default:
		hv_warn("%s: unknown VDUSE request type %u", v->dev->name, req->type);
		resp->result = VDUSE_REQ_RESULT_FAILED;
		break;
	}
}

int hv_vduse_handle_messages(struct hv_vduse *v)
{
	for (;;) {
		struct vduse_dev_request req;
		struct vduse_dev_response resp;
		ssize_t n = read(v->dev_fd, &req, sizeof(req));

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		if (n != sizeof(req))
			return -EIO;
		memset(&resp, 0, sizeof(resp));
		resp.request_id = req.request_id;
		handle(v, &req, &resp);
		if (write(v->dev_fd, &resp, sizeof(resp)) != sizeof(resp))
			hv_err("%s: answering request %u: %s", v->dev->name, req.request_id,
			       strerror(errno));
	}
}

/* devtmpfs creates the node a moment after the ioctl returns; a process
 * that served the device before us may still be closing it (EBUSY). */
static int open_device(const char *name)
{
	char path[320];
	int fd = -1;

	snprintf(path, sizeof(path), "/dev/vduse/%s", name);
	for (int tries = 0; tries < 1500; tries++) {
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 || (errno != ENOENT && errno != EBUSY))
			break;
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	return fd < 0 ? -errno : fd;
}

/* A fresh device: create it in the kernel and set up its queues. */
static int create_device(struct hv_vduse *v, char *err, size_t errlen)
{
	struct hv_device *dev = v->dev;
	int r = vduse_control_create(v->ctrl_fd, dev, err, errlen);

	if (r < 0)
		return r;
	r = open_device(dev->name);
	if (r < 0) {
		snprintf(err, errlen, "/dev/vduse/%s: %s", dev->name, strerror(-r));
		goto fail;
	}
	v->dev_fd = r;
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		struct vduse_vq_config c = {.index = i, .max_size = dev->queue_size};

		if (ioctl(v->dev_fd, VDUSE_VQ_SETUP, &c) < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: VDUSE_VQ_SETUP %u: %s", dev->name, i,
				 strerror(-r));
			close(v->dev_fd);
			v->dev_fd = -1;
			goto fail;
		}
	}
	vduse_state_created(v->state);
	return 0;
fail:
	vduse_control_destroy(v->ctrl_fd, dev->name);
	return r;
}

/* A device a dead process served: the kernel kept it, queues and all. */
static int reattach_device(struct hv_vduse *v, char *err, size_t errlen)
{
	int r = open_device(v->dev->name);

	if (r < 0) {
		snprintf(err, errlen, "/dev/vduse/%s: %s%s", v->dev->name, strerror(-r),
			 r == -EBUSY ? " (another program has it open)" : "");
		return r;
	}
	v->dev_fd = r;
	hv_info("%s: taking over /dev/vduse/%s (status 0x%x)", v->dev->name, v->dev->name,
		vduse_state_status(v->state));
	return 0;
}

static void vduse_config_changed(struct hv_device *dev, uint32_t off, uint32_t len)
{
	struct hv_vduse *v = dev->transport;
	uint64_t arg[(sizeof(struct vduse_config_data) + HV_CONFIG_MAX + 7) / 8] = {0};
	struct vduse_config_data *c = (struct vduse_config_data *)arg;

	if (off >= dev->config_size || len > dev->config_size - off)
		return;
	c->offset = off;
	c->length = len;
	memcpy(c->buffer, dev->config + off, len);
	if (ioctl(v->dev_fd, VDUSE_DEV_SET_CONFIG, c) < 0)
		hv_warn("%s: VDUSE_DEV_SET_CONFIG: %s", dev->name, strerror(errno));
	/* The kernel refuses the interrupt before DRIVER_OK; the driver reads
	 * the new value when it gets there. */
	else if ((v->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
		 ioctl(v->dev_fd, VDUSE_DEV_INJECT_CONFIG_IRQ) < 0)
		hv_warn("%s: VDUSE_DEV_INJECT_CONFIG_IRQ: %s", dev->name, strerror(errno));
}

int hv_vduse_create(struct hv_device *dev, struct hv_vduse_state *s, struct hv_vduse **out,
		    char *err, size_t errlen)
{
	struct hv_vduse *v = calloc(1, sizeof(*v));
	int r;

	if (!v) {
		hv_vduse_release(s);
		return -ENOMEM;
	}
	v->dev = dev;
	v->dev_fd = -1;
	v->state = s;
	v->queues = calloc(dev->num_queues, sizeof(*v->queues));
	if (!v->queues) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		v->queues[i].kick_fd = -1;
		v->queues[i].v = v;
	}

	r = vduse_state_map(s, dev);
	if (r < 0) {
		snprintf(err, errlen, "%s: state file: %s", dev->name, strerror(-r));
		goto fail;
	}
	v->ctrl_fd = vduse_control_open(err, errlen);
	if (v->ctrl_fd < 0) {
		r = v->ctrl_fd;
		goto fail;
	}
	r = vduse_state_reattach(s) ? reattach_device(v, err, errlen)
				    : create_device(v, err, errlen);
	if (r < 0) {
		close(v->ctrl_fd);
		goto fail;
	}
	vduse_iotlb_init(&v->iotlb, v->dev_fd);
	dev->transport = v;
	dev->config_changed = vduse_config_changed;
	/* The kernel sends no DRIVER_OK again: the driver may be mid-I/O. */
	if (vduse_state_reattach(s))
		set_status(v, vduse_state_status(s));
	*out = v;
	return 0;

fail:
	hv_vduse_release(s);
	free(v->queues);
	free(v);
	return r;
}

int hv_vduse_destroy(struct hv_vduse *v)
{
	int r;

	v->dev->config_changed = NULL;
	stop_queues(v);
	vduse_iotlb_fini(&v->iotlb);
	close(v->dev_fd);
	r = vduse_control_destroy(v->ctrl_fd, v->dev->name);
	close(v->ctrl_fd);
	if (r == 0)
		vduse_state_remove(v->state);
	hv_vduse_release(v->state);
	free(v->queues);
	free(v);
	return r;
}

void hv_vduse_queue_stats(const struct hv_vduse *v, unsigned int index, struct hv_queue_stats *out)
{
	hv_queue_stats_read(&v->queues[index].run.q, out);
}

void hv_vduse_record_config(struct hv_vduse *v)
{
	vduse_state_record_config(v->state, v->dev);
}
