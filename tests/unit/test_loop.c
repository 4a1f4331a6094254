// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "hvdpa/loop.h"

static struct hv_loop loop;
static int efd[2];
static int calls[2];

static void cb(void *opaque, uint32_t events)
{
	int i = (int)(long)opaque;
	uint64_t v;

	(void)events;
	calls[i]++;
	if (read(efd[i], &v, sizeof(v)) < 0)
		return;
	/* The first handler removes the second: its pending event must not
	 * be delivered. */
	if (i == 0)
		hv_loop_del(&loop, efd[1]);
}

static void test_delete_from_callback(void)
{
	uint64_t one = 1;

	CHECK_EQ(hv_loop_init(&loop), 0);
	for (int i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK);
		CHECK_EQ(hv_loop_add(&loop, efd[i], EPOLLIN, cb, (void *)(long)i), 0);
		CHECK_EQ(write(efd[i], &one, sizeof(one)), 8);
	}
	hv_loop_run_once(&loop, 100);
	/* Whichever came first, handler 1 runs at most once and never after
	 * its removal. */
	CHECK_EQ(calls[0], 1);
	CHECK(calls[1] <= 1);
	CHECK_EQ(write(efd[1], &one, sizeof(one)), 8);
	int before = calls[1];
	hv_loop_run_once(&loop, 50);
	CHECK_EQ(calls[1], before);
	CHECK_EQ(hv_loop_del(&loop, efd[1]), -ENOENT);
	hv_loop_fini(&loop);
	close(efd[0]);
	close(efd[1]);
}

static int mod_calls;
static uint32_t mod_events;

static void mod_cb(void *opaque, uint32_t events)
{
	(void)opaque;
	mod_calls++;
	mod_events = events;
}

/* hv_loop_mod: the NBD engine watches its socket for what libnbd wants
 * now; a writable socket wakes the loop only once asked to. */
static void test_mod_changes_events(void)
{
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_add(&loop, sv[0], EPOLLIN, mod_cb, NULL), 0);
	CHECK_EQ(hv_loop_run_once(&loop, 0), 0); /* writable, not readable */
	CHECK_EQ(hv_loop_mod(&loop, sv[0], EPOLLIN | EPOLLOUT), 0);
	CHECK_EQ(hv_loop_run_once(&loop, 0), 1);
	CHECK_EQ(mod_calls, 1);
	CHECK(mod_events & EPOLLOUT);
	CHECK_EQ(hv_loop_mod(&loop, sv[0], EPOLLIN), 0);
	CHECK_EQ(hv_loop_run_once(&loop, 0), 0);
	CHECK_EQ(mod_calls, 1);
	CHECK_EQ(hv_loop_mod(&loop, sv[1], EPOLLIN), -ENOENT);
	hv_loop_fini(&loop);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	RUN(test_delete_from_callback);
	RUN(test_mod_changes_events);
	return check_done();
}
