// SPDX-License-Identifier: MIT
/* One device hvdpad serves, from its options to its thread (hvdpad.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "hvdpad.h"

struct served *served;
unsigned int nserved;

struct served *served_alloc(void)
{
	for (unsigned int i = 0; i < HVDPAD_MAX_DEVICES; i++) {
		struct served *s = &served[i];

		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->stop_fd = s->call_fd = -1;
		if (i >= nserved)
			nserved = i + 1;
		return s;
	}
	return NULL;
}

void served_free(struct served *s)
{
	s->used = false;
	while (nserved && !served[nserved - 1].used)
		nserved--;
}

struct served *served_find(const char *name)
{
	for (unsigned int i = 0; i < nserved; i++)
		if (served[i].used && served[i].name && !strcmp(served[i].name, name))
			return &served[i];
	return NULL;
}

/* attach= belongs to hvdpad, not to the device: taken out of the option
 * string before the device parses the rest. */
static int split_attach(const char *spec, char *rest, size_t len, enum hv_attach *a, char *err,
			size_t errlen)
{
	const char *p = spec;
	size_t n = 0;

	*a = HV_ATTACH_NONE;
	rest[0] = '\0';
	while (*p) {
		size_t tl = strcspn(p, ",");

		if (tl > 7 && !strncmp(p, "attach=", 7)) {
			char v[16];

			snprintf(v, sizeof(v), "%.*s", (int)(tl - 7), p + 7);
			if (hv_attach_parse(v, a) < 0) {
				snprintf(err, errlen,
					 "attach must be virtio, vhost or none, not '%s'", v);
				return -EINVAL;
			}
		} else if (n + tl + 2 < len) {
			n += (size_t)snprintf(rest + n, len - n, "%s%.*s", n ? "," : "", (int)tl,
					      p);
		}
		p += tl + (p[tl] == ',');
	}
	return 0;
}

int served_parse(struct served *s, bool is_net, const char *arg, const char *where, char *err,
		 size_t errlen)
{
	char spec[4096];

	if (strlen(arg) >= sizeof(s->spec)) {
		snprintf(err, errlen, "options longer than %zu bytes", sizeof(s->spec) - 1);
		return -EINVAL;
	}
	if (split_attach(arg, spec, sizeof(spec), &s->attach, err, errlen) < 0)
		return -EINVAL;
	s->is_net = is_net;
	if (is_net ? hv_net_options_parse(&s->net, spec, err, errlen)
		   : hv_blk_options_parse(&s->opt, spec, err, errlen))
		return -EINVAL;
	s->name = is_net ? s->net.name : s->opt.name;
	snprintf(s->spec, sizeof(s->spec), "%s", arg);
	snprintf(s->where, sizeof(s->where), "%s", where);
	return 0;
}

int served_build(struct served *s, char *err, size_t errlen)
{
	int r = s->is_net ? hv_net_create(&s->net, &s->dev, err, errlen)
			  : hv_blk_create(&s->opt, &s->dev, err, errlen);

	if (r < 0)
		return r;
	r = hv_vduse_claim_check(s->claim, s->dev, err, errlen);
	s->takeover = r == 1;
	if (r < 0) {
		s->dev->ops->destroy(s->dev);
		s->dev = NULL;
	}
	return r < 0 ? r : 0;
}

static void on_vduse(void *opaque, uint32_t events)
{
	struct served *s = opaque;
	int r;

	(void)events;
	r = hv_vduse_handle_messages(s->vduse);
	if (r < 0) {
		hv_err("%s: device fd failed: %s", s->dev->name, strerror(-r));
		hv_loop_del(&s->loop, hv_vduse_fd(s->vduse));
		hvdpad_request_quit(1);
	}
}

static void on_device_stop(void *opaque, uint32_t events)
{
	struct served *s = opaque;

	(void)events;
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
}

static void on_control(void *opaque, uint32_t events)
{
	struct served *s = opaque;

	(void)events;
	s->dev->ops->control_event(s->dev);
}

/* The main thread's call: run here, on the thread that owns the device's
 * config space. */
static void on_call(void *opaque, uint32_t events)
{
	struct served *s = opaque;
	uint64_t n;

	(void)events;
	if (read(s->call_fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&s->call_lock);
	if (s->call_pending) {
		s->call.err[0] = '\0';
		s->call.result = s->call.fn(s, &s->call);
		s->call_pending = false;
		pthread_cond_broadcast(&s->call_cond);
	}
	pthread_mutex_unlock(&s->call_lock);
}

static void *device_thread(void *opaque)
{
	struct served *s = opaque;

	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		int r = hv_loop_run_once(&s->loop, -1);

		if (r < 0 && r != -EINTR) {
			hv_err("%s: epoll: %s", s->name, strerror(-r));
			hvdpad_request_quit(1);
			break;
		}
	}
	return NULL;
}

/* The device's own thread: its VDUSE fd, its control fd (the net device's
 * link changes, which end in VDUSE config ioctls) and the main thread's
 * calls. */
static int start_device_thread(struct served *s)
{
	int ctl = s->dev->ops->control_fd ? s->dev->ops->control_fd(s->dev) : -1;

	pthread_mutex_init(&s->call_lock, NULL);
	pthread_cond_init(&s->call_cond, NULL);
	s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->stop_fd < 0 || s->call_fd < 0 || hv_loop_init(&s->loop) < 0 ||
	    hv_loop_add(&s->loop, s->stop_fd, EPOLLIN, on_device_stop, s) < 0 ||
	    hv_loop_add(&s->loop, s->call_fd, EPOLLIN, on_call, s) < 0 ||
	    hv_loop_add(&s->loop, hv_vduse_fd(s->vduse), EPOLLIN, on_vduse, s) < 0 ||
	    (ctl >= 0 && hv_loop_add(&s->loop, ctl, EPOLLIN, on_control, s) < 0))
		return -1;
	/* Created with the link up: say what it really is. */
	if (ctl >= 0)
		s->dev->ops->control_event(s->dev);
	if (pthread_create(&s->thread, NULL, device_thread, s) != 0)
		return -1;
	s->thread_running = true;
	return 0;
}

static void stop_device_thread(struct served *s)
{
	uint64_t one = 1;

	if (s->thread_running) {
		if (write(s->stop_fd, &one, sizeof(one)) < 0)
			hv_err("%s: cannot stop its thread: %s", s->name, strerror(errno));
		pthread_join(s->thread, NULL);
		s->thread_running = false;
	}
	if (s->stop_fd >= 0) {
		hv_loop_fini(&s->loop);
		close(s->stop_fd);
		s->stop_fd = -1;
	}
	if (s->call_fd >= 0) {
		close(s->call_fd);
		s->call_fd = -1;
	}
}

int served_start(struct served *s, char *err, size_t errlen)
{
	int r = hv_vduse_create(s->dev, s->claim, &s->vduse, err, errlen);

	s->claim = NULL;
	if (r < 0)
		return r;
	if (start_device_thread(s) < 0) {
		snprintf(err, errlen, "%s: cannot start its thread: %s", s->name, strerror(errno));
		return -EAGAIN;
	}
	return 0;
}

int served_stop(struct served *s)
{
	int r = 0;

	stop_device_thread(s);
	if (s->vduse) {
		r = hv_vduse_destroy(s->vduse);
		if (r == -EBUSY)
			hv_warn("%s: still on the vDPA bus, so the kernel keeps it; "
				"remove it with: vdpa dev del %s",
				s->name, s->name);
		else if (r < 0)
			hv_warn("%s: VDUSE_DESTROY_DEV: %s", s->name, strerror(-r));
		s->vduse = NULL;
	}
	if (s->dev) {
		s->dev->ops->destroy(s->dev);
		s->dev = NULL;
	}
	hv_vduse_release(s->claim);
	s->claim = NULL;
	return r;
}

int served_call_on_thread(struct served *s, const struct served_call *c, int timeout_ms,
			  struct served_call *out)
{
	struct timespec until;
	uint64_t one = 1;
	int r = 0;

	if (!s->thread_running)
		return -ENODEV;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->call_lock);
	if (s->call_pending) {
		pthread_mutex_unlock(&s->call_lock);
		return -EBUSY;
	}
	s->call = *c;
	s->call_pending = true;
	if (write(s->call_fd, &one, sizeof(one)) < 0)
		r = -errno;
	while (r == 0 && s->call_pending)
		r = -pthread_cond_timedwait(&s->call_cond, &s->call_lock, &until);
	if (r == 0)
		*out = s->call;
	pthread_mutex_unlock(&s->call_lock);
	return r;
}

void served_print_ready(const struct served *s)
{
	uint64_t bytes;

	if (s->is_net) {
		const uint8_t *m = s->net.mac;

		printf("%s: ready: virtio-net tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, "
		       "1 queue pair of %u, /dev/vduse/%s%s\n",
		       s->name, s->net.tap, m[0], m[1], m[2], m[3], m[4], m[5], s->net.mtu,
		       s->net.queue_size, s->name, s->takeover ? " (taken over)" : "");
		fflush(stdout);
		return;
	}
	bytes = hv_blk_size(s->dev);

	printf("%s: ready: virtio-blk %s%s%s, %llu MiB (%llu sectors), %u queue%s of %u, "
	       "/dev/vduse/%s%s\n",
	       s->dev->name, s->opt.rbd ? "rbd:" : "", s->opt.null ? "null" : s->opt.path,
	       hv_blk_read_only(s->dev) ? " (read-only)" : "", (unsigned long long)(bytes >> 20),
	       (unsigned long long)(bytes >> 9), s->opt.num_queues,
	       s->opt.num_queues > 1 ? "s" : "", s->opt.queue_size, s->dev->name,
	       s->takeover ? " (taken over)" : "");
	fflush(stdout);
}
