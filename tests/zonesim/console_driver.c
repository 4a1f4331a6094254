// SPDX-License-Identifier: MIT
/*
 * A virtio-mmio console driver (virtio 1.2, 5.3), one port: queue 0
 * receives, queue 1 transmits, one descriptor per buffer. Its rings and
 * buffers live above the block driver's, so both can run in one zone.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zonesim.h"

#define RINGS	0x30000u /* rx at +0, tx at +0x4000 */
#define RX_BUFS 0x400000u
#define TX_BUFS 0x480000u
#define QSIZE	16u

static struct zs_ring rx, tx;

int zs_console_init(struct zs_link *l, uint16_t *cols, uint16_t *rows)
{
	uint32_t v;

	if (zs_read(l, VIRTIO_MMIO_DEVICE_ID, 4) != VIRTIO_ID_CONSOLE) {
		fprintf(stderr, "zonesim: not a console (device %u)\n",
			zs_read(l, VIRTIO_MMIO_DEVICE_ID, 4));
		return -1;
	}
	if (zs_negotiate(l, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
				    1ull /* VIRTIO_CONSOLE_F_SIZE */) < 0) {
		fprintf(stderr, "zonesim: the console refused its features\n");
		return -1;
	}
	zs_ring_setup(l, 0, &rx, l->ram_base + RINGS, QSIZE);
	zs_ring_setup(l, 1, &tx, l->ram_base + RINGS + 0x4000, QSIZE);
	zs_write(l, VIRTIO_MMIO_STATUS, 4, ZS_STATUS_RUNNING);
	v = zs_read(l, VIRTIO_MMIO_CONFIG, 4);
	*cols = (uint16_t)v;
	*rows = (uint16_t)(v >> 16);
	return (zs_read(l, VIRTIO_MMIO_STATUS, 4) == ZS_STATUS_RUNNING) ? 0 : -1;
}

int zs_console_write(struct zs_link *l, const void *buf, uint32_t len)
{
	uint32_t id, n;

	if (len > 4096)
		return -1;
	memcpy(zs_ram(l, l->ram_base + TX_BUFS, len), buf, len);
	zs_ring_post(l, &tx, 1, 0, l->ram_base + TX_BUFS, len, false);
	return zs_ring_used(l, &tx, &id, &n, 5000) ? 0 : -1;
}

/* Reads len bytes with only `nbufs` small buffers posted at a time, and
 * lingers `delay_us` before giving each back: a slow zone. */
int zs_console_read(struct zs_link *l, void *out, uint32_t len, unsigned int nbufs,
		    uint32_t buf_size, unsigned int delay_us)
{
	uint32_t got = 0, id, n;

	for (uint16_t i = 0; i < nbufs; i++)
		zs_ring_post(l, &rx, 0, i, l->ram_base + RX_BUFS + i * buf_size, buf_size, true);
	while (got < len) {
		if (!zs_ring_used(l, &rx, &id, &n, 10000) || id >= nbufs || n > buf_size)
			return (int)got;
		if (n > len - got)
			n = len - got;
		memcpy((uint8_t *)out + got, zs_ram(l, l->ram_base + RX_BUFS + id * buf_size, n),
		       n);
		got += n;
		usleep(delay_us);
		zs_ring_post(l, &rx, 0, (uint16_t)id, l->ram_base + RX_BUFS + id * buf_size,
			     buf_size, true);
	}
	return (int)got;
}
