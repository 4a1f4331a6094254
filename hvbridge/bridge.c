// SPDX-License-Identifier: MIT
/*
 * The bridge's one thread: takes trapped accesses from every source,
 * decodes them on the register file of the device whose window they hit,
 * answers the vCPU, and turns device completions (call eventfds) into zone
 * interrupts. A vCPU spins in the hypervisor until its access is answered,
 * so the loop polls its sources for a while before it sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_mmio.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "hvdpa/log.h"
#include "trap_hvisor.h"
#include "trap_sim.h"

static struct hv_ratelimit stray_rl;

static uint64_t now_us(void);

static void trap_watch(struct hvb_bridge *b, struct hvb_trap *t, bool on);

/* How long a Status 0 write may hold the bridge thread for the backend's
 * reset: one that is done by then (no request in flight, a quick device)
 * completes before the write is answered. One still going on after that
 * goes on without the bridge thread, which serves every other access
 * meanwhile; the write's answer waits for it (answer_due), so that the
 * vCPU goes on only once the device is reset, as drivers that never read
 * Status back (Linux's virtio_mmio, vm_reset) expect. */
#define HVB_RESET_GRACE_NS 1000000L

static bool resetting(struct hvb_device *d)
{
	return d->be->ops->reset_fd && d->be->ops->reset_fd(d->be) >= 0;
}

bool hvb_device_resetting(struct hvb_device *d)
{
	return d->be && resetting(d);
}

/* A job the backend began (a reset, a Status write run ahead): true if
 * it goes on in the background, false if it is done within the grace. */
static bool job_goes_on(struct hvb_device *d)
{
	struct timespec grace = {0, HVB_RESET_GRACE_NS};
	struct pollfd p = {.fd = d->be->ops->reset_fd(d->be), .events = POLLIN};

	return ppoll(&p, 1, &grace, NULL) != 1;
}

/* Status 0 written: true if the backend's reset goes on in the
 * background, false if the register file is to reset now. */
static bool reset_begin(struct hvb_device *d)
{
	if (!d->be->ops->reset_begin || !d->mmio.status || d->be->ops->reset_begin(d->be) <= 0)
		return false;
	return job_goes_on(d);
}

/* Status val (not 0) written: true if the device's part goes on in the
 * background (the write is replayed when it is done), false if the
 * register file is to take the write now (it finds the results ready, or
 * there was nothing to run ahead). */
static bool status_begin(struct hvb_device *d, uint8_t val)
{
	if (!d->be->ops->status_begin || d->be->ops->status_begin(d->be, &d->mmio, val) <= 0 ||
	    !job_goes_on(d))
		return false;
	d->status_due = true;
	d->status_val = val;
	return true;
}

/* An access to a device whose reset is under way (virtio 1.2, 2.1.2: the
 * driver waits for Status to read 0), or a Status write (its vCPU waits
 * for the answer; another is an interrupt handler): Status reads as it was, registers
 * read as the register file has them, config space (the device's, busy)
 * reads 0, and writes are ignored. */
static uint64_t access_resetting(struct hvb_device *d, const struct hvisor_device_req *req)
{
	uint64_t off = req->address - d->cfg.base;

	if (req->is_write) {
		d->mmio.ignored++;
		hv_warn_ratelimited(
			&d->mmio.rl, "%s: write 0x%llx to 0x%llx during a reset ignored",
			d->cfg.name, (unsigned long long)req->value, (unsigned long long)off);
		return 0;
	}
	if (off >= VIRTIO_MMIO_CONFIG)
		return 0;
	return hv_mmio_read(&d->mmio, off, (unsigned int)req->size);
}

void hvb_device_answer_due(struct hvb_device *d)
{
	struct hvb_trap *t = d->due_trap;

	if (!d->answer_due)
		return;
	d->answer_due = false;
	d->due_trap = NULL;
	/* t is compared, not followed: it may be gone with its zone. */
	if (t && t == d->zone->trap && t->epoch == d->due_epoch)
		t->ops->answer(t, &d->due_req, 0);
}

/* The backend's job is done. A reset: the register file resets (its
 * backend reset finds nothing left to wait for) and Status reads 0. A
 * Status write run ahead: the write is replayed, and its features_ok or
 * driver_ok take the results. Either way the vCPU that wrote Status has
 * its answer. */
static void reset_done(struct hvb_device *d)
{
	bool replay = d->status_due && resetting(d);

	d->status_due = false;
	if (replay)
		hv_mmio_write(&d->mmio, VIRTIO_MMIO_STATUS, 4, d->status_val);
	/* A reset, or a replay that did not call the backend (it always
	 * does: writes are ignored meanwhile). */
	if (resetting(d))
		hv_mmio_reset(&d->mmio);
	hvb_device_answer_due(d);
}

/* Whether a vCPU of source t already waits for an answer kept for later:
 * it has at most one (a vCPU that waits issues nothing else; a simulator
 * that does anyway has its second Status 0 write answered at once). */
static bool answer_kept(struct hvb_bridge *b, struct hvb_trap *t, uint64_t cpu)
{
	for (unsigned int i = 0; i < b->n_zones; i++)
		for (unsigned int j = 0; j < b->zones[i]->n_devs; j++) {
			struct hvb_device *d = b->zones[i]->devs[j];

			if (d->answer_due && d->due_trap == t && d->due_req.src_cpu == cpu)
				return true;
		}
	return false;
}

/* The reset goes on in the background: the vCPU's answer waits for it. */
static bool keep_answer(struct hvb_bridge *b, struct hvb_trap *t, struct hvb_device *d,
			const struct hvisor_device_req *req)
{
	if (req->need_interrupt || answer_kept(b, t, req->src_cpu))
		return false;
	d->answer_due = true;
	d->due_req = *req;
	d->due_trap = t;
	d->due_epoch = t->epoch;
	return true;
}

struct hvb_zone *hvb_bridge_zone(struct hvb_bridge *b, uint32_t id)
{
	for (unsigned int i = 0; i < b->n_zones; i++)
		if (b->zones[i]->id == id)
			return b->zones[i];
	return NULL;
}

void hvb_bridge_access(struct hvb_bridge *b, struct hvb_trap *t,
		       const struct hvisor_device_req *req)
{
	struct hvb_zone *z = hvb_bridge_zone(b, req->src_zone);
	struct hvb_device *d = z ? hvb_zone_find(z, req->address) : NULL;
	unsigned int width = (unsigned int)req->size;
	uint64_t val = 0;

	if (!d) {
		hv_warn_ratelimited(z ? &z->rl : &stray_rl, "zone %u: %s of 0x%llx hits no device",
				    req->src_zone, req->is_write ? "write" : "read",
				    (unsigned long long)req->address);
	} else if (req->size > 8) {
		d->mmio.ignored++;
		hv_warn_ratelimited(&d->mmio.rl, "%s: access of %llu bytes ignored", d->cfg.name,
				    (unsigned long long)req->size);
	} else if (resetting(d)) {
		val = access_resetting(d, req);
	} else if (req->is_write) {
		uint64_t off = req->address - d->cfg.base;

		/* A reset or a Status write that takes time goes on in the
		 * background, and the vCPU is answered when it is done. */
		bool later =
			off == VIRTIO_MMIO_STATUS && width == 4 &&
			((uint32_t)req->value == 0 ? reset_begin(d)
						   : (uint32_t)req->value < 0x100 &&
							     status_begin(d, (uint8_t)req->value));

		if (!later) {
			hv_mmio_write(&d->mmio, off, width, req->value);
		} else {
			hvb_device_watch(d); /* its reset fd */
			if (keep_answer(b, t, d, req))
				return;
		}
	} else {
		val = hv_mmio_read(&d->mmio, req->address - d->cfg.base, width);
	}
	/* A notify does not hold the vCPU; everything else does. */
	if (!req->need_interrupt)
		t->ops->answer(t, req, val);
}

static int zone_event(void *arg, uint32_t zone, int fd, uint64_t base, uint64_t size)
{
	struct hvb_zone *z = hvb_bridge_zone(arg, zone);

	if (!z)
		return -ENOENT;
	if (fd < 0) {
		hvb_zone_drop_ram(z);
		/* A zone of its own source that comes back waits in its
		 * listen queue (its vCPUs for their answers) until its RAM
		 * is let go: nobody else waits. */
		if (z->ram_dropping && z->trap && z->trap != ((struct hvb_bridge *)arg)->hvisor)
			trap_watch(arg, z->trap, false);
		return 0;
	}
	return hvb_zone_set_ram(z, fd, base, size);
}

static int map_fixed_region(struct hvb_bridge *b, struct hvb_zone *z,
			    const struct hvb_zone_ram *ram, char *err, size_t errlen)
{
	int fd, r;

	if (ram->backing == HVB_RAM_SIM)
		return 0;
	if (ram->backing == HVB_RAM_HVISOR)
		return hvb_zone_set_ram(z, b->hvisor_fd, ram->base, ram->size);
	fd = open(ram->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "zone %u: %s: %s", z->id, ram->path, strerror(-r));
		return r;
	}
	r = hvb_zone_set_ram(z, fd, ram->base, ram->size);
	close(fd);
	if (r < 0)
		snprintf(err, errlen, "zone %u: RAM from %s: %s", z->id, ram->path, strerror(-r));
	return r;
}

/* RAM named in the config (hvisor's, a file): mapped now, region by
 * region; the zone's devices reach it once the last one is. */
static int map_fixed_ram(struct hvb_bridge *b, struct hvb_zone *z, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < z->n_ram; i++) {
		int r = map_fixed_region(b, z, &z->ram[i], err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}

int hvb_bridge_start(struct hvb_bridge *b, char *err, size_t errlen)
{
	bool sim = strcmp(b->trap_kind, "sim") == 0;
	int r;

	b->hvisor_fd = -1;
	hv_control_init(&b->control);
	if (!sim) {
		r = hvb_trap_hvisor_open(b->hvisor_dev, &b->hvisor, &b->hvisor_fd, err, errlen);
		if (r < 0)
			return r;
		b->hvisor->zone_event = zone_event;
		b->hvisor->arg = b;
	}
	for (unsigned int i = 0; i < b->n_zones; i++) {
		struct hvb_zone *z = b->zones[i];

		if (sim) {
			r = hvb_trap_sim_listen(z->sim_socket, z->id, &z->trap, err, errlen);
			if (r < 0)
				return r;
			z->trap->zone_event = zone_event;
			z->trap->arg = b;
		} else {
			z->trap = b->hvisor;
		}
		if ((r = hvb_zone_open_devices(z, err, errlen)) < 0 ||
		    (r = map_fixed_ram(b, z, err, errlen)) < 0)
			return r;
	}
	if (b->hvisor) {
		uint64_t addrs[HVISOR_MAX_DEVS];
		unsigned int n = 0;

		for (unsigned int i = 0; i < b->n_zones; i++)
			for (unsigned int j = 0; j < b->zones[i]->n_devs && n < HVISOR_MAX_DEVS;
			     j++)
				addrs[n++] = b->zones[i]->devs[j]->cfg.base;
		hvb_trap_hvisor_publish(b->hvisor, addrs, n);
	}
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct hvb_trap *trap_of(struct hvb_bridge *b, unsigned int i)
{
	return b->hvisor ? (i == 0 ? b->hvisor : NULL) : b->zones[i]->trap;
}

static unsigned int n_traps(struct hvb_bridge *b)
{
	return b->hvisor ? 1 : b->n_zones;
}

/* Accesses taken from one trap source per round of the loop. A source
 * with more waiting is served again on the next round, after every other
 * source had its turn and the round's completions were raised: a zone's
 * access waits for at most n_traps x HVB_TRAP_BATCH others (see
 * docs/hvbridge.md), however many vCPUs another zone floods with. */
#define HVB_TRAP_BATCH 8u

/* One round: up to HVB_TRAP_BATCH accesses of each source, starting at a
 * different source each round. *more: a source had more waiting. */
static bool serve_round(struct hvb_bridge *b, unsigned int *first, bool *more)
{
	unsigned int n = n_traps(b);
	bool any = false;

	*more = false;
	if (*first >= n)
		*first = 0;
	for (unsigned int k = 0; k < n; k++) {
		struct hvb_trap *t = trap_of(b, (*first + k) % n);
		struct hvisor_device_req req;
		unsigned int taken = 0;

		while (taken < HVB_TRAP_BATCH && t->ops->next(t, &req)) {
			hvb_bridge_access(b, t, &req);
			taken++;
		}
		any |= taken > 0;
		*more |= taken == HVB_TRAP_BATCH;
	}
	*first = (*first + 1) % n;
	return any;
}

struct hvb_watch {
	struct hvb_device *d;
	unsigned int q;
};

/* A queue's call fd: the device used buffers. */
static void queue_event(void *opaque, uint32_t events)
{
	struct hvb_watch *w = opaque;
	struct hvb_device *d = w->d;
	uint64_t n;

	(void)events;
	if (read(d->be->ops->call_fd(d->be, w->q), &n, sizeof(n)) == sizeof(n) && d->zone->has_ram)
		d->be->ops->completion(d->be, &d->mmio, w->q);
}

static void control_call(struct hvb_device *d)
{
	d->control_last_us = now_us();
	d->be->ops->control(d->be, &d->mmio);
}

/* The device has something to say (a config change): heard at once, unless
 * it spoke less than HVB_CONTROL_GAP_MS ago. Then its fd leaves the loop
 * (level-triggered, it would be ready every round) until the timer says
 * the gap is over, and whatever it signalled meanwhile is heard then, in
 * one call. */
static void control_event(void *opaque, uint32_t events)
{
	struct hvb_device *d = opaque;
	uint64_t now = now_us(), gap = HVB_CONTROL_GAP_MS * 1000ull;

	(void)events;
	if (d->control_last_us && now - d->control_last_us < gap && d->control_timer >= 0) {
		uint64_t wait = gap - (now - d->control_last_us);
		struct itimerspec its = {.it_value = {.tv_sec = (time_t)(wait / 1000000),
						      .tv_nsec = (long)(wait % 1000000) * 1000}};

		if (timerfd_settime(d->control_timer, 0, &its, NULL) == 0) {
			hv_loop_del(d->zone->loop, d->watched_control_fd);
			d->control_waiting = true;
			return;
		}
	}
	control_call(d);
}

static void control_timer_event(void *opaque, uint32_t events)
{
	struct hvb_device *d = opaque;
	uint64_t n;

	(void)events;
	if (read(d->control_timer, &n, sizeof(n)) != sizeof(n) || !d->control_waiting)
		return;
	d->control_waiting = false;
	if (hv_loop_add(d->zone->loop, d->watched_control_fd, EPOLLIN, control_event, d) < 0) {
		hv_err("%s: cannot watch its control fd again", d->cfg.name);
		d->watched_control_fd = -1;
	}
	control_call(d);
}

static void reset_event(void *opaque, uint32_t events);

/* The reset fd is watched while a reset goes on in the background. */
static void sync_reset_watch(struct hvb_device *d)
{
	int want = d->be && d->watched && resetting(d) ? d->be->ops->reset_fd(d->be) : -1;

	if (want == d->watched_reset_fd)
		return;
	if (d->watched_reset_fd >= 0)
		hv_loop_del(d->zone->loop, d->watched_reset_fd);
	d->watched_reset_fd = -1;
	if (want >= 0 && hv_loop_add(d->zone->loop, want, EPOLLIN, reset_event, d) == 0)
		d->watched_reset_fd = want;
}

bool hvb_device_reset_begin(struct hvb_device *d)
{
	if (!d->be || !reset_begin(d))
		return false;
	hvb_device_watch(d); /* its reset fd */
	return true;
}

static void reset_event(void *opaque, uint32_t events)
{
	struct hvb_device *d = opaque;
	struct hvb_zone *z = d->zone;

	(void)events;
	reset_done(d);
	sync_reset_watch(d);
	hvb_zone_reset_done(z, d); /* d may be gone */
	if (z->trap && z->trap->paused && !z->ram_dropping)
		trap_watch(z->trap->watch_arg, z->trap, true);
}

int hvb_device_watch(struct hvb_device *d)
{
	struct hv_loop *loop = d->zone->loop;
	unsigned int n;
	int r = 0;

	if (d->watched)
		sync_reset_watch(d);
	if (!loop || !d->be || d->watched)
		return 0;
	n = d->be->ops->num_queues(d->be);
	d->watch = calloc(n ? n : 1, sizeof(*d->watch));
	if (!d->watch)
		return -ENOMEM;
	d->watched = true;
	d->watched_control_fd = d->watched_reset_fd = -1;
	for (d->n_watch = 0; d->n_watch < n && r == 0; d->n_watch++) {
		d->watch[d->n_watch] = (struct hvb_watch){.d = d, .q = d->n_watch};
		r = hv_loop_add(loop, d->be->ops->call_fd(d->be, d->n_watch), EPOLLIN, queue_event,
				&d->watch[d->n_watch]);
		if (r < 0)
			break;
	}
	d->control_timer = -1;
	d->control_waiting = false;
	if (r == 0 && d->be->ops->control_fd) {
		int fd = d->be->ops->control_fd(d->be);

		/* Without a timer the gap is not kept: each call is still one
		 * per round of the loop, after every trap source's batch. */
		if (fd >= 0) {
			d->control_timer =
				timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
			if (d->control_timer >= 0 && hv_loop_add(loop, d->control_timer, EPOLLIN,
								 control_timer_event, d) < 0) {
				close(d->control_timer);
				d->control_timer = -1;
			}
		}
		if (fd >= 0 && (r = hv_loop_add(loop, fd, EPOLLIN, control_event, d)) == 0)
			d->watched_control_fd = fd;
	}
	if (r < 0) {
		hvb_device_unwatch(d);
		return r;
	}
	sync_reset_watch(d);
	return 0;
}

void hvb_device_unwatch(struct hvb_device *d)
{
	if (!d->watched)
		return;
	for (unsigned int q = 0; q < d->n_watch; q++)
		hv_loop_del(d->zone->loop, d->be->ops->call_fd(d->be, q));
	if (d->watched_control_fd >= 0 && !d->control_waiting)
		hv_loop_del(d->zone->loop, d->watched_control_fd);
	if (d->control_timer >= 0) {
		hv_loop_del(d->zone->loop, d->control_timer);
		close(d->control_timer);
	}
	d->control_timer = -1;
	d->control_waiting = false;
	d->watched = false;
	sync_reset_watch(d); /* deletes it */
	free(d->watch);
	d->watch = NULL;
	d->n_watch = 0;
	d->watched_control_fd = -1;
}

static void trap_event(void *opaque, uint32_t events)
{
	struct hvb_trap *t = opaque;
	struct hvb_bridge *b = t->watch_arg;
	int r = t->ops->wake(t);

	(void)events;
	if (r < 0 && !b->error) {
		hv_err("trap source: %s", strerror(-r));
		b->error = r;
	}
}

static void trap_fd_changed(struct hvb_trap *t, int old_fd)
{
	struct hvb_bridge *b = t->watch_arg;

	if (t->paused)
		return; /* watched again with its fd as it is then */
	hv_loop_del(&b->loop, old_fd);
	if (t->fd >= 0 && hv_loop_add(&b->loop, t->fd, EPOLLIN, trap_event, t) < 0 && !b->error)
		b->error = -ENOMEM;
}

struct hv_loop *hvb_bridge_loop(struct hvb_bridge *b)
{
	if (b->has_loop)
		return &b->loop;
	if (hv_loop_init(&b->loop) < 0)
		return NULL;
	b->has_loop = true;
	for (unsigned int i = 0; i < b->n_zones; i++) {
		b->zones[i]->loop = &b->loop;
		for (unsigned int j = 0; j < b->zones[i]->n_devs; j++)
			if (hvb_device_watch(b->zones[i]->devs[j]) < 0)
				return NULL;
	}
	return &b->loop;
}

static int watch_traps(struct hvb_bridge *b)
{
	for (unsigned int i = 0; i < n_traps(b); i++) {
		struct hvb_trap *t = trap_of(b, i);
		int r;

		if (t->fd_changed)
			continue; /* watched already */
		t->watch_arg = b;
		r = hv_loop_add(&b->loop, t->fd, EPOLLIN, trap_event, t);
		if (r < 0)
			return r;
		t->fd_changed = trap_fd_changed;
	}
	return 0;
}

static void unwatch_trap(struct hvb_bridge *b, struct hvb_trap *t)
{
	if (!t || !t->fd_changed)
		return;
	if (!t->paused)
		hv_loop_del(&b->loop, t->fd);
	t->fd_changed = NULL;
}

/* Stops and starts listening to a source, which keeps what it has. */
static void trap_watch(struct hvb_bridge *b, struct hvb_trap *t, bool on)
{
	if (!b->has_loop || !t->fd_changed || t->paused == !on)
		return;
	if (!on) {
		hv_loop_del(&b->loop, t->fd);
	} else if (hv_loop_add(&b->loop, t->fd, EPOLLIN, trap_event, t) < 0) {
		hv_err("zone trap source: cannot watch it again");
		b->error = -ENOMEM;
	}
	t->paused = !on;
}

int hvb_bridge_run(struct hvb_bridge *b)
{
	uint64_t busy_until = 0;
	uint32_t spin_us = 0;
	unsigned int first = 0;
	sigset_t stop_sigs, open_mask;
	int r = 0;

	if (!hvb_bridge_loop(b) || (r = watch_traps(b)) < 0) {
		hv_err("bridge loop: %s", strerror(r < 0 ? -r : ENOMEM));
		return r < 0 ? r : -ENOMEM;
	}
	/* SIGTERM and SIGINT are let in only inside epoll_pwait(): one that
	 * came between the loop's check and the sleep would be lost otherwise.
	 * The queue threads started from here inherit the blocked mask. */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, &open_mask);
	sigdelset(&open_mask, SIGTERM);
	sigdelset(&open_mask, SIGINT);

	for (unsigned int i = 0; i < n_traps(b); i++)
		if (trap_of(b, i)->poll_us > spin_us)
			spin_us = trap_of(b, i)->poll_us;
	while (!*b->stop && !b->error) {
		bool more;
		int timeout = 0;

		if (serve_round(b, &first, &more))
			busy_until = now_us() + spin_us;
		if (!more && now_us() >= busy_until) {
			bool armed = true;

			for (unsigned int i = 0; i < n_traps(b); i++)
				armed &= trap_of(b, i)->ops->arm(trap_of(b, i));
			timeout = armed ? -1 : 0;
		}
		r = hv_loop_run_pwait(&b->loop, timeout, &open_mask);
		if (r < 0 && r != -EINTR)
			break;
		r = 0;
	}
	pthread_sigmask(SIG_UNBLOCK, &stop_sigs, NULL);
	return b->error ? b->error : r;
}

void hvb_bridge_free(struct hvb_bridge *b)
{
	/* No vCPU is left waiting for an answer that was kept for later (the
	 * resets themselves finish as the devices close). */
	for (unsigned int i = 0; b->zones && i < b->n_zones; i++)
		for (unsigned int j = 0; b->zones[i] && j < b->zones[i]->n_devs; j++)
			hvb_device_answer_due(b->zones[i]->devs[j]);
	for (unsigned int i = 0; b->zones && i < b->n_zones; i++) {
		struct hvb_zone *z = b->zones[i];

		if (z && z->trap && z->trap != b->hvisor) {
			unwatch_trap(b, z->trap);
			z->trap->ops->destroy(z->trap);
		}
		if (z)
			z->trap = NULL;
		hvb_zone_free(z);
	}
	if (b->hvisor) {
		unwatch_trap(b, b->hvisor);
		b->hvisor->ops->destroy(b->hvisor); /* closes hvisor_fd too */
	}
	free(b->zones);
	free(b->trap_kind);
	free(b->hvisor_dev);
	free(b->control_path);
	free(b->control_group);
	if (b->has_loop)
		hv_loop_fini(&b->loop);
	b->has_loop = false;
}
