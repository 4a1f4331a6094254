// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the virtio-mmio register file, fed any sequence of
 * accesses a zone could make. The backend below asserts that whatever
 * reaches it is valid: features offered and with VERSION_1, queues of a
 * power-of-two size within the maximum with aligned rings, notifies only
 * of ready queues after DRIVER_OK.
 *
 * Input: 12 bytes per access: offset (u16, taken modulo 0x240), width
 * selector, write flag, value (u64).
 */
#include <linux/virtio_config.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/virtio_mmio.h"

#define OFFERED ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) | 0x3ffull)

static uint8_t config[24];

static void must(int c)
{
	if (!c)
		abort();
}

static void cfg_read(struct hv_mmio_dev *m, uint32_t off, void *buf, uint32_t len)
{
	must(off + len <= m->config_size && len <= 8);
	memcpy(buf, config + off, len);
}

static int features_ok(struct hv_mmio_dev *m, uint64_t f)
{
	(void)m;
	must((f & ~OFFERED) == 0 && (f & (1ull << VIRTIO_F_VERSION_1)));
	return (f & 1) ? -1 : 0; /* the device refuses some sets */
}

static int queue_ready(struct hv_mmio_dev *m, unsigned int i, const struct hv_mmio_queue *q)
{
	must(i < m->num_queues && q->num && q->num <= m->queue_num_max);
	must((q->num & (q->num - 1)) == 0);
	must(q->desc % 16 == 0 && q->driver % 2 == 0 && q->device % 4 == 0);
	must(m->status & VIRTIO_CONFIG_S_FEATURES_OK);
	return (q->desc >> 4) & 1 ? -1 : 0;
}

static int driver_ok(struct hv_mmio_dev *m)
{
	must(m->status & VIRTIO_CONFIG_S_FEATURES_OK);
	return 0;
}

static void notify(struct hv_mmio_dev *m, unsigned int i)
{
	must(i < m->num_queues && m->queues[i].ready && (m->status & VIRTIO_CONFIG_S_DRIVER_OK));
}

static void reset(struct hv_mmio_dev *m)
{
	(void)m;
}

static const struct hv_mmio_ops ops = {
	.config_read = cfg_read,
	.features_ok = features_ok,
	.queue_ready = queue_ready,
	.driver_ok = driver_ok,
	.notify = notify,
	.reset = reset,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int widths[] = {1, 2, 4, 8, 3, 0, 16, 4};
	struct hv_mmio_dev m = {
		.device_id = 2,
		.device_features = OFFERED,
		.num_queues = 3,
		.queue_num_max = 64,
		.config_size = 20,
	};

	hv_log_level = HV_LOG_NONE;
	if (hv_mmio_init(&m, &ops, NULL, "fuzz") < 0)
		abort();
	for (size_t i = 0; i + 12 <= size; i += 12) {
		uint16_t off;
		uint64_t val;

		memcpy(&off, data + i, 2);
		memcpy(&val, data + i + 4, 8);
		off %= 0x240;
		if (data[i + 3] & 1)
			hv_mmio_write(&m, off, widths[data[i + 2] % 8], val);
		else
			hv_mmio_read(&m, off, widths[data[i + 2] % 8]);
		if (data[i + 3] & 2)
			hv_mmio_raise(&m, data[i + 3] >> 6);
	}
	hv_mmio_fini(&m);
	return 0;
}
