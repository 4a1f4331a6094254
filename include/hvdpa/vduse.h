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
/*
 * The claim on a device name: a lock and state file, DIR/NAME.state, held for
 * as long as the process serves NAME. It is what lets a restarted daemon take
 * over the VDUSE device a killed one left, and resubmit what it had in
 * flight.
 */
struct hv_vduse_state;

#define HV_VDUSE_STATE_DIR "/run/hvdpa"

/* -EBUSY, with err naming the pid, when a live process holds NAME. */
int hv_vduse_claim(const char *dir, const char *name, struct hv_vduse_state **out, char *err,
		   size_t errlen);
/* What hv_vduse_create() will do for dev: 0 create a device, 1 take over
 * the existing /dev/vduse/NAME, or -EEXIST (with err) when NAME exists and
 * cannot be taken over (not ours, or created with other properties). */
int hv_vduse_claim_check(struct hv_vduse_state *s, const struct hv_device *dev, char *err,
			 size_t errlen);
/* Gives up a claim hv_vduse_create() did not take. */
void hv_vduse_release(struct hv_vduse_state *s);

/* Creates the device, or takes it over (see hv_vduse_claim_check). Owns
 * the claim from then on, success or not. */
int hv_vduse_create(struct hv_device *dev, struct hv_vduse_state *s, struct hv_vduse **out,
		    char *err, size_t errlen);
int hv_vduse_fd(const struct hv_vduse *v);
/* Reads and answers every pending message. Negative errno if the device
 * fd failed (the device is then unusable). */
int hv_vduse_handle_messages(struct hv_vduse *v);
/* A snapshot of queue index's counters (include/hvdpa/device.h). */
void hv_vduse_queue_stats(const struct hv_vduse *v, unsigned int index, struct hv_queue_stats *out);
/* The device's config space as it is now becomes what a restart must
 * find (a disk resized on purpose is not a different disk). */
void hv_vduse_record_config(struct hv_vduse *v);
/* Stops the queues, closes the device and asks the kernel to destroy it.
 * Returns -EBUSY when it is still on the vDPA bus: it then lives on, and so
 * does its state file, for the next hvdpad to take it over. */
int hv_vduse_destroy(struct hv_vduse *v);

#endif
