// SPDX-License-Identifier: MIT
/*
 * The NBD engine: each queue has its own libnbd handle, driven from the
 * queue thread's loop through libnbd's asynchronous API (the handle's
 * socket in the loop for the direction libnbd wants, a timerfd for
 * deadlines and reconnects); no thread per request, no handle shared
 * between threads.
 *
 * A request is one NBD command per contiguous buffer (libnbd has no
 * vectored read or write), split further at the server's maximum block
 * size. It has a deadline, timeout= seconds after it came: until then a
 * connection that dies only delays it (it is sent again on the next one:
 * reads, writes, flushes, trims and zeroes may all be repeated), after it
 * the request fails with EIO. A server that leaves a request unanswered
 * past its deadline is taken for lost: its connection is closed (libnbd
 * cannot cancel one command) and made again.
 */
#include <errno.h>
#include <libnbd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "blk_engine.h"
#include "hvdpa/list.h"
#include "hvdpa/clock.h"
#include "hvdpa/log.h"

/* What the NBD protocol lets a client send when the server names no
 * maximum; libnbd refuses payloads over 64 MiB in any case. */
#define NBD_DEFAULT_MAX_BLOCK (32u << 20)
/* Commands one request may become: beyond, the server's maximum block is
 * so small that the request is refused rather than sent as a flood. */
#define NBD_MAX_PARTS	 4096
#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 5000
#define NS_PER_MS	 1000000ull
#define NS_PER_S	 1000000000ull

struct blk_nbd {
	char name[64];
	char uri[4096];
	uint64_t size;
	uint64_t timeout_ns;
	uint32_t min_block, max_block;
	bool can_flush;
	/* Queues without a connection that said so: the first to lose it
	 * tells the log, the last to have it back says so; not every queue,
	 * and not every request. Any queue thread. */
	unsigned int queues_lost;
	struct hv_ratelimit rl; /* and a flapping server says it a few times */
};

HV_LIST(io_list, struct blk_io)

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };

struct blk_engine_queue {
	struct blk_nbd *n;
	struct hv_loop *loop;
	void (*ready)(void *opaque);
	void *opaque;
	struct hv_defer later; /* ready() soon, for what finished outside it */

	struct nbd_handle *h;
	enum conn_state state;
	int fd; /* h's socket as registered in loop, -1 if none */
	uint32_t events;
	uint64_t connect_deadline; /* CONNECTING */
	uint64_t retry_at;	   /* DOWN: the next attempt */
	uint64_t last_attempt;
	unsigned int backoff_ms;
	bool lost;    /* said so: the next connection is a return */
	bool closing; /* h is being closed: its commands end as lost */
	bool draining;

	int tfd;
	uint64_t timer_at; /* when it fires; 0: not armed, or fired */

	struct io_list pending;	 /* waiting for a connection */
	struct io_list inflight; /* sent on h */
	struct io_list done;	 /* finished, for reap() */
};

/* libnbd's last error on this thread, never NULL. */
static const char *nbd_why(void)
{
	const char *e = nbd_get_error();

	return e ? e : "unknown error";
}

/* Errors that say the connection went, not that the server refused the
 * command: the request may go again on the next connection. */
static bool conn_error(int e)
{
	return e == ENOTCONN || e == ECONNRESET || e == EPIPE || e == ESHUTDOWN ||
	       e == ECONNABORTED || e == ECONNREFUSED || e == ENOENT;
}

/* An io whose commands are all answered (or that never got as far as a
 * command): done, or back to wait for a connection if only the
 * connection failed it and its deadline has not passed. */
static void io_settle(struct blk_engine_queue *eq, struct blk_io *io)
{
	if (io->err && !eq->draining && (eq->closing || conn_error(io->err))) {
		if (hv_now_ns() < io->deadline_ns) {
			io->err = 0;
			io_list_add(&eq->pending, io);
			return;
		}
		io->err = ETIMEDOUT;
	}
	io_list_add(&eq->done, io);
}

/* libnbd calls this once per command: when it is answered, or failed
 * because the connection died (not when the handle is closed: see
 * close_handle()). It must not call libnbd on the handle: it only counts. */
static int nbd_cmd_done(void *user_data, int *error)
{
	struct blk_io *io = user_data;
	struct blk_engine_queue *eq = io->eq;

	if (*error && !io->err)
		io->err = *error;
	if (--io->parts == 0) {
		io_list_del(&eq->inflight, io);
		io_settle(eq, io);
	}
	return 1; /* retire the command */
}

/* Arms the timer for the earliest deadline, lazily: a timer already due
 * no later stays (it may fire early: on_timer() finds nothing to do and
 * arms again), and one no longer needed is left to fire. Re-arming as
 * each request came and went cost two timerfd_settime() calls per request
 * at depth 1, for a deadline of seconds. */
static void timer_arm(struct blk_engine_queue *eq)
{
	uint64_t at = 0;
	struct itimerspec its = {0};

	if (eq->state == CONN_DOWN)
		at = eq->retry_at;
	if (eq->state == CONN_CONNECTING)
		at = eq->connect_deadline;
	for (struct blk_io *io = eq->pending.head; io; io = io->next)
		if (!at || io->deadline_ns < at)
			at = io->deadline_ns;
	for (struct blk_io *io = eq->inflight.head; io; io = io->next)
		if (!at || io->deadline_ns < at)
			at = io->deadline_ns;
	if (!at || (eq->timer_at && eq->timer_at <= at))
		return;
	eq->timer_at = at;
	its.it_value.tv_sec = (time_t)(at / NS_PER_S);
	its.it_value.tv_nsec = (long)(at % NS_PER_S);
	timerfd_settime(eq->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void fd_update(struct blk_engine_queue *eq);
static void on_fd(void *opaque, uint32_t events);

static void fd_forget(struct blk_engine_queue *eq)
{
	if (eq->fd >= 0)
		hv_loop_del(eq->loop, eq->fd);
	eq->fd = -1;
	eq->events = 0;
}

/* Closes h. libnbd calls no completion callback for what was in flight
 * on it (1.14): those ios end here, as lost with the connection. libnbd
 * touches none of their buffers after nbd_close(). */
static void close_handle(struct blk_engine_queue *eq)
{
	struct blk_io *io;

	fd_forget(eq);
	if (!eq->h)
		return;
	eq->closing = true;
	nbd_close(eq->h);
	eq->h = NULL;
	while ((io = eq->inflight.head)) {
		io_list_del(&eq->inflight, io);
		if (!io->err)
			io->err = ENOTCONN;
		io_settle(eq, io);
	}
	eq->closing = false;
}

/* The connection is gone, or given up: every command on it ends (sent
 * again later, or failed if past its deadline), and the next attempt is
 * scheduled after a back-off. */
static void conn_lost(struct blk_engine_queue *eq, const char *why)
{
	struct blk_nbd *n = eq->n;

	if (!eq->lost && __atomic_fetch_add(&n->queues_lost, 1, __ATOMIC_RELAXED) == 0)
		hv_warn_ratelimited(&n->rl,
				    "%s: NBD server %s lost: %s; connecting again, requests fail "
				    "after %llu s without it",
				    n->name, n->uri, why,
				    (unsigned long long)(n->timeout_ns / NS_PER_S));
	eq->lost = true;
	close_handle(eq);
	eq->state = CONN_DOWN;
	eq->retry_at = hv_now_ns() + eq->backoff_ms * NS_PER_MS;
	eq->backoff_ms =
		eq->backoff_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : eq->backoff_ms * 2;
}

static void io_send(struct blk_engine_queue *eq, struct blk_io *io);

static void conn_up(struct blk_engine_queue *eq)
{
	struct blk_nbd *n = eq->n;
	int64_t size = nbd_get_size(eq->h);
	struct io_list waiting;
	struct blk_io *io;

	if (size < 0 || (uint64_t)size != n->size) {
		char why[96];

		snprintf(why, sizeof(why), "the export has %lld bytes, not %llu", (long long)size,
			 (unsigned long long)n->size);
		conn_lost(eq, why);
		return;
	}
	eq->state = CONN_UP;
	eq->backoff_ms = RECONNECT_MIN_MS;
	eq->retry_at = 0;
	if (eq->lost && __atomic_sub_fetch(&n->queues_lost, 1, __ATOMIC_RELAXED) == 0)
		hv_info_ratelimited(&n->rl, "%s: NBD server %s is back", n->name, n->uri);
	eq->lost = false;
	/* Taken out first: one the connection fails again goes back to
	 * pending, and is not sent again in this loop. */
	waiting = eq->pending;
	eq->pending = (struct io_list){NULL, NULL};
	while ((io = waiting.head)) {
		io_list_del(&waiting, io);
		if (eq->state == CONN_UP) {
			io_send(eq, io);
		} else {
			io_list_add(&eq->pending, io);
		}
	}
}

/* Starts a connection without waiting for it: the loop carries it on. */
static void conn_start(struct blk_engine_queue *eq)
{
	struct blk_nbd *n = eq->n;

	eq->retry_at = 0;
	eq->last_attempt = hv_now_ns();
	eq->h = nbd_create();
	if (!eq->h) {
		conn_lost(eq, nbd_why());
		return;
	}
	if (nbd_aio_connect_uri(eq->h, n->uri) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", nbd_why());
		conn_lost(eq, why);
		return;
	}
	eq->state = CONN_CONNECTING;
	eq->connect_deadline = hv_now_ns() + n->timeout_ns;
	fd_update(eq);
}

/* After any call into libnbd: where the handle went. */
static void conn_check(struct blk_engine_queue *eq)
{
	if (!eq->h)
		return;
	if (nbd_aio_is_dead(eq->h) || nbd_aio_is_closed(eq->h)) {
		char why[256];
		const char *e = nbd_get_error();

		snprintf(why, sizeof(why), "%s", e ? e : "the server closed the connection");
		conn_lost(eq, why);
		return;
	}
	if (eq->state == CONN_CONNECTING && nbd_aio_is_ready(eq->h))
		conn_up(eq);
	if (eq->h)
		fd_update(eq);
}

/* Watches h's socket for what libnbd wants now, and only that: the loop
 * is level-triggered, and a readable socket libnbd does not want to read
 * would wake us for ever. */
static void fd_update(struct blk_engine_queue *eq)
{
	int fd = nbd_aio_get_fd(eq->h);
	unsigned int dir = nbd_aio_get_direction(eq->h);
	uint32_t ev = ((dir & LIBNBD_AIO_DIRECTION_READ) ? EPOLLIN : 0) |
		      ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? EPOLLOUT : 0);

	if (fd != eq->fd) {
		fd_forget(eq);
		if (fd >= 0 && hv_loop_add(eq->loop, fd, ev, on_fd, eq) == 0) {
			eq->fd = fd;
			eq->events = ev;
		}
	} else if (fd >= 0 && ev != eq->events && hv_loop_mod(eq->loop, fd, ev) == 0) {
		eq->events = ev;
	}
}

/* Issues io's commands on the connection. */
static void io_send(struct blk_engine_queue *eq, struct blk_io *io)
{
	struct blk_nbd *n = eq->n;
	nbd_completion_callback cb = {.callback = nbd_cmd_done, .user_data = io};
	uint64_t off = io->offset;
	int64_t c = 0;

	io->err = 0;
	/* One count of our own while issuing: a command that completes at
	 * once cannot finish io before the rest are sent. */
	io->parts = 1;
	io_list_add(&eq->inflight, io);
	switch (io->op) {
	case BLK_IO_READ:
	case BLK_IO_WRITE: {
		uint64_t parts = 0;

		for (unsigned int i = 0; i < io->niov; i++)
			parts += (io->iov[i].iov_len + n->max_block - 1) / n->max_block;
		if (parts > NBD_MAX_PARTS) {
			hv_warn_ratelimited(
				&n->rl,
				"%s: a request of %llu bytes would be %llu NBD commands "
				"of at most %u bytes: refused",
				n->name, (unsigned long long)io->len, (unsigned long long)parts,
				n->max_block);
			io->err = E2BIG;
			break;
		}
		for (unsigned int i = 0; i < io->niov && c >= 0; i++) {
			uint8_t *p = io->iov[i].iov_base;
			size_t left = io->iov[i].iov_len;

			while (left && c >= 0) {
				size_t len = left < n->max_block ? left : n->max_block;

				io->parts++;
				if (io->op == BLK_IO_READ)
					c = nbd_aio_pread(eq->h, p, len, off, cb, 0);
				else
					c = nbd_aio_pwrite(eq->h, p, len, off, cb, 0);
				if (c < 0)
					io->parts--;
				p += len;
				off += len;
				left -= len;
			}
		}
		break;
	}
	case BLK_IO_FLUSH:
		/* A server that cannot flush writes through. */
		if (n->can_flush) {
			io->parts++;
			c = nbd_aio_flush(eq->h, cb, 0);
			if (c < 0)
				io->parts--;
		}
		break;
	case BLK_IO_DISCARD:
		io->parts++;
		c = nbd_aio_trim(eq->h, io->len, io->offset, cb, 0);
		if (c < 0)
			io->parts--;
		break;
	case BLK_IO_ZERO:
		io->parts++;
		c = nbd_aio_zero(eq->h, io->len, io->offset, cb,
				 io->unmap ? 0 : LIBNBD_CMD_FLAG_NO_HOLE);
		if (c < 0)
			io->parts--;
		break;
	}
	if (c < 0 && !io->err) {
		io->err = nbd_get_errno() ? nbd_get_errno() : EIO;
		hv_debug("%s: NBD command not sent: %s", n->name, nbd_why());
	}
	if (--io->parts == 0) {
		io_list_del(&eq->inflight, io);
		io_settle(eq, io);
	}
}

/* Past their deadline: those waiting fail; one sent and not answered
 * means the server is not answering, and its connection goes. */
static void expire(struct blk_engine_queue *eq, uint64_t now)
{
	struct blk_io *io, *next;

	for (io = eq->pending.head; io; io = next) {
		next = io->next;
		if (io->deadline_ns <= now) {
			io_list_del(&eq->pending, io);
			io->err = ETIMEDOUT;
			io_list_add(&eq->done, io);
		}
	}
	for (io = eq->inflight.head; io; io = io->next) {
		if (io->deadline_ns <= now) {
			char why[96];

			snprintf(why, sizeof(why), "no answer in %llu s",
				 (unsigned long long)(eq->n->timeout_ns / NS_PER_S));
			conn_lost(eq, why);
			break;
		}
	}
	if (eq->state == CONN_CONNECTING && eq->connect_deadline <= now)
		conn_lost(eq, "connecting timed out");
}

static void on_timer(void *opaque, uint32_t events)
{
	struct blk_engine_queue *eq = opaque;
	uint64_t ticks, now = hv_now_ns();

	(void)events;
	if (read(eq->tfd, &ticks, sizeof(ticks)) < 0) {
		/* Not expired after all (re-armed meanwhile). */
	}
	eq->timer_at = 0;
	expire(eq, now);
	if (eq->state == CONN_DOWN && eq->retry_at && eq->retry_at <= now && !eq->draining)
		conn_start(eq);
	conn_check(eq);
	timer_arm(eq);
	if (eq->done.head)
		eq->ready(eq->opaque);
}

static void on_fd(void *opaque, uint32_t events)
{
	struct blk_engine_queue *eq = opaque;
	unsigned int dir = nbd_aio_get_direction(eq->h);
	bool trouble = events & (EPOLLERR | EPOLLHUP);
	int r = 0;

	if ((dir & LIBNBD_AIO_DIRECTION_READ) && (events & EPOLLIN || trouble))
		r = nbd_aio_notify_read(eq->h);
	else if ((dir & LIBNBD_AIO_DIRECTION_WRITE) && (events & EPOLLOUT || trouble))
		r = nbd_aio_notify_write(eq->h);
	if (r < 0 && eq->h && !nbd_aio_is_dead(eq->h) && !nbd_aio_is_closed(eq->h)) {
		char why[256];

		snprintf(why, sizeof(why), "%s", nbd_why());
		conn_lost(eq, why);
	}
	conn_check(eq);
	timer_arm(eq);
	if (eq->done.head)
		eq->ready(eq->opaque);
}

static void later_cb(void *opaque)
{
	struct blk_engine_queue *eq = opaque;

	if (eq->done.head)
		eq->ready(eq->opaque);
}

static int nbdq_open(void *ctx, struct hv_loop *loop, unsigned int depth,
		     void (*ready)(void *opaque), void *opaque, struct blk_engine_queue **out)
{
	struct blk_engine_queue *eq = calloc(1, sizeof(*eq));
	int r;

	(void)depth; /* the caller's pool bounds the ios; libnbd queues them */
	if (!eq)
		return -ENOMEM;
	eq->n = ctx;
	eq->loop = loop;
	eq->ready = ready;
	eq->opaque = opaque;
	eq->fd = -1;
	eq->backoff_ms = RECONNECT_MIN_MS;
	eq->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (eq->tfd < 0) {
		r = -errno;
		free(eq);
		return r;
	}
	r = hv_loop_add(loop, eq->tfd, EPOLLIN, on_timer, eq);
	if (r < 0)
		goto fail;
	r = hv_defer_init(&eq->later, loop, later_cb, eq);
	if (r < 0) {
		hv_loop_del(loop, eq->tfd);
		goto fail;
	}
	/* Connecting is the loop's business: a server that is down now
	 * delays this queue's requests, not the queue's start. */
	conn_start(eq);
	timer_arm(eq);
	*out = eq;
	return 0;

fail:
	close(eq->tfd);
	free(eq);
	return r;
}

static int nbdq_submit(struct blk_engine_queue *eq, struct blk_io *io)
{
	uint64_t now = hv_now_ns();

	io->eq = eq;
	io->err = 0;
	io->deadline_ns = now + eq->n->timeout_ns;
	if (eq->state == CONN_UP) {
		io_send(eq, io);
	} else {
		uint64_t soon = eq->last_attempt + RECONNECT_MIN_MS * NS_PER_MS;

		io_list_add(&eq->pending, io);
		/* A request does not wait out a long back-off (longer than
		 * its timeout, maybe) for a server that may be back: it asks
		 * for an attempt now, at most one per RECONNECT_MIN_MS. */
		if (eq->state == CONN_DOWN && eq->retry_at > soon) {
			eq->retry_at = soon > now ? soon : now;
			timer_arm(eq);
		}
	}
	if (!eq->timer_at)
		timer_arm(eq);
	return 0;
}

static void nbdq_flush(struct blk_engine_queue *eq)
{
	/* libnbd wrote what it could as each command was issued: watch for
	 * the rest, and for the connection having died meanwhile. */
	conn_check(eq);
	timer_arm(eq);
	if (eq->done.head)
		hv_defer_arm(&eq->later);
}

static unsigned int nbdq_reap(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct blk_io *io;
	unsigned int n = 0;

	while ((io = eq->done.head)) {
		io_list_del(&eq->done, io);
		if (io->err)
			done(io, -io->err);
		else
			done(io,
			     io->op == BLK_IO_READ || io->op == BLK_IO_WRITE ? (int)io->len : 0);
		n++;
	}
	return n;
}

static bool nbdq_ready_now(struct blk_engine_queue *eq)
{
	return eq->done.head != NULL;
}

/* Until every request is answered, failed at its deadline, or failed for
 * want of a connection: nothing may hold a guest buffer after this. */
static void nbdq_drain(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct blk_io *io;

	/* No new connection from here: a request without one fails now. */
	eq->draining = true;
	nbdq_reap(eq, done);
	while (eq->inflight.head && eq->h) {
		uint64_t now = hv_now_ns(), wait_ms = 1000;

		for (io = eq->inflight.head; io; io = io->next)
			if (io->deadline_ns <= now)
				wait_ms = 0;
			else if ((io->deadline_ns - now) / NS_PER_MS + 1 < wait_ms)
				wait_ms = (io->deadline_ns - now) / NS_PER_MS + 1;
		if (nbd_poll(eq->h, (int)wait_ms) < 0 && eq->h && !nbd_aio_is_dead(eq->h))
			conn_lost(eq, nbd_why());
		conn_check(eq);
		expire(eq, hv_now_ns());
		nbdq_reap(eq, done);
	}
	if (eq->h)
		nbd_aio_disconnect(eq->h, 0); /* polite, and without waiting */
	close_handle(eq);
	eq->state = CONN_DOWN;
	while ((io = eq->pending.head)) {
		io_list_del(&eq->pending, io);
		io->err = ENOTCONN;
		io_list_add(&eq->done, io);
	}
	nbdq_reap(eq, done);
}

static void nbdq_close(struct blk_engine_queue *eq)
{
	/* Drained: nothing in flight is left to end. */
	eq->draining = true;
	close_handle(eq);
	if (eq->lost)
		__atomic_sub_fetch(&eq->n->queues_lost, 1, __ATOMIC_RELAXED);
	hv_defer_fini(&eq->later);
	hv_loop_del(eq->loop, eq->tfd);
	close(eq->tfd);
	free(eq);
}

const struct blk_engine_ops blk_nbd_ops = {
	.queue_open = nbdq_open,
	.submit = nbdq_submit,
	.flush = nbdq_flush,
	.reap = nbdq_reap,
	.ready_now = nbdq_ready_now,
	.drain = nbdq_drain,
	.queue_close = nbdq_close,
};

/* nbd_connect_uri, but giving up after timeout_ms: a server that does not
 * answer must not hold hvdpad's start (or a control request) for ever. */
static int connect_bounded(struct nbd_handle *h, const char *uri, uint64_t timeout_ns)
{
	uint64_t deadline = hv_now_ns() + timeout_ns;

	if (nbd_aio_connect_uri(h, uri) < 0)
		return -1;
	while (!nbd_aio_is_ready(h)) {
		uint64_t now = hv_now_ns();

		if (nbd_aio_is_dead(h) || nbd_aio_is_closed(h))
			return -1;
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -2;
		}
		if (nbd_poll(h, (int)((deadline - now) / NS_PER_MS) + 1) < 0)
			return -1;
	}
	return 0;
}

int blk_nbd_open(const char *name, const char *uri, unsigned int timeout_s, struct blk_nbd **out,
		 struct blk_nbd_info *info, char *err, size_t errlen)
{
	struct blk_nbd *n = calloc(1, sizeof(*n));
	struct nbd_handle *h;
	int64_t size, max, min;
	int r;

	if (!n)
		return -ENOMEM;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->uri, sizeof(n->uri), "%s", uri);
	n->timeout_ns = (uint64_t)(timeout_s ? timeout_s : 30) * NS_PER_S;
	h = nbd_create();
	if (!h) {
		snprintf(err, errlen, "%s: %s", uri, nbd_why());
		free(n);
		return -ENOMEM;
	}
	r = connect_bounded(h, uri, n->timeout_ns);
	if (r < 0) {
		int e = r == -2 ? ETIMEDOUT : (nbd_get_errno() ? nbd_get_errno() : EIO);

		if (r == -2)
			snprintf(err, errlen, "%s: no answer in %u s", uri, timeout_s);
		else
			snprintf(err, errlen, "%s: %s", uri, nbd_why());
		nbd_close(h);
		free(n);
		return -e;
	}
	size = nbd_get_size(h);
	max = nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM);
	min = nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM);
	if (size < 512) {
		snprintf(err, errlen, "%s: the export is smaller than one 512-byte sector", uri);
		nbd_close(h);
		free(n);
		return -EINVAL;
	}
	n->size = (uint64_t)size;
	n->max_block =
		max > 0 && max < NBD_DEFAULT_MAX_BLOCK ? (uint32_t)max : NBD_DEFAULT_MAX_BLOCK;
	n->min_block = min > 0 ? (uint32_t)min : 1;
	n->can_flush = nbd_can_flush(h) == 1;
	info->size = n->size;
	info->read_only = nbd_is_read_only(h) == 1;
	info->can_flush = n->can_flush;
	info->can_trim = nbd_can_trim(h) == 1;
	info->can_zero = nbd_can_zero(h) == 1;
	if (n->min_block > 512)
		hv_warn("%s: %s wants blocks of %u bytes: requests not aligned to them fail", name,
			uri, n->min_block);
	/* Each queue connects on its own; this one only asked. */
	nbd_aio_disconnect(h, 0);
	nbd_close(h);
	*out = n;
	return 0;
}

void blk_nbd_close(struct blk_nbd *n)
{
	free(n);
}
