/* SPDX-License-Identifier: MIT */
/*
 * A device reset on a thread of its own. Stopping a device may wait for
 * requests in flight or for another process's answer, and the bridge
 * thread, which serves every zone, must not: it starts the reset here,
 * goes on, and finishes the reset when fd() turns readable.
 *
 * The struct is the backend's; only the bridge thread calls these.
 */
#ifndef HVBRIDGE_BG_RESET_H
#define HVBRIDGE_BG_RESET_H

#include <pthread.h>
#include <stdbool.h>

struct hvb_bg_reset {
	pthread_t thread;
	int efd; /* written when fn has returned */
	bool running;
	void (*fn)(void *arg);
	void *arg;
	const char *name; /* for the log */
};

/* Creates the eventfd: 0 or -errno, and then efd is -1 and start() fails. */
int hvb_bg_reset_init(struct hvb_bg_reset *r);
/* Runs fn(arg) on a new thread: 0, or -errno when there is none (then the
 * caller resets on its own thread). */
int hvb_bg_reset_start(struct hvb_bg_reset *r, void (*fn)(void *arg), void *arg, const char *name);
/* The eventfd while a reset runs, else -1. */
int hvb_bg_reset_fd(const struct hvb_bg_reset *r);
/* Waits for the thread and drains the eventfd (at once when it is
 * readable). Whether there was a reset running. */
bool hvb_bg_reset_wait(struct hvb_bg_reset *r);
/* Waits as above and closes the eventfd. */
void hvb_bg_reset_fini(struct hvb_bg_reset *r);

#endif
