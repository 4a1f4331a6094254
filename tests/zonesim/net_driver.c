// SPDX-License-Identifier: MIT
/*
 * A virtio-mmio net driver (virtio 1.2, 5.1), as small as a test needs: no
 * offloads, no mergeable buffers (so every RX buffer holds a whole frame
 * after the 12-byte header), queue 0 receives, queue 1 transmits. Its rings
 * and buffers sit above the block and console drivers'.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>

#include "zonesim.h"

#define RINGS	0x40000u /* rx at +0, tx at +0x4000 */
#define RX_BUFS 0x500000u
#define TX_BUF	0x580000u
#define QSIZE	16u
#define BUF	2048u
#define HDR	12u

struct ring {
	uint64_t desc, avail, used;
	uint16_t avail_idx, used_seen;
};

static struct ring rx, tx;

static void setup_queue(struct zs_link *l, unsigned int q, struct ring *r, uint64_t at)
{
	*r = (struct ring){.desc = at, .avail = at + 0x1000, .used = at + 0x2000};
	memset(zs_ram(l, at, 0x3000), 0, 0x3000);
	zs_write(l, 0x30, 4, q);
	zs_write(l, 0x38, 4, QSIZE);
	zs_write(l, 0x80, 4, (uint32_t)r->desc);
	zs_write(l, 0x84, 4, (uint32_t)(r->desc >> 32));
	zs_write(l, 0x90, 4, (uint32_t)r->avail);
	zs_write(l, 0x94, 4, (uint32_t)(r->avail >> 32));
	zs_write(l, 0xa0, 4, (uint32_t)r->used);
	zs_write(l, 0xa4, 4, (uint32_t)(r->used >> 32));
	zs_write(l, 0x44, 4, 1);
}

static void post(struct zs_link *l, struct ring *r, unsigned int q, uint16_t i, uint64_t addr,
		 uint32_t len, bool write)
{
	struct vring_desc *d = zs_ram(l, r->desc, 16 * QSIZE);
	struct vring_avail *a = zs_ram(l, r->avail, 6 + 2 * QSIZE);

	d[i] = (struct vring_desc){
		.addr = addr, .len = len, .flags = write ? VRING_DESC_F_WRITE : 0};
	a->ring[r->avail_idx % QSIZE] = i;
	__atomic_store_n(&a->idx, ++r->avail_idx, __ATOMIC_RELEASE);
	zs_write(l, 0x50, 4, q);
}

static bool used(struct zs_link *l, struct ring *r, uint32_t *id, uint32_t *len, int timeout_ms)
{
	struct vring_used *u = zs_ram(l, r->used, 6 + 8 * QSIZE);

	for (;;) {
		if (r->used_seen != __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)) {
			*id = u->ring[r->used_seen % QSIZE].id;
			*len = u->ring[r->used_seen % QSIZE].len;
			r->used_seen++;
			return true;
		}
		if (!zs_wait_irq(l, timeout_ms))
			return false;
		zs_write(l, 0x64, 4, zs_read(l, 0x60, 4));
	}
}

int zs_net_init(struct zs_link *l, uint8_t mac[6])
{
	uint64_t offered, want;

	if (zs_read(l, 0x8, 4) != VIRTIO_ID_NET) {
		fprintf(stderr, "zonesim: not a net device (device %u)\n", zs_read(l, 0x8, 4));
		return -1;
	}
	zs_write(l, 0x70, 4, 0);
	zs_write(l, 0x70, 4, 1);
	zs_write(l, 0x70, 4, 3);
	zs_write(l, 0x14, 4, 0);
	offered = zs_read(l, 0x10, 4);
	zs_write(l, 0x14, 4, 1);
	offered |= (uint64_t)zs_read(l, 0x10, 4) << 32;
	want = offered & ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
			  (1ull << VIRTIO_NET_F_MAC));
	zs_write(l, 0x24, 4, 0);
	zs_write(l, 0x20, 4, (uint32_t)want);
	zs_write(l, 0x24, 4, 1);
	zs_write(l, 0x20, 4, (uint32_t)(want >> 32));
	zs_write(l, 0x70, 4, 0xb);
	if (!(zs_read(l, 0x70, 4) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	setup_queue(l, 0, &rx, l->ram_base + RINGS);
	setup_queue(l, 1, &tx, l->ram_base + RINGS + 0x4000);
	zs_write(l, 0x70, 4, 0xf);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)zs_read(l, 0x100 + (uint64_t)i, 1);
	for (uint16_t i = 0; i < QSIZE; i++)
		post(l, &rx, 0, i, l->ram_base + RX_BUFS + i * BUF, BUF, true);
	return zs_read(l, 0x70, 4) == 0xf ? 0 : -1;
}

int zs_net_send(struct zs_link *l, const void *frame, uint32_t len)
{
	uint8_t *b = zs_ram(l, l->ram_base + TX_BUF, HDR + len);
	uint32_t id, n;

	if (len > BUF - HDR)
		return -1;
	memset(b, 0, HDR);
	memcpy(b + HDR, frame, len);
	post(l, &tx, 1, 0, l->ram_base + TX_BUF, HDR + len, false);
	return used(l, &tx, &id, &n, 5000) ? 0 : -1;
}

int zs_net_recv(struct zs_link *l, void *frame, uint32_t max, int timeout_ms)
{
	uint32_t id, n;
	int len;

	if (!used(l, &rx, &id, &n, timeout_ms) || id >= QSIZE || n < HDR || n > BUF)
		return -1;
	len = (int)(n - HDR < max ? n - HDR : max);
	memcpy(frame, zs_ram(l, l->ram_base + RX_BUFS + id * BUF + HDR, (uint32_t)len),
	       (size_t)len);
	post(l, &rx, 0, (uint16_t)id, l->ram_base + RX_BUFS + id * BUF, BUF, true);
	return len;
}
