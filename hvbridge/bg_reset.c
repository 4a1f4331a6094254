// SPDX-License-Identifier: MIT
/* A device reset on a thread of its own (see bg_reset.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bg_reset.h"
#include "hvdpa/log.h"

int hvb_bg_reset_init(struct hvb_bg_reset *r)
{
	r->running = false;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return r->efd < 0 ? -errno : 0;
}

static void *reset_thread(void *arg)
{
	struct hvb_bg_reset *r = arg;
	uint64_t one = 1;

	r->fn(r->arg);
	if (write(r->efd, &one, sizeof(one)) < 0)
		hv_err("%s: reset eventfd: %s", r->name, strerror(errno));
	return NULL;
}

int hvb_bg_reset_start(struct hvb_bg_reset *r, void (*fn)(void *arg), void *arg, const char *name)
{
	int e;

	if (r->efd < 0)
		return -EBADF;
	r->fn = fn;
	r->arg = arg;
	r->name = name;
	e = pthread_create(&r->thread, NULL, reset_thread, r);
	if (e != 0)
		return -e;
	r->running = true;
	return 0;
}

int hvb_bg_reset_fd(const struct hvb_bg_reset *r)
{
	return r->running ? r->efd : -1;
}

bool hvb_bg_reset_wait(struct hvb_bg_reset *r)
{
	uint64_t n;

	if (!r->running)
		return false;
	pthread_join(r->thread, NULL);
	while (read(r->efd, &n, sizeof(n)) > 0)
		;
	r->running = false;
	return true;
}

void hvb_bg_reset_fini(struct hvb_bg_reset *r)
{
	hvb_bg_reset_wait(r);
	if (r->efd >= 0)
		close(r->efd);
	r->efd = -1;
}
