/* SPDX-License-Identifier: MIT */
/*
 * A vDPA device driven through /dev/vhost-vdpa-N, below a zone's
 * virtio-mmio register file: the zone's driver negotiates, the device
 * (hvdpad over VDUSE, or any vDPA parent) serves its rings directly in
 * zone RAM, which is mapped into the device's IOTLB at zone-physical
 * addresses.
 */
#ifndef HVBRIDGE_VHOST_VDPA_H
#define HVBRIDGE_VHOST_VDPA_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

struct hvb_vhost;

/* Opens the node, takes ownership and reads what the device is into m
 * (device_id, features, queues, config size). */
int hvb_vhost_open(const char *path, struct hv_mmio_dev *m, struct hvb_vhost **out, char *err,
		   size_t errlen);
void hvb_vhost_close(struct hvb_vhost *vh);

/* Every ioctl on the node goes through this; a unit test plays a device
 * by replacing it. Every log line a zone can cause here is rate-limited
 * per device. */
extern int (*hvb_vhost_ioctl)(int fd, unsigned long req, void *arg);

/* The register file's backend: pass these with the handle from open. */
extern const struct hv_mmio_ops hvb_vhost_mmio_ops;
extern const struct hvb_backend_ops hvb_vhost_backend;

/* Zone RAM arrived (ram->host != NULL) or went (NULL). Direct: it is
 * mapped in the device's IOTLB at zone-physical addresses. Shadow
 * (mem != NULL): the device maps our shadow rings instead, and requests are
 * carried between them through mem. While there is no RAM, the zone's
 * queues cannot be made ready. */
int hvb_vhost_set_ram(struct hvb_vhost *vh, const struct hvb_ram *ram, struct hv_mem *shadow_mem);

/* The device signalled queue q's call eventfd (already drained). */
void hvb_vhost_completion(struct hvb_vhost *vh, struct hv_mmio_dev *m, unsigned int q);

/* The eventfd the device signals when queue q has used buffers. */
int hvb_vhost_call_fd(const struct hvb_vhost *vh, unsigned int q);
unsigned int hvb_vhost_num_queues(const struct hvb_vhost *vh);

#endif
