// SPDX-License-Identifier: MIT
/*
 * virtio-mmio register file (virtio 1.2, 4.2.2, version 2). Decodes what a
 * zone wrote, checks it against the spec and the device, and hands the
 * backend only what is valid.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/virtio_mmio.h"

#define IGNORE(m, ...)                                                                             \
	do {                                                                                       \
		(m)->ignored++;                                                                    \
		hv_warn_ratelimited(&(m)->rl, __VA_ARGS__);                                        \
	} while (0)

int hv_mmio_init(struct hv_mmio_dev *m, const struct hv_mmio_ops *ops, struct hvb_backend *backend,
		 const char *name)
{
	m->ops = ops;
	m->backend = backend;
	m->name = name;
	m->device_features &= ~HV_MMIO_HIDDEN_FEATURES;
	if (m->num_queues == 0 || m->queue_num_max == 0)
		return -EINVAL;
	m->queues = calloc(m->num_queues, sizeof(*m->queues));
	if (!m->queues)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->num_queues; i++)
		m->queues[i].num = m->queue_num_max;
	return 0;
}

void hv_mmio_fini(struct hv_mmio_dev *m)
{
	free(m->queues);
	m->queues = NULL;
}

static struct hv_mmio_queue *cur_queue(struct hv_mmio_dev *m)
{
	return m->queue_sel < m->num_queues ? &m->queues[m->queue_sel] : NULL;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffull) | val;
}

/* Config space: 1, 2, 4 or 8 bytes, naturally aligned, inside the device's
 * config. */
static bool config_access_ok(struct hv_mmio_dev *m, uint64_t off, unsigned int width)
{
	uint64_t rel = off - VIRTIO_MMIO_CONFIG;

	return (width == 1 || width == 2 || width == 4 || width == 8) && rel % width == 0 &&
	       rel + width <= m->config_size;
}

uint64_t hv_mmio_read(struct hv_mmio_dev *m, uint64_t off, unsigned int width)
{
	struct hv_mmio_queue *q = cur_queue(m);

	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t v = 0;

		if (!config_access_ok(m, off, width)) {
			IGNORE(m, "%s: config read of %u bytes at 0x%llx ignored", m->name, width,
			       (unsigned long long)off);
			return 0;
		}
		m->ops->config_read(m, (uint32_t)(off - VIRTIO_MMIO_CONFIG), &v, width);
		return v; /* config space is little-endian, and so are we */
	}
	if (width != 4 || off % 4) {
		IGNORE(m, "%s: register read of %u bytes at 0x%llx ignored", m->name, width,
		       (unsigned long long)off);
		return 0;
	}
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return HV_MMIO_MAGIC_VALUE;
	case VIRTIO_MMIO_VERSION:
		return HV_MMIO_VERSION_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return m->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return HV_MMIO_VENDOR_ID_HVISOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (m->device_features_sel > 1)
			return 0;
		return (uint32_t)(m->device_features >> (32 * m->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? m->queue_num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&m->interrupt_status, __ATOMIC_ACQUIRE);
	case VIRTIO_MMIO_STATUS:
		return m->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&m->config_generation, __ATOMIC_ACQUIRE);
	default:
		IGNORE(m, "%s: read of write-only or unknown register 0x%llx", m->name,
		       (unsigned long long)off);
		return 0;
	}
}

static void do_reset(struct hv_mmio_dev *m)
{
	m->ops->reset(m);
	m->driver_features = 0;
	m->device_features_sel = m->driver_features_sel = 0;
	m->queue_sel = 0;
	m->status = 0;
	__atomic_store_n(&m->interrupt_status, 0, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < m->num_queues; i++)
		m->queues[i] = (struct hv_mmio_queue){.num = m->queue_num_max};
}

void hv_mmio_needs_reset(struct hv_mmio_dev *m)
{
	m->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (m->status & VIRTIO_CONFIG_S_DRIVER_OK)
		hv_mmio_raise(m, VIRTIO_MMIO_INT_CONFIG);
}

/* Why the register file refuses the driver's features before the device
 * is asked, or NULL. */
static const char *features_refused(const struct hv_mmio_dev *m)
{
	if (m->driver_features & ~m->device_features)
		return "features the device did not offer";
	if (!(m->driver_features & (1ull << VIRTIO_F_VERSION_1)))
		return "no VIRTIO_F_VERSION_1";
	return NULL;
}

unsigned int hv_mmio_status_calls(const struct hv_mmio_dev *m, uint8_t val)
{
	uint8_t added = val & ~m->status;
	unsigned int calls = 0;

	if (val == 0 || (m->status & ~val & ~VIRTIO_CONFIG_S_NEEDS_RESET))
		return 0;
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !features_refused(m))
		calls |= HV_MMIO_CALLS_FEATURES_OK;
	else
		val &= (uint8_t) ~(added & VIRTIO_CONFIG_S_FEATURES_OK);
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && (val & VIRTIO_CONFIG_S_FEATURES_OK))
		calls |= HV_MMIO_CALLS_DRIVER_OK;
	return calls;
}

static void write_status(struct hv_mmio_dev *m, uint8_t val)
{
	uint8_t added = val & ~m->status;

	if (val == 0) {
		do_reset(m);
		return;
	}
	/* Bits go away only through a reset (3.1.1). */
	if (m->status & ~val & ~VIRTIO_CONFIG_S_NEEDS_RESET) {
		IGNORE(m, "%s: status 0x%x would clear bits of 0x%x; ignored", m->name, val,
		       m->status);
		return;
	}
	if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
		const char *why = features_refused(m);

		if (!why && m->ops->features_ok(m, m->driver_features) < 0)
			why = "the device refused them";
		if (why) {
			hv_warn_ratelimited(&m->rl, "%s: features 0x%llx not accepted: %s", m->name,
					    (unsigned long long)m->driver_features, why);
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
			added &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
		IGNORE(m, "%s: DRIVER_OK without FEATURES_OK ignored", m->name);
		val &= ~VIRTIO_CONFIG_S_DRIVER_OK;
		added &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	m->status = val | (m->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && m->ops->driver_ok(m) < 0)
		hv_mmio_needs_reset(m);
}

static void write_queue_ready(struct hv_mmio_dev *m, struct hv_mmio_queue *q, uint32_t val)
{
	unsigned int index = m->queue_sel;

	/* Linux's virtio_mmio deactivates each queue this way after the
	 * reset that already did (vm_del_vq: QueueReady=0, then reads 0
	 * back): nothing to do, and nothing wrong. */
	if (val == 0 && !q->ready)
		return;
	if (val != 1 || q->ready) {
		IGNORE(m, "%s: QueueReady=%u on queue %u (ready %d) ignored", m->name, val, index,
		       q->ready);
		return;
	}
	if (!(m->status & VIRTIO_CONFIG_S_FEATURES_OK) ||
	    (m->status & (VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET))) {
		IGNORE(m, "%s: queue %u made ready in status 0x%x; ignored", m->name, index,
		       m->status);
		return;
	}
	/* Ring alignment, 2.7: descriptors 16, avail 2, used 4. */
	if (q->desc % 16 || q->driver % 2 || q->device % 4) {
		IGNORE(m, "%s: queue %u rings misaligned; ignored", m->name, index);
		return;
	}
	if (m->ops->queue_ready(m, index, q) < 0) {
		hv_mmio_needs_reset(m);
		return;
	}
	q->ready = true;
}

static void write_queue_reg(struct hv_mmio_dev *m, uint64_t off, uint32_t val)
{
	struct hv_mmio_queue *q = cur_queue(m);

	if (!q || q->ready) {
		IGNORE(m, "%s: write 0x%x to queue register 0x%llx of %s queue %u ignored", m->name,
		       val, (unsigned long long)off, q ? "ready" : "missing", m->queue_sel);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (val == 0 || val > m->queue_num_max || (val & (val - 1))) {
			IGNORE(m, "%s: QueueNum %u (max %u) ignored", m->name, val,
			       m->queue_num_max);
			return;
		}
		q->num = (uint16_t)val;
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		return;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_half(&q->driver, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		return;
	default:
		set_half(&q->device, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		return;
	}
}

void hv_mmio_write(struct hv_mmio_dev *m, uint64_t off, unsigned int width, uint64_t val64)
{
	uint32_t val = (uint32_t)val64;

	if (off >= VIRTIO_MMIO_CONFIG) {
		if (!config_access_ok(m, off, width)) {
			IGNORE(m, "%s: config write of %u bytes at 0x%llx ignored", m->name, width,
			       (unsigned long long)off);
			return;
		}
		if (m->ops->config_write)
			m->ops->config_write(m, (uint32_t)(off - VIRTIO_MMIO_CONFIG), &val64,
					     width);
		return;
	}
	if (width != 4 || off % 4) {
		IGNORE(m, "%s: register write of %u bytes at 0x%llx ignored", m->name, width,
		       (unsigned long long)off);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->device_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (m->status & VIRTIO_CONFIG_S_FEATURES_OK || m->driver_features_sel > 1) {
			IGNORE(m, "%s: DriverFeatures write ignored (sel %u, status 0x%x)", m->name,
			       m->driver_features_sel, m->status);
			return;
		}
		set_half(&m->driver_features, m->driver_features_sel == 1, val);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->driver_features_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		write_queue_reg(m, off, val);
		return;
	case VIRTIO_MMIO_QUEUE_READY: {
		struct hv_mmio_queue *q = cur_queue(m);

		if (!q)
			IGNORE(m, "%s: QueueReady on missing queue %u ignored", m->name,
			       m->queue_sel);
		else
			write_queue_ready(m, q, val);
		return;
	}
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (val >= m->num_queues || !m->queues[val].ready ||
		    !(m->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
			IGNORE(m, "%s: notify of queue %u ignored (status 0x%x)", m->name, val,
			       m->status);
			return;
		}
		m->ops->notify(m, val);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&m->interrupt_status, ~val, __ATOMIC_ACQ_REL);
		return;
	case VIRTIO_MMIO_STATUS:
		write_status(m, (uint8_t)val);
		return;
	case VIRTIO_MMIO_SHM_SEL:
		return;
	default:
		IGNORE(m, "%s: write 0x%x to read-only or unknown register 0x%llx ignored", m->name,
		       val, (unsigned long long)off);
		return;
	}
}

void hv_mmio_raise(struct hv_mmio_dev *m, uint32_t bits)
{
	if (bits & VIRTIO_MMIO_INT_CONFIG)
		__atomic_fetch_add(&m->config_generation, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_or(&m->interrupt_status, bits, __ATOMIC_ACQ_REL);
	if (m->irq)
		m->irq(m);
}

bool hv_mmio_config_changed(struct hv_mmio_dev *m)
{
	if (!(m->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (__atomic_load_n(&m->interrupt_status, __ATOMIC_ACQUIRE) & VIRTIO_MMIO_INT_CONFIG)) {
		__atomic_fetch_add(&m->config_generation, 1, __ATOMIC_ACQ_REL);
		return false;
	}
	hv_mmio_raise(m, VIRTIO_MMIO_INT_CONFIG);
	return true;
}

void hv_mmio_reset(struct hv_mmio_dev *m)
{
	do_reset(m);
}
