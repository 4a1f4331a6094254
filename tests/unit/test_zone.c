// SPDX-License-Identifier: MIT
/*
 * Zone RAM handed to hvbridge cannot be taken away under it: a memfd must
 * be sealed against shrinking (else refused, with one clear line), so a
 * truncate fails instead of turning the next access into SIGBUS; a RAM
 * file must be one only root (or hvbridge's user) can write.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../hvbridge/bridge.h"
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

int main(void)
{
	RUN(test_unsealed_memfd_refused);
	RUN(test_sealed_memfd_cannot_shrink);
	RUN(test_ram_file_must_be_private);
	RUN(test_refusals_rate_limited);
	return check_done();
}
