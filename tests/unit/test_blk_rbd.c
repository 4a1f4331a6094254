// SPDX-License-Identifier: MIT
/*
 * virtio-blk on the RBD engine, through the fake ring, against a real
 * one-OSD Ceph cluster (tests/vm/ceph-up.sh on 127.0.0.1, in /tmp):
 * requests land in the image (read back with the rbd tool), discard and
 * write-zeroes leave zeroes, a snapshot is a read-only disk, an OSD that
 * stops answering fails requests within the timeout and the log says so
 * once, a queue stopped then answers everything, and a resize in the
 * cluster reaches the device's config. Skipped without Ceph.
 */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_blk.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/poll.h>
#include <time.h>
#include <unistd.h>

#include "blk_fixture.h"
#include "capture.h"
#include "check.h"
#include "hvdpa/clock.h"

#define MiB (1ull << 20)

static struct blk_fixture f;
static char dir[128], conf[192], opts[512];
static int port;

static double now_s(void)
{
	return (double)hv_now_ns() / 1e9;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The OSD's pid, to stop and continue it. */
static int osd_signal(int sig)
{
	return sh("kill -%d $(cat %s/run/osd.0.pid)", sig, dir);
}

/* bytes of rbd/IMAGE at off, through the rbd tool (its own client). */
static int image_read(const char *image, void *buf, size_t len, uint64_t off)
{
	char path[256];
	FILE *fp;
	size_t got;

	snprintf(path, sizeof(path), "%s/export", dir);
	if (sh("timeout 60 rbd -c %s export --no-progress rbd/%s %s >/dev/null 2>&1 || exit 1",
	       conf, image, path) != 0)
		return -1;
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	got = fseek(fp, (long)off, SEEK_SET) == 0 ? fread(buf, 1, len, fp) : 0;
	fclose(fp);
	unlink(path);
	return got == len ? 0 : -1;
}

static int setup(const char *image, const char *extra)
{
	snprintf(opts, sizeof(opts), "rbd=rbd/%s,ceph-conf=%s%s%s", image, conf, extra ? "," : "",
		 extra ? extra : "");
	return bf_setup(&f, 0, 64, opts);
}

static void test_write_read_flush(void)
{
	uint64_t w, r;
	uint8_t *img = malloc(64 * 1024);
	struct virtio_blk_config c;

	if (setup("t0", NULL) != 0) {
		CHECK(0);
		free(img);
		return;
	}
	memcpy(&c, f.dev->config, sizeof(c));
	CHECK_EQ(le64toh(c.capacity), 16 * MiB / 512);
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD));
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_RO)));
	w = fd_alloc(&f.d, 64 * 1024);
	r = fd_alloc(&f.d, 64 * 1024);
	bf_pattern(fd_ptr(&f.d, w), 64 * 1024, 3);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 1000, w, 64 * 1024, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 1000, r, 64 * 1024, true).used_len, 64 * 1024 + 1);
	CHECK(memcmp(fd_ptr(&f.d, w), fd_ptr(&f.d, r), 64 * 1024) == 0);
	CHECK_EQ(image_read("t0", img, 64 * 1024, 1000 * 512), 0);
	CHECK(memcmp(img, fd_ptr(&f.d, w), 64 * 1024) == 0);
	/* Past the end: refused before librbd sees it. */
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 16 * MiB / 512 - 1, r, 4096, true).status,
		 VIRTIO_BLK_S_IOERR);
	bf_teardown(&f);
	free(img);
}

static void seg_request(uint32_t type, uint64_t sector, uint32_t nsec, uint32_t flags)
{
	uint64_t h = fd_alloc(&f.d, sizeof(struct virtio_blk_outhdr));
	uint64_t sg = fd_alloc(&f.d, sizeof(struct virtio_blk_discard_write_zeroes));
	uint64_t s = fd_alloc(&f.d, 1);
	struct virtio_blk_outhdr *hdr = fd_ptr(&f.d, h);
	struct virtio_blk_discard_write_zeroes *seg = fd_ptr(&f.d, sg);
	struct fd_buf b[3] = {{h, sizeof(*hdr), false}, {sg, sizeof(*seg), false}, {s, 1, true}};
	uint32_t id, len;

	hdr->type = htole32(type);
	hdr->ioprio = 0;
	hdr->sector = 0;
	seg->sector = htole64(sector);
	seg->num_sectors = htole32(nsec);
	seg->flags = htole32(flags);
	fd_publish(&f.d, fd_chain(&f.d, b, 3));
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, s), VIRTIO_BLK_S_OK);
}

static void test_discard_and_zeroes(void)
{
	uint64_t w;
	uint8_t *img = malloc(MiB), *zero = calloc(1, MiB);

	if (setup("t0", NULL) != 0) {
		CHECK(0);
		goto out;
	}
	w = fd_alloc(&f.d, MiB);
	bf_pattern(fd_ptr(&f.d, w), MiB, 9);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 4096, w, MiB, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 8192, w, MiB, false).status, VIRTIO_BLK_S_OK);
	seg_request(VIRTIO_BLK_T_DISCARD, 4096, MiB / 512, 0);
	seg_request(VIRTIO_BLK_T_WRITE_ZEROES, 8192, MiB / 512, 0);
	CHECK_EQ(image_read("t0", img, MiB, 4096ull * 512), 0);
	CHECK(memcmp(img, zero, MiB) == 0);
	CHECK_EQ(image_read("t0", img, MiB, 8192ull * 512), 0);
	CHECK(memcmp(img, zero, MiB) == 0);
	bf_teardown(&f);
out:
	free(img);
	free(zero);
}

/* A snapshot: read-only, F_RO offered, writes fail, reads see the data
 * of the snapshot's time. */
static void test_snapshot_readonly(void)
{
	uint64_t b;

	if (sh("timeout 60 rbd -c %s snap create rbd/t0@s1 >/dev/null 2>&1", conf) != 0 ||
	    setup("t0@s1", NULL) != 0) {
		CHECK(0);
		return;
	}
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_RO));
	CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD)));
	b = fd_alloc(&f.d, 4096);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 1000, b, 4096, true).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 1000, b, 4096, false).status, VIRTIO_BLK_S_IOERR);
	bf_teardown(&f);
}

/* The OSD stopped: a request fails within timeout= (1 s), the log says
 * so once for several; the OSD back, requests work and the log says so
 * once. Then a queue stopped with requests on a stopped OSD answers them
 * all within the timeout. */
static void test_osd_stopped(void)
{
	struct capture cap;
	uint64_t b, st[4];
	uint32_t id, len;
	double t0, worst = 0;
	int failed = 0, ok = 0, answered = 0;
	char *log;

	if (setup("t0", "timeout=2") != 0) {
		CHECK(0);
		return;
	}
	b = fd_alloc(&f.d, 4096);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, b, 4096, false).status, VIRTIO_BLK_S_OK);
	capture_begin(&cap);
	hv_log_level = HV_LOG_INFO;
	osd_signal(SIGSTOP);
	for (int i = 0; i < 3; i++) {
		double t;

		t0 = now_s();
		failed += bf_do(&f, VIRTIO_BLK_T_IN, (uint64_t)i * 8, b, 4096, true).status ==
			  VIRTIO_BLK_S_IOERR;
		t = now_s() - t0;
		worst = t > worst ? t : worst;
	}
	osd_signal(SIGCONT);
	for (int i = 0; i < 20 && !ok; i++)
		ok = bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 4096, true).status == VIRTIO_BLK_S_OK;
	hv_log_level = HV_LOG_ERR;
	log = capture_end(&cap);
	printf("# OSD stopped: %d of 3 failed, slowest %.2f s\n", failed, worst);
	CHECK_EQ(failed, 3);
	CHECK(worst >= 1.9 && worst < 4);
	CHECK(ok);
	CHECK_EQ(count_substr(log, "requests fail after 2 s"), 1);
	CHECK_EQ(count_substr(log, "answers again"), 1);
	if (count_substr(log, "answers again") != 1)
		printf("# log: %s\n", log);
	free(log);

	osd_signal(SIGSTOP);
	for (int i = 0; i < 4; i++)
		bf_request(&f, VIRTIO_BLK_T_IN, (uint64_t)i * 8, b, 4096, true, &st[i]);
	f.dev->ops->queue_kick(&f.q);
	t0 = now_s();
	f.dev->ops->queue_stop(&f.q);
	worst = now_s() - t0;
	osd_signal(SIGCONT);
	while (fd_used(&f.d, &id, &len))
		answered++;
	CHECK_EQ(answered, 4);
	CHECK(worst < 4);
	printf("# queue stopped on a stopped OSD in %.2f s\n", worst);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, st[i]), VIRTIO_BLK_S_IOERR);
	/* queue_stop ran: bf_teardown must not stop it again. */
	f.dev->ops->destroy(f.dev);
	hv_loop_fini(&f.loop);
	fd_free(&f.d);
	close(f.fd);
	unlink(f.path);
}

/* rbd resize in the cluster: the device's control fd wakes, and the
 * config space and hv_blk_size() follow. */
static void test_resize_watched(void)
{
	struct virtio_blk_config c;
	int fd;
	bool seen = false;

	if (setup("t0", NULL) != 0) {
		CHECK(0);
		return;
	}
	fd = f.dev->ops->control_fd(f.dev);
	CHECK(fd >= 0);
	CHECK_EQ(sh("timeout 60 rbd -c %s resize --size 32M rbd/t0 >/dev/null 2>&1", conf), 0);
	for (int i = 0; i < 100 && !seen; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 100) == 1)
			f.dev->ops->control_event(f.dev);
		seen = hv_blk_size(f.dev) == 32 * MiB;
	}
	CHECK(seen);
	memcpy(&c, f.dev->config, sizeof(c));
	CHECK_EQ(le64toh(c.capacity), 32 * MiB / 512);
	bf_teardown(&f);
}

static void test_no_image(void)
{
	struct hv_blk_options o;
	struct hv_device *dev = NULL;
	char spec[512], err[256] = "";

	snprintf(spec, sizeof(spec), "name=x,rbd=rbd/nonesuch,ceph-conf=%s", conf);
	CHECK_EQ(hv_blk_options_parse(&o, spec, err, sizeof(err)), 0);
	CHECK_EQ(hv_blk_create(&o, &dev, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "nonesuch") != NULL);
	printf("# %s\n", err);
	snprintf(spec, sizeof(spec), "name=x,rbd=nopool/x,ceph-conf=%s", conf);
	CHECK_EQ(hv_blk_options_parse(&o, spec, err, sizeof(err)), 0);
	CHECK(hv_blk_create(&o, &dev, err, sizeof(err)) < 0);
	CHECK(strstr(err, "pool nopool") != NULL);
	printf("# %s\n", err);
}

int main(void)
{
	int r;

	hv_log_level = HV_LOG_ERR;
	if (!HVDPA_HAVE_RBD || system("command -v ceph-mon ceph-osd rbd >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP no librbd or no ceph-mon/ceph-osd/rbd "
		       "(tests/vm/host-deps.sh installs them)\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/hvdpa-ceph-%d", (int)getpid());
	snprintf(conf, sizeof(conf), "%s/ceph.conf", dir);
	/* A port of its own: another run may have a cluster up. */
	port = 20000 + getpid() % 20000;
	r = sh("CEPH_PORT=%d sh %s/tests/vm/ceph-up.sh %s >%s.log 2>&1", port, SRCDIR, dir, dir);
	if (r != 0 || sh("timeout 60 rbd -c %s create --size 16M rbd/t0", conf) != 0) {
		sh("sed 's/^/# /' %s.log", dir);
		printf("not ok 1 - the Ceph cluster came up\n");
		sh("sh %s/tests/vm/ceph-up.sh %s --stop; rm -rf %s %s.log", SRCDIR, dir, dir, dir);
		return 1;
	}
	sh("sed 's/^/# /' %s.log", dir);
	RUN(test_write_read_flush);
	RUN(test_discard_and_zeroes);
	RUN(test_snapshot_readonly);
	RUN(test_osd_stopped);
	RUN(test_resize_watched);
	RUN(test_no_image);
	sh("sh %s/tests/vm/ceph-up.sh %s --stop; rm -rf %s %s.log", SRCDIR, dir, dir, dir);
	return check_done();
}
