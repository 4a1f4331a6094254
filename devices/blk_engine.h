/* SPDX-License-Identifier: MIT */
/*
 * The storage engine under virtio-blk: blk.c decodes requests and answers
 * the driver once; an engine moves the bytes. Three exist: io_uring on a
 * file or block device (blk_uring.c), an NBD server through libnbd
 * (blk_nbd.c) and a Ceph RBD image through librbd (blk_rbd.c, when built
 * with librbd: HVDPA_HAVE_RBD). Each queue has its own engine queue, used on the queue's
 * thread only.
 */
#ifndef HVDPA_DEVICES_BLK_ENGINE_H
#define HVDPA_DEVICES_BLK_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hvdpa/loop.h"

enum blk_io_op { BLK_IO_READ, BLK_IO_WRITE, BLK_IO_FLUSH, BLK_IO_DISCARD, BLK_IO_ZERO };

/* One request as an engine sees it; blk.c embeds it in its request. */
struct blk_io {
	enum blk_io_op op;
	bool unmap;	 /* BLK_IO_ZERO: may deallocate */
	uint64_t offset; /* bytes */
	uint64_t len;	 /* bytes: DISCARD, ZERO (READ/WRITE: the iovecs') */
	struct iovec *iov;
	unsigned int niov;

	/* The engine's, between submit and completion. */
	struct blk_engine_queue *eq;
	struct blk_io *next, *prev;
	uint64_t deadline_ns;
	unsigned int parts; /* commands outstanding */
	int err;
};

struct blk_engine_queue;

/* Called with each finished io: res is the bytes moved (READ/WRITE; may be
 * short, blk.c goes on from there), 0 (the others), or a negative errno. */
typedef void (*blk_io_done_fn)(struct blk_io *io, int res);

struct blk_engine_ops {
	/* On the queue's thread: the engine adds its fds to loop and calls
	 * ready(opaque) there when completions may be waiting for reap().
	 * depth bounds the ios in flight at once. */
	int (*queue_open)(void *ctx, struct hv_loop *loop, unsigned int depth,
			  void (*ready)(void *opaque), void *opaque, struct blk_engine_queue **out);
	/* Takes io; its completion comes through reap(). A negative errno
	 * when it cannot even be queued: the caller answers it. */
	int (*submit)(struct blk_engine_queue *eq, struct blk_io *io);
	/* Sends what submit() queued: one syscall per batch. */
	void (*flush)(struct blk_engine_queue *eq);
	/* Delivers every finished io to done; returns how many. */
	unsigned int (*reap)(struct blk_engine_queue *eq, blk_io_done_fn done);
	/* Completions ready without a syscall (busy polling). */
	bool (*ready_now)(struct blk_engine_queue *eq);
	/* Until nothing is in flight: every io finishes through done, within
	 * a bounded time. Guest memory may go away afterwards. */
	void (*drain)(struct blk_engine_queue *eq, blk_io_done_fn done);
	void (*queue_close)(struct blk_engine_queue *eq);
};

/* io_uring on an open fd; ctx is a struct blk_image. */
extern const struct blk_engine_ops blk_uring_ops;

/* libnbd; ctx is a struct blk_nbd (blk_nbd_open). */
extern const struct blk_engine_ops blk_nbd_ops;

struct blk_nbd;
struct blk_nbd_info {
	uint64_t size;
	bool read_only;
	bool can_flush, can_trim, can_zero;
};

/*
 * Connects once to uri (nbd:// or nbd+unix://) to learn the export's size
 * and what it can do; each queue then connects on its own. A negative
 * errno with a one-line reason in err on failure.
 */
int blk_nbd_open(const char *name, const char *uri, unsigned int timeout_s, struct blk_nbd **out,
		 struct blk_nbd_info *info, char *err, size_t errlen);
void blk_nbd_close(struct blk_nbd *n);

/* librbd; ctx is a struct blk_rbd (blk_rbd_open). */
extern const struct blk_engine_ops blk_rbd_ops;

struct blk_rbd;
struct blk_rbd_params {
	const char *spec; /* POOL/IMAGE[@SNAP], as checked by the parser */
	const char *conf; /* a ceph.conf; "" for librados's own search */
	const char *id;	  /* the client's id (NAME of client.NAME); "" for admin */
	unsigned int timeout_s;
	bool read_only;
};
struct blk_rbd_info {
	uint64_t size;
	bool read_only; /* asked, or a snapshot */
};

/*
 * Connects to the cluster and opens the image, once for every queue, and
 * watches it for a resize. A negative errno with a one-line reason in err
 * on failure; connecting is bounded by timeout_s.
 */
int blk_rbd_open(const char *name, const struct blk_rbd_params *p, struct blk_rbd **out,
		 struct blk_rbd_info *info, char *err, size_t errlen);
/* Readable when the image's header changed (a resize, maybe): then
 * blk_rbd_size(), on the device's thread. */
int blk_rbd_resize_fd(const struct blk_rbd *r);
int blk_rbd_size(struct blk_rbd *r, uint64_t *size);
void blk_rbd_close(struct blk_rbd *r);

#endif
