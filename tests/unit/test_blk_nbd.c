// SPDX-License-Identifier: MIT
/*
 * virtio-blk on the NBD engine, through the fake ring, against nbdkit on a
 * UNIX socket: requests land on the server (read back through a libnbd
 * handle of the test's own), big ones are split at the server's maximum
 * block, a server that stops answering or dies fails requests within the
 * timeout and serves again once back, and nothing is left unanswered when
 * the queue stops.
 */
#include <endian.h>
#include <errno.h>
#include <libnbd.h>
#include <linux/virtio_blk.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blk_fixture.h"
#include "capture.h"
#include "check.h"
#include "hvdpa/clock.h"

#define MiB (1ull << 20)

static struct blk_fixture f;
static char sock[128], uri[256];
static pid_t server = -1;

static double now_s(void)
{
	return (double)hv_now_ns() / 1e9;
}

/* nbdkit ARGS... serving on sock, in the foreground, until stop_server();
 * waits up to 10 s for its socket. */
static int start_server(const char *const *args)
{
	const char *argv[16] = {"nbdkit", "-f", "--exit-with-parent", "-U", sock};
	unsigned int n = 5;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	unlink(sock);
	server = fork();
	if (server == 0) {
		execvp("nbdkit", (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		struct stat st;
		int status;

		if (stat(sock, &st) == 0)
			return 0;
		if (waitpid(server, &status, WNOHANG) == server) {
			server = -1;
			return -1;
		}
		usleep(10000);
	}
	return -1;
}

static void stop_server(int sig)
{
	if (server > 0) {
		kill(server, sig);
		waitpid(server, NULL, 0);
	}
	server = -1;
}

static int setup(const char *const *server_args, const char *opts, uint64_t qsize)
{
	char spec[512];

	if (start_server(server_args) < 0) {
		printf("# nbdkit did not start\n");
		return -1;
	}
	snprintf(spec, sizeof(spec), "nbd=%s%s%s", uri, opts ? "," : "", opts ? opts : "");
	return bf_setup(&f, 0, (uint16_t)qsize, spec);
}

static void teardown(void)
{
	bf_teardown(&f);
	stop_server(SIGTERM);
}

/* What the server holds, through a connection of the test's own. */
static int server_pread(void *buf, size_t len, uint64_t off)
{
	struct nbd_handle *h = nbd_create();
	int r = -1;

	if (h && nbd_connect_uri(h, uri) == 0)
		r = nbd_pread(h, buf, len, off, 0);
	if (h)
		nbd_close(h);
	return r;
}

static const char *const memory16[] = {"memory", "16M", NULL};

static void test_features_and_config(void)
{
	struct virtio_blk_config c;

	if (setup(memory16, NULL, 64) != 0) {
		CHECK(0);
		return;
	}
	memcpy(&c, f.dev->config, sizeof(c));
	CHECK_EQ(le64toh(c.capacity), 16 * MiB / 512);
	CHECK_EQ(hv_blk_size(f.dev), 16 * MiB);
	/* nbdkit's memory plugin trims and zeroes, and writes. */
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD));
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_RO)));
	teardown();
}

static void test_write_read_flush(void)
{
	uint64_t w, r;
	uint8_t *srv = malloc(64 * 1024);
	struct blk_result res;

	if (setup(memory16, NULL, 64) != 0) {
		CHECK(0);
		free(srv);
		return;
	}
	w = fd_alloc(&f.d, 64 * 1024);
	r = fd_alloc(&f.d, 64 * 1024);
	bf_pattern(fd_ptr(&f.d, w), 64 * 1024, 3);
	res = bf_do(&f, VIRTIO_BLK_T_OUT, 1000, w, 64 * 1024, false);
	CHECK_EQ(res.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(res.used_len, 1);
	res = bf_do(&f, VIRTIO_BLK_T_IN, 1000, r, 64 * 1024, true);
	CHECK_EQ(res.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(res.used_len, 64 * 1024 + 1);
	CHECK(memcmp(fd_ptr(&f.d, w), fd_ptr(&f.d, r), 64 * 1024) == 0);
	/* On the server, where sector 1000 is. */
	CHECK_EQ(server_pread(srv, 64 * 1024, 1000 * 512), 0);
	CHECK(memcmp(srv, fd_ptr(&f.d, w), 64 * 1024) == 0);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false).status, VIRTIO_BLK_S_OK);
	/* Past the end: refused before the server sees it. */
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 16 * MiB / 512 - 1, r, 4096, true).status,
		 VIRTIO_BLK_S_IOERR);
	free(srv);
	teardown();
}

static uint16_t seg_request(uint32_t type, uint64_t sector, uint32_t nsec, uint32_t flags,
			    uint64_t *status)
{
	uint64_t h = fd_alloc(&f.d, sizeof(struct virtio_blk_outhdr));
	uint64_t sg = fd_alloc(&f.d, sizeof(struct virtio_blk_discard_write_zeroes));
	uint64_t s = fd_alloc(&f.d, 1);
	struct virtio_blk_outhdr *hdr = fd_ptr(&f.d, h);
	struct virtio_blk_discard_write_zeroes *seg = fd_ptr(&f.d, sg);
	struct fd_buf b[3] = {{h, sizeof(*hdr), false}, {sg, sizeof(*seg), false}, {s, 1, true}};
	uint16_t head;

	hdr->type = htole32(type);
	hdr->ioprio = 0;
	hdr->sector = 0;
	seg->sector = htole64(sector);
	seg->num_sectors = htole32(nsec);
	seg->flags = htole32(flags);
	head = fd_chain(&f.d, b, 3);
	fd_publish(&f.d, head);
	*status = s;
	return head;
}

static void test_discard_and_write_zeroes(void)
{
	uint64_t w, st;
	uint8_t *srv = malloc(MiB), *zero = calloc(1, MiB);

	if (setup(memory16, NULL, 64) != 0) {
		CHECK(0);
		goto out;
	}
	w = fd_alloc(&f.d, MiB);
	for (int kind = 0; kind < 2; kind++) {
		bf_pattern(fd_ptr(&f.d, w), MiB, 9);
		CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 2048, w, MiB, false).status, VIRTIO_BLK_S_OK);
		seg_request(kind ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD, 2048,
			    MiB / 512, 0, &st);
		CHECK_EQ(bf_run(&f, 1, NULL, NULL), 1);
		CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, st), VIRTIO_BLK_S_OK);
		CHECK_EQ(server_pread(srv, MiB, 2048 * 512), 0);
		/* The memory plugin's trim drops the data: it reads back as
		 * zeroes either way. */
		CHECK(memcmp(srv, zero, MiB) == 0);
	}
	teardown();
out:
	free(srv);
	free(zero);
}

/* A server whose maximum block is 4 KiB and that refuses anything
 * bigger: a 1 MiB write reaches it as 256 commands, and lands whole. */
static void test_split_at_max_block(void)
{
	static const char *const args[] = {"--filter=blocksize-policy",
					   "memory",
					   "16M",
					   "blocksize-maximum=4096",
					   "blocksize-preferred=4096",
					   "blocksize-error-policy=error",
					   NULL};
	uint64_t w, r;
	uint8_t *srv = malloc(MiB);

	if (setup(args, NULL, 64) != 0) {
		CHECK(0);
		free(srv);
		return;
	}
	w = fd_alloc(&f.d, MiB);
	r = fd_alloc(&f.d, MiB);
	bf_pattern(fd_ptr(&f.d, w), MiB, 5);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 8, w, MiB, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 8, r, MiB, true).status, VIRTIO_BLK_S_OK);
	CHECK(memcmp(fd_ptr(&f.d, w), fd_ptr(&f.d, r), MiB) == 0);
	CHECK_EQ(server_pread(srv, 4096, 8 * 512 + MiB - 4096), 0);
	CHECK(memcmp(srv, (uint8_t *)fd_ptr(&f.d, w) + MiB - 4096, 4096) == 0);
	free(srv);
	teardown();
}

static void test_readonly(void)
{
	static const char *const ro[] = {"-r", "memory", "16M", NULL};
	uint64_t w;

	/* The server's word. */
	if (setup(ro, NULL, 64) != 0) {
		CHECK(0);
		return;
	}
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_RO));
	CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD)));
	w = fd_alloc(&f.d, 4096);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, w, 4096, false).status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 0, w, 4096, true).status, VIRTIO_BLK_S_OK);
	teardown();
	/* Or ours, on a server that would write. */
	if (setup(memory16, "readonly=on", 64) != 0) {
		CHECK(0);
		return;
	}
	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_RO));
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, w, 4096, false).status, VIRTIO_BLK_S_IOERR);
	teardown();
}

/* Reads that the server holds for 10 s: with timeout=1 they fail in
 * about a second, the connection is made again, and writes (not held)
 * work on the new one. */
static void test_timeout(void)
{
	static const char *const args[] = {"--filter=delay", "memory", "16M", "rdelay=10", NULL};
	struct capture cap;
	uint64_t b;
	double t0, t;
	char *log;

	if (setup(args, "timeout=1", 64) != 0) {
		CHECK(0);
		return;
	}
	b = fd_alloc(&f.d, 4096);
	capture_begin(&cap);
	hv_log_level = HV_LOG_INFO;
	t0 = now_s();
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 4096, true).status, VIRTIO_BLK_S_IOERR);
	t = now_s() - t0;
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, b, 4096, false).status, VIRTIO_BLK_S_OK);
	hv_log_level = HV_LOG_ERR;
	log = capture_end(&cap);
	printf("# read failed after %.2f s\n", t);
	CHECK(t >= 0.9 && t < 3);
	CHECK_EQ(count_substr(log, "no answer in 1 s"), 1);
	CHECK_EQ(count_substr(log, "is back"), 1);
	if (count_substr(log, "is back") != 1)
		printf("# log: %s\n", log);
	free(log);
	teardown();
}

/* The server killed: requests fail within the timeout, and the log says
 * so once; a server back on the same socket serves the next request. */
static void test_server_lost_and_back(void)
{
	struct capture cap;
	uint64_t b;
	int ok = 0, failed = 0;
	double t0, worst = 0;
	char *log;

	if (setup(memory16, "timeout=1", 64) != 0) {
		CHECK(0);
		return;
	}
	b = fd_alloc(&f.d, 4096);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, b, 4096, false).status, VIRTIO_BLK_S_OK);
	stop_server(SIGKILL);
	unlink(sock);
	capture_begin(&cap);
	hv_log_level = HV_LOG_INFO;
	for (int i = 0; i < 4; i++) {
		double t;

		t0 = now_s();
		failed += bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 4096, true).status == VIRTIO_BLK_S_IOERR;
		t = now_s() - t0;
		worst = t > worst ? t : worst;
	}
	CHECK_EQ(failed, 4);
	printf("# without a server: slowest failure %.2f s\n", worst);
	CHECK(worst < 2);
	if (start_server(memory16) != 0)
		CHECK(0);
	/* Back within a few attempts: the requests themselves ask for a
	 * connection, so no back-off outlasts them. */
	for (int i = 0; i < 10 && !ok; i++)
		ok = bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 4096, true).status == VIRTIO_BLK_S_OK;
	hv_log_level = HV_LOG_ERR;
	log = capture_end(&cap);
	CHECK(ok);
	CHECK_EQ(count_substr(log, " lost: "), 1);
	CHECK_EQ(count_substr(log, "is back"), 1);
	if (count_substr(log, " lost: ") != 1)
		printf("# log: %s\n", log);
	free(log);
	teardown();
}

/* Stopping the queue with requests waiting for a server that is gone:
 * each is answered (IOERR), none left behind. */
static void test_stop_answers_everything(void)
{
	uint64_t b, st[4];
	uint32_t id, len;
	int answered = 0;

	if (setup(memory16, "timeout=30", 64) != 0) {
		CHECK(0);
		return;
	}
	b = fd_alloc(&f.d, 4096);
	stop_server(SIGKILL);
	unlink(sock);
	for (int i = 0; i < 4; i++)
		bf_request(&f, VIRTIO_BLK_T_IN, (uint64_t)i * 8, b, 4096, true, &st[i]);
	f.dev->ops->queue_kick(&f.q);
	for (int i = 0; i < 5; i++)
		hv_loop_run_once(&f.loop, 20);
	f.dev->ops->queue_stop(&f.q);
	while (fd_used(&f.d, &id, &len))
		answered++;
	CHECK_EQ(answered, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, st[i]), VIRTIO_BLK_S_IOERR);
	bf_teardown(&f);
}

static void test_no_server_at_create(void)
{
	struct hv_blk_options o;
	struct hv_device *dev = NULL;
	char spec[512], err[256] = "";

	unlink(sock);
	snprintf(spec, sizeof(spec), "name=x,nbd=%s", uri);
	CHECK_EQ(hv_blk_options_parse(&o, spec, err, sizeof(err)), 0);
	CHECK(hv_blk_create(&o, &dev, err, sizeof(err)) < 0);
	CHECK(strstr(err, sock) != NULL);
	printf("# %s\n", err);
}

int main(void)
{
	hv_log_level = HV_LOG_ERR;
	if (system("nbdkit --version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP nbdkit not installed (tests/vm/host-deps.sh installs it)\n");
		return 0;
	}
	snprintf(sock, sizeof(sock), "/tmp/hvdpa-nbd-%d.sock", (int)getpid());
	snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s", sock);
	signal(SIGPIPE, SIG_IGN);
	RUN(test_features_and_config);
	RUN(test_write_read_flush);
	RUN(test_discard_and_write_zeroes);
	RUN(test_split_at_max_block);
	RUN(test_readonly);
	RUN(test_timeout);
	RUN(test_server_lost_and_back);
	RUN(test_stop_answers_everything);
	RUN(test_no_server_at_create);
	stop_server(SIGTERM);
	unlink(sock);
	return check_done();
}
