/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_VIRTIO_MMIO_H
#define HVDPA_VIRTIO_MMIO_H

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <stdbool.h>
#include <stdint.h>

#include "hvdpa/log.h"

/*
 * The device side of a virtio-mmio register window (virtio 1.2, 4.2.2,
 * version 2 layout), fed with the accesses a hypervisor trapped. The zone
 * behind it is untrusted: every offset, width, value, queue index and
 * status change is checked here, before a backend sees it, and whatever is
 * wrong is ignored with a rate-limited log line, as the spec allows.
 *
 * Below it is a backend (vhost-vdpa, or a device served locally) through
 * struct hv_mmio_ops.
 */

/*
 * Register offsets (VIRTIO_MMIO_MAGIC_VALUE, ..., VIRTIO_MMIO_CONFIG),
 * InterruptStatus bits (VIRTIO_MMIO_INT_VRING, VIRTIO_MMIO_INT_CONFIG),
 * feature bits (VIRTIO_F_*) and status bits (VIRTIO_CONFIG_S_*) are the
 * kernel UAPI's. What it lacks:
 */
#define HV_MMIO_MAGIC_VALUE	 0x74726976u /* "virt", read at VIRTIO_MMIO_MAGIC_VALUE */
#define HV_MMIO_VERSION_MODERN	 2u	     /* at VIRTIO_MMIO_VERSION: not the legacy layout */
#define HV_MMIO_VENDOR_ID_HVISOR 0x48564953u /* "HVIS", as hvisor-tool */
#define HV_MMIO_WIN_SIZE	 0x200u	     /* the window hvisor-tool gives a device */

#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA 38 /* older UAPI headers lack it */
#endif

/* What this register file does not carry, whatever the device offers:
 * packed rings, IN_ORDER, NOTIFICATION_DATA, RING_RESET. hv_mmio_init()
 * takes them out of device_features. */
#define HV_MMIO_HIDDEN_FEATURES                                                                    \
	((1ull << VIRTIO_F_RING_PACKED) | (1ull << VIRTIO_F_IN_ORDER) |                            \
	 (1ull << VIRTIO_F_NOTIFICATION_DATA) | (1ull << VIRTIO_F_RING_RESET))

struct hv_mmio_queue {
	uint16_t num;
	bool ready;
	uint64_t desc, driver, device;
};

struct hv_mmio_dev;
struct hvb_backend; /* hvbridge/backend.h */

struct hv_mmio_ops {
	/* Config space bytes [off, off+len), len <= 8, already bounded by
	 * config_size. */
	void (*config_read)(struct hv_mmio_dev *m, uint32_t off, void *buf, uint32_t len);
	/* Optional. */
	void (*config_write)(struct hv_mmio_dev *m, uint32_t off, const void *buf, uint32_t len);
	/* The driver set FEATURES_OK with these (a subset of what was
	 * offered). Negative: refused, FEATURES_OK stays clear. */
	int (*features_ok)(struct hv_mmio_dev *m, uint64_t features);
	/* A queue went ready with a validated size. Negative: the device
	 * cannot use it; it is marked NEEDS_RESET. */
	int (*queue_ready)(struct hv_mmio_dev *m, unsigned int index,
			   const struct hv_mmio_queue *q);
	/* DRIVER_OK. Negative: NEEDS_RESET. */
	int (*driver_ok)(struct hv_mmio_dev *m);
	void (*notify)(struct hv_mmio_dev *m, unsigned int index);
	/* Status 0 written: the backend drops every queue. */
	void (*reset)(struct hv_mmio_dev *m);
};

struct hv_mmio_dev {
	const struct hv_mmio_ops *ops;
	struct hvb_backend *backend; /* whose ops these are; NULL in tests */
	const char *name;

	/* What the device is; set before the zone sees it. */
	uint32_t device_id;
	uint64_t device_features;
	uint16_t num_queues;
	uint16_t queue_num_max;
	uint32_t config_size;

	/* Driver-written state. */
	uint64_t driver_features;
	uint32_t device_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint8_t status;
	uint32_t interrupt_status; /* atomic: backends raise from any thread */
	uint32_t config_generation;
	struct hv_mmio_queue *queues;

	/* Raises the zone's interrupt line; set by whoever delivers it. */
	void (*irq)(struct hv_mmio_dev *m);
	void *irq_arg;

	struct hv_ratelimit rl;
	uint64_t ignored; /* accesses ignored as invalid, for tests and stats */
};

/* Allocates the queue array; drops HV_MMIO_HIDDEN_FEATURES from the offer. */
int hv_mmio_init(struct hv_mmio_dev *m, const struct hv_mmio_ops *ops, struct hvb_backend *backend,
		 const char *name);
void hv_mmio_fini(struct hv_mmio_dev *m);

/* One trapped access at `off` in the window, of `width` bytes. Reads
 * return the value (0 for what cannot be read). */
uint64_t hv_mmio_read(struct hv_mmio_dev *m, uint64_t off, unsigned int width);
void hv_mmio_write(struct hv_mmio_dev *m, uint64_t off, unsigned int width, uint64_t val);

/* The device has used buffers (VIRTIO_MMIO_INT_VRING) or changed its
 * config (VIRTIO_MMIO_INT_CONFIG): sets InterruptStatus and raises the line. */
void hv_mmio_raise(struct hv_mmio_dev *m, uint32_t bits);
/* The device's config changed: ConfigGeneration moves, and a running
 * driver (DRIVER_OK) gets a config interrupt unless one is still pending
 * (InterruptStatus has VIRTIO_MMIO_INT_CONFIG, not yet acknowledged: the
 * driver reads config after acknowledging it, and finds the newer
 * value). Whether an interrupt was raised. */
bool hv_mmio_config_changed(struct hv_mmio_dev *m);
/* The backend failed: sets NEEDS_RESET and tells a running driver. */
void hv_mmio_needs_reset(struct hv_mmio_dev *m);
/* Which ops a Status write of val would call now (features_ok,
 * driver_ok), by the same checks the write makes: for a transport that
 * runs them ahead on a thread of its own because they wait for someone
 * else (hvbridge's vhost-vdpa devices: the VDUSE daemon). */
#define HV_MMIO_CALLS_FEATURES_OK 1u
#define HV_MMIO_CALLS_DRIVER_OK	  2u
unsigned int hv_mmio_status_calls(const struct hv_mmio_dev *m, uint8_t val);
/* As the zone writing Status 0: used when the zone goes away. */
void hv_mmio_reset(struct hv_mmio_dev *m);

#endif
