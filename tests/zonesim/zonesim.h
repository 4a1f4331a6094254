/* SPDX-License-Identifier: MIT */
/*
 * The zone simulator: plays a guest zone of hvisor against hvbridge. It
 * owns zone RAM (a memfd), issues MMIO accesses the way the hypervisor
 * forwards them, takes interrupts, and drives a virtio-mmio block device
 * with a driver written from the virtio 1.2 spec.
 */
#ifndef ZONESIM_H
#define ZONESIM_H

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers, interrupt bits, status and feature bits are <linux/virtio_mmio.h>'s
 * and <linux/virtio_config.h>'s. What they lack: what a version 2 device
 * shows at VIRTIO_MMIO_MAGIC_VALUE and VIRTIO_MMIO_VERSION. */
#define ZS_MMIO_MAGIC	0x74726976u /* "virt" */
#define ZS_MMIO_VERSION 2u
/* ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK: a driver at work. */
#define ZS_STATUS_RUNNING                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |      \
	 VIRTIO_CONFIG_S_DRIVER_OK)

struct vring_desc;

struct zs_link {
	int fd;
	uint32_t zone;
	uint64_t ram_base, ram_size;
	uint8_t *ram;
	/* A second region, if ram2_size: mapped right after ram when it
	 * follows it in the zone's space. */
	uint64_t ram2_base, ram2_size;
	uint8_t *ram2;
	/* Where the blk driver's data buffers are (slot i at + i x
	 * ZS_BUF_MAX); 0: in region 1. */
	uint64_t blk_bufs;
	unsigned int irqs_pending;
	uint64_t dev; /* MMIO base of the device under test */
};

/* link.c */
int zs_connect(struct zs_link *l, const char *path);
/* Goes without a word, as a zone that is destroyed: RAM and socket. */
void zs_disconnect(struct zs_link *l);
/* The vCPU the calling thread plays, 0 unless it says: its accesses carry
 * it as src_cpu, as hvisor's do, and hvbridge keeps at most one answer for
 * later per vCPU. */
void zs_set_vcpu(unsigned int cpu);
uint32_t zs_read(struct zs_link *l, uint64_t off, unsigned int width);
void zs_write(struct zs_link *l, uint64_t off, unsigned int width, uint64_t val);
/* An access anywhere in the zone's space, answered or not. */
uint64_t zs_access(struct zs_link *l, uint64_t addr, unsigned int width, bool write, uint64_t val);
/* Writes Status 0 and waits until it reads 0; returns how long that took
 * (ns). */
uint64_t zs_reset(struct zs_link *l);
/* Waits up to timeout_ms for an interrupt; false on timeout. */
bool zs_wait_irq(struct zs_link *l, int timeout_ms);
void *zs_ram(struct zs_link *l, uint64_t addr, uint64_t len);

/* blk_driver.c */
struct zs_blk {
	struct zs_link *l;
	uint16_t qsize;
	uint64_t desc, avail, used; /* zone addresses */
	uint16_t avail_idx, used_seen;
	uint64_t capacity; /* sectors */
	uint64_t features;
	unsigned int inflight;
};

int zs_blk_init(struct zs_blk *b, struct zs_link *l);
void zs_blk_reset(struct zs_blk *b);
/* Queues one request in slot (< ZS_SLOTS); data is in the slot's buffer. */
void zs_blk_submit(struct zs_blk *b, unsigned int slot, uint32_t type, uint64_t sector,
		   uint32_t len);
/* The same in two steps, for tests that corrupt the chain between them:
 * returns the chain's first descriptor (header, data, status follow). */
struct vring_desc *zs_blk_prepare(struct zs_blk *b, unsigned int slot, uint32_t type,
				  uint64_t sector, uint32_t len);
void zs_blk_publish(struct zs_blk *b, unsigned int slot);
/* Waits for completions; returns the slots done with their status. */
int zs_blk_complete(struct zs_blk *b, unsigned int *slots, uint8_t *status, unsigned int max,
		    int timeout_ms);
uint8_t *zs_blk_buf(struct zs_blk *b, unsigned int slot);
/* One request, synchronously: the status byte, or -1 on timeout. */
int zs_blk_rw(struct zs_blk *b, uint32_t type, uint64_t sector, void *data, uint32_t len);

#define ZS_SLOTS   32u
#define ZS_BUF_MAX (64u * 1024)

/* ring.c: one descriptor per buffer, slot i is descriptor i. */
struct zs_ring {
	uint64_t desc, avail, used;
	uint16_t size, avail_idx, used_seen;
};
void zs_ring_setup(struct zs_link *l, unsigned int q, struct zs_ring *r, uint64_t at,
		   uint16_t size);
void zs_ring_post(struct zs_link *l, struct zs_ring *r, unsigned int q, uint16_t i, uint64_t addr,
		  uint32_t len, bool write);
bool zs_ring_used(struct zs_link *l, struct zs_ring *r, uint32_t *id, uint32_t *len,
		  int timeout_ms);
/* Reset, ACKNOWLEDGE, DRIVER, the offered part of want, FEATURES_OK. */
int zs_negotiate(struct zs_link *l, uint64_t want);

/* console_driver.c */
int zs_console_init(struct zs_link *l, uint16_t *cols, uint16_t *rows);
int zs_console_write(struct zs_link *l, const void *buf, uint32_t len);
int zs_console_read(struct zs_link *l, void *out, uint32_t len, unsigned int nbufs,
		    uint32_t buf_size, unsigned int delay_us);

/* net_driver.c */
int zs_net_init(struct zs_link *l, uint8_t mac[6]);
int zs_net_send(struct zs_link *l, const void *frame, uint32_t len);
/* VIRTIO_NET_S_LINK_UP from config space: non-zero while the link is up. */
int zs_net_link_up(struct zs_link *l);
/* One received frame without its header: its length, or -1 on timeout. */
int zs_net_recv(struct zs_link *l, void *frame, uint32_t max, int timeout_ms);

/* attack.c: hostile zones (see there). */
struct zs_storm_stats {
	unsigned int segs, qsize;
	uint32_t seg_len;
	uint64_t resets, posted;
	uint64_t worst_answer_ns; /* the Status 0 write's own answer */
	uint64_t worst_reset_ns;  /* until Status read 0 */
	/* Status 0 writes after which Status did not read 0 at once: a driver
	 * that does not read it back (Linux) would have been ignored. */
	uint64_t late;
};
int zs_reset_storm(struct zs_link *l, unsigned int segs, unsigned int seconds,
		   struct zs_storm_stats *st);
struct zs_leave_stats {
	unsigned int segs;
	uint32_t seg_len;
	uint64_t leaves, posted;
	uint64_t worst_back_ns; /* from leaving to the first answer after */
};
/* path: the zone's socket, to come back on. */
int zs_leave_storm(struct zs_link *l, const char *path, unsigned int segs, unsigned int seconds,
		   struct zs_leave_stats *st);
/* Keeps the queue full of such reads for seconds, then resets. */
int zs_fill(struct zs_link *l, unsigned int segs, unsigned int seconds, uint64_t *posted);
/* Returns the notifies sent. */
uint64_t zs_notify_flood(struct zs_link *l, unsigned int threads, unsigned int seconds);

/* pattern.c: a reproducible byte stream, the same here and in the test
 * script's expectation. */
void zs_pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len);

#endif
