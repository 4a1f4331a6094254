// SPDX-License-Identifier: MIT
/*
 * The hvisor trap source against the same shared page layout in a memfd,
 * mapped twice: once as the hypervisor (this test) and once as the bridge.
 * Requests come out in order across index wrap-around, answers land in the
 * vCPU's slot and bump its flag (also one kept for later, while other
 * vCPUs' answers flow), interrupts go on the result ring and are
 * never written over a full ring, and a page with garbage indices or vCPU
 * numbers is never indexed out of bounds.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../hvbridge/trap_hvisor.h"
#include "check.h"

static struct hvisor_bridge *hyp, *mine;
static struct hvb_trap *t;
static int efd;

static void setup(void)
{
	int fd = memfd_create("hvisor-page", 0);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 4096), 0);
	hyp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(hyp != MAP_FAILED && mine != MAP_FAILED);
	close(fd);
	efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(hvb_trap_hvisor_attach(mine, -1, efd, &t), 0);
}

static void teardown(void)
{
	t->ops->destroy(t); /* closes efd */
	munmap(hyp, 4096);
	munmap(mine, 4096);
}

/* The hypervisor's side: false when the ring is full. */
static bool push(uint64_t cpu, uint64_t addr, bool write, uint64_t value)
{
	uint32_t rear = hyp->req_rear;

	if (((rear + 1) & 31) == hyp->req_front)
		return false;
	hyp->req_list[rear] = (struct hvisor_device_req){.src_cpu = cpu,
							 .address = addr,
							 .size = 4,
							 .value = value,
							 .src_zone = 1,
							 .is_write = write};
	__atomic_store_n(&hyp->req_rear, (rear + 1) & 31, __ATOMIC_RELEASE);
	return true;
}

static void test_requests_in_order_across_wrap(void)
{
	struct hvisor_device_req req;
	uint64_t next = 0, seen = 0;

	setup();
	for (int round = 0; round < 10; round++) {
		while (push(0, 0xa0000000 + 4 * (next % 64), true, next))
			next++;
		CHECK_EQ(next - seen, 31); /* a ring of 32 holds 31 */
		while (t->ops->next(t, &req)) {
			CHECK_EQ(req.value, seen);
			CHECK_EQ(req.address, 0xa0000000 + 4 * (seen % 64));
			seen++;
		}
		CHECK_EQ(seen, next);
	}
	CHECK_EQ(seen, 310);
	teardown();
}

static void test_answers(void)
{
	struct hvisor_device_req req = {.src_cpu = 3};
	struct hvisor_bridge before;

	setup();
	t->ops->answer(t, &req, 0x1234);
	CHECK_EQ(hyp->cfg_values[3], 0x1234);
	CHECK_EQ(hyp->cfg_flags[3], 1);
	t->ops->answer(t, &req, 7);
	CHECK_EQ(hyp->cfg_values[3], 7);
	CHECK_EQ(hyp->cfg_flags[3], 2);
	/* A vCPU number past the table is dropped, nothing else moves. */
	memcpy(&before, hyp, sizeof(before));
	req.src_cpu = 32;
	t->ops->answer(t, &req, 99);
	req.src_cpu = ~0ull;
	t->ops->answer(t, &req, 99);
	CHECK(memcmp(&before, hyp, sizeof(before)) == 0);
	teardown();
}

/* The bridge keeps a Status 0 write's answer until the device is reset:
 * the request as taken is all the answer needs, later, and meanwhile the
 * other vCPUs' accesses are taken and answered in their own slots. */
static void test_answer_kept_for_later(void)
{
	struct hvisor_device_req kept, req;
	unsigned int answered = 0;

	setup();
	push(2, 0xa0000070, true, 0);
	CHECK(t->ops->next(t, &kept));
	for (int round = 0; round < 20; round++) {
		push(round % 2, 0xa0000000, false, 0);
		CHECK(t->ops->next(t, &req));
		CHECK(req.src_cpu != 2);
		t->ops->answer(t, &req, 0x74726976 + req.src_cpu);
		answered++;
	}
	CHECK_EQ(hyp->cfg_flags[0], 10);
	CHECK_EQ(hyp->cfg_flags[1], 10);
	CHECK_EQ(hyp->cfg_values[1], 0x74726977);
	CHECK_EQ(hyp->cfg_flags[2], 0); /* vCPU 2 still waits */
	t->ops->answer(t, &kept, 0);
	CHECK_EQ(hyp->cfg_flags[2], 1);
	CHECK_EQ(hyp->cfg_values[2], 0);
	CHECK_EQ(hyp->cfg_flags[0], 10);
	CHECK_EQ(hyp->cfg_flags[1], 10);
	CHECK_EQ(answered, 20);
	teardown();
}

static void test_interrupts_never_overwrite(void)
{
	setup();
	for (uint32_t i = 0; i < 40; i++)
		t->ops->irq(t, 1, 100 + i);
	/* 31 fit; the rest were dropped while the hypervisor did not drain. */
	CHECK_EQ(hyp->res_rear, 31);
	for (uint32_t i = 0; i < 31; i++) {
		CHECK_EQ(hyp->res_list[i].irq_id, 100 + i);
		CHECK_EQ(hyp->res_list[i].target_zone, 1);
	}
	CHECK_EQ(hyp->res_list[31].irq_id, 0);
	/* Drained: room again, and the ring wraps. */
	hyp->res_front = 31;
	t->ops->irq(t, 2, 7);
	t->ops->irq(t, 2, 8);
	CHECK_EQ(hyp->res_list[31].irq_id, 7);
	CHECK_EQ(hyp->res_list[0].irq_id, 8);
	CHECK_EQ(hyp->res_rear, 1);
	teardown();
}

static void test_sleep_handshake(void)
{
	struct hvisor_device_req req;
	uint64_t one = 1;

	setup();
	CHECK(t->ops->arm(t));
	CHECK_EQ(hyp->need_wakeup, 1);
	/* The hypervisor published a request and kicked the eventfd. */
	push(0, 0xa0000000, false, 0);
	CHECK_EQ(write(efd, &one, sizeof(one)), 8);
	CHECK_EQ(t->ops->wake(t), 0);
	CHECK_EQ(hyp->need_wakeup, 0);
	/* A request already waiting: no sleep. */
	CHECK(!t->ops->arm(t));
	CHECK_EQ(hyp->need_wakeup, 0);
	CHECK(t->ops->next(t, &req));
	CHECK(t->ops->arm(t));
	teardown();
}

static void test_garbage_indices(void)
{
	struct hvisor_device_req req;
	int n = 0;

	setup();
	/* A corrupted page: indices far past the ring are masked, never
	 * used as they are. */
	hyp->req_rear = 0xfffffff0;
	while (t->ops->next(t, &req) && n < 100)
		n++;
	CHECK(n < 32);
	CHECK(mine->req_front < 32);
	hyp->res_rear = 0x7777;
	hyp->res_front = 0x1234;
	t->ops->irq(t, 1, 5);
	CHECK(hyp->res_rear < 32);
	teardown();
}

static void test_publish(void)
{
	uint64_t addrs[10] = {0xa0000000, 0xa0000200, 0xa0000400, 1, 2, 3, 4, 5, 6, 7};

	setup();
	hvb_trap_hvisor_publish(t, addrs, 3);
	CHECK_EQ(hyp->mmio_addrs[0], 0xa0000000);
	CHECK_EQ(hyp->mmio_addrs[2], 0xa0000400);
	CHECK_EQ(hyp->mmio_addrs[3], 0);
	CHECK_EQ(hyp->mmio_avail, 1);
	/* More devices than the module's table: the table is not overrun. */
	hvb_trap_hvisor_publish(t, addrs, 10);
	CHECK_EQ(hyp->mmio_addrs[7], 5);
	CHECK_EQ(hyp->mmio_avail, 1);
	CHECK_EQ(hyp->need_wakeup, 0);
	teardown();
}

int main(void)
{
	RUN(test_requests_in_order_across_wrap);
	RUN(test_answers);
	RUN(test_answer_kept_for_later);
	RUN(test_interrupts_never_overwrite);
	RUN(test_sleep_handshake);
	RUN(test_garbage_indices);
	RUN(test_publish);
	return check_done();
}
