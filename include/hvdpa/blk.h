/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_BLK_H
#define HVDPA_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvdpa/device.h"

#define HV_BLK_SERIAL_MAX 20 /* VIRTIO_BLK_ID_BYTES */

struct hv_blk_options {
	char name[64];
	/* The image: a file or block device, or with nbd an NBD URI
	 * (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH). */
	char path[4096];
	bool nbd;
	/* With rbd, path is a Ceph RBD image: POOL/IMAGE[@SNAP]. */
	bool rbd;
	char ceph_conf[1024]; /* rbd: a ceph.conf, "" for librados's search */
	char ceph_id[64];     /* rbd: NAME of client.NAME, "" for admin */
	/* NBD and RBD: a request not answered in this many seconds fails
	 * (IOERR); NBD makes its connection again, librbd goes on trying. */
	uint32_t timeout_s;
	bool readonly;
	uint16_t num_queues;
	uint16_t queue_size;
	char serial[HV_BLK_SERIAL_MAX + 1];
	/* No storage: I/O completes at once, reads leave buffers as they are.
	 * Measures the transport alone. */
	bool null;
	uint64_t size;	  /* bytes, for null */
	uint32_t poll_us; /* busy-poll window of the queue threads */
	cpu_set_t cpus;	  /* the queue threads' CPUs; empty: any */
	/* Offer the packed ring (VIRTIO_F_RING_PACKED); the driver picks. */
	bool packed;
};

/* Defaults for every key not given. */
void hv_blk_options_init(struct hv_blk_options *o);

/*
 * Parses "name=NAME,path=PATH[,readonly=on|off][,queues=N][,queue-size=N]
 * [,serial=STR][,packed=on|off]", "name=NAME,nbd=URI[,timeout=SECONDS][,...]",
 * "name=NAME,rbd=POOL/IMAGE[@SNAP][,ceph-conf=PATH][,ceph-id=NAME]
 * [,timeout=SECONDS][,...]" or
 * "name=NAME,null=on,size=SIZE[,...]" (SIZE in bytes or with K, M, G, T).
 * On error returns -EINVAL with a one-line reason in err.
 */
int hv_blk_options_parse(struct hv_blk_options *o, const char *spec, char *err, size_t errlen);

/* Bytes, with an optional binary suffix (K, M, G, T); a non-zero whole
 * number of 512-byte sectors. -EINVAL otherwise. */
int hv_blk_parse_size(const char *v, uint64_t *out);

/*
 * Opens the image (or connects to the NBD server or the Ceph cluster) and
 * builds the device. Returns 0, or a negative
 * errno with a one-line reason in err; nothing is left open on failure.
 */
int hv_blk_create(const struct hv_blk_options *o, struct hv_device **out, char *err, size_t errlen);

/* Bytes the image exposes (capacity * 512). Any thread. */
uint64_t hv_blk_size(const struct hv_device *dev);
/* Read-only as the driver sees it: asked for, or the backend's own (an NBD
 * export the server offers read-only). Any thread. */
bool hv_blk_read_only(const struct hv_device *dev);

/*
 * Gives the disk a new size (whole sectors): a file is truncated or grown
 * to it, a block device must have at least that many bytes; the driver
 * gets a config-change interrupt. On the device's control thread.
 */
int hv_blk_resize(struct hv_device *dev, uint64_t bytes, char *err, size_t errlen);

#endif
