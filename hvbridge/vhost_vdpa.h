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
#include <sys/types.h>

#include "backend.h"

/* Opens the node, takes ownership and reads what the device is into m
 * (device_id, features, queues, config size). *out is the backend: pass
 * it and its ops->mmio to hv_mmio_init(); ops->close frees it. */
int hvb_vhost_open(const char *path, struct hv_mmio_dev *m, struct hvb_backend **out, char *err,
		   size_t errlen);

/* Every ioctl on the node goes through this; a unit test plays a device
 * by replacing it. Every log line a zone can cause here is rate-limited
 * per device. */
extern int (*hvb_vhost_ioctl)(int fd, unsigned long req, void *arg);
/* And every message written to it (IOTLB updates), likewise. */
extern ssize_t (*hvb_vhost_write)(int fd, const void *buf, size_t len);

#endif
