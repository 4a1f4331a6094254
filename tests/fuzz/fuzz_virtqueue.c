// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a driver that controls every byte of guest memory, rings
 * included. Whatever it writes, hv_vq must not touch memory outside the
 * guest's, and every iovec it hands out must lie inside it.
 *
 * Input: [0] log2 queue size, [1] features (bit 0 EVENT_IDX, bit 1
 * INDIRECT, bit 2 RING_PACKED: the packed ring), [2] where translations
 * split (0: nowhere), [3] bit 0: keep an
 * in-flight log, leave every third chain unanswered, then "crash" and
 * recover from the log; then the guest memory image.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "../unit/fake_driver.h"
#include "hvdpa/inflight.h"
#include "hvdpa/virtqueue.h"

#define MEM (64 * 1024)

/* The ring slots a packed ring holds never exceed the ring. */
static void check_packed(const struct hv_vq *vq)
{
	if (vq->packed && (vq->pk.unpublished > vq->size || vq->pk.in_flight > vq->pk.unpublished))
		abort();
}

static void check_inside(struct fake_driver *d, const struct hv_vq_elem *e)
{
	for (unsigned int i = 0; i < (unsigned int)e->out_num + e->in_num; i++) {
		const uint8_t *p = e->iov[i].iov_base;

		if (p < d->fm.buf || e->iov[i].iov_len > MEM ||
		    p + e->iov[i].iov_len > d->fm.buf + MEM)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_driver d;
	struct hv_vq_layout l;
	struct hv_vq vq = {0}; /* hv_vq_init keeps its log limiter */
	struct iovec iov[64];
	struct hv_vq_elem e = {.iov = iov, .max_iov = 64};
	uint64_t features = 0;

	if (size < 4)
		return 0;
	hv_log_level = HV_LOG_NONE;
	if (data[1] & 4)
		fd_init_packed(&d, MEM, (uint16_t)(1u << (data[0] % 9)));
	else
		fd_init(&d, MEM, (uint16_t)(1u << (data[0] % 9)));
	if (data[1] & 1)
		features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (data[1] & 2)
		features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (data[2])
		d.fm.split_at = FD_BASE + (uint64_t)data[2] * 256;
	memcpy(d.fm.buf, data + 4, size - 4 < MEM ? size - 4 : MEM);
	fd_layout(&d, &l, features);
	/* A packed ring's log has its tail (inflight.h): sized exactly, so
	 * that a write past either end is ASan's to catch. */
	struct hv_inflight *log =
		data[3] & 1 ? calloc(1, hv_inflight_bytes(d.size, (data[1] & 4) != 0)) : NULL;
	if (hv_vq_init(&vq, &d.fm.mem, &l, "fuzz") == 0) {
		if (log)
			hv_vq_log_begin(&vq, log);
		for (unsigned int n = 0; n < 4u * d.size; n++) {
			int r = hv_vq_pop(&vq, &e);

			if (r == -EAGAIN) {
				hv_vq_begin_pass(&vq); /* the caller's next round */
				continue;
			}
			if (r <= 0)
				break;
			check_inside(&d, &e);
			check_packed(&vq);
			if (log && n % 3 == 0)
				continue;
			hv_vq_push(&vq, e.head, (uint32_t)e.in_len);
			hv_vq_flush(&vq);
		}
		hv_vq_enable_notify(&vq);
		hv_vq_flush(&vq);
	}
	if (log && hv_vq_init(&vq, &d.fm.mem, &l, "fuzz") == 0 &&
	    hv_vq_log_recover(&vq, log) >= 0) {
		if (vq.resubmit_n > d.size)
			abort();
		for (unsigned int n = 0; n < 4u * d.size; n++) {
			if (hv_vq_pop(&vq, &e) <= 0)
				break;
			check_inside(&d, &e);
			check_packed(&vq);
			hv_vq_push(&vq, e.head, (uint32_t)e.in_len);
			hv_vq_flush(&vq);
		}
	}
	free(log);
	fd_free(&d);
	return 0;
}
