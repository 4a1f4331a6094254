// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio register file against a recording backend: a driver's
 * init sequence reaches the backend exactly once per step with what was
 * written, and what an untrusted zone writes out of order, out of range or
 * at the wrong width never reaches it.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <string.h>

#include "check.h"
#include "hvdpa/virtio_mmio.h"

static struct {
	int features_ok, queue_ready, driver_ok, notify, reset, irqs;
	uint64_t features;
	struct hv_mmio_queue q;
	unsigned int q_index, notified;
	int refuse_queue;
	uint8_t config[16];
} be;

static void cfg_read(struct hv_mmio_dev *m, uint32_t off, void *buf, uint32_t len)
{
	(void)m;
	memcpy(buf, be.config + off, len);
}

static int features_ok(struct hv_mmio_dev *m, uint64_t f)
{
	(void)m;
	be.features_ok++;
	be.features = f;
	return 0;
}

static int queue_ready(struct hv_mmio_dev *m, unsigned int i, const struct hv_mmio_queue *q)
{
	(void)m;
	be.queue_ready++;
	be.q = *q;
	be.q_index = i;
	return be.refuse_queue ? -EFAULT : 0;
}

static int driver_ok(struct hv_mmio_dev *m)
{
	(void)m;
	be.driver_ok++;
	return 0;
}

static void notify(struct hv_mmio_dev *m, unsigned int i)
{
	(void)m;
	be.notify++;
	be.notified = i;
}

static void reset(struct hv_mmio_dev *m)
{
	(void)m;
	be.reset++;
}

static void irq(struct hv_mmio_dev *m)
{
	(void)m;
	be.irqs++;
}

static const struct hv_mmio_ops ops = {
	.config_read = cfg_read,
	.features_ok = features_ok,
	.queue_ready = queue_ready,
	.driver_ok = driver_ok,
	.notify = notify,
	.reset = reset,
};

static struct hv_mmio_dev m;

/* Status values a driver writes on its way up. */
#define ST_DRIVER	  (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define ST_FEATURES_OK	  (ST_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK)
#define ST_DRIVER_OK	  (ST_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)
#define ST_DRIVER_OK_ONLY (ST_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK) /* skips FEATURES_OK */

#define F_OFFERED ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) | (1ull << 9))

static void setup(void)
{
	hv_mmio_fini(&m);
	memset(&be, 0, sizeof(be));
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < 16; i++)
		be.config[i] = (uint8_t)(0x10 + i);
	m.device_id = 2;
	m.device_features = F_OFFERED;
	m.num_queues = 2;
	m.queue_num_max = 256;
	m.config_size = 12;
	m.irq = irq;
	CHECK_EQ(hv_mmio_init(&m, &ops, NULL, "t"), 0);
}

static void w(uint64_t off, uint32_t v)
{
	hv_mmio_write(&m, off, 4, v);
}

static uint32_t r(uint64_t off)
{
	return (uint32_t)hv_mmio_read(&m, off, 4);
}

static void negotiate(uint64_t f)
{
	w(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	w(VIRTIO_MMIO_STATUS, ST_DRIVER);
	w(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	w(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	w(VIRTIO_MMIO_STATUS, ST_FEATURES_OK);
}

static void queue0(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	w(VIRTIO_MMIO_QUEUE_SEL, 0);
	w(VIRTIO_MMIO_QUEUE_NUM, num);
	w(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	w(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	w(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	w(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	w(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	w(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	w(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void test_identity(void)
{
	setup();
	CHECK_EQ(r(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(r(VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(r(VIRTIO_MMIO_DEVICE_ID), 2);
	w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(r(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)F_OFFERED);
	w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(r(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(F_OFFERED >> 32));
	w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK_EQ(r(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	CHECK_EQ(m.ignored, 0);
}

static void test_packed_ring_never_offered(void)
{
	hv_mmio_fini(&m);
	memset(&m, 0, sizeof(m));
	m.device_id = 2;
	m.device_features = F_OFFERED | HV_MMIO_HIDDEN_FEATURES;
	m.num_queues = 1;
	m.queue_num_max = 16;
	CHECK_EQ(hv_mmio_init(&m, &ops, NULL, "t"), 0);
	w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(r(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(F_OFFERED >> 32));
	setup();
}

static void test_init_sequence(void)
{
	setup();
	negotiate(F_OFFERED);
	CHECK_EQ(be.features_ok, 1);
	CHECK_EQ(be.features, F_OFFERED);
	CHECK_EQ(r(VIRTIO_MMIO_STATUS), ST_FEATURES_OK);
	w(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(r(VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	queue0(128, 0x80000000, 0x80001000, 0x80002000);
	CHECK_EQ(be.queue_ready, 1);
	CHECK_EQ(be.q_index, 0);
	CHECK_EQ(be.q.num, 128);
	CHECK_EQ(be.q.desc, 0x80000000);
	CHECK_EQ(be.q.driver, 0x80001000);
	CHECK_EQ(be.q.device, 0x80002000);
	CHECK_EQ(r(VIRTIO_MMIO_QUEUE_READY), 1);
	w(VIRTIO_MMIO_STATUS, ST_DRIVER_OK);
	CHECK_EQ(be.driver_ok, 1);
	w(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(be.notify, 1);
	hv_mmio_raise(&m, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(be.irqs, 1);
	CHECK_EQ(r(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	w(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(r(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(m.ignored, 0);
	w(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(be.reset, 1);
	CHECK_EQ(r(VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(r(VIRTIO_MMIO_QUEUE_READY), 0);
}

/* Linux's virtio_mmio takes a device down as reset, then QueueReady=0 on
 * each queue (vm_del_vq), which reads 0 back: a quiet no-op. Taking a
 * ready queue down without a reset is not supported (no RING_RESET). */
static void test_queue_ready_0(void)
{
	setup();
	negotiate(F_OFFERED);
	queue0(128, 0x80000000, 0x80001000, 0x80002000);
	w(VIRTIO_MMIO_STATUS, ST_DRIVER_OK);
	w(VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ(r(VIRTIO_MMIO_QUEUE_READY), 1);
	CHECK_EQ(m.ignored, 1);
	w(VIRTIO_MMIO_STATUS, 0);
	for (uint32_t i = 0; i < 2; i++) {
		w(VIRTIO_MMIO_QUEUE_SEL, i);
		w(VIRTIO_MMIO_QUEUE_READY, 0);
		CHECK_EQ(r(VIRTIO_MMIO_QUEUE_READY), 0);
	}
	CHECK_EQ(m.ignored, 1);
	CHECK_EQ(be.reset, 1);
	CHECK_EQ(be.queue_ready, 1);
}

static void test_config_widths(void)
{
	setup();
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG, 8), 0x1716151413121110ull);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 4, 4), 0x17161514);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 10, 2), 0x1b1a);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 11, 1), 0x1b);
	CHECK_EQ(m.ignored, 0);
	/* Misaligned, odd widths, past config_size (12). */
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 1, 2), 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG, 3), 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 8, 8), 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 12, 1), 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_CONFIG + 0xfc, 4), 0);
	CHECK_EQ(hv_mmio_read(&m, ~0ull - 3, 4), 0);
	CHECK_EQ(m.ignored, 6);
}

static void test_bad_registers(void)
{
	setup();
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_MAGIC_VALUE + 2, 4), 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_QUEUE_NOTIFY, 4), 0); /* write-only */
	w(VIRTIO_MMIO_MAGIC_VALUE, 1);				    /* read-only */
	w(VIRTIO_MMIO_DEVICE_ID, 5);
	hv_mmio_write(&m, VIRTIO_MMIO_STATUS, 1, ST_DRIVER_OK); /* Status is 32-bit in version 2 */
	CHECK_EQ(m.ignored, 6);
	CHECK_EQ(r(VIRTIO_MMIO_DEVICE_ID), 2);
	CHECK_EQ(r(VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(be.features_ok + be.driver_ok + be.queue_ready, 0);
}

static void test_feature_refusals(void)
{
	setup();
	/* A bit the device did not offer. */
	negotiate(F_OFFERED | (1ull << 5));
	CHECK_EQ(be.features_ok, 0);
	CHECK_EQ(r(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	w(VIRTIO_MMIO_STATUS, 0);
	/* No VERSION_1: a legacy driver. */
	negotiate(1ull << 9);
	CHECK_EQ(be.features_ok, 0);
	CHECK_EQ(r(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	/* DRIVER_OK without FEATURES_OK. */
	w(VIRTIO_MMIO_STATUS, ST_DRIVER_OK_ONLY);
	CHECK_EQ(be.driver_ok, 0);
	/* Features written after FEATURES_OK are ignored. */
	w(VIRTIO_MMIO_STATUS, 0);
	negotiate(F_OFFERED);
	w(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CHECK_EQ(m.driver_features, F_OFFERED);
}

static void test_queue_abuse(void)
{
	setup();
	/* Queue set-up before FEATURES_OK is ignored. */
	queue0(64, 0x1000, 0x2000, 0x3000);
	CHECK_EQ(be.queue_ready, 0);
	w(VIRTIO_MMIO_STATUS, 0);
	negotiate(F_OFFERED);
	/* Sizes: above max, zero, not a power of two: QueueNum stays max. */
	w(VIRTIO_MMIO_QUEUE_SEL, 0);
	w(VIRTIO_MMIO_QUEUE_NUM, 512);
	w(VIRTIO_MMIO_QUEUE_NUM, 0);
	w(VIRTIO_MMIO_QUEUE_NUM, 100);
	CHECK_EQ(m.queues[0].num, 256);
	/* A queue that does not exist. */
	w(VIRTIO_MMIO_QUEUE_SEL, 9);
	CHECK_EQ(r(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	w(VIRTIO_MMIO_QUEUE_NUM, 4);
	w(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(be.queue_ready, 0);
	/* Misaligned rings. */
	queue0(16, 0x1008, 0x2000, 0x3000);
	CHECK_EQ(be.queue_ready, 0);
	/* A backend refusal sets NEEDS_RESET. */
	be.refuse_queue = 1;
	queue0(16, 0x1000, 0x2000, 0x3000);
	CHECK_EQ(be.queue_ready, 1);
	CHECK_EQ(r(VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(r(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Notifies of unready or missing queues never reach the backend. */
	w(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	w(VIRTIO_MMIO_QUEUE_NOTIFY, 70000);
	CHECK_EQ(be.notify, 0);
	/* Status bits only go away through reset. */
	w(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	CHECK(r(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	w(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(r(VIRTIO_MMIO_STATUS), 0);
}

static void test_ready_queue_is_frozen(void)
{
	setup();
	negotiate(F_OFFERED);
	queue0(16, 0x1000, 0x2000, 0x3000);
	w(VIRTIO_MMIO_QUEUE_DESC_LOW, 0xdead000);
	w(VIRTIO_MMIO_QUEUE_NUM, 2);
	CHECK_EQ(m.queues[0].desc, 0x1000);
	CHECK_EQ(m.queues[0].num, 16);
	w(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(be.queue_ready, 1);
}

/* Every 4-byte register and width, written with every value class: the
 * backend sees only the calls a valid sequence makes. */
static void test_random_storm(void)
{
	uint64_t s = 88172645463325252ull;

	setup();
	for (int i = 0; i < 200000; i++) {
		uint64_t off, v;
		unsigned int wd;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		off = s % 0x220;
		wd = 1u << (s >> 20) % 4;
		v = s >> 3;
		if (s & (1ull << 40))
			hv_mmio_write(&m, off, wd, v);
		else
			hv_mmio_read(&m, off, wd);
		CHECK(m.queue_sel >= m.num_queues || m.queues[0].num <= 256);
		CHECK((m.driver_features & ~F_OFFERED) == 0 ||
		      !(m.status & VIRTIO_CONFIG_S_FEATURES_OK));
	}
	CHECK(m.queues[0].num && (m.queues[0].num & (m.queues[0].num - 1)) == 0);
}

int main(void)
{
	RUN(test_identity);
	RUN(test_packed_ring_never_offered);
	RUN(test_init_sequence);
	RUN(test_queue_ready_0);
	RUN(test_config_widths);
	RUN(test_bad_registers);
	RUN(test_feature_refusals);
	RUN(test_queue_abuse);
	RUN(test_ready_queue_is_frozen);
	RUN(test_random_storm);
	hv_mmio_fini(&m);
	return check_done();
}
