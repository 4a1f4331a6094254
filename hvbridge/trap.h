/* SPDX-License-Identifier: MIT */
/*
 * Where trapped MMIO accesses come from and interrupts go to: hvisor's
 * kernel module on a real system, or the zone simulator's socket in tests.
 * Both speak hvisor's request format.
 */
#ifndef HVBRIDGE_TRAP_H
#define HVBRIDGE_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "hvisor_abi.h"

struct hvb_trap;

struct hvb_trap_ops {
	/* Takes the next access, if one is waiting. */
	bool (*next)(struct hvb_trap *t, struct hvisor_device_req *req);
	/* Completes an access the vCPU waits for (need_interrupt == 0). Needs
	 * nothing but the request, so an answer may come later, after other
	 * accesses of this source were taken and answered (the bridge defers
	 * a Status 0 write's until the device's reset is done): hvisor's
	 * answer slot is the vCPU's own (src_cpu), the simulator's answer
	 * names src_cpu and address. */
	void (*answer)(struct hvb_trap *t, const struct hvisor_device_req *req, uint64_t value);
	/* Raises a zone's interrupt line. */
	void (*irq)(struct hvb_trap *t, uint32_t zone, uint32_t irq);
	/* About to sleep on fd: false if an access came meanwhile. */
	bool (*arm)(struct hvb_trap *t);
	/* Called when fd is readable (drain an eventfd, read a socket). Returns
	 * negative if the source is gone. */
	int (*wake)(struct hvb_trap *t);
	void (*destroy)(struct hvb_trap *t);
};

struct hvb_trap {
	const struct hvb_trap_ops *ops;
	int fd;		  /* pollable: readable when accesses may be waiting */
	uint32_t poll_us; /* spin this long for accesses before sleeping */
	/* Bumped by the source when the vCPUs that wait for answers to the
	 * accesses it handed out are gone (the simulator disconnected): an
	 * answer kept for later from an older epoch is dropped, never sent to
	 * whoever came next. hvisor's vCPUs never go away. */
	uint64_t epoch;
	/* Zone RAM handed over by the source (the simulator does), a region
	 * at a time: fd >= 0 on arrival of [base, base+size), -1 when the
	 * zone went away. Returns negative to refuse. */
	int (*zone_event)(void *arg, uint32_t zone, int fd, uint64_t base, uint64_t size);
	void *arg;
	/* The bridge's, to move its watch from the old fd to the new one
	 * (called with the old one still open). */
	void (*fd_changed)(struct hvb_trap *t, int old_fd);
	void *watch_arg;
	bool paused; /* the bridge does not watch fd for now */
};

/* For sources whose fd changes (the simulator's: listening, connected). */
static inline void hvb_trap_set_fd(struct hvb_trap *t, int fd)
{
	int old = t->fd;

	t->fd = fd;
	if (old != fd && t->fd_changed)
		t->fd_changed(t, old);
}

#endif
