// SPDX-License-Identifier: MIT
/*
 * libFuzzer: virtio-blk requests of any shape against a real 1 MiB image.
 * Every request must be answered (a used entry), with a status byte when
 * it has one, and nothing may be touched outside guest memory.
 *
 * Input: records of 16 bytes: type u32, sector u64 (mod 4096), out length
 * u16 (header included), in length u16 (status included).
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>

#include "../unit/blk_fixture.h"

#define MAX_REQS 16

static struct blk_fixture f;
static uint64_t heap_mark;
static uint16_t qsize = 64;

static void teardown(void)
{
	bf_teardown(&f);
}

static void setup_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	hv_log_level = HV_LOG_NONE;
	if (bf_setup(&f, 1 << 20, qsize, NULL) < 0)
		abort();
	atexit(teardown);
	heap_mark = f.d.heap;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int n = 0;
	uint64_t status[MAX_REQS];
	uint32_t ids[MAX_REQS], lens[MAX_REQS];

	setup_once();
	f.d.heap = heap_mark;
	while (size >= 16 && n < MAX_REQS) {
		uint32_t type, outl, inl;
		uint64_t sector;
		struct fd_buf b[3];
		unsigned int k = 0;

		memcpy(&type, data, 4);
		memcpy(&sector, data + 4, 8);
		outl = (uint32_t)data[12] | (uint32_t)data[13] << 8;
		inl = (uint32_t)data[14] | (uint32_t)data[15] << 8;
		data += 16;
		size -= 16;
		sector %= 4096;

		if (outl) {
			uint64_t o = fd_alloc(&f.d, outl);
			struct virtio_blk_outhdr h = {htole32(type), 0, htole64(sector)};

			memcpy(fd_ptr(&f.d, o), &h, outl < sizeof(h) ? outl : sizeof(h));
			b[k++] = (struct fd_buf){o, outl, false};
		}
		status[n] = 0;
		if (inl) {
			uint64_t i = fd_alloc(&f.d, inl);

			b[k++] = (struct fd_buf){i, inl, true};
			status[n] = i + inl - 1;
			*(uint8_t *)fd_ptr(&f.d, status[n]) = 0xee;
		}
		if (!k)
			continue;
		fd_publish(&f.d, fd_chain(&f.d, b, k));
		n++;
	}
	if (!n)
		return 0;
	/* Every request is answered, and one with a status byte gets a
	 * status the spec defines. */
	if (bf_run(&f, (int)n, ids, lens) != (int)n)
		abort();
	for (unsigned int i = 0; i < n; i++)
		if (status[i] && *(uint8_t *)fd_ptr(&f.d, status[i]) > VIRTIO_BLK_S_UNSUPP)
			abort();
	return 0;
}
