// SPDX-License-Identifier: MIT
/*
 * Trapped accesses from hvisor's kernel module: a page shared with the
 * hypervisor holding a request ring (it produces, we consume), a result ring
 * for interrupts (we produce), and per-vCPU answer slots for the accesses a
 * vCPU spins on. See hvisor_abi.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvdpa/cpu.h"
#include "hvdpa/log.h"
#include "trap_hvisor.h"

#define RING_MASK (HVISOR_RING_SIZE - 1)

struct hvisor_trap {
	struct hvb_trap t;
	int dev_fd; /* -1 in tests: no module to tell */
	struct hvisor_bridge *b;
	bool own_map;
	struct hv_ratelimit rl;
};

static struct hvisor_trap *to_ht(struct hvb_trap *t)
{
	return (struct hvisor_trap *)t;
}

static bool ht_next(struct hvb_trap *t, struct hvisor_device_req *req)
{
	struct hvisor_bridge *b = to_ht(t)->b;
	uint32_t front = __atomic_load_n(&b->req_front, __ATOMIC_RELAXED) & RING_MASK;
	uint32_t rear = __atomic_load_n(&b->req_rear, __ATOMIC_ACQUIRE) & RING_MASK;

	if (front == rear)
		return false;
	memcpy(req, &b->req_list[front], sizeof(*req));
	__atomic_store_n(&b->req_front, (front + 1) & RING_MASK, __ATOMIC_RELEASE);
	return true;
}

static void ht_answer(struct hvb_trap *t, const struct hvisor_device_req *req, uint64_t value)
{
	struct hvisor_trap *ht = to_ht(t);
	struct hvisor_bridge *b = ht->b;

	if (req->src_cpu >= HVISOR_MAX_CPUS) {
		hv_warn_ratelimited(&ht->rl, "hvisor: access from vCPU %llu: no answer slot",
				    (unsigned long long)req->src_cpu);
		return;
	}
	/* The vCPU reads the value once it sees the flag move. */
	__atomic_store_n(&b->cfg_values[req->src_cpu], value, __ATOMIC_RELAXED);
	__atomic_fetch_add(&b->cfg_flags[req->src_cpu], 1, __ATOMIC_RELEASE);
}

static void ht_irq(struct hvb_trap *t, uint32_t zone, uint32_t irq)
{
	struct hvisor_trap *ht = to_ht(t);
	struct hvisor_bridge *b = ht->b;
	uint32_t rear = __atomic_load_n(&b->res_rear, __ATOMIC_RELAXED) & RING_MASK;

	/* Full: the hypervisor drains it when told; give it a moment. */
	for (int tries = 0; ((rear + 1) & RING_MASK) ==
			    (__atomic_load_n(&b->res_front, __ATOMIC_ACQUIRE) & RING_MASK);
	     tries++) {
		if (tries == 1000) {
			hv_warn_ratelimited(&ht->rl,
					    "hvisor: result ring full: irq %u of zone %u "
					    "dropped",
					    irq, zone);
			return;
		}
		if (ht->dev_fd >= 0)
			ioctl(ht->dev_fd, HVISOR_FINISH_REQ);
		hv_cpu_relax();
	}
	b->res_list[rear].target_zone = zone;
	b->res_list[rear].irq_id = irq;
	__atomic_store_n(&b->res_rear, (rear + 1) & RING_MASK, __ATOMIC_RELEASE);
	if (ht->dev_fd >= 0 && ioctl(ht->dev_fd, HVISOR_FINISH_REQ) < 0)
		hv_warn_ratelimited(&ht->rl, "hvisor: HVISOR_FINISH_REQ: %s", strerror(errno));
}

static bool ht_arm(struct hvb_trap *t)
{
	struct hvisor_bridge *b = to_ht(t)->b;

	__atomic_store_n(&b->need_wakeup, 1, __ATOMIC_RELAXED);
	/* The hypervisor checks need_wakeup after publishing req_rear: one of
	 * us must see the other's store. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((__atomic_load_n(&b->req_rear, __ATOMIC_ACQUIRE) & RING_MASK) !=
	    (__atomic_load_n(&b->req_front, __ATOMIC_RELAXED) & RING_MASK)) {
		__atomic_store_n(&b->need_wakeup, 0, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

static int ht_wake(struct hvb_trap *t)
{
	uint64_t n;

	__atomic_store_n(&to_ht(t)->b->need_wakeup, 0, __ATOMIC_RELAXED);
	if (read(t->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static void ht_destroy(struct hvb_trap *t)
{
	struct hvisor_trap *ht = to_ht(t);

	if (ht->own_map)
		munmap(ht->b, 4096);
	close(t->fd);
	if (ht->dev_fd >= 0)
		close(ht->dev_fd);
	free(ht);
}

static const struct hvb_trap_ops hvisor_trap_ops = {
	.next = ht_next,
	.answer = ht_answer,
	.irq = ht_irq,
	.arm = ht_arm,
	.wake = ht_wake,
	.destroy = ht_destroy,
};

int hvb_trap_hvisor_attach(struct hvisor_bridge *b, int dev_fd, int efd, struct hvb_trap **out)
{
	struct hvisor_trap *ht = calloc(1, sizeof(*ht));

	if (!ht)
		return -ENOMEM;
	ht->t.ops = &hvisor_trap_ops;
	ht->t.fd = efd;
	ht->t.poll_us = 50;
	ht->dev_fd = dev_fd;
	ht->b = b;
	/* We own the consumer and producer indices we write. */
	b->req_front = __atomic_load_n(&b->req_rear, __ATOMIC_ACQUIRE) & RING_MASK;
	b->res_rear = 0;
	*out = &ht->t;
	return 0;
}

int hvb_trap_hvisor_open(const char *path, struct hvb_trap **out, int *dev_fd, char *err,
			 size_t errlen)
{
	struct hvisor_bridge *b;
	int fd, efd, r;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s%s", path, strerror(-r),
			 r == -ENOENT ? " (is hvisor's kernel module loaded?)" : "");
		return r;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0 || ioctl(fd, HVISOR_INIT_VIRTIO) < 0 ||
	    ioctl(fd, HVISOR_SET_EVENTFD, efd) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: setting up virtio forwarding: %s", path, strerror(-r));
		goto fail;
	}
	b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "%s: mmap of the request page: %s", path, strerror(-r));
		goto fail;
	}
	r = hvb_trap_hvisor_attach(b, fd, efd, out);
	if (r < 0) {
		munmap(b, 4096);
		goto fail;
	}
	((struct hvisor_trap *)*out)->own_map = true;
	*dev_fd = fd;
	return 0;
fail:
	if (efd >= 0)
		close(efd);
	close(fd);
	return r;
}

void hvb_trap_hvisor_publish(struct hvb_trap *t, const uint64_t *addrs, unsigned int n)
{
	struct hvisor_bridge *b = to_ht(t)->b;

	if (n > HVISOR_MAX_DEVS) {
		hv_warn("hvisor: %u devices, but the module's table lists %u", n, HVISOR_MAX_DEVS);
		n = HVISOR_MAX_DEVS;
	}
	for (unsigned int i = 0; i < HVISOR_MAX_DEVS; i++)
		b->mmio_addrs[i] = i < n ? addrs[i] : 0;
	__atomic_store_n(&b->mmio_avail, 1, __ATOMIC_RELEASE);
}
