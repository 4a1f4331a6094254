// SPDX-License-Identifier: MIT
/*
 * The console's socket backend against a client that types while the zone
 * posts no RX buffers (issue 12 #9): nothing may make destroy wait on the
 * relay thread, and what the client typed still reaches a zone that reads.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fake_driver.h"
#include "hvdpa/console.h"

static char dir[] = "/tmp/hvdpa-con-XXXXXX";
static char path[96];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct hv_device *make_console(void)
{
	struct hv_console_options o;
	struct hv_device *dev = NULL;
	char spec[256], err[256];

	snprintf(spec, sizeof(spec), "socket,name=tcon,path=%s", path);
	CHECK_EQ(hv_console_options_parse(&o, spec, err, sizeof(err)), 0);
	CHECK_EQ(hv_console_create(&o, &dev, err, sizeof(err)), 0);
	return dev;
}

static int connect_client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK_EQ(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return c;
}

/* Writes up to max bytes, giving the relay time to take them; returns
 * how many the socket took before it stayed full for 300 ms. */
static size_t type_into(int c, size_t max)
{
	static char buf[4096];
	size_t sent = 0;
	double idle_since = now_s();

	memset(buf, 'x', sizeof(buf));
	while (sent < max && now_s() - idle_since < 0.3) {
		ssize_t w = write(c, buf, sizeof(buf) < max - sent ? sizeof(buf) : max - sent);

		if (w > 0) {
			sent += (size_t)w;
			idle_since = now_s();
		} else {
			struct pollfd p = {.fd = c, .events = POLLOUT};

			poll(&p, 1, 20);
		}
	}
	return sent;
}

struct destroyer {
	struct hv_device *dev;
	volatile bool done;
};

static void *destroy_thread(void *opaque)
{
	struct destroyer *d = opaque;

	d->dev->ops->destroy(d->dev);
	d->done = true;
	return NULL;
}

/* Destroys dev on another thread; true if that returned within limit s. */
static bool destroy_within(struct hv_device *dev, double limit)
{
	static struct destroyer d; /* a hung thread may still use it */
	pthread_t t;
	double start = now_s();

	d = (struct destroyer){.dev = dev};
	CHECK_EQ(pthread_create(&t, NULL, destroy_thread, &d), 0);
	while (!d.done && now_s() - start < limit)
		usleep(10000);
	if (!d.done)
		return false; /* left hanging: the process exits with the result */
	pthread_join(t, NULL);
	return true;
}

static void test_destroy_while_client_types_into_a_deaf_zone(void)
{
	struct hv_device *dev = make_console();
	int c = connect_client();
	size_t sent;

	/* No queue started: the zone posted no RX buffer, ever. */
	sent = type_into(c, 256 << 10);
	CHECK(sent >= 64 << 10);
	CHECK(destroy_within(dev, 2.0));
	close(c);
}

static void test_destroy_with_client_not_reading(void)
{
	struct hv_device *dev = make_console();
	int c = connect_client();

	/* A client that connected and went quiet, and one that half-closed. */
	usleep(50000);
	shutdown(c, SHUT_WR);
	usleep(50000);
	CHECK(destroy_within(dev, 2.0));
	close(c);
}

static void no_notify(struct hv_queue *q)
{
	(void)q;
}

/* What a client types and then hangs up on reaches a zone that reads
 * slowly (four 256-byte buffers at a time), byte for byte. */
static void test_client_bytes_reach_a_slow_zone(void)
{
	enum { TOTAL = 64 << 10, BUFS = 4, BUFLEN = 256 };
	struct hv_device *dev = make_console();
	static uint8_t want[TOTAL], got[TOTAL];
	struct fake_driver d;
	struct hv_vq_layout l;
	struct hv_queue q = {0};
	struct hv_loop loop;
	uint64_t bufs[BUFS];
	size_t sent = 0, have = 0;
	double start = now_s();
	int c = connect_client();
	uint32_t id, len;

	for (size_t i = 0; i < TOTAL; i++)
		want[i] = (uint8_t)(i * 7 + (i >> 9));
	fd_init(&d, 1 << 20, 16);
	fd_layout(&d, &l, dev->features & ~(1ull << VIRTIO_RING_F_EVENT_IDX));
	CHECK_EQ(hv_vq_init(&q.vq, &d.fm.mem, &l, "rx"), 0);
	CHECK_EQ(hv_loop_init(&loop), 0);
	q = (struct hv_queue){
		.dev = dev, .index = 0, .vq = q.vq, .loop = &loop, .notify = no_notify};
	CHECK_EQ(dev->ops->queue_start(dev, &q), 0);
	for (int i = 0; i < BUFS; i++)
		bufs[i] = fd_alloc(&d, BUFLEN);
	for (int i = 0; i < BUFS; i++)
		fd_publish(&d, fd_chain(&d, (struct fd_buf[]){{bufs[i], BUFLEN, true}}, 1));
	dev->ops->queue_kick(&q);
	while (have < TOTAL && now_s() - start < 10) {
		if (sent < TOTAL) {
			ssize_t w = write(c, want + sent, TOTAL - sent);

			if (w > 0)
				sent += (size_t)w;
			if (sent == TOTAL)
				close(c); /* and gone, with bytes still on their way */
		}
		hv_loop_run_once(&loop, 5);
		while (fd_used(&d, &id, &len)) {
			uint64_t b = le64toh(fd_desc(&d, (uint16_t)id)->addr);

			if (len > TOTAL - have)
				len = (uint32_t)(TOTAL - have);
			memcpy(got + have, fd_ptr(&d, b), len);
			have += len;
			fd_publish(&d, fd_chain(&d, (struct fd_buf[]){{b, BUFLEN, true}}, 1));
			dev->ops->queue_kick(&q);
		}
	}
	CHECK_EQ(sent, TOTAL);
	CHECK_EQ(have, TOTAL);
	CHECK(memcmp(want, got, TOTAL) == 0);
	dev->ops->queue_stop(&q);
	CHECK(destroy_within(dev, 2.0));
	hv_loop_fini(&loop);
	fd_free(&d);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/con.sock", dir);
	RUN(test_destroy_while_client_types_into_a_deaf_zone);
	RUN(test_destroy_with_client_not_reading);
	RUN(test_client_bytes_reach_a_slow_zone);
	unlink(path);
	rmdir(dir);
	return check_done();
}
