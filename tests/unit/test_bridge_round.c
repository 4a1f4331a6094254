// SPDX-License-Identifier: MIT
/*
 * The bridge takes its trap sources' accesses in turn, a batch of each per
 * round: a zone whose vCPUs flood its source with accesses holds another
 * zone's access back by at most one batch (issue 12 #7: the bridge used
 * to drain one source to empty before looking at the next, and three
 * flooding vCPUs took another zone's register read from 11.8 us to
 * 7.4 ms). Deterministic: counts accesses, not time.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "../../hvbridge/bridge.h"
#include "check.h"
#include "hvdpa/log.h"

/* bridge.c's HVB_TRAP_BATCH: a round takes at most 8 accesses of each
 * source. An access made while another source's batch is being taken
 * waits for the rest of it and for that source's next batch at most: with
 * two sources, 2 x 8 of the other's. */
#define BATCH 8u
#define BOUND (2 * BATCH)

struct fake_trap {
	struct hvb_trap t;
	uint32_t zone;
	unsigned long waiting; /* accesses its vCPUs have made, not yet taken */
	unsigned long taken, answered;
};

static struct fake_trap flooder, victim;
/* The flooder's accesses taken when the victim's access i was made, and
 * when it was answered. */
static unsigned long flood_made[3], flood_answered[3];
static bool victim_thinking; /* its next access comes during the flooder's */
static volatile sig_atomic_t stop;

/* As a signal would: the flag, and the bridge woken if it sleeps. */
static void stop_bridge(void)
{
	uint64_t one = 1;

	stop = 1;
	CHECK_EQ(write(victim.t.fd, &one, sizeof(one)), sizeof(one));
}

static struct fake_trap *fake(struct hvb_trap *t)
{
	return (struct fake_trap *)t; /* t is the first member */
}

/* A read of a register where the zone has no device: answered 0 at once. */
static bool ft_next(struct hvb_trap *t, struct hvisor_device_req *req)
{
	struct fake_trap *f = fake(t);

	if (!f->waiting)
		return false;
	f->waiting--;
	f->taken++;
	if (f == &flooder && victim_thinking) {
		victim_thinking = false;
		flood_made[victim.answered] = flooder.taken;
		victim.waiting = 1;
	}
	*req = (struct hvisor_device_req){
		.src_cpu = 0, .address = 0xd0000000, .size = 4, .src_zone = f->zone};
	return true;
}

static void ft_answer(struct hvb_trap *t, const struct hvisor_device_req *req, uint64_t value)
{
	struct fake_trap *f = fake(t);

	(void)req;
	CHECK_EQ(value, 0);
	if (f != &victim)
		return (void)f->answered++;
	flood_answered[f->answered] = flooder.taken;
	/* Its vCPU makes its next access while the flooder's are being taken;
	 * the third is its last. */
	if (++f->answered < 3)
		victim_thinking = true;
	else
		stop_bridge();
}

static void ft_irq(struct hvb_trap *t, uint32_t zone, uint32_t irq)
{
	(void)t, (void)zone, (void)irq;
}

/* Before the bridge sleeps: a vCPU still to make its access makes it now
 * (the bridge must never sleep on one). */
static bool ft_arm(struct hvb_trap *t)
{
	struct fake_trap *f = fake(t);

	if (f == &victim && victim_thinking) {
		victim_thinking = false;
		flood_made[victim.answered] = flooder.taken;
		victim.waiting = 1;
	}
	return f->waiting == 0;
}

static int ft_wake(struct hvb_trap *t)
{
	uint64_t n;
	ssize_t r = read(t->fd, &n, sizeof(n)); /* written only to stop the bridge */

	(void)r;
	return 0;
}

static void ft_destroy(struct hvb_trap *t)
{
	close(t->fd);
	t->fd = -1;
}

static const struct hvb_trap_ops ft_ops = {
	.next = ft_next,
	.answer = ft_answer,
	.irq = ft_irq,
	.arm = ft_arm,
	.wake = ft_wake,
	.destroy = ft_destroy,
};

static void fake_init(struct fake_trap *f, uint32_t zone, unsigned long waiting)
{
	memset(f, 0, sizeof(*f));
	f->t.ops = &ft_ops;
	f->t.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->zone = zone;
	f->waiting = waiting;
	CHECK(f->t.fd >= 0);
}

/* The flooder's source has 100000 accesses waiting; the victim's vCPU
 * reads three times, one after the other, each made while the flooder's
 * are being taken. The flooder is zone 1, first in the bridge's list, or
 * zone 2. Each of the victim's accesses waits for at most BOUND of the
 * flooder's; the flooder is served too, not shut out in turn. */
static void flood(bool flooder_first)
{
	struct hvb_bridge b = {.stop = &stop, .hvisor_fd = -1, .control = {.fd = -1}};

	stop = 0;
	victim_thinking = false;
	memset(flood_made, 0, sizeof(flood_made));
	memset(flood_answered, 0, sizeof(flood_answered));
	fake_init(&flooder, flooder_first ? 1 : 2, 100000);
	fake_init(&victim, flooder_first ? 2 : 1, 1);
	b.n_zones = 2;
	b.zones = calloc(2, sizeof(*b.zones));
	for (unsigned int i = 0; i < 2; i++) {
		b.zones[i] = calloc(1, sizeof(*b.zones[i]));
		b.zones[i]->id = i + 1;
		b.zones[i]->trap = (i == 0) == flooder_first ? &flooder.t : &victim.t;
	}
	CHECK_EQ(hvb_bridge_run(&b), 0);
	CHECK_EQ(victim.answered, 3);
	for (unsigned int i = 0; i < 3; i++) {
		printf("# the victim's access %u waited for %lu of the flooder's\n", i + 1,
		       flood_answered[i] - flood_made[i]);
		CHECK(flood_answered[i] - flood_made[i] <= BOUND);
	}
	CHECK(flooder.answered >= BATCH);
	CHECK_EQ(flooder.answered, flooder.taken);
	hvb_bridge_free(&b);
}

static void test_flood_does_not_starve_another_source(void)
{
	flood(true);
}

/* The round's first source moves on: the victim first in line is not
 * favoured, nor the flooder. */
static void test_flooder_second_in_line(void)
{
	flood(false);
}

int main(void)
{
	hv_log_level = HV_LOG_ERR; /* "hits no device", by design */
	RUN(test_flood_does_not_starve_another_source);
	RUN(test_flooder_second_in_line);
	printf("1..%d\n", check_count);
	return check_failures ? 1 : 0;
}
