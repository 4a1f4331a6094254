// SPDX-License-Identifier: MIT
/*
 * The zone's side of the sim trap: RAM handed over once (a HELLO per
 * region), then one MMIO
 * access per message, from the vCPU the calling thread plays. A read or a
 * register write blocks until hvbridge answers, as a vCPU spins in hvisor;
 * a QueueNotify write does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../hvbridge/sim_proto.h"
#include "zonesim.h"

/* Each thread that issues accesses is a vCPU of the zone. */
static __thread unsigned int vcpu;

void zs_set_vcpu(unsigned int cpu)
{
	vcpu = cpu;
}

static void die(const char *what)
{
	fprintf(stderr, "zonesim: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A memfd of size bytes, sealed: hvbridge takes RAM only if it cannot
 * shrink under it. */
static int region_fd(uint64_t size)
{
	int fd = memfd_create("zone-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		die("memfd");
	return fd;
}

static void map_region(void *at, uint64_t size, int fd)
{
	if (mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		die("mmap");
}

/* Region 2 right after region 1 in the zone's space. */
static bool adjacent(const struct zs_link *l)
{
	return l->ram2_size && l->ram2_base == l->ram_base + l->ram_size;
}

/* Host bytes mapped from l->ram on: region 2 too when it is adjacent. */
static uint64_t span(const struct zs_link *l)
{
	return l->ram_size + (adjacent(l) ? l->ram2_size : 0);
}

/* One HELLO per region, each with its own memfd. */
static void send_hello(struct zs_link *l, uint64_t base, uint64_t size, int mfd)
{
	if (hvb_sim_send_hello(l->fd, l->zone, base, size, mfd) < 0)
		die("hello");
	close(mfd);
}

/*
 * Each region is a memfd of its own, as hvbridge maps each apart. When
 * region 2 follows region 1 in the zone's space it follows it here too, so
 * that a buffer across the boundary is one range for zs_ram() (hvbridge
 * sees two mappings).
 */
int zs_connect(struct zs_link *l, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int mfd = region_fd(l->ram_size), mfd2 = l->ram2_size ? region_fd(l->ram2_size) : -1;

	l->ram = mmap(NULL, span(l), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->ram == MAP_FAILED)
		die("mmap");
	map_region(l->ram, l->ram_size, mfd);
	if (mfd2 >= 0) {
		l->ram2 = adjacent(l) ? l->ram + l->ram_size
				      : mmap(NULL, l->ram2_size, PROT_NONE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (l->ram2 == MAP_FAILED)
			die("mmap");
		map_region(l->ram2, l->ram2_size, mfd2);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	for (int i = 0; connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (i == 100)
			die(path);
		usleep(50000);
	}
	send_hello(l, l->ram_base, l->ram_size, mfd);
	if (mfd2 >= 0)
		send_hello(l, l->ram2_base, l->ram2_size, mfd2);
	return 0;
}

void zs_disconnect(struct zs_link *l)
{
	close(l->fd);
	l->fd = -1;
	if (l->ram2 && !adjacent(l))
		munmap(l->ram2, l->ram2_size);
	munmap(l->ram, span(l));
	l->ram = l->ram2 = NULL;
	l->irqs_pending = 0;
}

/* Returns false on timeout. Interrupts are counted, answers returned. */
static bool recv_one(struct zs_link *l, struct hvb_sim_msg *m, int timeout_ms)
{
	struct pollfd p = {.fd = l->fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, timeout_ms) == 0)
		return false;
	n = recv(l->fd, m, sizeof(*m), 0);
	if (n != sizeof(*m)) {
		if (n == 0)
			errno = ECONNRESET;
		die("recv from hvbridge");
	}
	if (m->type == HVB_SIM_IRQ)
		l->irqs_pending++;
	return true;
}

uint64_t zs_access(struct zs_link *l, uint64_t addr, unsigned int width, bool write, uint64_t val)
{
	struct hvb_sim_msg m = {
		.type = HVB_SIM_ACCESS,
		.zone = l->zone,
		.access =
			{
				.src_cpu = vcpu,
				.address = addr,
				.size = width,
				.value = val,
				.src_zone = l->zone,
				.is_write = write,
				.need_interrupt =
					write && addr == l->dev + VIRTIO_MMIO_QUEUE_NOTIFY,
			},
	};

	if (send(l->fd, &m, sizeof(m), 0) != sizeof(m))
		die("send to hvbridge");
	if (m.access.need_interrupt)
		return 0;
	for (;;) {
		struct hvb_sim_msg a;

		if (!recv_one(l, &a, 5000)) {
			fprintf(stderr, "zonesim: no answer to the access at 0x%llx in 5 s\n",
				(unsigned long long)addr);
			exit(1);
		}
		if (a.type != HVB_SIM_ANSWER)
			continue;
		/* One vCPU at a time waits on a link (the others only
		 * notify), so an answer for another is hvbridge's mistake. */
		if (a.answer.src_cpu != vcpu) {
			fprintf(stderr, "zonesim: vCPU %u got vCPU %llu's answer (at 0x%llx)\n",
				vcpu, (unsigned long long)a.answer.src_cpu,
				(unsigned long long)addr);
			exit(1);
		}
		return a.answer.value;
	}
}

uint32_t zs_read(struct zs_link *l, uint64_t off, unsigned int width)
{
	return (uint32_t)zs_access(l, l->dev + off, width, false, 0);
}

void zs_write(struct zs_link *l, uint64_t off, unsigned int width, uint64_t val)
{
	zs_access(l, l->dev + off, width, true, val);
}

/* Status 0, then (virtio 1.2, 2.1.2) wait until it reads 0: a device may
 * take its time, and ignores the driver until then. */
uint64_t zs_reset(struct zs_link *l)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	zs_write(l, VIRTIO_MMIO_STATUS, 4, 0);
	for (;;) {
		uint64_t ns;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ns = (uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t.tv_nsec -
		     (uint64_t)t0.tv_nsec;
		if (zs_read(l, VIRTIO_MMIO_STATUS, 4) == 0)
			return ns;
		if (ns > 30000000000ull) {
			fprintf(stderr, "zonesim: the device does not reset (30 s)\n");
			exit(1);
		}
		usleep(50);
	}
}

bool zs_wait_irq(struct zs_link *l, int timeout_ms)
{
	struct hvb_sim_msg m;

	while (l->irqs_pending == 0)
		if (!recv_one(l, &m, timeout_ms))
			return false;
	l->irqs_pending = 0;
	return true;
}

void *zs_ram(struct zs_link *l, uint64_t addr, uint64_t len)
{
	if (addr >= l->ram_base && addr - l->ram_base + len <= span(l))
		return l->ram + (addr - l->ram_base);
	if (l->ram2 && addr >= l->ram2_base && addr - l->ram2_base + len <= l->ram2_size)
		return l->ram2 + (addr - l->ram2_base);
	fprintf(stderr, "zonesim: 0x%llx+0x%llx is outside zone RAM\n", (unsigned long long)addr,
		(unsigned long long)len);
	exit(1);
}
