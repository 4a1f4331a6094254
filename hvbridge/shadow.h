/* SPDX-License-Identifier: MIT */
/*
 * Shadow virtqueues: for zone RAM that vhost-vdpa cannot map (hvisor maps
 * it PFN-wise, and vhost_vdpa_va_map skips such ranges), the device gets
 * rings and buffers of ours, in a memfd it can map, and we carry each
 * request between the two: out-buffers copied from zone RAM before the
 * device sees the request, in-buffers copied back and the used entry
 * mirrored into the zone's ring after.
 *
 * The zone's ring is read with the project's own split-virtqueue code
 * (bounds-checked against zone RAM); every copy is bounded by both the
 * zone's iovecs and our own buffer, so a hostile zone cannot make us read
 * or write outside either.
 */
#ifndef HVBRIDGE_SHADOW_H
#define HVBRIDGE_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "hvdpa/guest_mem.h"
#include "hvdpa/virtio_mmio.h"

struct hvb_shadow;

/* Buffer space per queue: a request bigger than this cannot pass. */
#define HVB_SHADOW_POOL (8u << 20)

/* Ring features the shadow path does not carry through to the device. */
uint64_t hvb_shadow_device_features(uint64_t zone_features);

int hvb_shadow_create(unsigned int nvqs, uint16_t max_num, struct hvb_shadow **out);
void hvb_shadow_destroy(struct hvb_shadow *s);
/* The region the device must map, and where. */
void *hvb_shadow_host(const struct hvb_shadow *s);
uint64_t hvb_shadow_bytes(const struct hvb_shadow *s);
void hvb_shadow_set_iova(struct hvb_shadow *s, uint64_t iova);

/* Starts queue q over the zone's rings; fills in where the device's rings
 * are (IOVAs) and their size. kick_fd is the device's kick eventfd;
 * call_fd its call eventfd, which the caller polls and answers with
 * hvb_shadow_complete(): we signal it ourselves to come back for zone
 * requests a pass left behind. */
int hvb_shadow_queue_start(struct hvb_shadow *s, unsigned int q, struct hv_mem *zone_mem,
			   const struct hv_mmio_queue *zq, uint64_t zone_features, int kick_fd,
			   int call_fd, uint64_t *desc, uint64_t *avail, uint64_t *used,
			   uint16_t *num);
/* The zone notified queue q: pass what it queued to the device. Returns
 * 1 when the zone should get an interrupt (a malformed chain was answered),
 * 0 otherwise, -EIO when the zone's ring is broken. One call takes at most
 * queue-size zone chains; the rest wait for the next hvb_shadow_complete(),
 * which call_fd is signalled for. */
int hvb_shadow_kick(struct hvb_shadow *s, unsigned int q);
/* The device signalled queue q: mirror its used entries. Same returns. */
int hvb_shadow_complete(struct hvb_shadow *s, unsigned int q);
/* After a device reset: forget every queue and request. */
void hvb_shadow_reset(struct hvb_shadow *s);

#endif
