// SPDX-License-Identifier: MIT
/*
 * virtio-console, one port: queue 0 carries input to the driver, queue 1
 * its output. Input is read on queue 0's thread into a small staging buffer
 * and only while the driver has buffers for it: otherwise the fd is left
 * alone (the pty holds the bytes and its writer waits). Output is written
 * on queue 1's thread; what the other end does not take yet goes to a
 * bounded ring, and once that is full the driver's chains stay in its ring
 * until there is room.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "hvdpa/console.h"
#include "hvdpa/log.h"
#include "options.h"

#define IN_STAGE 4096u
#define TX_IOV	 64u

struct con_dev {
	struct hv_device dev;
	struct hv_console_options opt;
	int in_fd, out_fd, slave_fd;
	char where[300];

	/* socket: a relay between one client at a time and the pty's slave,
	 * so the device side is the pty's, and only the relay thread ever
	 * touches a client's fd. */
	int listen_fd, relay_stop;
	pthread_t relay;
	bool relay_running;
	bool own_path; /* opt.path is a socket or link we made: removed at the end */

	/* queue 0's thread */
	struct hv_queue *rxq;
	struct hv_defer rx_more; /* a pass stopped on its budget */
	bool in_watched;
	uint8_t in[IN_STAGE];
	size_t in_len, in_off;

	/* queue 1's thread */
	struct hv_queue *txq;
	struct hv_defer tx_more;
	bool out_watched;
	uint8_t *ring;
	size_t ring_head, ring_len; /* bytes waiting, from ring_head, wrapping */
	struct iovec tx_iov[TX_IOV];
	struct hv_ratelimit rl;
};

static struct con_dev *to_cd(struct hv_device *d)
{
	return (struct con_dev *)d;
}

static void on_in(void *opaque, uint32_t events);
static void on_out(void *opaque, uint32_t events);

static void watch_in(struct con_dev *cd, bool on)
{
	if (on == cd->in_watched || !cd->rxq)
		return;
	if (on)
		hv_loop_add(cd->rxq->loop, cd->in_fd, EPOLLIN, on_in, cd);
	else
		hv_loop_del(cd->rxq->loop, cd->in_fd);
	cd->in_watched = on;
}

static void rx_run(struct con_dev *cd)
{
	struct hv_queue *q = cd->rxq;

	hv_vq_begin_pass(&q->vq);
	for (;;) {
		struct iovec iov[8];
		struct hv_vq_elem e = {.iov = iov, .max_iov = 8};
		size_t n;
		int r;

		if (cd->in_off == cd->in_len) {
			ssize_t got = read(cd->in_fd, cd->in, sizeof(cd->in));

			if (got <= 0) {
				/* EOF or hangup (a pty whose last reader left):
				 * nothing to read until something changes; EAGAIN is
				 * the common case. */
				if (got == 0 || (errno != EAGAIN && errno != EINTR))
					watch_in(cd, false);
				break;
			}
			cd->in_len = (size_t)got;
			cd->in_off = 0;
		}
		r = hv_vq_pop(&q->vq, &e);
		if (r == 0 && hv_vq_enable_notify(&q->vq))
			continue;
		if (r == -EAGAIN) {
			/* A pass's worth: the rest on the loop's next round. */
			hv_defer_arm(&cd->rx_more);
			break;
		}
		if (r <= 0) {
			/* No buffers: stop reading until the driver posts some. */
			watch_in(cd, false);
			break;
		}
		if (e.out_num) {
			hv_vq_push(&q->vq, e.head, 0);
			continue;
		}
		n = cd->in_len - cd->in_off < e.in_len ? cd->in_len - cd->in_off : e.in_len;
		hv_iov_from_buf(e.iov, e.in_num, 0, cd->in + cd->in_off, n);
		cd->in_off += n;
		hv_vq_push(&q->vq, e.head, (uint32_t)n);
	}
	hv_queue_publish(q);
}

static void on_in(void *opaque, uint32_t events)
{
	(void)events;
	rx_run(opaque);
}

/* Writes what the ring holds; false if the other end cannot take it all. */
static bool ring_flush(struct con_dev *cd)
{
	while (cd->ring_len) {
		size_t first = cd->opt.buffer - cd->ring_head;
		size_t n = cd->ring_len < first ? cd->ring_len : first;
		ssize_t w = write(cd->out_fd, cd->ring + cd->ring_head, n);

		if (w <= 0)
			return false;
		cd->ring_head = (cd->ring_head + (size_t)w) % cd->opt.buffer;
		cd->ring_len -= (size_t)w;
	}
	return true;
}

static void ring_put(struct con_dev *cd, const struct iovec *iov, unsigned int n, size_t skip)
{
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		p += skip;
		len -= skip;
		skip = 0;
		while (len) {
			size_t tail = (cd->ring_head + cd->ring_len) % cd->opt.buffer;
			size_t room = cd->opt.buffer - tail;
			size_t c = len < room ? len : room;

			memcpy(cd->ring + tail, p, c);
			cd->ring_len += c;
			p += c;
			len -= c;
		}
	}
}

static void tx_run(struct con_dev *cd)
{
	struct hv_queue *q = cd->txq;
	bool open = ring_flush(cd);

	hv_vq_begin_pass(&q->vq);
	for (;;) {
		struct hv_vq_elem e = {.iov = cd->tx_iov, .max_iov = TX_IOV};
		ssize_t w = 0;
		int r;

		/* A chain is taken only when it fits whatever the other end
		 * leaves behind: past the bound, the driver waits instead. */
		if (cd->ring_len && cd->opt.buffer - cd->ring_len < 65536)
			break;
		r = hv_vq_pop(&q->vq, &e);
		if (r == 0 && hv_vq_enable_notify(&q->vq))
			continue;
		if (r == -EAGAIN)
			hv_defer_arm(&cd->tx_more);
		if (r <= 0)
			break;
		if (e.out_len > cd->opt.buffer - cd->ring_len) {
			hv_warn_ratelimited(&cd->rl,
					    "%s: output chain of %llu bytes dropped: larger "
					    "than the buffer",
					    cd->dev.name, (unsigned long long)e.out_len);
		} else {
			if (open && !cd->ring_len) {
				w = writev(cd->out_fd, e.iov, e.out_num);
				if (w < 0)
					w = 0;
				open = (uint64_t)w == e.out_len;
			}
			if ((uint64_t)w < e.out_len)
				ring_put(cd, e.iov, e.out_num, (size_t)w);
		}
		hv_vq_push(&q->vq, e.head, 0);
	}
	hv_queue_publish(q);
	if (cd->ring_len != 0 && !cd->out_watched) {
		hv_loop_add(q->loop, cd->out_fd, EPOLLOUT, on_out, cd);
		cd->out_watched = true;
	} else if (cd->ring_len == 0 && cd->out_watched) {
		hv_loop_del(q->loop, cd->out_fd);
		cd->out_watched = false;
	}
}

static void on_out(void *opaque, uint32_t events)
{
	(void)events;
	tx_run(opaque);
}

static void con_queue_kick(struct hv_queue *q)
{
	struct con_dev *cd = q->backend;

	if (q->index == 0) {
		watch_in(cd, true);
		rx_run(cd);
	} else {
		tx_run(cd);
	}
}

static void rx_more(void *opaque)
{
	struct con_dev *cd = opaque;

	if (cd->rxq)
		con_queue_kick(cd->rxq);
}

static void tx_more(void *opaque)
{
	struct con_dev *cd = opaque;

	if (cd->txq)
		tx_run(cd);
}

static int con_queue_start(struct hv_device *d, struct hv_queue *q)
{
	struct con_dev *cd = to_cd(d);

	q->backend = cd;
	if (q->index == 0) {
		cd->rxq = q;
		cd->in_watched = false;
		watch_in(cd, true);
		return hv_defer_init(&cd->rx_more, q->loop, rx_more, cd);
	}
	cd->txq = q;
	cd->out_watched = false;
	return hv_defer_init(&cd->tx_more, q->loop, tx_more, cd);
}

static void con_queue_stop(struct hv_queue *q)
{
	struct con_dev *cd = q->backend;

	if (q->index == 0) {
		watch_in(cd, false);
		hv_defer_fini(&cd->rx_more);
		cd->rxq = NULL;
	} else {
		hv_defer_fini(&cd->tx_more);
		if (cd->out_watched)
			hv_loop_del(q->loop, cd->out_fd);
		cd->out_watched = false;
		cd->txq = NULL;
	}
}

static void con_destroy(struct hv_device *d)
{
	struct con_dev *cd = to_cd(d);
	uint64_t one = 1;

	if (cd->relay_running) {
		if (write(cd->relay_stop, &one, sizeof(one)) < 0)
			hv_err("%s: cannot stop the socket relay", d->name);
		pthread_join(cd->relay, NULL);
	}
	if (cd->listen_fd >= 0)
		close(cd->listen_fd);
	if (cd->own_path)
		unlink(cd->opt.path);
	if (cd->relay_stop >= 0)
		close(cd->relay_stop);
	if (cd->opt.backend != HV_CONSOLE_STDIO && cd->in_fd >= 0) {
		close(cd->in_fd);
		if (cd->slave_fd >= 0)
			close(cd->slave_fd);
	}
	free(cd->ring);
	free(cd);
}

static const struct hv_device_ops console_ops = {
	.queue_start = con_queue_start,
	.queue_kick = con_queue_kick,
	.queue_stop = con_queue_stop,
	.destroy = con_destroy,
};

const char *hv_console_where(const struct hv_device *dev)
{
	return ((const struct con_dev *)dev)->where;
}

/* path= and link= come from whoever configures the device (hvbridge's
 * control socket too): what is there already is replaced only if it is
 * what we would make ourselves (a stale socket, a link), never a file. */
static int make_room(const char *path, mode_t type, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : hv_opt_fail(err, errlen, "%s: %s", path, strerror(errno));
	if ((st.st_mode & S_IFMT) != type) {
		snprintf(err, errlen, "%s exists and is not a %s: not replacing it", path,
			 type == S_IFSOCK ? "socket" : "symlink");
		return -EEXIST;
	}
	unlink(path);
	return 0;
}

/* A pty in raw mode: without it the line discipline would echo the
 * guest's own output back to us as input. We keep the slave open so that
 * the master never sees a hangup while no one else has it open. */
static int open_pty(struct con_dev *cd, char *err, size_t errlen)
{
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	const char *pts;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(pts = ptsname(m))) {
		snprintf(err, errlen, "pty: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return -errno;
	}
	snprintf(cd->where, sizeof(cd->where), "%s", pts);
	/* Non-blocking: the socket relay writes to it, and a zone that reads
	 * nothing must not hold that thread. */
	cd->slave_fd = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (cd->slave_fd < 0 || tcgetattr(cd->slave_fd, &t) < 0) {
		snprintf(err, errlen, "%s: %s", pts, strerror(errno));
		if (cd->slave_fd >= 0)
			close(cd->slave_fd);
		cd->slave_fd = -1;
		close(m);
		return -EIO;
	}
	cfmakeraw(&t);
	tcsetattr(cd->slave_fd, TCSANOW, &t);
	if (cd->opt.path[0]) {
		int r = make_room(cd->opt.path, S_IFLNK, err, errlen);

		if (r == 0 && symlink(pts, cd->opt.path) < 0)
			r = hv_opt_fail(err, errlen, "link %s -> %s: %s", cd->opt.path, pts,
					strerror(errno));
		if (r < 0) {
			close(cd->slave_fd);
			cd->slave_fd = -1;
			close(m);
			return r;
		}
		cd->own_path = true;
	}
	cd->in_fd = cd->out_fd = m;
	return 0;
}

/* Bytes on their way from one fd to another: bounded, so the relay only
 * reads from one side while the other has taken what came before. */
#define RELAY_BUF 16384u

struct relay_buf {
	uint8_t data[RELAY_BUF];
	size_t off, len;
};

/* Reads what fits; false when the fd is done (EOF or an error). */
static bool relay_fill(struct relay_buf *b, int fd)
{
	ssize_t n;

	if (b->len == RELAY_BUF)
		return true;

	if (b->off && b->len == 0)
		b->off = 0;
	if (b->off + b->len == RELAY_BUF) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	n = read(fd, b->data + b->off + b->len, RELAY_BUF - b->off - b->len);
	if (n > 0)
		b->len += (size_t)n;
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

/* Writes what the other side takes now; false when it is gone. */
static bool relay_drain(struct relay_buf *b, int fd)
{
	while (b->len) {
		ssize_t w = write(fd, b->data + b->off, b->len);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		b->off += (size_t)w;
		b->len -= (size_t)w;
	}
	b->off = 0;
	return true;
}

/*
 * Every fd here is non-blocking and the only wait is poll() on them and
 * the stop eventfd, so destroy never waits for a client or for a zone that
 * reads nothing. A side that cannot take more is not read from (the other
 * one waits in its own socket or pty), so memory stays bounded.
 */
static void *relay_thread(void *opaque)
{
	struct con_dev *cd = opaque;
	struct relay_buf *in = calloc(1, sizeof(*in)), *out = calloc(1, sizeof(*out));
	int client = -1;
	bool hup = false; /* the client hung up: read what it left, send nothing */

	while (in && out) {
		short cev = 0, sev = 0;

		if (client >= 0) {
			cev = (short)((in->len < RELAY_BUF ? POLLIN : 0) |
				      (out->len && !hup ? POLLOUT : 0));
			sev = (short)(out->len < RELAY_BUF && !hup ? POLLIN : 0);
		}
		if (in->len)
			sev |= POLLOUT; /* typed before the client left: still goes */
		struct pollfd p[3] = {
			{.fd = cd->relay_stop, .events = POLLIN},
			{.fd = client < 0 ? cd->listen_fd
			       : cev	  ? client
					  : -1,
			 .events = client < 0 ? POLLIN : cev},
			{.fd = sev ? cd->slave_fd : -1, .events = sev},
		};

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (client < 0) {
			if (p[1].revents) {
				client = accept4(cd->listen_fd, NULL, NULL,
						 SOCK_CLOEXEC | SOCK_NONBLOCK);
				hup = false;
			}
		} else if (p[1].revents) {
			bool alive = !(p[1].revents & POLLNVAL);

			if (p[1].revents & (POLLHUP | POLLERR)) {
				hup = true;
				out->len = out->off = 0;
			}
			if (alive && in->len < RELAY_BUF)
				alive = relay_fill(in, client);
			if (alive && out->len)
				alive = relay_drain(out, client);
			if (!alive) {
				close(client); /* gone: the next one may come */
				client = -1;
				out->len = out->off = 0;
			}
		}
		if (client >= 0 && (p[2].revents & POLLIN)) {
			relay_fill(out, cd->slave_fd);
			if (!relay_drain(out, client)) {
				close(client);
				client = -1;
				out->len = out->off = 0;
			}
		}
		/* What came from the client goes on as far as the pty takes it. */
		if (in->len)
			relay_drain(in, cd->slave_fd);
	}
	if (client >= 0)
		close(client);
	free(in);
	free(out);
	return NULL;
}

static int open_socket(struct con_dev *cd, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int r;

	if (strlen(cd->opt.path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", cd->opt.path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, cd->opt.path);
	cd->opt.path[0] = '\0'; /* no pty link */
	r = open_pty(cd, err, errlen);
	strcpy(cd->opt.path, sa.sun_path);
	if (r < 0)
		return r;
	r = make_room(cd->opt.path, S_IFSOCK, err, errlen);
	if (r < 0)
		return r;
	cd->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cd->relay_stop = eventfd(0, EFD_CLOEXEC);
	if (cd->listen_fd < 0 || cd->relay_stop < 0 ||
	    bind(cd->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "%s: %s", cd->opt.path, strerror(errno));
		return -EIO;
	}
	cd->own_path = true;
	if (listen(cd->listen_fd, 1) < 0 || pthread_create(&cd->relay, NULL, relay_thread, cd)) {
		snprintf(err, errlen, "%s: %s", cd->opt.path, strerror(errno));
		return -EIO;
	}
	cd->relay_running = true;
	snprintf(cd->where, sizeof(cd->where), "%s", cd->opt.path);
	return 0;
}

int hv_console_create(const struct hv_console_options *o, struct hv_device **out, char *err,
		      size_t errlen)
{
	struct con_dev *cd = calloc(1, sizeof(*cd));
	struct virtio_console_config c = {0};
	int r = 0;

	if (!cd || !(cd->ring = malloc(o->buffer))) {
		free(cd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cd->opt = *o;
	cd->in_fd = cd->out_fd = cd->slave_fd = cd->listen_fd = cd->relay_stop = -1;
	if (o->backend == HV_CONSOLE_PTY) {
		r = open_pty(cd, err, errlen);
	} else if (o->backend == HV_CONSOLE_SOCKET) {
		r = open_socket(cd, err, errlen);
	} else if (o->backend == HV_CONSOLE_STDIO) {
		cd->in_fd = 0;
		cd->out_fd = 1;
		fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
		snprintf(cd->where, sizeof(cd->where), "stdio");
	}
	if (r < 0) {
		con_destroy(&cd->dev);
		return r;
	}
	cd->dev.ops = &console_ops;
	snprintf(cd->dev.name, sizeof(cd->dev.name), "%s", o->name);
	cd->dev.device_id = VIRTIO_ID_CONSOLE;
	cd->dev.features = hv_device_common_features() | (1ull << VIRTIO_CONSOLE_F_SIZE);
	cd->dev.num_queues = 2;
	cd->dev.queue_size = o->queue_size;
	c.cols = htole16(o->cols);
	c.rows = htole16(o->rows);
	cd->dev.config_size = offsetof(struct virtio_console_config, max_nr_ports);
	memcpy(cd->dev.config, &c, cd->dev.config_size);
	*out = &cd->dev;
	return 0;
}

static int console_key(void *ctx, const char *key, const char *v, char *err, size_t errlen)
{
	struct hv_console_options *o = ctx;
	unsigned long x = 0;
	int r = 0;

	if (!strcmp(key, "name")) {
		r = hv_opt_name(v, o->name, sizeof(o->name), err, errlen);
	} else if (!strcmp(key, "backend")) {
		if (!strcmp(v, "pty"))
			o->backend = HV_CONSOLE_PTY;
		else if (!strcmp(v, "socket"))
			o->backend = HV_CONSOLE_SOCKET;
		else if (!strcmp(v, "stdio"))
			o->backend = HV_CONSOLE_STDIO;
		else
			r = hv_opt_fail(err, errlen,
					"console backend must be pty, socket or "
					"stdio, not '%s'",
					v);
	} else if (!strcmp(key, "link") || !strcmp(key, "path")) {
		if (!*v || strlen(v) >= sizeof(o->path))
			r = hv_opt_fail(err, errlen, "%s must be a path", key);
		else
			snprintf(o->path, sizeof(o->path), "%s", v);
	} else if (!strcmp(key, "cols") || !strcmp(key, "rows")) {
		r = hv_opt_ranged(key, v, 1, 65535, &x, err, errlen);
		if (!r && key[0] == 'c')
			o->cols = (uint16_t)x;
		else if (!r)
			o->rows = (uint16_t)x;
	} else if (!strcmp(key, "buffer")) {
		r = hv_opt_ranged(key, v, 65536, 64u << 20, &x, err, errlen);
		o->buffer = r ? o->buffer : (uint32_t)x;
	} else if (!strcmp(key, "queue-size")) {
		r = hv_opt_queue_size(v, &o->queue_size, err, errlen);
	} else {
		r = hv_opt_fail(err, errlen,
				"unknown key '%s' (pty|socket|stdio, link, path, cols, rows, "
				"buffer, queue-size)",
				key);
	}
	return r;
}

int hv_console_options_parse(struct hv_console_options *o, const char *spec, char *err,
			     size_t errlen)
{
	char buf[512];
	const char *s = spec;
	int r;

	memset(o, 0, sizeof(*o));
	o->backend = HV_CONSOLE_PTY;
	o->cols = 80;
	o->rows = 25;
	o->buffer = 1u << 20;
	o->queue_size = 64;
	/* "pty", "socket" or "stdio" may lead, bare: "console:pty". */
	for (const char *w = spec; w && *w; w = strchr(w, ',') ? strchr(w, ',') + 1 : NULL) {
		size_t n = strcspn(w, ",");

		if (!memchr(w, '=', n) && n < 16) {
			snprintf(buf, sizeof(buf), "%.*sbackend=%.*s%s", (int)(w - spec), spec,
				 (int)n, w, w + n);
			s = buf;
			break;
		}
	}
	r = hv_opt_each(s, console_key, o, err, errlen);
	if (!r && !o->name[0])
		r = hv_opt_fail(err, errlen, "name= is required");
	else if (!r && o->backend == HV_CONSOLE_SOCKET && !o->path[0])
		r = hv_opt_fail(err, errlen, "socket needs path=");
	return r;
}
