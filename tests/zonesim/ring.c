// SPDX-License-Identifier: MIT
/*
 * The driver side of the plain split rings the console and net drivers
 * use: one descriptor per buffer, slot i is descriptor i. And the common
 * first steps of device initialisation (3.1.1).
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "zonesim.h"

void zs_ring_setup(struct zs_link *l, unsigned int q, struct zs_ring *r, uint64_t at, uint16_t size)
{
	*r = (struct zs_ring){.desc = at, .avail = at + 0x1000, .used = at + 0x2000, .size = size};
	memset(zs_ram(l, at, 0x3000), 0, 0x3000);
	zs_write(l, VIRTIO_MMIO_QUEUE_SEL, 4, q);
	zs_write(l, VIRTIO_MMIO_QUEUE_NUM, 4, size);
	zs_write(l, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, (uint32_t)r->desc);
	zs_write(l, VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, (uint32_t)(r->desc >> 32));
	zs_write(l, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, (uint32_t)r->avail);
	zs_write(l, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 4, (uint32_t)(r->avail >> 32));
	zs_write(l, VIRTIO_MMIO_QUEUE_USED_LOW, 4, (uint32_t)r->used);
	zs_write(l, VIRTIO_MMIO_QUEUE_USED_HIGH, 4, (uint32_t)(r->used >> 32));
	zs_write(l, VIRTIO_MMIO_QUEUE_READY, 4, 1);
}

void zs_ring_post(struct zs_link *l, struct zs_ring *r, unsigned int q, uint16_t i, uint64_t addr,
		  uint32_t len, bool write)
{
	struct vring_desc *d = zs_ram(l, r->desc, 16ull * r->size);
	struct vring_avail *a = zs_ram(l, r->avail, 6 + 2ull * r->size);

	d[i] = (struct vring_desc){
		.addr = addr, .len = len, .flags = write ? VRING_DESC_F_WRITE : 0};
	a->ring[r->avail_idx % r->size] = i;
	__atomic_store_n(&a->idx, ++r->avail_idx, __ATOMIC_RELEASE);
	zs_write(l, VIRTIO_MMIO_QUEUE_NOTIFY, 4, q);
}

bool zs_ring_used(struct zs_link *l, struct zs_ring *r, uint32_t *id, uint32_t *len, int timeout_ms)
{
	struct vring_used *u = zs_ram(l, r->used, 6 + 8ull * r->size);

	for (;;) {
		if (r->used_seen != __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)) {
			*id = u->ring[r->used_seen % r->size].id;
			*len = u->ring[r->used_seen % r->size].len;
			r->used_seen++;
			return true;
		}
		if (!zs_wait_irq(l, timeout_ms))
			return false;
		/* 4.2.2: acknowledge what InterruptStatus says. */
		zs_write(l, VIRTIO_MMIO_INTERRUPT_ACK, 4,
			 zs_read(l, VIRTIO_MMIO_INTERRUPT_STATUS, 4));
	}
}

int zs_negotiate(struct zs_link *l, uint64_t want)
{
	uint64_t offered;

	zs_reset(l);
	zs_write(l, VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	zs_write(l, VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	zs_write(l, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
	offered = zs_read(l, VIRTIO_MMIO_DEVICE_FEATURES, 4);
	zs_write(l, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
	offered |= (uint64_t)zs_read(l, VIRTIO_MMIO_DEVICE_FEATURES, 4) << 32;
	want &= offered;
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)want);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)(want >> 32));
	zs_write(l, VIRTIO_MMIO_STATUS, 4,
		 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK);
	return (zs_read(l, VIRTIO_MMIO_STATUS, 4) & VIRTIO_CONFIG_S_FEATURES_OK) ? 0 : -1;
}
