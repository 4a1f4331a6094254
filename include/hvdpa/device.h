/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_DEVICE_H
#define HVDPA_DEVICE_H

#include <sched.h>
#include <stdint.h>

#include "hvdpa/loop.h"
#include "hvdpa/virtqueue.h"

/*
 * A virtio device backend as the transports see it: a struct of ops over
 * generic queues. A backend includes no VDUSE or vhost header; VDUSE,
 * hvbridge's local mode and the unit tests all drive it the same way.
 */

#define HV_CONFIG_MAX 256

struct hv_device;

/*
 * What a queue did, since its device was created: written by the queue's
 * thread only (hv_stat_add), read by any thread (hv_queue_stats_read).
 * The backend counts requests, bytes and errors, the queue runner kicks
 * and poll hits, hv_queue_publish() interrupts.
 */
struct hv_queue_stats {
	uint64_t requests;   /* chains completed (blk requests, net packets) */
	uint64_t bytes;	     /* data moved */
	uint64_t errors;     /* blk: IOERR or UNSUPP; net: dropped, not sent */
	uint64_t kicks;	     /* driver notifications that woke the thread */
	uint64_t interrupts; /* used-buffer interrupts raised */
	uint64_t poll_hits;  /* work found by busy-polling */
	uint64_t in_flight;  /* read only: chains popped and not yet pushed */
};

/* One writer: a plain add made visible without a locked instruction. */
static inline void hv_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* One running virtqueue, owned by the transport. */
struct hv_queue {
	struct hv_device *dev;
	unsigned int index;
	struct hv_vq vq;
	/* The loop of the thread that serves this queue: the backend adds its
	 * completion fds here and is called back on that thread only. */
	struct hv_loop *loop;
	/* Raises the used-buffer interrupt. */
	void (*notify)(struct hv_queue *q);
	void *transport; /* the transport's per-queue state */
	void *backend;	 /* the backend's per-queue state */
	struct hv_queue_stats stats;
};

struct hv_device_ops {
	/* Optional. Features known: the backend may size itself for them. */
	int (*start)(struct hv_device *dev, uint64_t features);
	/* A queue begins: q->vq is mapped, q->loop is its thread's loop. */
	int (*queue_start)(struct hv_device *dev, struct hv_queue *q);
	/* The driver kicked q (called on q's thread). */
	void (*queue_kick)(struct hv_queue *q);
	/* Optional: finish what has completed, without blocking; true if it
	 * did anything. Lets the transport poll for a while before sleeping. */
	bool (*queue_poll)(struct hv_queue *q);
	/* Stop q: finish every request in flight (their used entries may still
	 * be written) and release the queue. Nothing may touch guest memory
	 * for q after this returns. Called on q's thread. */
	void (*queue_stop)(struct hv_queue *q);
	/* Optional. Device reset, after every queue stopped. */
	void (*reset)(struct hv_device *dev);
	/* Optional: an fd the transport polls on the device's control thread
	 * (hvdpad: the one that answers its VDUSE messages), and what to do
	 * when it is readable (net: the tap's link changed). */
	int (*control_fd)(struct hv_device *dev);
	void (*control_event)(struct hv_device *dev);
	void (*destroy)(struct hv_device *dev);
};

struct hv_device {
	const struct hv_device_ops *ops;
	char name[64];
	uint32_t device_id; /* VIRTIO_ID_* */
	uint64_t features;  /* offered, transport bits included */
	uint16_t num_queues;
	uint16_t queue_size; /* the maximum the device takes */
	uint32_t config_size;
	uint8_t config[HV_CONFIG_MAX];
	/* How long a queue thread busy-polls for work before it sleeps; 0
	 * sleeps at once. Trades a CPU for wake-up latency. */
	uint32_t poll_ns;
	/* The CPUs the queue threads keep to (cpus=); empty: any the process
	 * may use. With poll_ns, a CPU of their own to spin on. */
	cpu_set_t cpus;

	/* Set by the transport: config[off, off+len) changed at run time and
	 * the driver is to be told. Called on the control thread only. */
	void (*config_changed)(struct hv_device *dev, uint32_t off, uint32_t len);
	void *transport;
};

/* Makes the entries pushed on q visible to the driver, and interrupts it
 * if it asked to be. */
static inline void hv_queue_publish(struct hv_queue *q)
{
	if (hv_vq_flush(&q->vq)) {
		hv_stat_add(&q->stats.interrupts, 1);
		q->notify(q);
	}
}

/* A snapshot of q's counters, from any thread. */
void hv_queue_stats_read(const struct hv_queue *q, struct hv_queue_stats *out);
/* out += add, in_flight included. */
void hv_queue_stats_sum(struct hv_queue_stats *out, const struct hv_queue_stats *add);

/* Feature bits every transport here offers alongside the device's own. */
uint64_t hv_device_common_features(void);

#endif
