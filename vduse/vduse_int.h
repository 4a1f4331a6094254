/* SPDX-License-Identifier: MIT */
/* Inside the VDUSE transport. */
#ifndef HVDPA_VDUSE_INT_H
#define HVDPA_VDUSE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "hvdpa/device.h"
#include "hvdpa/inflight.h"
#include "hvdpa/queue_runner.h"
#include "hvdpa/vduse.h"

/* control.c */
int vduse_control_open(char *err, size_t errlen);
int vduse_control_create(int ctrl, const struct hv_device *dev, char *err, size_t errlen);
int vduse_control_destroy(int ctrl, const char *name);

/* iotlb.c: guest memory as VDUSE hands it out, mapped on first use. */
struct iotlb_map {
	uint64_t start, last; /* IOVA range */
	uint8_t *host;	      /* host address of start */
	void *mmap_base;
	size_t mmap_len;
	uint8_t perm;
	/* Dead maps only: per queue, the last chain it had taken when the map
	 * was invalidated (its log's counter; 0: none to wait for). NULL:
	 * kept until reset. */
	uint64_t *wait;
};

struct vduse_iotlb_entry;

struct vduse_iotlb {
	struct hv_mem mem;
	int dev_fd;
	pthread_rwlock_t lock;
	struct iotlb_map *maps; /* live, looked up */
	unsigned int nmaps, cap;
	/* Invalidated while queues may still hold pointers into them:
	 * unmapped once no queue can (see vduse_iotlb_invalidate), or at
	 * reset. Touched by the control thread only. */
	struct iotlb_map *dead;
	unsigned int ndead, dead_cap;
	struct hv_ratelimit rl;
	/* VDUSE_IOTLB_GET_FD on dev_fd; tests play the kernel here. */
	int (*get_fd)(struct vduse_iotlb *t, struct vduse_iotlb_entry *e);
};

/* t is the iotlb member of a struct hv_vduse: invalidation looks at its
 * queues to know when a retired map is no longer in use. */
void vduse_iotlb_init(struct vduse_iotlb *t, int dev_fd);
/* On the control thread: retires the maps overlapping [start, last], and
 * unmaps retired ones no queue thread can still be using. */
void vduse_iotlb_invalidate(struct vduse_iotlb *t, uint64_t start, uint64_t last);
/* Unmaps everything. Only with every queue stopped. */
void vduse_iotlb_reset(struct vduse_iotlb *t);
void vduse_iotlb_fini(struct vduse_iotlb *t);

/* state.c: the lock and the record that outlive a crash. */
extern const char *vduse_node_dir; /* "/dev/vduse"; tests point it elsewhere */
bool vduse_state_reattach(const struct hv_vduse_state *s);
int vduse_state_map(struct hv_vduse_state *s, const struct hv_device *dev);
void vduse_state_created(struct hv_vduse_state *s);
void vduse_state_record_config(struct hv_vduse_state *s, const struct hv_device *dev);
uint8_t vduse_state_status(const struct hv_vduse_state *s);
void vduse_state_set_status(struct hv_vduse_state *s, uint8_t status);
struct hv_inflight *vduse_state_log(struct hv_vduse_state *s, unsigned int queue);
void vduse_state_remove(struct hv_vduse_state *s);

/* queue.c */
struct vduse_queue {
	struct hv_queue_runner run;
	struct hv_vduse *v;
	int kick_fd;
	bool late;	/* not ready at DRIVER_OK: waits for the driver */
	bool recovered; /* resumed from a dead process's log */
	char name[80];
};

/* Starts the queue's thread, which serves it once the driver has enabled
 * it (now, or whenever it does). */
int vduse_queue_start(struct hv_vduse *v, struct vduse_queue *vq, unsigned int index);
void vduse_queue_stop(struct vduse_queue *vq);
struct vduse_vq_state;
/* GET_VQ_STATE's answer: the avail index, or the packed ring's slots and
 * wrap counters. */
void vduse_queue_state(struct hv_vduse *v, unsigned int index, struct vduse_vq_state *s);

/* dev.c */
struct hv_vduse {
	struct hv_device *dev;
	int ctrl_fd;
	int dev_fd;
	uint8_t status;
	uint64_t features;
	struct vduse_iotlb iotlb;
	struct vduse_queue *queues;
	struct hv_vduse_state *state;
	/* What a driver's status changes make us log (DRIVER_OK, a queue it
	 * enables late, one it set up wrong): a driver that resets in a loop
	 * must not flood the log. Outlives resets. */
	struct hv_ratelimit rl;
};

#endif
