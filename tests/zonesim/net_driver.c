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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "zonesim.h"

#define RINGS	0x40000u /* rx at +0, tx at +0x4000 */
#define RX_BUFS 0x500000u
#define TX_BUF	0x580000u
#define QSIZE	16u
#define BUF	2048u
#define HDR	12u

static struct zs_ring rx, tx;

int zs_net_init(struct zs_link *l, uint8_t mac[6])
{
	if (zs_read(l, VIRTIO_MMIO_DEVICE_ID, 4) != VIRTIO_ID_NET) {
		fprintf(stderr, "zonesim: not a net device (device %u)\n",
			zs_read(l, VIRTIO_MMIO_DEVICE_ID, 4));
		return -1;
	}
	if (zs_negotiate(l, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
				    (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS)) < 0)
		return -1;
	zs_ring_setup(l, 0, &rx, l->ram_base + RINGS, QSIZE);
	zs_ring_setup(l, 1, &tx, l->ram_base + RINGS + 0x4000, QSIZE);
	zs_write(l, VIRTIO_MMIO_STATUS, 4, ZS_STATUS_RUNNING);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)zs_read(l, VIRTIO_MMIO_CONFIG + (uint64_t)i, 1);
	for (uint16_t i = 0; i < QSIZE; i++)
		zs_ring_post(l, &rx, 0, i, l->ram_base + RX_BUFS + i * BUF, BUF, true);
	return zs_read(l, VIRTIO_MMIO_STATUS, 4) == ZS_STATUS_RUNNING ? 0 : -1;
}

int zs_net_send(struct zs_link *l, const void *frame, uint32_t len)
{
	uint8_t *b = zs_ram(l, l->ram_base + TX_BUF, HDR + len);
	uint32_t id, n;

	if (len > BUF - HDR)
		return -1;
	memset(b, 0, HDR);
	memcpy(b + HDR, frame, len);
	zs_ring_post(l, &tx, 1, 0, l->ram_base + TX_BUF, HDR + len, false);
	return zs_ring_used(l, &tx, &id, &n, 5000) ? 0 : -1;
}

int zs_net_recv(struct zs_link *l, void *frame, uint32_t max, int timeout_ms)
{
	uint32_t id, n;
	int len;

	if (!zs_ring_used(l, &rx, &id, &n, timeout_ms) || id >= QSIZE || n < HDR || n > BUF)
		return -1;
	len = (int)(n - HDR < max ? n - HDR : max);
	memcpy(frame, zs_ram(l, l->ram_base + RX_BUFS + id * BUF + HDR, (uint32_t)len),
	       (size_t)len);
	zs_ring_post(l, &rx, 0, (uint16_t)id, l->ram_base + RX_BUFS + id * BUF, BUF, true);
	return len;
}

int zs_net_link_up(struct zs_link *l)
{
	uint32_t off = VIRTIO_MMIO_CONFIG + offsetof(struct virtio_net_config, status);

	return zs_read(l, off, 2) & VIRTIO_NET_S_LINK_UP;
}
