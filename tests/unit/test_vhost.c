// SPDX-License-Identifier: MIT
/*
 * hvbridge's vhost-vdpa backend against a played device (the ioctls go to
 * a fake): a zone that loops through feature negotiation and reset, with a
 * device that refuses FEATURES_OK, makes a bounded number of log lines;
 * a reset the device takes its time over runs on the backend's own thread.
 */
#include <errno.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../hvbridge/vhost_vdpa.h"
#include "capture.h"
#include "check.h"

#define F_DEV ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM))

static struct {
	uint8_t status;
	uint8_t refuse; /* status bits the device never takes */
	unsigned int set_status;
	unsigned int reset_ms; /* SET_STATUS 0 takes this long */
} dev;

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	switch (req) {
	case VHOST_SET_OWNER:
	case VHOST_SET_BACKEND_FEATURES:
	case VHOST_SET_FEATURES:
		return 0;
	case VHOST_GET_BACKEND_FEATURES:
		*(uint64_t *)arg = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2;
		return 0;
	case VHOST_VDPA_GET_DEVICE_ID:
		*(uint32_t *)arg = 2;
		return 0;
	case VHOST_GET_FEATURES:
		*(uint64_t *)arg = F_DEV;
		return 0;
	case VHOST_VDPA_GET_VRING_NUM:
		*(uint16_t *)arg = 256;
		return 0;
	case VHOST_VDPA_GET_CONFIG_SIZE:
		*(uint32_t *)arg = 8;
		return 0;
	case VHOST_VDPA_GET_VQS_COUNT:
		*(uint32_t *)arg = 1;
		return 0;
	case VHOST_VDPA_GET_IOVA_RANGE:
		*(struct vhost_vdpa_iova_range *)arg =
			(struct vhost_vdpa_iova_range){.first = 0, .last = ~0ull};
		return 0;
	case VHOST_VDPA_SET_STATUS:
		if (*(uint8_t *)arg == 0 && dev.reset_ms)
			usleep(dev.reset_ms * 1000);
		__atomic_fetch_add(&dev.set_status, 1, __ATOMIC_SEQ_CST);
		dev.status = *(uint8_t *)arg & (uint8_t)~dev.refuse;
		return 0;
	case VHOST_VDPA_GET_STATUS:
		*(uint8_t *)arg = dev.status;
		return 0;
	case VHOST_VDPA_GET_CONFIG:
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static void w(struct hv_mmio_dev *m, uint64_t off, uint32_t v)
{
	hv_mmio_write(m, off, 4, v);
}

static void test_reset_loop_logs_bounded(void)
{
	struct hv_mmio_dev m = {0};
	struct hvb_backend *be = NULL;
	struct capture c;
	char err[256], *out;

	hvb_vhost_ioctl = fake_ioctl;
	dev.refuse = VIRTIO_CONFIG_S_FEATURES_OK;
	CHECK_EQ(hvb_vhost_open("/dev/null", &m, &be, err, sizeof(err)), 0);
	if (!be)
		return;
	CHECK_EQ(hv_mmio_init(&m, be->ops->mmio, be, "v0"), 0);
	capture_begin(&c);
	for (int i = 0; i < 2000; i++) {
		w(&m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
		w(&m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
		w(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		w(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
		/* refused by the device */
		w(&m, VIRTIO_MMIO_STATUS,
		  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK);
		w(&m, VIRTIO_MMIO_STATUS, 0);
	}
	out = capture_end(&c);
	printf("# %u lines, %u about the refused status\n", count_lines(out),
	       count_substr(out, "did not accept status"));
	CHECK(dev.set_status >= 2000);
	CHECK(count_substr(out, "did not accept status") >= 1);
	CHECK(count_lines(out) <= 44); /* two windows of the limiters at most */
	free(out);
	hv_mmio_fini(&m);
	be->ops->close(be);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The device takes 300 ms to reset (hvdpad stopping busy queues): the
 * bridge thread only starts it, learns from reset_fd when it is done, and
 * the register file's reset then finishes at once. */
static void test_slow_reset_off_the_bridge_thread(void)
{
	struct hv_mmio_dev m = {0};
	struct hvb_backend *be = NULL;
	struct pollfd p;
	char err[256];
	uint64_t t0, t1;
	unsigned int calls;

	hvb_vhost_ioctl = fake_ioctl;
	dev.refuse = 0;
	dev.reset_ms = 300;
	CHECK_EQ(hvb_vhost_open("/dev/null", &m, &be, err, sizeof(err)), 0);
	if (!be)
		return;
	CHECK_EQ(hv_mmio_init(&m, be->ops->mmio, be, "v0"), 0);
	CHECK_EQ(be->ops->reset_begin(be), 0); /* nothing told yet: no thread */
	w(&m, VIRTIO_MMIO_STATUS, 1);
	w(&m, VIRTIO_MMIO_STATUS, 3);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
	w(&m, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_STATUS, 4), 0xb);
	calls = dev.set_status;
	t0 = now_ms();
	CHECK_EQ(be->ops->reset_begin(be), 1);
	t1 = now_ms();
	printf("# reset begun in %llu ms\n", (unsigned long long)(t1 - t0));
	CHECK(t1 - t0 < 100);
	CHECK_EQ(be->ops->reset_begin(be), 1); /* one at a time */
	p = (struct pollfd){.fd = be->ops->reset_fd(be), .events = POLLIN};
	CHECK(p.fd >= 0);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	printf("# reset done after %llu ms\n", (unsigned long long)(now_ms() - t0));
	CHECK(now_ms() - t0 >= 250);
	t0 = now_ms();
	hv_mmio_reset(&m);
	CHECK(now_ms() - t0 < 100);
	CHECK_EQ(dev.set_status, calls + 1); /* told once, by the thread */
	CHECK_EQ(dev.status, 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_STATUS, 4), 0);
	CHECK_EQ(be->ops->reset_fd(be), -1);
	/* Closing with a reset under way waits for it (ASan would see the
	 * thread use what close freed). */
	w(&m, VIRTIO_MMIO_STATUS, 1);
	w(&m, VIRTIO_MMIO_STATUS, 3);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
	w(&m, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(be->ops->reset_begin(be), 1);
	hv_mmio_fini(&m);
	be->ops->close(be);
	CHECK_EQ(dev.status, 0);
	dev.reset_ms = 0;
}

int main(void)
{
	RUN(test_reset_loop_logs_bounded);
	RUN(test_slow_reset_off_the_bridge_thread);
	return check_done();
}
