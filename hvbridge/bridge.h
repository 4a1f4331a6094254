/* SPDX-License-Identifier: MIT */
/*
 * hvbridge's model: zones, each with RAM and virtio-mmio devices, and the
 * trap sources their accesses arrive on. One thread serves them all, on
 * one hv_loop: each fd it waits on (a trap source, a device's call, reset
 * and control fds, the control socket and its clients) is added to the
 * loop when it appears and deleted when it goes.
 */
#ifndef HVBRIDGE_BRIDGE_H
#define HVBRIDGE_BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvdpa/control_server.h"
#include "hvdpa/loop.h"
#include "hvdpa/virtio_mmio.h"
#include "trap.h"
#include "backend.h"

enum hvb_backing { HVB_RAM_FILE, HVB_RAM_SIM, HVB_RAM_HVISOR };
enum hvb_data { HVB_DATA_AUTO, HVB_DATA_DIRECT, HVB_DATA_SHADOW };

/* Zone RAM as the virtqueue code sees it, for shadow mode: every address
 * bounded by the zone's RAM. */
struct hvb_zone_mem {
	struct hv_mem mem;
	struct hvb_zone *zone;
};

struct hvb_device_cfg {
	char *name;
	uint64_t base, size;
	uint32_t irq;
	char *vhost; /* one of these two */
	char *local;
};

struct hvb_device {
	struct hvb_device_cfg cfg;
	struct hvb_zone *zone;
	struct hv_mmio_dev mmio;
	struct hvb_backend *be; /* NULL while the device is not open */
	/* A Status 0 write whose answer waits for the device's reset (its
	 * vCPU waits with it, as on a device that resets at once): answered
	 * by hvb_device_answer_due() when the reset is done or the device or
	 * its zone goes. One at most: other writes are ignored meanwhile. */
	bool answer_due;
	struct hvisor_device_req due_req;
	struct hvb_trap *due_trap;
	uint64_t due_epoch; /* due_trap's then */
	/* The backend runs a Status write of status_val ahead (status_begin):
	 * it is replayed on the register file when that is done. */
	bool status_due;
	uint8_t status_val;

	/* On the zone's loop while the backend is open (bridge.c). */
	struct hvb_watch *watch; /* one per queue */
	unsigned int n_watch;
	int watched_control_fd, watched_reset_fd; /* -1: none */
	/* control() is rate-bounded (HVB_CONTROL_GAP_MS): when the control fd
	 * turns readable too soon after the last call, it is taken off the
	 * loop and this timerfd (always watched with it) brings it back. */
	int control_timer; /* -1: none */
	bool control_waiting;
	uint64_t control_last_us; /* 0: never */
	bool watched;
	/* Removed while its reset went on: on its zone's retiring list, and
	 * closed when the reset is done. */
	bool retiring;
};

/* One region of a zone's RAM: [base, base+size) of the zone's physical
 * space, and where its pages come from. */
struct hvb_zone_ram {
	uint64_t base, size;
	enum hvb_backing backing;
	char *path;	 /* HVB_RAM_FILE */
	uint64_t offset; /* in the file, or hvisor's zone0_ipa */
	void *host;	 /* mapped here; NULL while it is not */
	bool direct_ok;	 /* a shared file mapping, which vhost-vdpa can map */
};

struct hvb_zone {
	uint32_t id;
	struct hvb_zone_ram ram[HVB_RAM_MAX]; /* no two overlap */
	unsigned int n_ram;
	char *sim_socket; /* HVB_RAM_SIM */

	enum hvb_data data; /* as configured */

	/* Every region is mapped and the devices reach them. The simulator
	 * hands regions over one by one: until the last one is there, no
	 * device reaches any. */
	bool has_ram;
	bool shadow; /* the data mode in use while has_ram */
	struct hvb_zone_mem mem;
	struct hvb_device **devs;
	unsigned int n_devs;
	struct hvb_trap *trap; /* where its accesses come from */
	struct hv_loop *loop;  /* the bridge's, once it has one */
	/* The RAM goes once the devices' resets are done: until then it stays
	 * mapped (a device being reset may still reach it) and no new RAM is
	 * taken; the zone's own trap source is not listened to meanwhile. */
	bool ram_dropping;
	struct hvb_device **retiring; /* removed, still resetting */
	unsigned int n_retiring;
	struct hv_ratelimit rl; /* lines the zone can cause, not about one device */
};

struct hvb_bridge {
	struct hvb_zone **zones;
	unsigned int n_zones;
	char *trap_kind; /* "hvisor" or "sim" */
	char *hvisor_dev;
	char *control_path;
	char *control_group; /* may use the control socket, besides root */
	/* Set before hvb_config_load: an hvisor-tool config's device of a type
	 * hvbridge does not serve (scmi, gpu, ...) is refused, not skipped. */
	bool strict;

	struct hvb_trap *hvisor; /* shared by all zones under hvisor */
	int hvisor_fd;
	/* The control socket and its clients (control.c). */
	struct hv_control_server control;
	volatile sig_atomic_t *stop;

	struct hv_loop loop; /* see hvb_bridge_loop() */
	bool has_loop;
	int error; /* a trap source failed: the loop ends with it */
};

/* config.c: reads the JSON config. Errors name the field. */
int hvb_config_load(const char *path, struct hvb_bridge *b, char *err, size_t errlen);
int hvb_device_cfg_parse(const char *json, struct hvb_device_cfg *cfg, uint32_t *zone, char *err,
			 size_t errlen);
/* The same from a parsed object (json-c's), which stays the caller's. */
struct json_object;
int hvb_device_cfg_from_json(struct json_object *o, struct hvb_device_cfg *cfg, uint32_t *zone,
			     char *err, size_t errlen);
void hvb_device_cfg_free(struct hvb_device_cfg *cfg);
void hvb_bridge_free(struct hvb_bridge *b);

/* zone.c: zone RAM and the devices on it. */
/* Maps the region the config names [base, base+size) from fd; the
 * zone's RAM is up once every region is. */
int hvb_zone_set_ram(struct hvb_zone *z, int fd, uint64_t base, uint64_t size);
/* The zone's RAM region that [base, base+size) overlaps, or NULL. */
const struct hvb_zone_ram *hvb_zone_ram_overlap(const struct hvb_zone *z, uint64_t base,
						uint64_t size);
void hvb_zone_drop_ram(struct hvb_zone *z);
/* d's background reset is done (bridge.c, after the register file's
 * reset): a retiring d is freed, a dropping zone's RAM may go. */
void hvb_zone_reset_done(struct hvb_zone *z, struct hvb_device *d);
int hvb_zone_open_devices(struct hvb_zone *z, char *err, size_t errlen);
void hvb_zone_free(struct hvb_zone *z);
int hvb_zone_add_device(struct hvb_zone *z, const struct hvb_device_cfg *cfg, char *err,
			size_t errlen);
int hvb_zone_remove_device(struct hvb_zone *z, const char *name);
struct hvb_device *hvb_zone_find(struct hvb_zone *z, uint64_t addr);

/* bridge.c */
int hvb_bridge_start(struct hvb_bridge *b, char *err, size_t errlen);
int hvb_bridge_run(struct hvb_bridge *b);
void hvb_bridge_access(struct hvb_bridge *b, struct hvb_trap *t,
		       const struct hvisor_device_req *req);
struct hvb_zone *hvb_bridge_zone(struct hvb_bridge *b, uint32_t id);
/* The bridge's loop, made on first use (every zone's devices are then
 * watched on it); NULL if it cannot be made. Freed by hvb_bridge_free. */
struct hv_loop *hvb_bridge_loop(struct hvb_bridge *b);
/* Adds the device's fds to its zone's loop once the backend is open, and
 * deletes them before it closes. Both are no-ops without a loop. Called
 * again after a reset began or ended, it watches the reset fd while, and
 * only while, a reset goes on in the background. */
int hvb_device_watch(struct hvb_device *d);
/* Whether a reset of d's backend goes on in the background. */
bool hvb_device_resetting(struct hvb_device *d);
/* A reset the bridge does itself (the zone went, the device is removed):
 * true if it goes on in the background (it is watched; see
 * hvb_zone_reset_done), false if it was quick or there was nothing to
 * reset (the register file is still to be reset). */
bool hvb_device_reset_begin(struct hvb_device *d);
void hvb_device_unwatch(struct hvb_device *d);
/* Sends the answer a device keeps for later, if it has one (to its zone's
 * trap source as it is now: none, or a new connection, drops it). */
void hvb_device_answer_due(struct hvb_device *d);

#endif
