/* SPDX-License-Identifier: MIT */
/*
 * What is below a zone's virtio-mmio register file: a vDPA device through
 * vhost-vdpa (vhost_vdpa.c), or a device backend from devices/ served right
 * here on zone RAM (local.c). The register file and the bridge loop see
 * only this.
 */
#ifndef HVBRIDGE_BACKEND_H
#define HVBRIDGE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "hvdpa/guest_mem.h"
#include "hvdpa/virtio_mmio.h"

/* A zone has at most this many RAM regions (hvisor-tool's zones have one
 * to a few). */
#define HVB_RAM_MAX 16

/* One region of the zone RAM a device may reach: [base, base+size) of the
 * zone's physical space at host address host. */
struct hvb_ram_region {
	uint64_t base, size;
	void *host;
};

/* All of it: n regions that do not overlap, in the config's order. */
struct hvb_ram {
	unsigned int n;
	struct hvb_ram_region r[HVB_RAM_MAX];
};

/* A device's control() runs at most once per this long: a device
 * signalling faster (a storm of config changes) has them coalesced, and
 * costs the bridge thread, which serves every zone, at most one call and
 * one zone interrupt per gap. */
#define HVB_CONTROL_GAP_MS 10

struct hvb_backend;

struct hvb_backend_ops {
	/* What the register file calls; m->backend is this backend. */
	const struct hv_mmio_ops *mmio;
	/* Zone RAM arrived (every region of it) or went (ram NULL). mem
	 * reaches it with every address bounded; shadow asks vhost-vdpa for
	 * shadow rings. */
	int (*set_ram)(struct hvb_backend *be, const struct hvb_ram *ram, struct hv_mem *mem,
		       bool shadow);
	unsigned int (*num_queues)(struct hvb_backend *be);
	/* Readable when queue q has used buffers for the zone. */
	int (*call_fd)(struct hvb_backend *be, unsigned int q);
	/* call_fd(q) was readable (and is drained): raise what is due. */
	void (*completion)(struct hvb_backend *be, struct hv_mmio_dev *m, unsigned int q);
	/* Optional: an fd readable when the device has something to tell
	 * outside its queues (a local NIC: its tap's link changed; a vhost-vdpa
	 * device: its config changed), or -1; control() then handles it, on
	 * the bridge thread, and must leave the fd unreadable (the loop is
	 * level-triggered). The bridge calls it at most once per
	 * HVB_CONTROL_GAP_MS per device: a device that signals faster waits,
	 * its fd unwatched meanwhile (bridge.c). */
	int (*control_fd)(struct hvb_backend *be);
	void (*control)(struct hvb_backend *be, struct hv_mmio_dev *m);
	/* Optional. The zone wrote Status 0: start the reset on a thread of
	 * the backend's and return 1, or return 0 if there is nothing that
	 * could take time (the register file then resets at once). After 1,
	 * reset_fd() is an fd that turns readable when that thread is done,
	 * and the register file's reset (mmio->reset) finishes it without
	 * waiting. Until then the bridge calls nothing but completion() and
	 * reset_fd(); set_ram(), close() and mmio->reset wait for the thread. */
	int (*reset_begin)(struct hvb_backend *be);
	/* Optional. The zone wrote Status val (not 0), which would make the
	 * register file call features_ok/driver_ok, and those wait for
	 * someone else: run them ahead on the backend's thread and return 1
	 * (0: nothing that could take time, the bridge writes at once). After
	 * 1, reset_fd() turns readable when they are done, as for a reset,
	 * and the bridge then replays the write, whose features_ok/driver_ok
	 * take the results without waiting. */
	int (*status_begin)(struct hvb_backend *be, struct hv_mmio_dev *m, uint8_t val);
	/* The fd above while a reset (or a Status write) begun there is
	 * under way, else -1. */
	int (*reset_fd)(struct hvb_backend *be);
	/* Frees the backend's state, this included. */
	void (*close)(struct hvb_backend *be);
};

/*
 * The first member of each backend's state (struct hvb_vhost in
 * vhost_vdpa.c, struct hvb_local in local.c), which gets its state back
 * with container_of. The bridge (struct hvb_device.be) and the register
 * file (struct hv_mmio_dev.backend) hold a pointer to this, typed.
 */
struct hvb_backend {
	const struct hvb_backend_ops *ops;
};

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

#endif
