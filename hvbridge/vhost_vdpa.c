// SPDX-License-Identifier: MIT
/*
 * The zone's driver talks to the register file; this turns what it
 * negotiated into vhost-vdpa ioctls. Status is mirrored to the device at
 * the points the device must see it (FEATURES_OK, DRIVER_OK, reset), queue
 * addresses are checked against zone RAM before the device gets them, and
 * the data path never comes back through here: the device reads and writes
 * zone RAM through the IOTLB mapping, is kicked through an eventfd and
 * signals completions on another.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "bg_reset.h"
#include "shadow.h"
#include "vhost_vdpa.h"

struct hvb_vhost {
	struct hvb_backend be; /* first: what the register file and the bridge hold */
	int fd;
	char *path;
	uint64_t backend_features;
	uint64_t device_features;
	struct vhost_vdpa_iova_range iova_range;
	unsigned int nvqs;
	uint16_t queue_num_max;
	int *kick, *call;
	/* Signalled by the kernel when the device's config changes
	 * (VHOST_VDPA_SET_CONFIG_CALL): handed to the device before each
	 * DRIVER_OK, since a reset drops it (VDUSE clears its config callback
	 * in vduse_dev_reset), and taken back before each reset. Watched on
	 * the bridge loop (control_fd), which raises the zone's config
	 * interrupt. */
	int config_call;
	bool config_bound; /* the device has it; only who tells the device touches this */
	/* A change came while a Status write ran ahead on the job's thread
	 * (DRIVER_OK: the device may change config as soon as it has it):
	 * signalled again once the write is taken (reset_wait). */
	bool config_missed;
	uint8_t status;	       /* what the device was last told */
	struct hvb_ram ram;    /* zone RAM, every region */
	struct hvb_ram mapped; /* what the IOTLB holds: zone RAM or the shadow */
	struct hv_mem *shadow_mem;
	struct hvb_shadow *shadow;
	uint64_t features; /* as the zone negotiated them */
	struct hv_ratelimit rl;
	/* A reset, or a Status write run ahead (vh_status_begin), under way
	 * on a thread of its own: it tells the device, and the kernel waits
	 * for the VDUSE daemon's answer. */
	struct hvb_bg_reset reset;
	bool job_resets;
	/* What the Status write run ahead found, taken by the register
	 * file's features_ok/driver_ok when the bridge replays the write. */
	struct {
		bool features, driver; /* results held */
		uint64_t f;	       /* the features features_ok was run with */
		int rf, rd;
	} pre;
};

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

int (*hvb_vhost_ioctl)(int fd, unsigned long req, void *arg) = sys_ioctl;

static ssize_t sys_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

ssize_t (*hvb_vhost_write)(int fd, const void *buf, size_t len) = sys_write;

static struct hvb_vhost *from_be(struct hvb_backend *be)
{
	return container_of(be, struct hvb_vhost, be);
}

static struct hvb_vhost *to_vh(struct hv_mmio_dev *m)
{
	return from_be(m->backend);
}

static int vh_ioctl(struct hvb_vhost *vh, unsigned long req, void *arg, const char *what)
{
	if (hvb_vhost_ioctl(vh->fd, req, arg) < 0) {
		int r = -errno;

		hv_warn_ratelimited(&vh->rl, "%s: %s: %s", vh->path, what, strerror(-r));
		return r;
	}
	return 0;
}

/* Waits for a job begun by vh_reset_begin() or vh_status_begin(), if
 * any. */
static void reset_wait(struct hvb_vhost *vh)
{
	uint64_t one = 1;

	if (hvb_bg_reset_wait(&vh->reset) && vh->job_resets)
		vh->status = 0;
	/* The bridge loop hears it on a later round, when the register file
	 * has taken the write (DRIVER_OK: a config interrupt). */
	if (vh->config_missed && write(vh->config_call, &one, sizeof(one)) != sizeof(one))
		hv_warn_ratelimited(&vh->rl, "%s: config change: %s", vh->path, strerror(errno));
	vh->config_missed = false;
}

static int iotlb_send(struct hvb_vhost *vh, uint8_t type, uint64_t iova, uint64_t size, void *host)
{
	struct vhost_msg_v2 msg = {
		.type = VHOST_IOTLB_MSG_V2,
		.iotlb =
			{
				.iova = iova,
				.size = size,
				.uaddr = (uint64_t)(uintptr_t)host,
				.perm = VHOST_ACCESS_RW,
				.type = type,
			},
	};

	if (hvb_vhost_write(vh->fd, &msg, sizeof(msg)) != sizeof(msg)) {
		int r = errno ? -errno : -EIO;

		hv_warn_ratelimited(&vh->rl, "%s: IOTLB message %u for 0x%llx+0x%llx: %s", vh->path,
				    type, (unsigned long long)iova, (unsigned long long)size,
				    strerror(-r));
		return r;
	}
	return 0;
}

/* One entry per region, in one batch when the device takes batches: the
 * mapping changes at once. */
static int iotlb_update(struct hvb_vhost *vh, uint8_t type, const struct hvb_ram *ram)
{
	bool batch = vh->backend_features & (1ull << VHOST_BACKEND_F_IOTLB_BATCH);
	int r = 0;

	if (batch && (r = iotlb_send(vh, VHOST_IOTLB_BATCH_BEGIN, 0, 0, NULL)) < 0)
		return r;
	for (unsigned int i = 0; i < ram->n && r == 0; i++)
		r = iotlb_send(vh, type, ram->r[i].base, ram->r[i].size,
			       type == VHOST_IOTLB_UPDATE ? ram->r[i].host : NULL);
	if (batch) {
		int r2 = iotlb_send(vh, VHOST_IOTLB_BATCH_END, 0, 0, NULL);

		if (r == 0)
			r = r2;
	}
	return r;
}

static bool in_iova_range(struct hvb_vhost *vh, const struct hvb_ram_region *reg)
{
	if (reg->base >= vh->iova_range.first && reg->base + reg->size - 1 <= vh->iova_range.last)
		return true;
	hv_err_ratelimited(
		&vh->rl, "%s: 0x%llx+0x%llx is outside the device's IOVA range 0x%llx-0x%llx",
		vh->path, (unsigned long long)reg->base, (unsigned long long)reg->size,
		(unsigned long long)vh->iova_range.first, (unsigned long long)vh->iova_range.last);
	return false;
}

static int iotlb_map(struct hvb_vhost *vh, const struct hvb_ram *ram)
{
	int r;

	for (unsigned int i = 0; i < ram->n; i++)
		if (!in_iova_range(vh, &ram->r[i]))
			return -ERANGE;
	r = iotlb_update(vh, VHOST_IOTLB_UPDATE, ram);
	if (r == 0)
		vh->mapped = *ram;
	else /* the regions it took before failing must not outlive our mapping */
		iotlb_update(vh, VHOST_IOTLB_INVALIDATE, ram);
	return r;
}

/* Zone RAM arrived (every region) or went (NULL). Direct: each region is
 * mapped in the device's IOTLB at its zone-physical addresses. Shadow: the
 * device maps our shadow rings instead, and requests are carried between
 * them through mem. While there is no RAM, the zone's queues cannot be made
 * ready. */
static int vh_set_ram(struct hvb_backend *be, const struct hvb_ram *ram, struct hv_mem *mem,
		      bool shadow)
{
	struct hvb_vhost *vh = from_be(be);
	struct hv_mem *shadow_mem = shadow ? mem : NULL;
	struct hvb_ram sh = {.n = 1};
	int r;

	reset_wait(vh);
	if (vh->mapped.n) {
		r = iotlb_update(vh, VHOST_IOTLB_INVALIDATE, &vh->mapped);
		vh->mapped = (struct hvb_ram){0};
		if (r < 0)
			return r;
	}
	vh->ram = (struct hvb_ram){0};
	vh->shadow_mem = NULL;
	if (!ram || !ram->n)
		return 0;
	if (!shadow_mem) {
		r = iotlb_map(vh, ram);
		if (r == 0)
			vh->ram = *ram;
		return r;
	}
	if (!vh->shadow) {
		r = hvb_shadow_create(vh->nvqs, vh->queue_num_max, &vh->shadow);
		if (r < 0)
			return r;
	}
	/* The device sees only the shadow region; where is ours to choose. */
	sh.r[0].base = (vh->iova_range.first + 0xfffu) & ~0xfffull;
	sh.r[0].size = hvb_shadow_bytes(vh->shadow);
	sh.r[0].host = hvb_shadow_host(vh->shadow);
	hvb_shadow_set_iova(vh->shadow, sh.r[0].base);
	r = iotlb_map(vh, &sh);
	if (r == 0) {
		vh->ram = *ram;
		vh->shadow_mem = shadow_mem;
	}
	return r;
}

static void set_status(struct hvb_vhost *vh, uint8_t status)
{
	if (vh_ioctl(vh, VHOST_VDPA_SET_STATUS, &status, "VHOST_VDPA_SET_STATUS") == 0)
		vh->status = status;
}

/* The device may refuse silently: the status it reports is what counts. */
static int status_has(struct hvb_vhost *vh, uint8_t bits)
{
	uint8_t now = 0;
	int r = vh_ioctl(vh, VHOST_VDPA_GET_STATUS, &now, "VHOST_VDPA_GET_STATUS");

	if (r < 0)
		return r;
	if ((now & bits) != bits || (now & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		hv_warn_ratelimited(&vh->rl,
				    "%s: the device did not accept status 0x%x (it reports 0x%x)",
				    vh->path, bits, now);
		return -EIO;
	}
	return 0;
}

/* struct vhost_vdpa_config ends in a flexible array: room for 8 bytes. */
#define CONFIG_ARG_WORDS ((sizeof(struct vhost_vdpa_config) + 8 + 7) / 8)

static void vh_config_read(struct hv_mmio_dev *m, uint32_t off, void *buf, uint32_t len)
{
	struct hvb_vhost *vh = to_vh(m);
	uint64_t arg[CONFIG_ARG_WORDS] = {0};
	struct vhost_vdpa_config *c = (struct vhost_vdpa_config *)arg;

	c->off = off;
	c->len = len;
	if (vh_ioctl(vh, VHOST_VDPA_GET_CONFIG, c, "VHOST_VDPA_GET_CONFIG") == 0)
		memcpy(buf, c->buf, len);
}

static void vh_config_write(struct hv_mmio_dev *m, uint32_t off, const void *buf, uint32_t len)
{
	struct hvb_vhost *vh = to_vh(m);
	uint64_t arg[CONFIG_ARG_WORDS] = {0};
	struct vhost_vdpa_config *c = (struct vhost_vdpa_config *)arg;

	c->off = off;
	c->len = len;
	memcpy(c->buf, buf, len);
	vh_ioctl(vh, VHOST_VDPA_SET_CONFIG, c, "VHOST_VDPA_SET_CONFIG");
}

static int features_ok_now(struct hvb_vhost *vh, uint64_t features)
{
	uint8_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	int r;

	/* Zone-physical addresses are IOVAs translated by the IOTLB: that is
	 * what ACCESS_PLATFORM means to the device, whatever the zone thinks. */
	vh->features = features;
	if (vh->shadow_mem)
		features = hvb_shadow_device_features(features);
	features |= vh->device_features & (1ull << VIRTIO_F_ACCESS_PLATFORM);
	set_status(vh, s);
	r = vh_ioctl(vh, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
	if (r < 0)
		return r;
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	set_status(vh, s);
	return status_has(vh, s);
}

static int vh_features_ok(struct hv_mmio_dev *m, uint64_t features)
{
	struct hvb_vhost *vh = to_vh(m);

	reset_wait(vh);
	if (vh->pre.features && vh->pre.f == features) {
		vh->pre.features = false;
		return vh->pre.rf;
	}
	return features_ok_now(vh, features);
}

/* Inside one region: the device's rings must be contiguous in the zone's
 * pages as in its space. */
static bool in_ram(const struct hvb_ram *ram, uint64_t addr, uint64_t len)
{
	for (unsigned int i = 0; i < ram->n; i++) {
		const struct hvb_ram_region *reg = &ram->r[i];

		if (addr >= reg->base && len <= reg->size && addr - reg->base <= reg->size - len)
			return true;
	}
	return false;
}

static int vh_queue_ready(struct hv_mmio_dev *m, unsigned int index, const struct hv_mmio_queue *q)
{
	struct hvb_vhost *vh = to_vh(m);
	struct vhost_vring_state num = {.index = index, .num = q->num};
	struct vhost_vring_state base = {.index = index, .num = 0};
	struct vhost_vring_state enable = {.index = index, .num = 1};
	struct vhost_vring_file kick = {.index = index, .fd = vh->kick[index]};
	struct vhost_vring_file call = {.index = index, .fd = vh->call[index]};
	struct vhost_vring_addr addr = {
		.index = index,
		.desc_user_addr = q->desc,
		.avail_user_addr = q->driver,
		.used_user_addr = q->device,
	};
	int r;

	/* The device would fail on its first access to a ring outside the
	 * mapping; the zone learns now, with NEEDS_RESET. */
	if (!in_ram(&vh->ram, q->desc, 16ull * q->num) ||
	    !in_ram(&vh->ram, q->driver, 6 + 2ull * q->num) ||
	    !in_ram(&vh->ram, q->device, 6 + 8ull * q->num)) {
		hv_warn_ratelimited(&vh->rl,
				    "%s: queue %u rings (desc 0x%llx, avail 0x%llx, used 0x%llx) "
				    "are not in zone RAM",
				    vh->path, index, (unsigned long long)q->desc,
				    (unsigned long long)q->driver, (unsigned long long)q->device);
		return -EFAULT;
	}
	if (vh->shadow_mem) {
		uint64_t desc, avail, used;
		uint16_t n;

		r = hvb_shadow_queue_start(vh->shadow, index, vh->shadow_mem, q, vh->features,
					   vh->kick[index], vh->call[index], &desc, &avail, &used,
					   &n);
		addr.desc_user_addr = desc;
		addr.avail_user_addr = avail;
		addr.used_user_addr = used;
		num.num = n;
		if (r < 0) {
			hv_warn_ratelimited(&vh->rl, "%s: queue %u: shadow rings: %s", vh->path,
					    index, strerror(-r));
			return r;
		}
	}
	if (vh_ioctl(vh, VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM") < 0 ||
	    vh_ioctl(vh, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR") < 0 ||
	    vh_ioctl(vh, VHOST_SET_VRING_BASE, &base, "VHOST_SET_VRING_BASE") < 0 ||
	    vh_ioctl(vh, VHOST_SET_VRING_KICK, &kick, "VHOST_SET_VRING_KICK") < 0 ||
	    vh_ioctl(vh, VHOST_SET_VRING_CALL, &call, "VHOST_SET_VRING_CALL") < 0 ||
	    vh_ioctl(vh, VHOST_VDPA_SET_VRING_ENABLE, &enable, "VHOST_VDPA_SET_VRING_ENABLE") < 0)
		return -EIO;
	return 0;
}

/* The device signals config_call from now on. A kernel without the ioctl
 * (before 5.11) or a parent that refuses it leaves the zone without config
 * interrupts, not without its device: a line, and DRIVER_OK goes on. */
static void config_call_bind(struct hvb_vhost *vh)
{
	int fd = vh->config_call;

	if (fd >= 0 &&
	    vh_ioctl(vh, VHOST_VDPA_SET_CONFIG_CALL, &fd,
		     "VHOST_VDPA_SET_CONFIG_CALL (config changes will not reach the zone)") == 0)
		vh->config_bound = true;
}

/* Before a reset: a change the device signals from here on belongs to no
 * driver (and after the reset VDUSE has forgotten the eventfd anyway; other
 * parents may not). */
static void config_call_unbind(struct hvb_vhost *vh)
{
	int fd = VHOST_FILE_UNBIND;

	if (vh->config_bound)
		vh_ioctl(vh, VHOST_VDPA_SET_CONFIG_CALL, &fd, "VHOST_VDPA_SET_CONFIG_CALL");
	vh->config_bound = false;
}

static int driver_ok_now(struct hvb_vhost *vh)
{
	uint8_t s = vh->status | VIRTIO_CONFIG_S_DRIVER_OK;

	/* Bound before DRIVER_OK: the device may signal a change as soon as
	 * it has it (hvdpad: VDUSE refuses the interrupt before). */
	config_call_bind(vh);
	set_status(vh, s);
	return status_has(vh, s);
}

static int vh_driver_ok(struct hv_mmio_dev *m)
{
	struct hvb_vhost *vh = to_vh(m);

	reset_wait(vh);
	if (vh->pre.driver) {
		vh->pre.driver = false;
		return vh->pre.rd;
	}
	return driver_ok_now(vh);
}

/* On the job's thread: what the Status write will ask of the device. */
static void status_job(void *arg)
{
	struct hvb_vhost *vh = arg;

	if (vh->pre.features)
		vh->pre.rf = features_ok_now(vh, vh->pre.f);
	if (vh->pre.driver && (!vh->pre.features || vh->pre.rf == 0))
		vh->pre.rd = driver_ok_now(vh);
}

/* FEATURES_OK and DRIVER_OK are Status writes the device's driver
 * answers (VDUSE: a message to hvdpad, which may be restarting, or slow),
 * and while one waits, vhost-vdpa holds the device's lock: the ioctls run
 * on the job's thread, and the bridge replays the write when it is done
 * (the register file then takes the results from vh->pre). */
static int vh_status_begin(struct hvb_backend *be, struct hv_mmio_dev *m, uint8_t val)
{
	struct hvb_vhost *vh = from_be(be);
	unsigned int calls = hv_mmio_status_calls(m, val);

	if (!calls || vh->reset.running)
		return 0;
	vh->pre.features = calls & HV_MMIO_CALLS_FEATURES_OK;
	vh->pre.driver = calls & HV_MMIO_CALLS_DRIVER_OK;
	vh->pre.f = m->driver_features;
	vh->pre.rf = vh->pre.rd = -EIO;
	if (hvb_bg_reset_start(&vh->reset, status_job, vh, vh->path) < 0) {
		vh->pre.features = vh->pre.driver = false;
		return 0;
	}
	vh->job_resets = false;
	return 1;
}

static void vh_notify(struct hv_mmio_dev *m, unsigned int index)
{
	struct hvb_vhost *vh = to_vh(m);
	uint64_t one = 1;

	if (vh->shadow_mem) {
		int r = hvb_shadow_kick(vh->shadow, index);

		if (r < 0)
			hv_mmio_needs_reset(m);
		else if (r > 0)
			hv_mmio_raise(m, VIRTIO_MMIO_INT_VRING);
		return;
	}
	if (write(vh->kick[index], &one, sizeof(one)) != sizeof(one))
		hv_warn_ratelimited(&vh->rl, "%s: kick of queue %u: %s", vh->path, index,
				    strerror(errno));
}

/* On the reset thread. */
static void reset_device(void *arg)
{
	struct hvb_vhost *vh = arg;
	uint8_t status = 0;

	/* Only this thread uses the fd until it is joined. */
	config_call_unbind(vh);
	vh_ioctl(vh, VHOST_VDPA_SET_STATUS, &status, "VHOST_VDPA_SET_STATUS");
}

/* SET_STATUS 0 goes to the device's driver (VDUSE: a message to hvdpad,
 * which stops the queues first), so it may take a while: not on the
 * bridge thread. */
static int vh_reset_begin(struct hvb_backend *be)
{
	struct hvb_vhost *vh = from_be(be);

	if (vh->reset.running)
		return 1;
	if (!vh->status || hvb_bg_reset_start(&vh->reset, reset_device, vh, vh->path) < 0)
		return 0;
	vh->job_resets = true;
	return 1;
}

static int vh_reset_fd(struct hvb_backend *be)
{
	return hvb_bg_reset_fd(&from_be(be)->reset);
}

static void vh_reset(struct hv_mmio_dev *m)
{
	struct hvb_vhost *vh = to_vh(m);
	uint64_t n;

	reset_wait(vh);
	config_call_unbind(vh);
	if (vh->status)
		set_status(vh, 0);
	vh->status = 0;
	vh->pre.features = vh->pre.driver = false;
	vh->config_missed = false;
	if (vh->shadow)
		hvb_shadow_reset(vh->shadow);
	/* A completion or config change signalled before the reset is
	 * stale now. */
	for (unsigned int i = 0; i < vh->nvqs; i++)
		while (read(vh->call[i], &n, sizeof(n)) > 0)
			;
	if (vh->config_call >= 0)
		while (read(vh->config_call, &n, sizeof(n)) > 0)
			;
}

static const struct hv_mmio_ops vh_mmio_ops = {
	.config_read = vh_config_read,
	.config_write = vh_config_write,
	.features_ok = vh_features_ok,
	.queue_ready = vh_queue_ready,
	.driver_ok = vh_driver_ok,
	.notify = vh_notify,
	.reset = vh_reset,
};

static int probe(struct hvb_vhost *vh, struct hv_mmio_dev *m, char *err, size_t errlen)
{
	uint64_t want =
		(1ull << VHOST_BACKEND_F_IOTLB_MSG_V2) | (1ull << VHOST_BACKEND_F_IOTLB_BATCH);
	uint32_t device_id = 0, config_size = 0, nvqs = 0;
	uint16_t vring_num = 0;
	const char *what;

	what = "VHOST_SET_OWNER";
	if (hvb_vhost_ioctl(vh->fd, VHOST_SET_OWNER, NULL) < 0)
		goto fail;
	what = "VHOST_GET_BACKEND_FEATURES";
	if (hvb_vhost_ioctl(vh->fd, VHOST_GET_BACKEND_FEATURES, &vh->backend_features) < 0)
		goto fail;
	if (!(vh->backend_features & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		snprintf(err, errlen, "%s: the kernel's vhost-vdpa lacks IOTLB_MSG_V2", vh->path);
		return -EOPNOTSUPP;
	}
	vh->backend_features &= want;
	what = "VHOST_SET_BACKEND_FEATURES";
	if (hvb_vhost_ioctl(vh->fd, VHOST_SET_BACKEND_FEATURES, &vh->backend_features) < 0)
		goto fail;
	what = "VHOST_VDPA_GET_DEVICE_ID";
	if (hvb_vhost_ioctl(vh->fd, VHOST_VDPA_GET_DEVICE_ID, &device_id) < 0)
		goto fail;
	what = "VHOST_GET_FEATURES";
	if (hvb_vhost_ioctl(vh->fd, VHOST_GET_FEATURES, &vh->device_features) < 0)
		goto fail;
	what = "VHOST_VDPA_GET_VRING_NUM";
	if (hvb_vhost_ioctl(vh->fd, VHOST_VDPA_GET_VRING_NUM, &vring_num) < 0)
		goto fail;
	what = "VHOST_VDPA_GET_CONFIG_SIZE";
	if (hvb_vhost_ioctl(vh->fd, VHOST_VDPA_GET_CONFIG_SIZE, &config_size) < 0)
		goto fail;
	what = "VHOST_VDPA_GET_VQS_COUNT";
	if (hvb_vhost_ioctl(vh->fd, VHOST_VDPA_GET_VQS_COUNT, &nvqs) < 0)
		goto fail;
	what = "VHOST_VDPA_GET_IOVA_RANGE";
	if (hvb_vhost_ioctl(vh->fd, VHOST_VDPA_GET_IOVA_RANGE, &vh->iova_range) < 0)
		goto fail;
	if (device_id == 0 || nvqs == 0 || nvqs > 1024 || vring_num == 0 ||
	    config_size > HV_MMIO_WIN_SIZE - VIRTIO_MMIO_CONFIG) {
		snprintf(err, errlen,
			 "%s: a device this bridge cannot present (id %u, %u queues of %u, "
			 "%u config bytes)",
			 vh->path, device_id, nvqs, vring_num, config_size);
		return -EOPNOTSUPP;
	}
	m->device_id = device_id;
	/* The zone may take ACCESS_PLATFORM or leave it: addresses are the
	 * same to it either way, and the device gets it regardless. */
	m->device_features = vh->device_features;
	m->num_queues = (uint16_t)nvqs;
	/* Ring sizes are powers of two in the register file. */
	m->queue_num_max = (uint16_t)(1u << (31 - __builtin_clz(vring_num)));
	m->config_size = config_size;
	vh->queue_num_max = m->queue_num_max;
	vh->nvqs = nvqs;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s: %s", vh->path, what, strerror(errno));
	return -errno;
}

static void vh_close(struct hvb_backend *be)
{
	struct hvb_vhost *vh;

	if (!be)
		return;
	vh = from_be(be);
	hvb_bg_reset_fini(&vh->reset);
	if (vh->fd >= 0) {
		/* Closing resets the device and drops its mappings. */
		close(vh->fd);
	}
	for (unsigned int i = 0; vh->kick && vh->call && i < vh->nvqs; i++) {
		if (vh->kick[i] >= 0)
			close(vh->kick[i]);
		if (vh->call[i] >= 0)
			close(vh->call[i]);
	}
	if (vh->config_call >= 0)
		close(vh->config_call);
	hvb_shadow_destroy(vh->shadow);
	free(vh->kick);
	free(vh->call);
	free(vh->path);
	free(vh);
}

/* The device signalled queue q's call eventfd (already drained). */
static void vh_completion(struct hvb_backend *be, struct hv_mmio_dev *m, unsigned int q)
{
	struct hvb_vhost *vh = from_be(be);
	int r;

	if (!vh->shadow_mem) {
		hv_mmio_raise(m, VIRTIO_MMIO_INT_VRING);
		return;
	}
	r = hvb_shadow_complete(vh->shadow, q);
	if (r < 0)
		hv_mmio_needs_reset(m);
	else if (r > 0)
		hv_mmio_raise(m, VIRTIO_MMIO_INT_VRING);
}

/* The eventfd the device signals when queue q has used buffers. */
static int vh_call_fd(struct hvb_backend *be, unsigned int q)
{
	struct hvb_vhost *vh = from_be(be);

	return q < vh->nvqs ? vh->call[q] : -1;
}

static unsigned int vh_num_queues(struct hvb_backend *be)
{
	return from_be(be)->nvqs;
}

static int vh_control_fd(struct hvb_backend *be)
{
	return from_be(be)->config_call;
}

/* The device's config changed (one read takes every signal since the
 * last: a storm is one change here). The zone re-reads config through
 * vh_config_read. While the device's job thread tells the device a Status
 * write, the register file's Status is not the device's yet: the change
 * is told again once the write is taken; during a reset it is nobody's
 * (the driver reads config afresh after). */
static void vh_control(struct hvb_backend *be, struct hv_mmio_dev *m)
{
	struct hvb_vhost *vh = from_be(be);
	uint64_t n;

	if (read(vh->config_call, &n, sizeof(n)) != sizeof(n))
		return;
	if (vh->reset.running)
		vh->config_missed = !vh->job_resets;
	else
		hv_mmio_config_changed(m);
}

static const struct hvb_backend_ops vh_backend_ops = {
	.mmio = &vh_mmio_ops,
	.set_ram = vh_set_ram,
	.num_queues = vh_num_queues,
	.call_fd = vh_call_fd,
	.completion = vh_completion,
	.control_fd = vh_control_fd,
	.control = vh_control,
	.status_begin = vh_status_begin,
	.reset_begin = vh_reset_begin,
	.reset_fd = vh_reset_fd,
	.close = vh_close,
};

int hvb_vhost_open(const char *path, struct hv_mmio_dev *m, struct hvb_backend **out, char *err,
		   size_t errlen)
{
	struct hvb_vhost *vh = calloc(1, sizeof(*vh));
	int r;

	if (!vh || !(vh->path = strdup(path))) {
		free(vh);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	vh->be.ops = &vh_backend_ops;
	vh->config_call = -1;
	/* Without its eventfd a reset runs on the bridge thread. */
	hvb_bg_reset_init(&vh->reset);
	vh->fd = open(path, O_RDWR | O_CLOEXEC);
	if (vh->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s%s", path, strerror(-r),
			 r == -ENOENT ? " (is the vDPA device bound to vhost_vdpa?)" : "");
		goto fail;
	}
	r = probe(vh, m, err, errlen);
	if (r < 0)
		goto fail;
	vh->kick = calloc(vh->nvqs, sizeof(int));
	vh->call = calloc(vh->nvqs, sizeof(int));
	if (!vh->kick || !vh->call) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (unsigned int i = 0; i < vh->nvqs; i++)
		vh->kick[i] = vh->call[i] = -1;
	vh->config_call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vh->config_call < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: eventfd: %s", path, strerror(-r));
		goto fail;
	}
	for (unsigned int i = 0; i < vh->nvqs; i++) {
		vh->kick[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vh->call[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vh->kick[i] < 0 || vh->call[i] < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: eventfd: %s", path, strerror(-r));
			goto fail;
		}
	}
	*out = &vh->be;
	return 0;
fail:
	vh_close(&vh->be);
	return r;
}
