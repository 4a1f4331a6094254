// SPDX-License-Identifier: MIT
/*
 * A virtio-mmio block driver, from the virtio 1.2 spec (3.1.1 init, 4.2.3.2
 * queue set-up, 5.2 blk), with one split queue in zone RAM. Requests use a
 * fixed chain per slot: header, data, status.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zonesim.h"

#define RINGS 0x0u
#define HDRS  0x10000u
#define BUFS  0x100000u

static uint64_t at(struct zs_blk *b, uint64_t off)
{
	return b->l->ram_base + off;
}

/* Slot's data buffer: the zone may have put them in another region, or
 * across two. */
static uint64_t buf_at(struct zs_blk *b, unsigned int slot)
{
	return (b->l->blk_bufs ? b->l->blk_bufs : at(b, BUFS)) + (uint64_t)slot * ZS_BUF_MAX;
}

uint8_t *zs_blk_buf(struct zs_blk *b, unsigned int slot)
{
	return zs_ram(b->l, buf_at(b, slot), ZS_BUF_MAX);
}

void zs_blk_reset(struct zs_blk *b)
{
	zs_reset(b->l);
	b->inflight = 0;
}

static int fail(const char *why, uint32_t got)
{
	fprintf(stderr, "zonesim: init: %s (0x%x)\n", why, got);
	return -1;
}

int zs_blk_init(struct zs_blk *b, struct zs_link *l)
{
	struct zs_ring ring;
	uint64_t offered, want;
	uint32_t v, max;
	uint8_t s;

	memset(b, 0, sizeof(*b));
	b->l = l;
	if ((v = zs_read(l, VIRTIO_MMIO_MAGIC_VALUE, 4)) != ZS_MMIO_MAGIC)
		return fail("bad magic", v);
	if ((v = zs_read(l, VIRTIO_MMIO_VERSION, 4)) != ZS_MMIO_VERSION)
		return fail("not a version 2 device", v);
	if ((v = zs_read(l, VIRTIO_MMIO_DEVICE_ID, 4)) != VIRTIO_ID_BLOCK)
		return fail("not a block device", v);
	zs_blk_reset(b);
	s = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	zs_write(l, VIRTIO_MMIO_STATUS, 4, s);
	s |= VIRTIO_CONFIG_S_DRIVER;
	zs_write(l, VIRTIO_MMIO_STATUS, 4, s);
	zs_write(l, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
	offered = zs_read(l, VIRTIO_MMIO_DEVICE_FEATURES, 4);
	zs_write(l, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
	offered |= (uint64_t)zs_read(l, VIRTIO_MMIO_DEVICE_FEATURES, 4) << 32;
	want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ull << VIRTIO_BLK_F_FLUSH);
	if ((offered & want) != want)
		return fail("device lacks VERSION_1, ACCESS_PLATFORM or FLUSH",
			    (uint32_t)(offered >> 32));
	b->features = want;
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)want);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)(want >> 32));
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	zs_write(l, VIRTIO_MMIO_STATUS, 4, s);
	if (!((v = zs_read(l, VIRTIO_MMIO_STATUS, 4)) & VIRTIO_CONFIG_S_FEATURES_OK))
		return fail("FEATURES_OK did not stick", v);
	zs_write(l, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
	if (zs_read(l, VIRTIO_MMIO_QUEUE_READY, 4) != 0)
		return fail("queue 0 already ready", 1);
	max = zs_read(l, VIRTIO_MMIO_QUEUE_NUM_MAX, 4);
	if (max == 0)
		return fail("no queue 0", 0);
	b->qsize = (uint16_t)(max < 128 ? max : 128);
	zs_ring_setup(l, 0, &ring, at(b, RINGS), b->qsize);
	b->desc = ring.desc;
	b->avail = ring.avail;
	b->used = ring.used;
	if (zs_read(l, VIRTIO_MMIO_QUEUE_READY, 4) != 1)
		return fail("queue 0 did not become ready", zs_read(l, VIRTIO_MMIO_STATUS, 4));
	s |= VIRTIO_CONFIG_S_DRIVER_OK;
	zs_write(l, VIRTIO_MMIO_STATUS, 4, s);
	if ((v = zs_read(l, VIRTIO_MMIO_STATUS, 4)) != s)
		return fail("DRIVER_OK not accepted", v);
	/* hvisor traps 4-byte accesses: the 64-bit capacity in two halves. */
	b->capacity = zs_read(l, VIRTIO_MMIO_CONFIG, 4) |
		      (uint64_t)zs_read(l, VIRTIO_MMIO_CONFIG + 4, 4) << 32;
	return 0;
}

struct vring_desc *zs_blk_prepare(struct zs_blk *b, unsigned int slot, uint32_t type,
				  uint64_t sector, uint32_t len)
{
	struct vring_desc *d = zs_ram(b->l, b->desc, 16ull * b->qsize);
	struct virtio_blk_outhdr *h = zs_ram(b->l, at(b, HDRS + slot * 32u), 32);
	uint16_t head = (uint16_t)(slot * 3), n = 0;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*((uint8_t *)h + 16) = 0xff;
	d[head] = (struct vring_desc){.addr = at(b, HDRS + slot * 32u), .len = 16};
	if (len) {
		d[head + 1] = (struct vring_desc){
			.addr = buf_at(b, slot),
			.len = len,
			.flags = type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0,
		};
		d[head].flags = VRING_DESC_F_NEXT;
		d[head].next = head + 1;
		n = 1;
	}
	d[head + n].flags |= VRING_DESC_F_NEXT;
	d[head + n].next = head + 2;
	d[head + 2] = (struct vring_desc){
		.addr = at(b, HDRS + slot * 32u + 16), .len = 1, .flags = VRING_DESC_F_WRITE};
	return &d[head];
}

void zs_blk_publish(struct zs_blk *b, unsigned int slot)
{
	struct vring_avail *a = zs_ram(b->l, b->avail, 6 + 2ull * b->qsize);

	a->ring[b->avail_idx % b->qsize] = (uint16_t)(slot * 3);
	__atomic_store_n(&a->idx, ++b->avail_idx, __ATOMIC_RELEASE);
	b->inflight++;
	zs_write(b->l, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0);
}

void zs_blk_submit(struct zs_blk *b, unsigned int slot, uint32_t type, uint64_t sector,
		   uint32_t len)
{
	zs_blk_prepare(b, slot, type, sector, len);
	zs_blk_publish(b, slot);
}

int zs_blk_complete(struct zs_blk *b, unsigned int *slots, uint8_t *status, unsigned int max,
		    int timeout_ms)
{
	struct vring_used *u = zs_ram(b->l, b->used, 6 + 8ull * b->qsize);
	unsigned int n = 0;

	for (;;) {
		uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);

		while (b->used_seen != idx && n < max) {
			unsigned int head = u->ring[b->used_seen % b->qsize].id;

			if (head % 3 || head / 3 >= ZS_SLOTS) {
				fprintf(stderr, "zonesim: device returned head %u\n", head);
				exit(1);
			}
			slots[n] = head / 3;
			status[n] = *(uint8_t *)zs_ram(b->l, at(b, HDRS + head / 3 * 32u + 16), 1);
			n++;
			b->used_seen++;
			b->inflight--;
		}
		if (n)
			return (int)n;
		if (!zs_wait_irq(b->l, timeout_ms))
			return 0;
		/* 4.2.2: acknowledge what InterruptStatus says. */
		zs_write(b->l, VIRTIO_MMIO_INTERRUPT_ACK, 4,
			 zs_read(b->l, VIRTIO_MMIO_INTERRUPT_STATUS, 4));
	}
}

int zs_blk_rw(struct zs_blk *b, uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	unsigned int slot;
	uint8_t st;

	if (type == VIRTIO_BLK_T_OUT)
		memcpy(zs_blk_buf(b, 0), data, len);
	zs_blk_submit(b, 0, type, sector, len);
	if (zs_blk_complete(b, &slot, &st, 1, 5000) != 1)
		return -1;
	if (type == VIRTIO_BLK_T_IN && st == VIRTIO_BLK_S_OK)
		memcpy(data, zs_blk_buf(b, 0), len);
	return st;
}
