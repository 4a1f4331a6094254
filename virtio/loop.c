// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvdpa/loop.h"

int hv_loop_init(struct hv_loop *loop)
{
	loop->nslots = 0;
	loop->slots = NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

void hv_loop_fini(struct hv_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
	free(loop->slots);
	loop->slots = NULL;
	loop->nslots = 0;
}

int hv_loop_add(struct hv_loop *loop, int fd, uint32_t events, hv_loop_cb cb, void *opaque)
{
	struct epoll_event ev = {.events = events};
	unsigned int i;

	for (i = 0; i < loop->nslots && loop->slots[i].fd >= 0; i++)
		;
	if (i == loop->nslots) {
		struct hv_loop_slot *s = realloc(loop->slots, (i + 1) * sizeof(*s));

		if (!s)
			return -ENOMEM;
		loop->slots = s;
		loop->nslots = i + 1;
		s[i].gen = 0;
	}
	/* The generation tells a stale event of an old fd from the new one. */
	loop->slots[i].gen++;
	ev.data.u64 = ((uint64_t)loop->slots[i].gen << 32) | i;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->slots[i].fd = fd;
	loop->slots[i].cb = cb;
	loop->slots[i].opaque = opaque;
	return 0;
}

int hv_loop_del(struct hv_loop *loop, int fd)
{
	for (unsigned int i = 0; i < loop->nslots; i++) {
		if (loop->slots[i].fd == fd) {
			loop->slots[i].fd = -1;
			loop->slots[i].gen++;
			return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
		}
	}
	return -ENOENT;
}

int hv_loop_mod(struct hv_loop *loop, int fd, uint32_t events)
{
	for (unsigned int i = 0; i < loop->nslots; i++) {
		if (loop->slots[i].fd == fd) {
			struct epoll_event ev = {.events = events};

			/* The same slot and generation: only the events change. */
			ev.data.u64 = ((uint64_t)loop->slots[i].gen << 32) | i;
			return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
		}
	}
	return -ENOENT;
}

int hv_loop_run_once(struct hv_loop *loop, int timeout_ms)
{
	return hv_loop_run_pwait(loop, timeout_ms, NULL);
}

int hv_loop_run_pwait(struct hv_loop *loop, int timeout_ms, const sigset_t *sigmask)
{
	struct epoll_event ev[16];
	int n = epoll_pwait(loop->epfd, ev, 16, timeout_ms, sigmask);

	if (n < 0)
		return -errno;
	for (int k = 0; k < n; k++) {
		uint32_t i = (uint32_t)ev[k].data.u64;
		uint32_t gen = (uint32_t)(ev[k].data.u64 >> 32);

		if (i >= loop->nslots || loop->slots[i].fd < 0 || loop->slots[i].gen != gen)
			continue;
		loop->slots[i].cb(loop->slots[i].opaque, ev[k].events);
	}
	return n;
}

static void defer_cb(void *opaque, uint32_t events)
{
	struct hv_defer *d = opaque;
	uint64_t n;

	(void)events;
	if (read(d->fd, &n, sizeof(n)) < 0) {
		/* Nothing to clear: a stale wake-up. */
	}
	d->armed = false;
	d->fn(d->opaque);
}

int hv_defer_init(struct hv_defer *d, struct hv_loop *loop, void (*fn)(void *opaque), void *opaque)
{
	int r;

	d->loop = loop;
	d->fn = fn;
	d->opaque = opaque;
	d->armed = false;
	d->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	r = hv_loop_add(loop, d->fd, EPOLLIN, defer_cb, d);
	if (r < 0) {
		close(d->fd);
		d->fd = -1;
	}
	return r;
}

void hv_defer_arm(struct hv_defer *d)
{
	uint64_t one = 1;

	if (d->armed || !d->loop)
		return;
	/* An eventfd write cannot fail short of a counter overflow, which the
	 * read in defer_cb rules out. */
	if (write(d->fd, &one, sizeof(one)) == sizeof(one))
		d->armed = true;
}

void hv_defer_fini(struct hv_defer *d)
{
	if (!d->loop || d->fd < 0)
		return;
	hv_loop_del(d->loop, d->fd);
	close(d->fd);
	d->fd = -1;
	d->loop = NULL;
	d->armed = false;
}
