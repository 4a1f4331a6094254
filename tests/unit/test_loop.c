// SPDX-License-Identifier: MIT
#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "hvdpa/clock.h"
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

/* Ring mode (hv_loop_ring_enable): the owner's completions, and the fds'
 * events with the meaning they had under epoll. */
static int owner_cqes, owner_batches, ring_calls;
static uint64_t owner_data;
static int32_t owner_res;

static void owner_cqe(void *opaque, uint64_t data, int32_t res)
{
	(void)opaque;
	owner_cqes++;
	owner_data = data;
	owner_res = res;
}

static void owner_batch_end(void *opaque)
{
	(void)opaque;
	owner_batches++;
}

static const struct hv_loop_ring_owner owner = {owner_cqe, owner_batch_end, NULL};

static void count_cb(void *opaque, uint32_t events)
{
	(void)opaque;
	(void)events;
	ring_calls++;
}

static void ring_reset(void)
{
	owner_cqes = owner_batches = ring_calls = 0;
}

static void nop(struct io_uring *ring, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, data);
}

/* The queue's kick: an eventfd never read, edge-triggered. Each write is
 * one call, before and after the fd moves into the ring. */
static void test_ring_edge_fd_each_write_once(void)
{
	struct io_uring *ring;
	uint64_t one = 1;
	int fd = eventfd(0, EFD_NONBLOCK);

	ring_reset();
	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_add(&loop, fd, EPOLLIN | EPOLLET, count_cb, NULL), 0);
	CHECK_EQ(write(fd, &one, sizeof(one)), 8);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), 0);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), -EBUSY);
	/* The edge before the move is not lost. */
	CHECK(hv_loop_run_once(&loop, 1000) > 0);
	CHECK_EQ(ring_calls, 1);
	for (int k = 2; k <= 4; k++) {
		CHECK_EQ(write(fd, &one, sizeof(one)), 8);
		CHECK(hv_loop_run_once(&loop, 1000) > 0);
		CHECK_EQ(ring_calls, k);
	}
	/* Nothing new: the wait times out, no call. */
	uint64_t t0 = hv_now_ns();
	CHECK_EQ(hv_loop_run_once(&loop, 50), 0);
	CHECK(hv_now_ns() - t0 >= 40000000ull);
	CHECK_EQ(ring_calls, 4);
	/* Back to epoll: still one call per write. */
	hv_loop_ring_disable(&loop);
	CHECK_EQ(write(fd, &one, sizeof(one)), 8);
	CHECK_EQ(hv_loop_run_once(&loop, 1000), 1);
	CHECK_EQ(ring_calls, 5);
	hv_loop_fini(&loop);
	close(fd);
}

static int lt_fd, lt_calls;

static void read_one_byte(void *opaque, uint32_t events)
{
	char c;

	(void)opaque;
	(void)events;
	lt_calls++;
	CHECK_EQ(read(lt_fd, &c, 1), 1);
}

/* A level-triggered fd whose callback leaves data behind is called again
 * at once, without waiting for the ring: epoll would not signal it anew. */
static void test_ring_level_fd_called_until_drained(void)
{
	struct io_uring *ring;
	int sv[2];

	lt_calls = 0;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	lt_fd = sv[0];
	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_add(&loop, sv[0], EPOLLIN, read_one_byte, NULL), 0);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), 0);
	CHECK_EQ(hv_loop_run_once(&loop, 0), 0);
	CHECK_EQ(write(sv[1], "abc", 3), 3);
	for (int k = 1; k <= 3; k++) {
		uint64_t t0 = hv_now_ns();

		CHECK(hv_loop_run_once(&loop, 2000) > 0);
		CHECK_EQ(lt_calls, k);
		CHECK(hv_now_ns() - t0 < 1000000000ull);
	}
	/* Drained: the next wait times out. */
	CHECK_EQ(hv_loop_run_once(&loop, 20), 0);
	CHECK_EQ(lt_calls, 3);
	hv_loop_fini(&loop);
	close(sv[0]);
	close(sv[1]);
}

/* The owner's SQEs go out with the wait, its completions come back to it,
 * one batch_end per batch; its user_data reaches it unchanged. */
static void test_ring_owner_completions(void)
{
	struct io_uring *ring;

	ring_reset();
	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), 0);
	nop(ring, 0x1234);
	nop(ring, 0x5678);
	CHECK(!hv_loop_ready_now(&loop) || owner_cqes == 0);
	CHECK(hv_loop_run_once(&loop, 1000) > 0);
	if (owner_cqes < 2)
		hv_loop_run_once(&loop, 1000);
	CHECK_EQ(owner_cqes, 2);
	CHECK_EQ(owner_data, 0x5678);
	CHECK_EQ(owner_res, 0);
	CHECK(owner_batches >= 1 && owner_batches <= 2);
	/* hv_loop_submit sends without waiting; ready_now sees the result. */
	nop(ring, 0x9abc);
	hv_loop_submit(&loop);
	uint64_t t0 = hv_now_ns();
	while (!hv_loop_ready_now(&loop) && hv_now_ns() - t0 < 1000000000ull)
		;
	CHECK(hv_loop_ready_now(&loop));
	CHECK(hv_loop_run_once(&loop, 0) > 0);
	CHECK_EQ(owner_cqes, 3);
	CHECK_EQ(owner_data, 0x9abc);
	hv_loop_fini(&loop);
}

/* An owner draining its I/O gets its completions; a kick that came
 * meanwhile is kept for the loop's next round, not run inside the drain. */
static void test_ring_wait_owner_keeps_fd_events(void)
{
	struct io_uring *ring;
	uint64_t one = 1;
	int fd = eventfd(0, EFD_NONBLOCK);

	ring_reset();
	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), 0);
	CHECK_EQ(hv_loop_add(&loop, fd, EPOLLIN | EPOLLET, count_cb, NULL), 0);
	CHECK_EQ(write(fd, &one, sizeof(one)), 8);
	nop(ring, 0x42);
	while (owner_cqes == 0)
		CHECK_EQ(hv_loop_ring_wait_owner(&loop), 0);
	CHECK_EQ(owner_data, 0x42);
	CHECK_EQ(ring_calls, 0);
	CHECK(hv_loop_run_once(&loop, 1000) > 0);
	CHECK_EQ(ring_calls, 1);
	hv_loop_fini(&loop);
	close(fd);
}

static int ring_efd[2], ring_del_calls[2];

static void del_other(void *opaque, uint32_t events)
{
	int i = (int)(long)opaque;

	(void)events;
	ring_del_calls[i]++;
	hv_loop_del(&loop, ring_efd[!i]);
}

/* Removing an fd from another's callback: its pending event is dropped,
 * as under epoll, and a removed fd is never called again. */
static void test_ring_delete_from_callback(void)
{
	struct io_uring *ring;
	uint64_t one = 1;

	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), 0);
	for (int i = 0; i < 2; i++) {
		ring_efd[i] = eventfd(0, EFD_NONBLOCK);
		ring_del_calls[i] = 0;
		CHECK_EQ(hv_loop_add(&loop, ring_efd[i], EPOLLIN | EPOLLET, del_other,
				     (void *)(long)i),
			 0);
	}
	CHECK_EQ(write(ring_efd[0], &one, sizeof(one)), 8);
	CHECK_EQ(write(ring_efd[1], &one, sizeof(one)), 8);
	for (int k = 0; k < 3; k++)
		hv_loop_run_once(&loop, 50);
	CHECK_EQ(ring_del_calls[0] + ring_del_calls[1], 1);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(write(ring_efd[i], &one, sizeof(one)), 8);
	for (int k = 0; k < 3; k++)
		hv_loop_run_once(&loop, 20);
	/* The survivor runs again (and removes the other, already gone). */
	CHECK_EQ(ring_del_calls[0] + ring_del_calls[1], 2);
	CHECK(ring_del_calls[0] == 0 || ring_del_calls[1] == 0);
	hv_loop_fini(&loop);
	close(ring_efd[0]);
	close(ring_efd[1]);
}

/* hv_loop_mod on a ring-polled fd: the new mask holds, and the old poll's
 * end is no error for the callback. */
static void test_ring_mod(void)
{
	struct io_uring *ring;
	int sv[2];

	mod_calls = 0;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(hv_loop_init(&loop), 0);
	CHECK_EQ(hv_loop_ring_enable(&loop, 8, &owner, &ring), 0);
	CHECK_EQ(hv_loop_add(&loop, sv[0], EPOLLIN | EPOLLET, mod_cb, NULL), 0);
	CHECK_EQ(hv_loop_run_once(&loop, 20), 0);
	CHECK_EQ(hv_loop_mod(&loop, sv[0], EPOLLIN | EPOLLOUT | EPOLLET), 0);
	CHECK(hv_loop_run_once(&loop, 1000) > 0);
	CHECK_EQ(mod_calls, 1);
	CHECK(mod_events & EPOLLOUT);
	CHECK(!(mod_events & EPOLLERR));
	CHECK_EQ(hv_loop_mod(&loop, sv[0], EPOLLIN | EPOLLET), 0);
	for (int k = 0; k < 3; k++)
		hv_loop_run_once(&loop, 20);
	CHECK_EQ(mod_calls, 1);
	hv_loop_fini(&loop);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	RUN(test_delete_from_callback);
	RUN(test_mod_changes_events);
	RUN(test_ring_edge_fd_each_write_once);
	RUN(test_ring_level_fd_called_until_drained);
	RUN(test_ring_owner_completions);
	RUN(test_ring_wait_owner_keeps_fd_events);
	RUN(test_ring_delete_from_callback);
	RUN(test_ring_mod);
	return check_done();
}
