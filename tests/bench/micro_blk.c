// SPDX-License-Identifier: MIT
/*
 * The virtqueue + virtio-blk request path on the host, no VM: a fake driver
 * posts batches of 4k reads to the null backend, which answers them inside
 * the kick. Prints ns per request; run it under callgrind (micro.sh) for
 * instructions per request, which do not vary with the machine's load.
 *
 *   micro-blk [REQUESTS] [BATCH] [split|packed]
 */
#include <endian.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/blk_fixture.h"

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
	unsigned int batch = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 32;
	struct blk_fixture f;
	uint64_t hdr[256], data[256], st[256];
	struct timespec t0, t1;
	unsigned long done = 0;

	if (batch == 0 || batch > 64) {
		fprintf(stderr, "micro-blk: batch must be 1-64\n");
		return 2;
	}
	hv_log_level = HV_LOG_ERR;
	if (bf_setup(&f, 1 << 20, 256,
		     argc > 3 && !strcmp(argv[3], "packed") ? "null=on,size=1G,packed=on"
							    : "null=on,size=1G") < 0)
		return 1;
	/* As the split driver's used_event 0: interrupts almost never. */
	if (f.d.packed)
		f.d.drv_event->flags = htole16(VRING_PACKED_EVENT_FLAG_DISABLE);
	for (unsigned int i = 0; i < batch; i++) {
		hdr[i] = fd_alloc(&f.d, sizeof(struct virtio_blk_outhdr));
		data[i] = fd_alloc(&f.d, 4096);
		st[i] = fd_alloc(&f.d, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total) {
		uint32_t id, len;

		for (unsigned int i = 0; i < batch; i++) {
			struct virtio_blk_outhdr *h = fd_ptr(&f.d, hdr[i]);
			struct fd_buf b[3] = {{hdr[i], sizeof(*h), false},
					      {data[i], 4096, true},
					      {st[i], 1, true}};

			h->type = htole32(VIRTIO_BLK_T_IN);
			h->sector = htole64((done + i) * 8 % (1 << 21));
			fd_submit(&f.d, b, 3);
		}
		f.dev->ops->queue_kick(&f.q);
		while (fd_used(&f.d, &id, &len)) {
			if (len != 4097) {
				fprintf(stderr, "micro-blk: request %u answered with %u bytes\n",
					id, len);
				return 1;
			}
			done++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("micro-blk: %lu requests in batches of %u: %.1f ns/request, %d interrupts\n", done,
	       batch, ns / (double)done, f.notifies);
	bf_teardown(&f);
	return 0;
}
