/* SPDX-License-Identifier: MIT */
/* Between loop.c (epoll) and loop_ring.c (ring mode): see loop.h. */
#ifndef HVDPA_VIRTIO_LOOP_INT_H
#define HVDPA_VIRTIO_LOOP_INT_H

#include "hvdpa/loop.h"

/* epoll_pwait and the callbacks of what it found; the count or -errno. */
int hv_loop_epoll_run(struct hv_loop *loop, int timeout_ms, const sigset_t *sigmask);
/* Ring mode: slot i is polled by the ring from now on / no longer. */
int hv_loop_ring_arm(struct hv_loop *loop, unsigned int i);
void hv_loop_ring_unarm(struct hv_loop *loop, unsigned int i);
/* Ring mode's hv_loop_run_pwait. */
int hv_loop_ring_run(struct hv_loop *loop, int timeout_ms, const sigset_t *sigmask);
/* Ring mode's part of hv_loop_fini. */
void hv_loop_ring_fini(struct hv_loop *loop);

#endif
