// SPDX-License-Identifier: MIT
/*
 * hvdpad's state directory is written by root, so it trusts nothing it did
 * not make: a planted symlink is never followed, a directory others can
 * write is refused, and a record whose layout fields are wrong is not used
 * to take a device over.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../vduse/vduse_int.h"
#include "check.h"

static char err[512];

static void make_dir(char *tmpl)
{
	CHECK(mkdtemp(tmpl) != NULL);
	CHECK_EQ(chmod(tmpl, 0755), 0);
}

static void rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

static void test_planted_symlink_not_followed(void)
{
	char dir[] = "/tmp/hvdpa-state-XXXXXX", target[] = "/tmp/hvdpa-precious-XXXXXX";
	char link[600], buf[64] = {0};
	struct hv_vduse_state *s = NULL;
	int fd;

	make_dir(dir);
	fd = mkstemp(target);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "precious\n", 9), 9);
	close(fd);
	snprintf(link, sizeof(link), "%s/d0.state", dir);
	CHECK_EQ(symlink(target, link), 0);

	err[0] = '\0';
	CHECK(hv_vduse_claim(dir, "d0", &s, err, sizeof(err)) < 0);
	printf("# %s\n", err);
	CHECK(strstr(err, "symlink") != NULL);
	if (s)
		hv_vduse_release(s);
	fd = open(target, O_RDONLY);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 9);
	CHECK(memcmp(buf, "precious\n", 9) == 0);
	close(fd);
	unlink(target);
	rm_dir(dir);
}

static void test_untrusted_dir_refused(void)
{
	char dir[] = "/tmp/hvdpa-state-XXXXXX";
	struct hv_vduse_state *s = NULL;

	make_dir(dir);
	CHECK_EQ(chmod(dir, 0777), 0);
	err[0] = '\0';
	CHECK(hv_vduse_claim(dir, "d1", &s, err, sizeof(err)) < 0);
	printf("# %s\n", err);
	CHECK(strstr(err, "writable by group or others") != NULL);
	if (s)
		hv_vduse_release(s);
	s = NULL;
	CHECK_EQ(chmod(dir, 0775), 0);
	CHECK(hv_vduse_claim(dir, "d1", &s, err, sizeof(err)) < 0);
	if (s)
		hv_vduse_release(s);
	s = NULL;
	if (geteuid() == 0) {
		CHECK_EQ(chmod(dir, 0755), 0);
		CHECK_EQ(chown(dir, 65534, 65534), 0);
		err[0] = '\0';
		CHECK(hv_vduse_claim(dir, "d1", &s, err, sizeof(err)) < 0);
		printf("# %s\n", err);
		CHECK(strstr(err, "owned by uid 65534") != NULL);
		if (s)
			hv_vduse_release(s);
		s = NULL;
		CHECK_EQ(chown(dir, 0, 0), 0);
	}
	/* Ours and 0755: fine. */
	CHECK_EQ(chmod(dir, 0755), 0);
	CHECK_EQ(hv_vduse_claim(dir, "d1", &s, err, sizeof(err)), 0);
	if (s)
		hv_vduse_release(s);
	rm_dir(dir);
}

/* struct state_hdr (vduse/state.c): queue_stride is at byte 40. */
#define STRIDE_OFF 40

static void test_corrupt_record_refused(void)
{
	char dir[] = "/tmp/hvdpa-state-XXXXXX", nodes[] = "/tmp/hvdpa-nodes-XXXXXX";
	char path[600];
	struct hv_device dev = {
		.device_id = 2,
		.features = 1ull << 32,
		.num_queues = 2,
		.queue_size = 16,
		.config_size = 8,
	};
	struct hv_vduse_state *s = NULL;
	uint64_t stride = (hv_inflight_bytes(16, false) + 63) & ~63ull, bad = 1ull << 40, v = 0;
	int fd;

	snprintf(dev.name, sizeof(dev.name), "d2");
	make_dir(dir);
	make_dir(nodes);
	vduse_node_dir = nodes;
	/* A device served and left, as a killed hvdpad leaves it. */
	CHECK_EQ(hv_vduse_claim(dir, "d2", &s, err, sizeof(err)), 0);
	if (!s)
		return;
	CHECK_EQ(hv_vduse_claim_check(s, &dev, err, sizeof(err)), 0);
	CHECK_EQ(vduse_state_map(s, &dev), 0);
	vduse_state_created(s);
	hv_vduse_release(s);
	s = NULL;
	snprintf(path, sizeof(path), "%s/d2", nodes);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);

	/* Intact: it is taken over. */
	CHECK_EQ(hv_vduse_claim(dir, "d2", &s, err, sizeof(err)), 0);
	CHECK_EQ(hv_vduse_claim_check(s, &dev, err, sizeof(err)), 1);
	hv_vduse_release(s);
	s = NULL;

	snprintf(path, sizeof(path), "%s/d2.state", dir);
	fd = open(path, O_RDWR);
	CHECK_EQ(pread(fd, &v, 8, STRIDE_OFF), 8);
	CHECK_EQ(v, stride); /* the layout this test assumes */
	CHECK_EQ(pwrite(fd, &bad, 8, STRIDE_OFF), 8);
	close(fd);
	err[0] = '\0';
	CHECK_EQ(hv_vduse_claim(dir, "d2", &s, err, sizeof(err)), 0);
	if (s) {
		CHECK(hv_vduse_claim_check(s, &dev, err, sizeof(err)) < 0);
		printf("# %s\n", err);
		CHECK(strstr(err, "queue_stride") != NULL);
		hv_vduse_release(s);
	}
	s = NULL;
	/* A file cut short is refused too. */
	fd = open(path, O_RDWR);
	CHECK_EQ(pwrite(fd, &stride, 8, STRIDE_OFF), 8);
	CHECK_EQ(ftruncate(fd, 512), 0);
	close(fd);
	err[0] = '\0';
	CHECK_EQ(hv_vduse_claim(dir, "d2", &s, err, sizeof(err)), 0);
	if (s) {
		CHECK(hv_vduse_claim_check(s, &dev, err, sizeof(err)) < 0);
		printf("# %s\n", err);
		hv_vduse_release(s);
	}
	vduse_node_dir = "/dev/vduse";
	rm_dir(dir);
	rm_dir(nodes);
}

int main(void)
{
	RUN(test_planted_symlink_not_followed);
	RUN(test_untrusted_dir_refused);
	RUN(test_corrupt_record_refused);
	return check_done();
}
