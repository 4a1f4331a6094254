/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_VDUSE_H
#define HVDPA_VDUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "hvdpa/device.h"

/*
 * Serves an hv_device as a VDUSE device. The caller polls hv_vduse_fd() and
 * calls hv_vduse_handle_messages() when it is readable: that is the control
 * path, and it never waits behind I/O. Each ready virtqueue runs on a thread
 * of its own from DRIVER_OK until reset.
 */
struct hv_vduse;

#define HV_VDUSE_CONTROL "/dev/vduse/control"

/* 0 if VDUSE is usable here, else a negative errno and a reason. */
int hv_vduse_check(char *err, size_t errlen);
/* Whether /dev/vduse/NAME already exists. */
bool hv_vduse_name_taken(const char *name);

int hv_vduse_create(struct hv_device *dev, struct hv_vduse **out, char *err, size_t errlen);
int hv_vduse_fd(const struct hv_vduse *v);
/* Reads and answers every pending message. Negative errno if the device
 * fd failed (the device is then unusable). */
int hv_vduse_handle_messages(struct hv_vduse *v);
/* Stops the queues, closes the device and asks the kernel to destroy it.
 * Returns -EBUSY when it is still on the vDPA bus (it then lives on). */
int hv_vduse_destroy(struct hv_vduse *v);

#endif
