// SPDX-License-Identifier: MIT
/*
 * Zone RAM handed to hvbridge cannot be taken away under it: a memfd must
 * be sealed against shrinking (else refused, with one clear line), so a
 * truncate fails instead of turning the next access into SIGBUS; a RAM
 * file must be one only root (or hvbridge's user) can write.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_ring.h>
#include <sys/eventfd.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../hvbridge/bridge.h"
#include "../../hvbridge/shadow.h"
#include "capture.h"
#include "check.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1ull << 20)

static struct hvb_zone *zone(enum hvb_backing backing)
{
	struct hvb_zone *z = calloc(1, sizeof(*z));

	z->id = 7;
	z->ram[0] = (struct hvb_zone_ram){.base = RAM_BASE, .size = RAM_SIZE, .backing = backing};
	z->n_ram = 1;
	return z;
}

static int ram_memfd(unsigned int seals)
{
	int fd = memfd_create("zone-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)RAM_SIZE), 0);
	if (seals)
		CHECK_EQ(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* Sets the RAM; returns the result, and the log lines in *log. */
static int set_ram(struct hvb_zone *z, int fd, char **log)
{
	struct capture c;
	int r;

	capture_begin(&c);
	r = hvb_zone_set_ram(z, fd, RAM_BASE, RAM_SIZE);
	*log = capture_end(&c);
	printf("# %s", **log ? *log : "(nothing logged)\n");
	return r;
}

static void test_unsealed_memfd_refused(void)
{
	struct hvb_zone *z = zone(HVB_RAM_SIM);
	int fd = ram_memfd(0);
	char *log;

	CHECK(set_ram(z, fd, &log) < 0);
	CHECK(!z->has_ram && !z->ram[0].host);
	CHECK_EQ(count_lines(log), 1);
	CHECK(strstr(log, "zone 7") && strstr(log, "F_SEAL_SHRINK"));
	free(log);
	/* Growing is not enough either. */
	close(fd);
	fd = ram_memfd(F_SEAL_GROW);
	CHECK(set_ram(z, fd, &log) < 0);
	free(log);
	close(fd);
	hvb_zone_free(z);
}

static void test_sealed_memfd_cannot_shrink(void)
{
	struct hvb_zone *z = zone(HVB_RAM_SIM);
	int fd = ram_memfd(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	char *log;

	CHECK_EQ(set_ram(z, fd, &log), 0);
	free(log);
	CHECK(z->has_ram);
	/* What the zone (the simulator) would do to crash us: */
	CHECK(ftruncate(fd, 0) < 0 && errno == EPERM);
	CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)RAM_SIZE) == 0 ||
	      errno == EPERM);
	close(fd);
	/* Still all there: no SIGBUS. */
	if (z->has_ram) {
		volatile uint8_t *p = z->ram[0].host;

		p[RAM_SIZE - 1] = 1;
		CHECK_EQ(p[RAM_SIZE - 1], 1);
	}
	hvb_zone_free(z);
}

static void test_ram_file_must_be_private(void)
{
	char path[] = "/tmp/hvbridge-ram-XXXXXX";
	int fd = mkstemp(path);
	struct hvb_zone *z = zone(HVB_RAM_FILE);
	char *log;

	CHECK(fd >= 0);
	z->ram[0].path = strdup(path);
	CHECK_EQ(ftruncate(fd, (off_t)RAM_SIZE), 0);
	CHECK_EQ(fchmod(fd, 0666), 0);
	CHECK(set_ram(z, fd, &log) < 0);
	CHECK_EQ(count_lines(log), 1);
	CHECK(strstr(log, "writable by group or others") != NULL);
	free(log);
	if (geteuid() == 0) {
		CHECK_EQ(fchmod(fd, 0600), 0);
		CHECK_EQ(fchown(fd, 65534, 65534), 0);
		CHECK(set_ram(z, fd, &log) < 0);
		CHECK(strstr(log, "owned by uid 65534") != NULL);
		free(log);
		CHECK_EQ(fchown(fd, 0, 0), 0);
	} else {
		printf("# not root: the owner case is not tested\n");
	}
	CHECK_EQ(fchmod(fd, 0600), 0);
	CHECK_EQ(set_ram(z, fd, &log), 0);
	free(log);
	CHECK(z->has_ram);
	close(fd);
	unlink(path);
	hvb_zone_free(z);
}

/* A simulator that keeps offering bad RAM cannot flood the log. */
static void test_refusals_rate_limited(void)
{
	struct hvb_zone *z = zone(HVB_RAM_SIM);
	int fd = ram_memfd(0);
	struct capture c;
	char *log;

	capture_begin(&c);
	for (int i = 0; i < 1000; i++)
		CHECK(hvb_zone_set_ram(z, fd, RAM_BASE, RAM_SIZE) < 0);
	log = capture_end(&c);
	CHECK(count_lines(log) <= 22);
	free(log);
	close(fd);
	hvb_zone_free(z);
}

/* A zone of three adjacent regions of RAM_SIZE from RAM_BASE, each a
 * sealed memfd as the simulator hands over, and the test's own view of
 * each, to check what lands where. */
struct regions {
	struct hvb_zone *z;
	uint8_t *view[3];
};

static void regions_up(struct regions *r)
{
	r->z = zone(HVB_RAM_SIM);
	r->z->n_ram = 3;
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t base = RAM_BASE + i * RAM_SIZE;
		int fd = ram_memfd(F_SEAL_SHRINK | F_SEAL_GROW);

		r->z->ram[i] = (struct hvb_zone_ram){
			.base = base, .size = RAM_SIZE, .backing = HVB_RAM_SIM};
		r->view[i] = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(r->view[i] != MAP_FAILED);
		CHECK_EQ(hvb_zone_set_ram(r->z, fd, base, RAM_SIZE), 0);
		/* Up only with the last region: a device given a part would
		 * miss the rest. */
		CHECK_EQ(r->z->has_ram, i == 2);
		close(fd);
	}
}

static void regions_down(struct regions *r)
{
	hvb_zone_free(r->z);
	for (unsigned int i = 0; i < 3; i++)
		munmap(r->view[i], RAM_SIZE);
}

/* The test's view of zone address addr. */
static uint8_t *at(struct regions *r, uint64_t addr)
{
	return r->view[(addr - RAM_BASE) / RAM_SIZE] + (addr - RAM_BASE) % RAM_SIZE;
}

/* A range that runs into the next region is translated up to the end of
 * its own (the rest separately); one that needs to be contiguous fails. */
static void test_translate_across_regions(void)
{
	struct regions r;
	struct hv_mem *mem;
	uint64_t end0 = RAM_BASE + RAM_SIZE, avail = 0;
	uint8_t *p;

	regions_up(&r);
	mem = &r.z->mem.mem;
	p = mem->translate(mem, end0 - 100, 300, true, &avail);
	CHECK(p == (uint8_t *)r.z->ram[0].host + RAM_SIZE - 100);
	CHECK_EQ(avail, 100);
	p = mem->translate(mem, end0, 200, true, &avail);
	CHECK(p == r.z->ram[1].host);
	CHECK_EQ(avail, 200);
	if (p) {
		p[5] = 0xab; /* the second region's own pages */
		CHECK_EQ(*at(&r, end0 + 5), 0xab);
	}
	p = mem->translate(mem, RAM_BASE + 3 * RAM_SIZE - 8, 64, false, &avail);
	CHECK(p == (uint8_t *)r.z->ram[2].host + RAM_SIZE - 8);
	CHECK_EQ(avail, 8);
	CHECK(mem->translate(mem, RAM_BASE + 3 * RAM_SIZE, 1, false, &avail) == NULL);
	CHECK(mem->translate(mem, RAM_BASE - 1, 1, false, &avail) == NULL);
	CHECK(hv_mem_contig(mem, end0 - 100, 300, false) == NULL);
	CHECK(hv_mem_contig(mem, end0 - 100, 100, false) ==
	      (uint8_t *)r.z->ram[0].host + RAM_SIZE - 100);
	CHECK(hv_mem_contig(mem, end0, 300, false) == r.z->ram[1].host);
	regions_down(&r);
}

/* The simulator hands regions over one by one: one the config does not
 * name, or one given twice, is refused with a line saying so; a zone that
 * leaves with a part handed over has that part unmapped, and comes back. */
static void test_region_offers(void)
{
	struct hvb_zone *z = zone(HVB_RAM_SIM);
	struct hvb_device_cfg cfg = {
		.name = "v", .base = RAM_BASE + RAM_SIZE + 0x1000, .size = 0x200, .vhost = "x"};
	int fd = ram_memfd(F_SEAL_SHRINK);
	struct capture c;
	char err[256], *log;

	z->ram[1] = (struct hvb_zone_ram){
		.base = RAM_BASE + RAM_SIZE, .size = RAM_SIZE, .backing = HVB_RAM_SIM};
	z->n_ram = 2;
	capture_begin(&c);
	CHECK_EQ(hvb_zone_set_ram(z, fd, RAM_BASE + 4 * RAM_SIZE, RAM_SIZE), -EINVAL);
	CHECK_EQ(hvb_zone_set_ram(z, fd, RAM_BASE, RAM_SIZE), 0);
	CHECK_EQ(hvb_zone_set_ram(z, fd, RAM_BASE, RAM_SIZE), -EBUSY);
	log = capture_end(&c);
	CHECK(strstr(log, "zone 7: RAM offered at 0x80400000+0x100000, but the config says "
			  "0x80000000+0x100000, 0x80100000+0x100000"));
	CHECK(strstr(log, "zone 7: RAM 0x80000000+0x100000 offered twice"));
	for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"))
		printf("# %s\n", l);
	free(log);
	CHECK(!z->has_ram && z->ram[0].host);
	hvb_zone_drop_ram(z);
	CHECK(!z->ram[0].host);
	CHECK_EQ(hvb_zone_set_ram(z, fd, RAM_BASE + RAM_SIZE, RAM_SIZE), 0);
	CHECK_EQ(hvb_zone_set_ram(z, fd, RAM_BASE, RAM_SIZE), 0);
	CHECK(z->has_ram);
	/* A device added at run time may not sit in any region either. */
	CHECK_EQ(hvb_zone_add_device(z, &cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "v: window overlaps zone 7's RAM at 0x80100000+0x100000"));
	close(fd);
	hvb_zone_free(z);
}

#define QS   8
#define IOVA 0x10000000ull

/* Shadow mode reads the zone's chains through the zone's memory: a
 * buffer the device reads that runs from the first region into the
 * second, and one it writes from the second into the third, are carried
 * whole; rings that cross regions are refused. */
static void test_shadow_across_regions(void)
{
	uint64_t end0 = RAM_BASE + RAM_SIZE, end1 = end0 + RAM_SIZE;
	uint64_t out = end0 - 1000, in = end1 - 1500, desc, avail, used;
	struct hv_mmio_queue zq = {.num = QS,
				   .desc = RAM_BASE,
				   .driver = RAM_BASE + 0x1000,
				   .device = RAM_BASE + 0x2000};
	int kick = eventfd(0, EFD_NONBLOCK), call = eventfd(0, EFD_NONBLOCK);
	struct vring_desc *zd, *sd;
	struct vring_avail *za, *sa;
	struct vring_used *zu, *su;
	struct hvb_shadow *s = NULL;
	struct regions r;
	uint8_t *host;
	uint16_t num, head;
	int bad = 0;

	regions_up(&r);
	zd = (void *)at(&r, zq.desc);
	za = (void *)at(&r, zq.driver);
	zu = (void *)at(&r, zq.device);
	for (unsigned int k = 0; k < 3000; k++)
		*at(&r, out + k) = (uint8_t)(k * 7);
	zd[0] = (struct vring_desc){
		.addr = out, .len = 3000, .flags = VRING_DESC_F_NEXT, .next = 1};
	zd[1] = (struct vring_desc){.addr = in, .len = 3000, .flags = VRING_DESC_F_WRITE};
	za->ring[0] = 0;
	za->idx = 1;
	CHECK_EQ(hvb_shadow_create(1, QS, &s), 0);
	if (!s)
		return;
	hvb_shadow_set_iova(s, IOVA);
	host = hvb_shadow_host(s);
	CHECK_EQ(hvb_shadow_queue_start(s, 0, &r.z->mem.mem, &zq, 1ull << 32, kick, call, &desc,
					&avail, &used, &num),
		 0);
	CHECK_EQ(hvb_shadow_kick(s, 0), 0);
	/* The device: what it reads is the zone's bytes, in order (a buffer
	 * that crosses regions comes as one descriptor per piece, as the
	 * zone's own pieces would). */
	sd = (void *)(host + (desc - IOVA));
	sa = (void *)(host + (avail - IOVA));
	su = (void *)(host + (used - IOVA));
	CHECK_EQ(sa->idx, 1);
	head = sa->ring[0];
	{
		unsigned int got = 0, put = 0, i = head, n = 0;

		for (;; i = sd[i].next) {
			uint8_t *b = host + (sd[i].addr - IOVA);

			for (unsigned int k = 0; k < sd[i].len; k++) {
				if (sd[i].flags & VRING_DESC_F_WRITE)
					b[k] = (uint8_t)(put++ * 3 + 1);
				else
					bad += b[k] != (uint8_t)(got++ * 7);
			}
			if (!(sd[i].flags & VRING_DESC_F_NEXT) || ++n > QS)
				break;
		}
		CHECK_EQ(got, 3000);
		CHECK_EQ(put, 3000);
	}
	CHECK_EQ(bad, 0);
	su->ring[0].id = head;
	su->ring[0].len = 3000;
	su->idx = 1;
	CHECK(hvb_shadow_complete(s, 0) >= 0);
	/* What it wrote is in the zone's second and third regions. */
	CHECK_EQ(zu->idx, 1);
	CHECK_EQ(zu->ring[0].len, 3000);
	bad = 0;
	for (unsigned int k = 0; k < 3000; k++)
		bad += *at(&r, in + k) != (uint8_t)(k * 3 + 1);
	CHECK_EQ(bad, 0);
	/* A ring that crosses from one region into the next. */
	hvb_shadow_reset(s);
	zq.desc = end0 - 64;
	CHECK(hvb_shadow_queue_start(s, 0, &r.z->mem.mem, &zq, 1ull << 32, kick, call, &desc,
				     &avail, &used, &num) < 0);
	hvb_shadow_destroy(s);
	close(kick);
	close(call);
	regions_down(&r);
}

int main(void)
{
	RUN(test_unsealed_memfd_refused);
	RUN(test_sealed_memfd_cannot_shrink);
	RUN(test_ram_file_must_be_private);
	RUN(test_refusals_rate_limited);
	RUN(test_translate_across_regions);
	RUN(test_region_offers);
	RUN(test_shadow_across_regions);
	return check_done();
}
