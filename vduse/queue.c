// SPDX-License-Identifier: MIT
/*
 * A VDUSE virtqueue: the kick eventfd handed to the kernel, and the shared
 * queue runner (include/hvdpa/queue_runner.h) whose thread maps the rings
 * once the driver has enabled the queue. vhost-vdpa users (QEMU's
 * -netdev vhost-vdpa) may enable a queue after DRIVER_OK, and VDUSE sends
 * no message for it: the runner asks VDUSE_VQ_GET_INFO again after every
 * kick (the kernel forwards kicks only for ready queues, and may have
 * dropped the ones sent before) and on a back-off timer.
 */
#include <endian.h>
#include <errno.h>
#include <linux/vduse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

void vduse_queue_state(struct hv_vduse *v, unsigned int index, struct vduse_vq_state *s)
{
	struct vduse_queue *vq = &v->queues[index];
	struct vduse_vq_info info = {.index = index};
	const struct hv_vq_packed *pk = &vq->run.q.vq.pk;

	s->index = index;
	if (vq->kick_fd >= 0 && __atomic_load_n(&vq->run.serving, __ATOMIC_ACQUIRE)) {
		if (!(v->features & (1ull << VIRTIO_F_RING_PACKED))) {
			s->split.avail_index = hv_queue_runner_last_avail(&vq->run);
			return;
		}
		/* Asked for with the queue stopped (vhost-vdpa's
		 * GET_VRING_BASE); each field is read once. */
		s->packed.last_avail_idx = __atomic_load_n(&pk->avail_pos, __ATOMIC_RELAXED);
		s->packed.last_avail_counter = __atomic_load_n(&pk->avail_wrap, __ATOMIC_RELAXED);
		s->packed.last_used_idx = __atomic_load_n(&pk->used_pos, __ATOMIC_RELAXED);
		s->packed.last_used_counter = __atomic_load_n(&pk->used_wrap, __ATOMIC_RELAXED);
		return;
	}
	/* Not served (yet): what the driver set is still the state. */
	if (ioctl(v->dev_fd, VDUSE_VQ_GET_INFO, &info) < 0)
		return;
	if (v->features & (1ull << VIRTIO_F_RING_PACKED))
		s->packed = info.packed;
	else
		s->split = info.split;
}

/* A log still active means a process died with this queue running: what it
 * had in flight is run again before anything new. */
static void attach_log(struct vduse_queue *vq, struct hv_inflight *log)
{
	struct hv_vq *hvq = &vq->run.q.vq;
	int n;

	if (!__atomic_load_n(&log->active, __ATOMIC_ACQUIRE)) {
		hv_vq_log_begin(hvq, log);
		return;
	}
	n = hv_vq_log_recover(hvq, log);
	if (n < 0) {
		hv_err("%s: the in-flight log does not match the ring; requests in flight "
		       "before the restart will not complete",
		       vq->name);
		hv_vq_log_begin(hvq, log);
		return;
	}
	vq->recovered = true;
	hv_info("%s: resumed at avail %u, used %u: %d request%s to run again", vq->name,
		hvq->last_avail, hvq->used_idx, n, n == 1 ? "" : "s");
}

/* On the queue thread: -EAGAIN until the driver has enabled the queue. */
static int vduse_prepare(struct hv_queue_runner *run)
{
	struct vduse_queue *vq = run->q.transport;
	struct hv_vduse *v = vq->v;
	struct vduse_vq_info info = {.index = run->q.index};
	struct hv_vq_layout l = {0};
	int r;

	if (ioctl(v->dev_fd, VDUSE_VQ_GET_INFO, &info) < 0)
		return -errno;
	if (!info.ready)
		return -EAGAIN;
	l.size = (uint16_t)info.num;
	l.desc_addr = info.desc_addr;
	l.avail_addr = info.driver_addr;
	l.used_addr = info.device_addr;
	l.features = v->features;
	if (v->features & (1ull << VIRTIO_F_RING_PACKED)) {
		/* Where the driver set the ring (1, 0 after a reset; a
		 * successor finds its own place in the in-flight log). */
		l.last_avail = (uint16_t)(info.packed.last_avail_idx |
					  (info.packed.last_avail_counter ? 1u << 15 : 0));
		l.used_idx = (uint16_t)(info.packed.last_used_idx |
					(info.packed.last_used_counter ? 1u << 15 : 0));
	} else {
		l.last_avail = info.split.avail_index;
	}
	r = hv_vq_init(&run->q.vq, &v->iotlb.mem, &l, vq->name);
	if (r < 0) {
		hv_warn_ratelimited(&run->rl,
				    "%s: cannot map the rings (size %u, desc 0x%llx, avail 0x%llx, "
				    "used 0x%llx): %s",
				    vq->name, info.num, (unsigned long long)info.desc_addr,
				    (unsigned long long)info.driver_addr,
				    (unsigned long long)info.device_addr, strerror(-r));
		return r == -EAGAIN ? -EINVAL : r;
	}
	/* Resume after what the driver already got back (a packed ring
	 * has no used index: its layout said where). */
	if (!run->q.vq.packed) {
		run->q.vq.used_idx =
			le16toh(__atomic_load_n(&run->q.vq.used->idx, __ATOMIC_ACQUIRE));
		run->q.vq.signalled_used = run->q.vq.used_idx;
	}
	attach_log(vq, vduse_state_log(v->state, run->q.index));
	r = v->dev->ops->queue_start(v->dev, &run->q);
	if (r < 0)
		return r == -EAGAIN ? -EIO : r;
	/* After a takeover kicks sent while nobody served the queue are
	 * gone, and the dead process may have published completions
	 * without an interrupt. */
	if (vq->recovered)
		run->q.notify(&run->q);
	if (vq->late)
		hv_info_ratelimited(&v->rl,
				    "%s: enabled by the driver after DRIVER_OK: running, size %u",
				    vq->name, info.num);
	else
		hv_debug("%s: started, size %u, %s ring", vq->name, info.num,
			 run->q.vq.packed ? "packed" : "split");
	return 0;
}

int vduse_queue_start(struct hv_vduse *v, struct vduse_queue *vq, unsigned int index)
{
	struct vduse_vq_info info = {.index = index};
	struct vduse_vq_eventfd kick = {.index = index};
	/* The limiters outlive a reset: the driver must not renew them. */
	struct hv_ratelimit rl = vq->run.rl, vq_rl = vq->run.q.vq.rl;
	int r;

	memset(vq, 0, sizeof(*vq));
	vq->run.rl = rl;
	vq->run.q.vq.rl = vq_rl;
	vq->kick_fd = -1;
	vq->v = v;
	snprintf(vq->name, sizeof(vq->name), "%s/vq%u", v->dev->name, index);
	if (ioctl(v->dev_fd, VDUSE_VQ_GET_INFO, &info) < 0)
		return -errno;
	vq->late = !info.ready;
	vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->kick_fd < 0)
		return -errno;
	hv_queue_runner_init(&vq->run, v->dev, index, vduse_notify, vq, vduse_prepare, vq->kick_fd,
			     vq->name);
	/* Wired before the thread looks at the ring: a kick that comes in
	 * between wakes it (and the kernel replays one that came before). */
	kick.fd = vq->kick_fd;
	if (ioctl(v->dev_fd, VDUSE_VQ_SETUP_KICKFD, &kick) < 0) {
		r = -errno;
		goto fail;
	}
	r = hv_queue_runner_start(&vq->run);
	if (r < 0)
		goto fail;
	return 0;

fail:
	kick.fd = VDUSE_EVENTFD_DEASSIGN;
	ioctl(v->dev_fd, VDUSE_VQ_SETUP_KICKFD, &kick);
	close(vq->kick_fd);
	vq->kick_fd = -1;
	return r;
}

void vduse_queue_stop(struct vduse_queue *vq)
{
	struct vduse_vq_eventfd kick = {.index = vq->run.q.index, .fd = VDUSE_EVENTFD_DEASSIGN};

	if (vq->kick_fd < 0)
		return;
	hv_queue_runner_stop(&vq->run);
	/* After a reset the kernel has dropped it already; harmless then. */
	ioctl(vq->v->dev_fd, VDUSE_VQ_SETUP_KICKFD, &kick);
	close(vq->kick_fd);
	vq->kick_fd = -1;
}
