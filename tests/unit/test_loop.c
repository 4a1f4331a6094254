// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

int main(void)
{
	RUN(test_delete_from_callback);
	return check_done();
}
