// SPDX-License-Identifier: MIT
/*
 * hvbridge's vhost-vdpa backend against a played device (the ioctls go to
 * a fake): a zone that loops through feature negotiation and reset, with a
 * device that refuses FEATURES_OK, makes a bounded number of log lines.
 */
#include <errno.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <string.h>

#include "../../hvbridge/vhost_vdpa.h"
#include "capture.h"
#include "check.h"

#define F_DEV ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM))

static struct {
	uint8_t status;
	uint8_t refuse; /* status bits the device never takes */
	unsigned int set_status;
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
		dev.set_status++;
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

int main(void)
{
	RUN(test_reset_loop_logs_bounded);
	return check_done();
}
