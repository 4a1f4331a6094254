// SPDX-License-Identifier: MIT
/*
 * A remote engine's path on the host, no VM: a fake driver keeps BATCH 4k
 * requests (reads or writes) in flight on a disk of --blk options SPEC
 * (rbd=... or nbd=...: a running cluster or server), through the
 * virtqueue, blk.c and the engine, and waits for each batch. Prints IOPS;
 * its use is under perf or strace (micro-rbd.sh), to see what share of
 * the client's CPU, or which syscalls, are hvdpad's own and which the
 * library's.
 *
 *   micro-remote SPEC [REQUESTS] [BATCH] [read|write]
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
	unsigned long total = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	unsigned int batch = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 10) : 32;
	bool wr = argc > 4 && !strcmp(argv[4], "write");
	struct blk_fixture f;
	uint64_t data[64], st[64];
	uint32_t ids[64], lens[64];
	struct timespec t0, t1;
	unsigned long done = 0;

	if (argc < 2 || batch == 0 || batch > 64) {
		fprintf(stderr, "usage: micro-remote SPEC [REQUESTS] [BATCH 1-64] [read|write]\n");
		return 2;
	}
	hv_log_level = HV_LOG_ERR;
	if (bf_setup(&f, 0, 256, argv[1]) < 0)
		return 1;
	for (unsigned int i = 0; i < batch; i++)
		data[i] = fd_alloc(&f.d, 4096);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total) {
		for (unsigned int i = 0; i < batch; i++)
			bf_request(&f, wr ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				   (done + i) * 8 % (1 << 15), data[i], 4096, !wr, &st[i]);
		if (bf_run(&f, (int)batch, ids, lens) != (int)batch) {
			fprintf(stderr, "micro-remote: a batch did not finish in 5 s\n");
			return 1;
		}
		done += batch;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("micro-remote: %lu 4k %ss in batches of %u: %.0f IOPS\n", done,
	       wr ? "write" : "read", batch, (double)done / s);
	bf_teardown(&f);
	return 0;
}
