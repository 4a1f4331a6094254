/* SPDX-License-Identifier: MIT */
/*
 * hvdpad's devices: each one given on the command line, in a config file
 * or through the control socket is a struct served, from its options to
 * its VDUSE device and the thread that answers that device's messages.
 * Only the main thread adds or removes them.
 */
#ifndef HVDPA_TOOLS_HVDPAD_H
#define HVDPA_TOOLS_HVDPAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvdpa/blk.h"
#include "hvdpa/loop.h"
#include "hvdpa/net.h"
#include "hvdpa/vdpa.h"
#include "hvdpa/vduse.h"

/* Devices one daemon serves. */
#define HVDPAD_MAX_DEVICES 256

struct served;

/* Work the main thread has a device's own thread do (what changes its
 * config space must run there), and its outcome. */
struct served_call {
	int (*fn)(struct served *s, struct served_call *c);
	uint64_t size;
	bool up;
	int result;
	char err[256];
};

struct served {
	bool used;
	/* Each device's VDUSE messages (and its control fd) are answered on
	 * a thread of its own: a device whose reset waits for its queues
	 * never delays another device's messages past the kernel's timeout. */
	struct hv_loop loop;
	pthread_t thread;
	int stop_fd;
	bool stopping, thread_running;
	int call_fd;
	pthread_mutex_t call_lock;
	pthread_cond_t call_cond;
	bool call_pending;
	struct served_call call;

	struct hv_device *dev;
	struct hv_vduse *vduse;
	struct hv_vduse_state *claim; /* until hv_vduse_create takes it */
	bool takeover;
	bool is_net;
	bool runtime; /* added through the control socket */
	const char *name;
	char where[512]; /* "--blk", the config file's FILE:LINE, "control" */
	char spec[4096]; /* as given, attach= included: what a restart re-reads */
	enum hv_attach attach;
	struct hv_blk_options opt;
	struct hv_net_options net;
};

extern struct served *served;
extern unsigned int nserved; /* slots in use or used: loops go to here */
extern const char *state_dir;

/* Asks the main thread to end hvdpad with status (0: a clean stop). */
void hvdpad_request_quit(int status);

/* A free slot, marked used, or NULL when HVDPAD_MAX_DEVICES are served. */
struct served *served_alloc(void);
struct served *served_find(const char *name);
/* Parses one --blk or --net into s. */
int served_parse(struct served *s, bool is_net, const char *arg, const char *where, char *err,
		 size_t errlen);
/* Opens the image or tap and checks it against a device of that name the
 * kernel still has (takeover); needs s->claim. */
int served_build(struct served *s, char *err, size_t errlen);
/* Creates (or takes over) the VDUSE device and starts its thread. */
int served_start(struct served *s, char *err, size_t errlen);
/* Stops, destroys and forgets s. Returns hv_vduse_destroy's result:
 * -EBUSY when the device is still on the vDPA bus. */
int served_stop(struct served *s);
/* The slot is free again. */
void served_free(struct served *s);
void served_print_ready(const struct served *s);
/* Runs c->fn on s's thread and waits at most timeout_ms for it. -EBUSY
 * while an earlier call has not run, -ETIMEDOUT when this one has not run
 * in time (it still will; its outcome is lost). */
int served_call_on_thread(struct served *s, const struct served_call *c, int timeout_ms,
			  struct served_call *out);

#endif
