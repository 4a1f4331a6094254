// SPDX-License-Identifier: MIT
/*
 * The Ceph RBD engine, over librbd's asynchronous API.
 *
 * One image handle per device, shared by its queues: two handles of one
 * image in one process are two clients, and with the exclusive-lock
 * feature (rbd create's default) their writes would pass the lock back and
 * forth. librbd completes a request on one of its own threads; the
 * callback there only moves the request to its queue's done list and
 * signals the queue's eventfd (rbd_set_image_notification has one fd per
 * image, and the queues need one each). The queue thread never waits for
 * librbd.
 *
 * A request has a deadline, timeout= seconds after it came; librados is
 * told the same bound (rados_osd_op_timeout), and the engine keeps its
 * own: a request not answered by then fails with ETIMEDOUT and is
 * abandoned to librbd, which can no longer touch guest memory for it:
 * writes are copied by librbd when submitted (rbd_disable_zero_copy_writes)
 * and reads land in a buffer of the engine's, copied to the guest only on
 * a completion in time. The librbd cache stays off: a write it held would
 * be lost with a killed hvdpad, while the driver took it as done.
 */
#include <errno.h>
#include <pthread.h>
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "blk_engine.h"
#include "hvdpa/list.h"
#include "hvdpa/clock.h"
#include "hvdpa/log.h"

#define NS_PER_S 1000000000ull

struct blk_rbd {
	char name[64];
	char spec[512]; /* POOL/IMAGE[@SNAP], for the log */
	uint64_t timeout_ns;
	rados_t cluster;
	rados_ioctx_t ioctx;
	rbd_image_t image;
	bool read_only;
	uint64_t watch;
	bool watching;
	int resize_fd; /* eventfd: the image's header changed */
	/* Guards every queue's lists and each op's io: librbd's threads
	 * complete, the queue threads submit, reap and expire. */
	pthread_mutex_t lock;
	/* Said once that the cluster does not answer, and once that it does
	 * again; any thread. */
	bool lost;
	struct hv_ratelimit rl;
};

/* One librbd request. Outlives its io when abandoned at the deadline:
 * then io is NULL and the completion only frees it. */
struct rbd_op {
	struct blk_rbd *r;
	struct blk_engine_queue *eq;
	struct blk_io *io;
	void *bounce; /* a read's data, until copied to io's buffers */
	ssize_t ret;
	struct rbd_op *next, *prev;
};

HV_LIST(op_list, struct rbd_op)

struct blk_engine_queue {
	struct blk_rbd *r;
	struct hv_loop *loop;
	void (*ready)(void *opaque);
	void *opaque;
	struct hv_defer later; /* ready() soon, for what failed in submit() */
	int efd;	       /* completions: written under r->lock */
	int tfd;	       /* the earliest deadline */
	uint64_t timer_at;     /* when it fires; 0: not armed, or fired */
	/* Under r->lock: sent to librbd in deadline order; answered. */
	struct op_list inflight, done;
	/* Queue thread only: failed before or without librbd. */
	struct blk_io *failed_head, *failed_tail;
	unsigned int ndone; /* atomic: done and failed, for ready_now() */
};

/* The cluster stopped answering, or answers again: said once each way. */
static void note_lost(struct blk_rbd *r, int err)
{
	if (!__atomic_exchange_n(&r->lost, true, __ATOMIC_RELAXED))
		hv_warn_ratelimited(&r->rl,
				    "%s: RBD image %s: %s; requests fail after %llu s without "
				    "an answer, librbd goes on trying",
				    r->name, r->spec, strerror(err),
				    (unsigned long long)(r->timeout_ns / NS_PER_S));
}

static void note_back(struct blk_rbd *r)
{
	if (__atomic_load_n(&r->lost, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&r->lost, false, __ATOMIC_RELAXED))
		hv_info_ratelimited(&r->rl, "%s: RBD image %s answers again", r->name, r->spec);
}

static void op_free(struct rbd_op *op)
{
	free(op->bounce);
	free(op);
}

/* On a librbd thread: hands op to its queue, or frees an abandoned one. */
static void rbd_done_cb(rbd_completion_t c, void *arg)
{
	struct rbd_op *op = arg;
	struct blk_rbd *r = op->r;
	ssize_t ret = rbd_aio_get_return_value(c);
	uint64_t one = 1;

	rbd_aio_release(c);
	pthread_mutex_lock(&r->lock);
	if (!op->io) {
		pthread_mutex_unlock(&r->lock);
		op_free(op);
		return;
	}
	op->ret = ret;
	op_list_del(&op->eq->inflight, op);
	op_list_add(&op->eq->done, op);
	__atomic_add_fetch(&op->eq->ndone, 1, __ATOMIC_RELEASE);
	/* Under the lock: the queue cannot be closed before this. */
	if (write(op->eq->efd, &one, sizeof(one)) < 0) {
		/* The counter is full: the queue is woken anyway. */
	}
	pthread_mutex_unlock(&r->lock);
}

static void fail_io(struct blk_engine_queue *eq, struct blk_io *io, int err)
{
	io->err = err;
	io->next = NULL;
	if (eq->failed_tail)
		eq->failed_tail->next = io;
	else
		eq->failed_head = io;
	eq->failed_tail = io;
	__atomic_add_fetch(&eq->ndone, 1, __ATOMIC_RELEASE);
}

/* Arms the timer for the earliest deadline in flight (the first sent),
 * lazily, as blk_nbd.c does: deadlines grow in the order requests are
 * sent, so an armed timer is never later than the one needed; it is left
 * to fire when its request is answered (on_timer() finds nothing due and
 * arms again). Re-arming as each request came and went cost two
 * timerfd_settime() calls per request at depth 1, for a deadline of
 * seconds. */
static void timer_arm(struct blk_engine_queue *eq)
{
	struct itimerspec its = {0};
	uint64_t at;

	if (eq->timer_at)
		return;
	pthread_mutex_lock(&eq->r->lock);
	at = eq->inflight.head ? eq->inflight.head->io->deadline_ns : 0;
	pthread_mutex_unlock(&eq->r->lock);
	if (!at)
		return;
	eq->timer_at = at;
	its.it_value.tv_sec = (time_t)(at / NS_PER_S);
	its.it_value.tv_nsec = (long)(at % NS_PER_S);
	timerfd_settime(eq->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Past their deadline: each fails now and is left to librbd. */
static unsigned int expire(struct blk_engine_queue *eq, uint64_t now)
{
	struct blk_rbd *r = eq->r;
	struct rbd_op *op;
	unsigned int n = 0;

	pthread_mutex_lock(&r->lock);
	while ((op = eq->inflight.head) && op->io->deadline_ns <= now) {
		op_list_del(&eq->inflight, op);
		fail_io(eq, op->io, ETIMEDOUT);
		op->io = NULL; /* the completion frees it */
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	if (n)
		note_lost(r, ETIMEDOUT);
	return n;
}

static void on_timer(void *opaque, uint32_t events)
{
	struct blk_engine_queue *eq = opaque;
	uint64_t ticks;

	(void)events;
	if (read(eq->tfd, &ticks, sizeof(ticks)) < 0) {
		/* Re-armed meanwhile: nothing expired. */
	}
	eq->timer_at = 0;
	expire(eq, hv_now_ns());
	timer_arm(eq);
	if (__atomic_load_n(&eq->ndone, __ATOMIC_ACQUIRE))
		eq->ready(eq->opaque);
}

static void on_efd(void *opaque, uint32_t events)
{
	struct blk_engine_queue *eq = opaque;

	/* Edge-triggered: woken once per write, the counter never read. */
	(void)events;
	eq->ready(eq->opaque);
}

static void later_cb(void *opaque)
{
	struct blk_engine_queue *eq = opaque;

	if (__atomic_load_n(&eq->ndone, __ATOMIC_ACQUIRE))
		eq->ready(eq->opaque);
}

static int rbdq_open(void *ctx, struct hv_loop *loop, unsigned int depth,
		     void (*ready)(void *opaque), void *opaque, struct blk_engine_queue **out)
{
	struct blk_engine_queue *eq = calloc(1, sizeof(*eq));
	int r;

	(void)depth; /* the caller's pool bounds the ops; librbd queues them */
	if (!eq)
		return -ENOMEM;
	eq->r = ctx;
	eq->loop = loop;
	eq->ready = ready;
	eq->opaque = opaque;
	eq->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	eq->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (eq->efd < 0 || eq->tfd < 0) {
		r = -errno;
		goto fail;
	}
	r = hv_loop_add(loop, eq->efd, EPOLLIN | EPOLLET, on_efd, eq);
	if (r < 0)
		goto fail;
	r = hv_loop_add(loop, eq->tfd, EPOLLIN, on_timer, eq);
	if (r < 0) {
		hv_loop_del(loop, eq->efd);
		goto fail;
	}
	r = hv_defer_init(&eq->later, loop, later_cb, eq);
	if (r < 0) {
		hv_loop_del(loop, eq->efd);
		hv_loop_del(loop, eq->tfd);
		goto fail;
	}
	*out = eq;
	return 0;

fail:
	if (eq->efd >= 0)
		close(eq->efd);
	if (eq->tfd >= 0)
		close(eq->tfd);
	free(eq);
	return r;
}

/* librbd's call for io; c is io's completion. */
static int rbd_start(struct blk_rbd *r, struct rbd_op *op, rbd_completion_t c)
{
	struct blk_io *io = op->io;

	switch (io->op) {
	case BLK_IO_READ:
		return rbd_aio_read(r->image, io->offset, io->len, op->bounce, c);
	case BLK_IO_WRITE:
		return rbd_aio_writev(r->image, io->iov, (int)io->niov, io->offset, c);
	case BLK_IO_FLUSH:
		return rbd_aio_flush(r->image, c);
	case BLK_IO_DISCARD:
		return rbd_aio_discard(r->image, io->offset, io->len, c);
	case BLK_IO_ZERO:
		/* Zeroes that may not deallocate stay allocated. */
		return rbd_aio_write_zeroes(r->image, io->offset, io->len, c,
					    io->unmap ? 0 : RBD_WRITE_ZEROES_FLAG_THICK_PROVISION,
					    0);
	}
	return -EINVAL;
}

static int rbdq_submit(struct blk_engine_queue *eq, struct blk_io *io)
{
	struct blk_rbd *r = eq->r;
	struct rbd_op *op = calloc(1, sizeof(*op));
	rbd_completion_t c;
	int e;

	io->eq = eq;
	io->err = 0;
	io->deadline_ns = hv_now_ns() + r->timeout_ns;
	if (!op)
		return -ENOMEM;
	op->r = r;
	op->eq = eq;
	op->io = io;
	if (io->op == BLK_IO_READ || io->op == BLK_IO_WRITE) {
		io->len = 0;
		for (unsigned int i = 0; i < io->niov; i++)
			io->len += io->iov[i].iov_len;
	}
	if (io->op == BLK_IO_READ) {
		op->bounce = malloc(io->len ? io->len : 1);
		if (!op->bounce) {
			free(op);
			return -ENOMEM;
		}
	}
	e = rbd_aio_create_completion(op, rbd_done_cb, &c);
	if (e < 0) {
		op_free(op);
		return e;
	}
	/* In the list before librbd has it: the callback may come at once. */
	pthread_mutex_lock(&r->lock);
	op_list_add(&eq->inflight, op);
	pthread_mutex_unlock(&r->lock);
	e = rbd_start(r, op, c);
	if (e < 0) {
		pthread_mutex_lock(&r->lock);
		op_list_del(&eq->inflight, op);
		pthread_mutex_unlock(&r->lock);
		rbd_aio_release(c);
		op_free(op);
		/* Refused by librbd (a read-only image written, say): the
		 * driver gets IOERR like for any failed request. */
		fail_io(eq, io, -e);
	}
	return 0;
}

static void rbdq_flush(struct blk_engine_queue *eq)
{
	/* librbd sent each request as it came: only the deadline to watch,
	 * and failures to hand back. */
	timer_arm(eq);
	/* Not ready() from here: the caller is in the middle of a pass. */
	if (eq->failed_head)
		hv_defer_arm(&eq->later);
}

static unsigned int rbdq_reap(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct blk_rbd *r = eq->r;
	struct op_list got;
	struct rbd_op *op;
	struct blk_io *io;
	unsigned int n = 0;
	bool answered = false;

	pthread_mutex_lock(&r->lock);
	got = eq->done;
	eq->done = (struct op_list){NULL, NULL};
	pthread_mutex_unlock(&r->lock);
	while ((op = got.head)) {
		op_list_del(&got, op);
		io = op->io;
		if (op->ret == -ETIMEDOUT || op->ret == -ENOTCONN || op->ret == -ESHUTDOWN)
			note_lost(r, (int)-op->ret);
		else
			answered = true;
		if (op->ret < 0) {
			done(io, (int)op->ret);
		} else if (io->op == BLK_IO_READ) {
			size_t at = 0, got_len = (size_t)op->ret;

			for (unsigned int i = 0; i < io->niov && at < got_len; i++) {
				size_t l = io->iov[i].iov_len < got_len - at ? io->iov[i].iov_len
									     : got_len - at;

				memcpy(io->iov[i].iov_base, (uint8_t *)op->bounce + at, l);
				at += l;
			}
			done(io, (int)at);
		} else {
			done(io, io->op == BLK_IO_WRITE ? (int)io->len : 0);
		}
		op_free(op);
		__atomic_sub_fetch(&eq->ndone, 1, __ATOMIC_RELEASE);
		n++;
	}
	if (answered)
		note_back(r);
	while ((io = eq->failed_head)) {
		eq->failed_head = io->next;
		if (!eq->failed_head)
			eq->failed_tail = NULL;
		__atomic_sub_fetch(&eq->ndone, 1, __ATOMIC_RELEASE);
		done(io, -io->err);
		n++;
	}
	return n;
}

static bool rbdq_ready_now(struct blk_engine_queue *eq)
{
	return __atomic_load_n(&eq->ndone, __ATOMIC_ACQUIRE) != 0;
}

/* Until every request is answered or past its deadline (then abandoned):
 * bounded by timeout=, and nothing holds a guest buffer afterwards. */
static void rbdq_drain(struct blk_engine_queue *eq, blk_io_done_fn done)
{
	struct blk_rbd *r = eq->r;

	for (;;) {
		bool busy;

		rbdq_reap(eq, done);
		expire(eq, hv_now_ns());
		rbdq_reap(eq, done);
		pthread_mutex_lock(&r->lock);
		busy = eq->inflight.head != NULL;
		pthread_mutex_unlock(&r->lock);
		if (!busy)
			break;
		usleep(1000);
	}
}

static void rbdq_close(struct blk_engine_queue *eq)
{
	/* Drained: no op refers to eq any more (an abandoned one has no io
	 * and does not look at its queue). */
	hv_defer_fini(&eq->later);
	hv_loop_del(eq->loop, eq->efd);
	hv_loop_del(eq->loop, eq->tfd);
	pthread_mutex_lock(&eq->r->lock);
	close(eq->efd);
	pthread_mutex_unlock(&eq->r->lock);
	close(eq->tfd);
	free(eq);
}

const struct blk_engine_ops blk_rbd_ops = {
	.queue_open = rbdq_open,
	.submit = rbdq_submit,
	.flush = rbdq_flush,
	.reap = rbdq_reap,
	.ready_now = rbdq_ready_now,
	.drain = rbdq_drain,
	.queue_close = rbdq_close,
};

/* On a librbd thread: the header changed (a resize, a snapshot...); the
 * device's thread looks at the size. */
static void rbd_watch_cb(void *arg)
{
	struct blk_rbd *r = arg;
	uint64_t one = 1;

	if (write(r->resize_fd, &one, sizeof(one)) < 0) {
		/* Full: a wake-up is pending anyway. */
	}
}

/* Splits POOL/IMAGE[@SNAP] (checked by the option parser) into buf. */
static void split_spec(char *buf, const char **pool, const char **image, const char **snap)
{
	char *slash = strchr(buf, '/'), *at;

	*slash = '\0';
	*pool = buf;
	*image = slash + 1;
	at = strchr(slash + 1, '@');
	*snap = NULL;
	if (at) {
		*at = '\0';
		*snap = at + 1;
	}
}

static int conf_set(struct blk_rbd *r, const char *key, const char *val, char *err, size_t errlen)
{
	int e = rados_conf_set(r->cluster, key, val);

	if (e < 0)
		snprintf(err, errlen, "%s: ceph option %s=%s: %s", r->spec, key, val, strerror(-e));
	return e;
}

int blk_rbd_open(const char *name, const struct blk_rbd_params *p, struct blk_rbd **out,
		 struct blk_rbd_info *info, char *err, size_t errlen)
{
	struct blk_rbd *r = calloc(1, sizeof(*r));
	char buf[512], secs[24];
	const char *pool, *image, *snap;
	uint64_t size;
	int e;

	if (!r)
		return -ENOMEM;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->spec, sizeof(r->spec), "%s", p->spec);
	snprintf(buf, sizeof(buf), "%s", p->spec);
	split_spec(buf, &pool, &image, &snap);
	r->timeout_ns = (uint64_t)p->timeout_s * NS_PER_S;
	r->resize_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&r->lock, NULL);
	if (r->resize_fd < 0) {
		e = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-e));
		goto fail;
	}
	e = rados_create(&r->cluster, p->id[0] ? p->id : NULL);
	if (e < 0) {
		snprintf(err, errlen, "%s: rados_create: %s", r->spec, strerror(-e));
		r->cluster = NULL;
		goto fail;
	}
	/* The ceph.conf named, or librados's search (CEPH_CONF,
	 * /etc/ceph/ceph.conf...). */
	e = rados_conf_read_file(r->cluster, p->conf[0] ? p->conf : NULL);
	if (e < 0) {
		snprintf(err, errlen, "%s: cannot read %s: %s", r->spec,
			 p->conf[0] ? p->conf : "the ceph.conf", strerror(-e));
		goto fail;
	}
	snprintf(secs, sizeof(secs), "%u", p->timeout_s);
	/* A cluster that does not answer fails the connect and each request
	 * in timeout= s, not librados's default of never. */
	if ((e = conf_set(r, "client_mount_timeout", secs, err, errlen)) < 0 ||
	    (e = conf_set(r, "rados_mon_op_timeout", secs, err, errlen)) < 0 ||
	    (e = conf_set(r, "rados_osd_op_timeout", secs, err, errlen)) < 0 ||
	    (e = conf_set(r, "rbd_cache", "false", err, errlen)) < 0 ||
	    (e = conf_set(r, "rbd_disable_zero_copy_writes", "true", err, errlen)) < 0)
		goto fail;
	e = rados_connect(r->cluster);
	if (e < 0) {
		snprintf(err, errlen, "%s: cannot connect to the Ceph cluster: %s", r->spec,
			 strerror(-e));
		goto fail;
	}
	e = rados_ioctx_create(r->cluster, pool, &r->ioctx);
	if (e < 0) {
		snprintf(err, errlen, "%s: pool %s: %s", r->spec, pool, strerror(-e));
		r->ioctx = NULL;
		goto fail;
	}
	/* A snapshot cannot be written: opened read-only, served read-only. */
	r->read_only = p->read_only || snap;
	if (r->read_only)
		e = rbd_open_read_only(r->ioctx, image, &r->image, snap);
	else
		e = rbd_open(r->ioctx, image, &r->image, NULL);
	if (e < 0) {
		snprintf(err, errlen, "%s: cannot open image %s%s%s: %s", r->spec, image,
			 snap ? "@" : "", snap ? snap : "", strerror(-e));
		r->image = NULL;
		goto fail;
	}
	e = rbd_get_size(r->image, &size);
	if (e < 0 || size < 512) {
		snprintf(err, errlen, "%s: %s", r->spec,
			 e < 0 ? strerror(-e) : "the image is smaller than one 512-byte sector");
		e = e < 0 ? e : -EINVAL;
		goto fail;
	}
	e = rbd_update_watch(r->image, &r->watch, rbd_watch_cb, r);
	if (e < 0)
		hv_warn("%s: %s: no watch on the image (%s): a resize in the cluster is not "
			"seen",
			name, r->spec, strerror(-e));
	r->watching = e == 0;
	info->size = size;
	info->read_only = r->read_only;
	*out = r;
	return 0;

fail:
	blk_rbd_close(r);
	return e < 0 ? e : -EIO;
}

int blk_rbd_resize_fd(const struct blk_rbd *r)
{
	return r->resize_fd;
}

int blk_rbd_size(struct blk_rbd *r, uint64_t *size)
{
	uint64_t n;

	if (read(r->resize_fd, &n, sizeof(n)) < 0) {
		/* Nothing pending: the size is asked anyway. */
	}
	return rbd_get_size(r->image, size);
}

void blk_rbd_close(struct blk_rbd *r)
{
	if (r->watching)
		rbd_update_unwatch(r->image, r->watch);
	/* Waits for what librbd still has, the abandoned requests too: each
	 * ends by rados_osd_op_timeout at the latest. */
	if (r->image)
		rbd_close(r->image);
	if (r->ioctx)
		rados_ioctx_destroy(r->ioctx);
	if (r->cluster)
		rados_shutdown(r->cluster);
	if (r->resize_fd >= 0)
		close(r->resize_fd);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
