// SPDX-License-Identifier: MIT
/* virtio-blk requests against a real temp file, through a fake ring. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "blk_fixture.h"
#include "check.h"

#define MiB (1ull << 20)

static struct blk_fixture f;

static void test_features_and_config(void)
{
	CHECK_EQ(bf_setup(&f, 16 * MiB, 64, "queues=4"), 0);
	uint64_t feat = f.dev->features;
	struct virtio_blk_config c;

	CHECK(feat & (1ull << VIRTIO_F_VERSION_1));
	CHECK(feat & (1ull << VIRTIO_F_ACCESS_PLATFORM));
	CHECK(feat & (1ull << VIRTIO_BLK_F_FLUSH));
	CHECK(feat & (1ull << VIRTIO_BLK_F_MQ));
	CHECK(!(feat & (1ull << VIRTIO_BLK_F_CONFIG_WCE)));
	CHECK(!(feat & (1ull << VIRTIO_BLK_F_RO)));
	memcpy(&c, f.dev->config, sizeof(c));
	CHECK_EQ(le64toh(c.capacity), 16 * MiB / 512);
	CHECK_EQ(le16toh(c.num_queues), 4);
	CHECK_EQ(le32toh(c.blk_size), 512);
	CHECK(le32toh(c.seg_max) >= 1 && le32toh(c.seg_max) <= 62);
	CHECK_EQ(f.dev->num_queues, 4);
	CHECK_EQ(hv_blk_size(f.dev), 16 * MiB);
	bf_teardown(&f);
}

static void test_write_read_roundtrip(void)
{
	CHECK_EQ(bf_setup(&f, 16 * MiB, 64, NULL), 0);
	uint64_t w = fd_alloc(&f.d, 64 * 1024), r = fd_alloc(&f.d, 64 * 1024);
	uint8_t *file = malloc(64 * 1024);
	struct blk_result res;

	bf_pattern(fd_ptr(&f.d, w), 64 * 1024, 7);
	res = bf_do(&f, VIRTIO_BLK_T_OUT, 1000, w, 64 * 1024, false);
	CHECK_EQ(res.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(res.used_len, 1);
	res = bf_do(&f, VIRTIO_BLK_T_IN, 1000, r, 64 * 1024, true);
	CHECK_EQ(res.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(res.used_len, 64 * 1024 + 1);
	CHECK(memcmp(fd_ptr(&f.d, w), fd_ptr(&f.d, r), 64 * 1024) == 0);
	/* And it is in the file where sector 1000 is. */
	CHECK_EQ(pread(f.fd, file, 64 * 1024, 1000 * 512), 64 * 1024);
	CHECK(memcmp(file, fd_ptr(&f.d, w), 64 * 1024) == 0);
	free(file);
	bf_teardown(&f);
}

/* On either ring: the packed one with completions in io_uring's order. */
static void many_in_one_kick(const char *opts)
{
	/* 32 chains of 3 descriptors need a ring of 96 at least. */
	CHECK_EQ(bf_setup(&f, 16 * MiB, 128, opts), 0);
	CHECK_EQ(f.q.vq.packed, opts != NULL);
	uint64_t buf[32], st[32];
	uint32_t ids[32], lens[32];
	int ok = 0;

	for (int i = 0; i < 32; i++) {
		buf[i] = fd_alloc(&f.d, 4096);
		bf_pattern(fd_ptr(&f.d, buf[i]), 4096, i);
		bf_request(&f, VIRTIO_BLK_T_OUT, 8 * i, buf[i], 4096, false, &st[i]);
	}
	CHECK_EQ(bf_run(&f, 32, ids, lens), 32);
	for (int i = 0; i < 32; i++)
		ok += *(uint8_t *)fd_ptr(&f.d, st[i]) == VIRTIO_BLK_S_OK;
	CHECK_EQ(ok, 32);
	/* EVENT_IDX with used_event 0: batches, so far fewer than 32. */
	CHECK(f.notifies >= 1 && f.notifies < 32);
	for (int i = 0; i < 32; i++) {
		uint8_t got[4096], want[4096];

		bf_pattern(want, 4096, i);
		CHECK_EQ(pread(f.fd, got, 4096, 8 * i * 512), 4096);
		CHECK(memcmp(got, want, 4096) == 0);
	}
	bf_teardown(&f);
}

static void test_many_in_one_kick(void)
{
	many_in_one_kick(NULL);
}

static void test_many_in_one_kick_packed(void)
{
	many_in_one_kick("packed=on");
}

static void test_out_of_range(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, NULL), 0);
	uint64_t b = fd_alloc(&f.d, 4096);
	uint64_t last = MiB / 512 - 1;

	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, last, b, 512, true).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, last, b, 1024, true).status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, last + 1, b, 512, false).status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, ~0ull - 2, b, 4096, true).status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 100, true).status, VIRTIO_BLK_S_IOERR);
	bf_teardown(&f);
}

static void test_readonly(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, "readonly=on"), 0);
	uint64_t b = fd_alloc(&f.d, 4096);
	uint8_t got[4096], zero[4096] = {0};

	CHECK(f.dev->features & (1ull << VIRTIO_BLK_F_RO));
	CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD)));
	memset(fd_ptr(&f.d, b), 0x5a, 4096);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, b, 4096, false).status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 4096, true).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(pread(f.fd, got, 4096, 0), 4096);
	CHECK(memcmp(got, zero, 4096) == 0);
	bf_teardown(&f);
}

static void test_get_id_and_flush(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, NULL), 0);
	uint64_t b = fd_alloc(&f.d, 20);
	struct blk_result r = bf_do(&f, VIRTIO_BLK_T_GET_ID, 0, b, 20, true);

	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.used_len, 21);
	CHECK(memcmp(fd_ptr(&f.d, b), "test-serial-0123\0\0\0\0", 20) == 0);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, 0x1234, 0, 0, 0, false).status, VIRTIO_BLK_S_UNSUPP);
	bf_teardown(&f);
}

static struct blk_result discard_like(uint32_t type, uint64_t sector, uint32_t nsec, uint32_t flags)
{
	uint64_t s = fd_alloc(&f.d, sizeof(struct virtio_blk_discard_write_zeroes));
	struct virtio_blk_discard_write_zeroes *seg = fd_ptr(&f.d, s);

	seg->sector = htole64(sector);
	seg->num_sectors = htole32(nsec);
	seg->flags = htole32(flags);
	return bf_do(&f, type, 0, s, sizeof(*seg), false);
}

static void test_discard_punches_hole(void)
{
	CHECK_EQ(bf_setup(&f, 8 * MiB, 64, NULL), 0);
	struct stat before, after;
	uint8_t *data = malloc(4 * MiB), *back = malloc(4 * MiB);

	if (!(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD))) {
		printf("# scratch filesystem cannot punch holes: discard not offered\n");
		CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD)));
		goto out;
	}
	memset(data, 0xab, 4 * MiB);
	CHECK_EQ(pwrite(f.fd, data, 4 * MiB, 0), (ssize_t)(4 * MiB));
	fsync(f.fd);
	fstat(f.fd, &before);
	CHECK_EQ(discard_like(VIRTIO_BLK_T_DISCARD, 0, 4 * MiB / 512, 0).status, VIRTIO_BLK_S_OK);
	fstat(f.fd, &after);
	CHECK(after.st_blocks < before.st_blocks);
	CHECK(after.st_blocks * 512 <= before.st_blocks * 512 - 3 * (off_t)MiB);
	CHECK_EQ(pread(f.fd, back, 4 * MiB, 0), (ssize_t)(4 * MiB));
	memset(data, 0, 4 * MiB);
	CHECK(memcmp(back, data, 4 * MiB) == 0);
	/* Flags are reserved for discard; beyond the disk is an error. */
	CHECK_EQ(discard_like(VIRTIO_BLK_T_DISCARD, 0, 8, 1).status, VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(discard_like(VIRTIO_BLK_T_DISCARD, 8 * MiB / 512 - 4, 8, 0).status,
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(discard_like(VIRTIO_BLK_T_DISCARD, 0, 0, 0).status, VIRTIO_BLK_S_IOERR);
out:
	free(data);
	free(back);
	bf_teardown(&f);
}

static void test_write_zeroes(void)
{
	CHECK_EQ(bf_setup(&f, 8 * MiB, 64, NULL), 0);
	uint8_t buf[8192], zero[8192] = {0};

	if (!(f.dev->features & (1ull << VIRTIO_BLK_F_WRITE_ZEROES))) {
		printf("# scratch filesystem cannot zero ranges: write-zeroes not offered\n");
		goto out;
	}
	memset(buf, 0xcd, sizeof(buf));
	CHECK_EQ(pwrite(f.fd, buf, sizeof(buf), 4096), (ssize_t)sizeof(buf));
	CHECK_EQ(discard_like(VIRTIO_BLK_T_WRITE_ZEROES, 8, 16, 0).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(pread(f.fd, buf, sizeof(buf), 4096), (ssize_t)sizeof(buf));
	CHECK(memcmp(buf, zero, sizeof(buf)) == 0);
	CHECK_EQ(discard_like(VIRTIO_BLK_T_WRITE_ZEROES, 8, 16, 2).status, VIRTIO_BLK_S_UNSUPP);
out:
	bf_teardown(&f);
}

static void test_short_header_and_no_status(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, NULL), 0);
	uint64_t h = fd_alloc(&f.d, 8), s = fd_alloc(&f.d, 1);
	struct fd_buf b1[] = {{h, 8, false}, {s, 1, true}};
	struct fd_buf b2[] = {{h, 8, false}};
	uint32_t ids[2], lens[2];
	uint16_t h1 = fd_chain(&f.d, b1, 2), h2;

	*(uint8_t *)fd_ptr(&f.d, s) = 0xee;
	fd_publish(&f.d, h1);
	h2 = fd_chain(&f.d, b2, 1);
	fd_publish(&f.d, h2);
	CHECK_EQ(bf_run(&f, 2, ids, lens), 2);
	CHECK_EQ(ids[0], h1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, s), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(ids[1], h2);
	CHECK_EQ(lens[1], 0);
	bf_teardown(&f);
}

static void test_truncated_image_is_reported(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, NULL), 0);
	uint64_t b = fd_alloc(&f.d, 8192);

	/* Someone shrinks the image: reads past the new end make no
	 * progress and must fail, not spin or claim success. */
	CHECK_EQ(ftruncate(f.fd, 512 * 1024), 0);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 2000, b, 8192, true).status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 8192, true).status, VIRTIO_BLK_S_OK);
	bf_teardown(&f);
}

static void test_write_failure_mid_stream(void)
{
	CHECK_EQ(bf_setup(&f, 4 * MiB, 64, NULL), 0);
	uint64_t b = fd_alloc(&f.d, 4096);
	struct rlimit old, lim = {.rlim_cur = 1 * MiB};
	uint8_t got[4096];

	/* A file size limit makes writes past 1 MiB fail (EFBIG), the way a
	 * full filesystem makes them fail (ENOSPC): the driver gets IOERR and
	 * the requests around it still work. */
	CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(fd_ptr(&f.d, b), 0x77, 4096);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 0, b, 4096, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 3 * MiB / 512, b, 4096, false).status,
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_OUT, 8, b, 4096, false).status, VIRTIO_BLK_S_OK);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_EQ(pread(f.fd, got, 4096, 4096), 4096);
	CHECK(memcmp(got, fd_ptr(&f.d, b), 4096) == 0);
	CHECK_EQ(pread(f.fd, got, 4096, 3 * MiB), 4096);
	CHECK(got[0] == 0 && got[4095] == 0);
	bf_teardown(&f);
}

static void test_missing_image(void)
{
	struct hv_blk_options o;
	struct hv_device *dev = NULL;
	char err[256] = "";

	hv_blk_options_init(&o);
	strcpy(o.name, "x");
	strcpy(o.path, "/nonexistent/hvdpa.img");
	CHECK_EQ(hv_blk_create(&o, &dev, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/nonexistent/hvdpa.img") != NULL);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(dev == NULL);
}

static void test_image_locked(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, NULL), 0);
	struct hv_blk_options o;
	struct hv_device *dev = NULL;
	char err[256] = "";

	hv_blk_options_init(&o);
	strcpy(o.name, "second");
	strcpy(o.path, f.path);
	CHECK_EQ(hv_blk_create(&o, &dev, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "in use") != NULL);
	bf_teardown(&f);
}

static void test_null_backend(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 64, "null=on,size=1G"), 0);
	uint64_t b = fd_alloc(&f.d, 8192);
	struct blk_result r;
	uint8_t zero[8192] = {0};

	CHECK_EQ(hv_blk_size(f.dev), 1ull << 30);
	CHECK(!(f.dev->features & (1ull << VIRTIO_BLK_F_DISCARD)));
	memset(fd_ptr(&f.d, b), 0x77, 8192);
	r = bf_do(&f, VIRTIO_BLK_T_OUT, (1ull << 30) / 512 - 16, b, 8192, false);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	r = bf_do(&f, VIRTIO_BLK_T_IN, 0, b, 8192, true);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.used_len, 8193);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, (1ull << 30) / 512, b, 512, true).status,
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false).status, VIRTIO_BLK_S_OK);
	/* Nothing reached the (unused) file. */
	uint8_t got[8192];
	CHECK_EQ(pread(f.fd, got, sizeof(got), 0), (ssize_t)sizeof(got));
	CHECK(memcmp(got, zero, sizeof(got)) == 0);
	bf_teardown(&f);
}

/* A driver that re-adds a request for each one answered at once (out of
 * range: IOERR, no I/O), as a second vCPU can. */
static void *(*plain_translate)(struct hv_mem *, uint64_t, uint64_t, bool, uint64_t *);
static unsigned long refills;
static uint16_t refill_head;
static uint64_t refill_trigger;

static void *refilling_translate(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write,
				 uint64_t *avail)
{
	if (refills && addr == refill_trigger) {
		refills--;
		fd_publish(&f.d, refill_head);
	}
	return plain_translate(mem, addr, len, write, avail);
}

/* Issue 12 #1b in a queue thread: one kick answers at most a queue's worth
 * of chains and returns, so the thread sees a stop request; the loop calls
 * it back for the rest, and nothing is lost. */
static void test_kick_yields_to_the_loop(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 16, NULL), 0);
	uint64_t b = fd_alloc(&f.d, 512);
	unsigned long answered = 0;
	uint32_t id, len;
	int rounds = 0;

	plain_translate = f.d.fm.mem.translate;
	f.d.fm.mem.translate = refilling_translate;
	refill_head = bf_request(&f, VIRTIO_BLK_T_IN, 1ull << 40, b, 512, true, NULL);
	refill_trigger = le64toh(fd_desc(&f.d, refill_head)->addr);
	refills = 100000;
	f.dev->ops->queue_kick(&f.q);
	while (fd_used(&f.d, &id, &len))
		answered++;
	CHECK_EQ(answered, 16);
	CHECK(refills > 0);
	refills = 0;
	while (answered < le16toh(f.d.avail->idx) && rounds++ < 1000) {
		hv_loop_run_once(&f.loop, 100);
		while (fd_used(&f.d, &id, &len))
			answered++;
	}
	CHECK_EQ(answered, le16toh(f.d.avail->idx));
	f.d.fm.mem.translate = plain_translate;
	bf_teardown(&f);
}

/* Guest memory in pieces of at most 512 bytes: a buffer takes one iovec
 * per piece. */
static void *split_translate(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write,
			     uint64_t *avail)
{
	void *p = plain_translate(mem, addr, len, write, avail);

	if (p && *avail > 512)
		*avail = 512;
	return p;
}

/* Requests are made as the driver needs them, each with iovecs for the
 * seg_max offered (a queue of 16: seg_max 14, 32 iovecs), not for the
 * largest queue's: a chain that needs more is dropped as malformed (used
 * length 0, status untouched), one at the bound is served, and a full
 * ring of requests in flight at once is served too. */
static void test_request_iovecs_bounded(void)
{
	CHECK_EQ(bf_setup(&f, 1 * MiB, 16, NULL), 0);
	struct virtio_blk_config c;
	uint64_t buf = fd_alloc(&f.d, 64 * 1024), st;
	uint32_t ids[16], lens[16];

	memcpy(&c, f.dev->config, sizeof(c));
	CHECK_EQ(le32toh(c.seg_max), 14);
	plain_translate = f.d.fm.mem.translate;
	f.d.fm.mem.translate = split_translate;
	/* Header + 30 pieces of data + status: 32 iovecs. */
	bf_request(&f, VIRTIO_BLK_T_IN, 0, buf, 30 * 512, true, &st);
	*(uint8_t *)fd_ptr(&f.d, st) = 0xee;
	CHECK_EQ(bf_run(&f, 1, ids, lens), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, st), VIRTIO_BLK_S_OK);
	CHECK_EQ(lens[0], 30 * 512 + 1);
	/* One piece more: beyond what a request holds. */
	bf_request(&f, VIRTIO_BLK_T_IN, 0, buf, 31 * 512, true, &st);
	*(uint8_t *)fd_ptr(&f.d, st) = 0xee;
	CHECK_EQ(bf_run(&f, 1, ids, lens), 1);
	CHECK_EQ(lens[0], 0);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, st), 0xee);
	/* A whole ring in one kick, each at the bound: 16 requests made. */
	for (int i = 0; i < 16; i++)
		bf_request(&f, VIRTIO_BLK_T_OUT, (uint64_t)i * 64, buf, 30 * 512, false, NULL);
	CHECK_EQ(bf_run(&f, 16, ids, lens), 16);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(lens[i], 1);
	f.d.fm.mem.translate = plain_translate;
	bf_teardown(&f);
}

/* A request of n data segments of seg bytes each, all over the buffer at
 * data (the driver may point them at the same memory), as one chain. */
static uint64_t multi_status;

static void multi_request(uint32_t type, unsigned int n, uint64_t data, uint32_t seg)
{
	uint64_t h = fd_alloc(&f.d, sizeof(struct virtio_blk_outhdr));
	struct virtio_blk_outhdr *hdr = fd_ptr(&f.d, h);
	struct fd_buf b[260];
	unsigned int k = 0;

	multi_status = fd_alloc(&f.d, 1);
	*(uint8_t *)fd_ptr(&f.d, multi_status) = 0xee;
	hdr->type = htole32(type);
	hdr->ioprio = 0;
	hdr->sector = 0;
	b[k++] = (struct fd_buf){h, sizeof(*hdr), false};
	for (unsigned int i = 0; i < n; i++)
		b[k++] = (struct fd_buf){data, seg, type == VIRTIO_BLK_T_IN};
	b[k++] = (struct fd_buf){multi_status, 1, true};
	fd_publish(&f.d, fd_chain(&f.d, b, k));
}

static bool image_is_zero(uint64_t bytes)
{
	static uint8_t buf[1 << 16];

	for (uint64_t off = 0; off < bytes; off += sizeof(buf)) {
		if (pread(f.fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			return false;
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i])
				return false;
	}
	return true;
}

/* Issue 12 #3: the seg_max and size_max we offer are enforced (IOERR, no
 * I/O), and a request at both limits is served. */
static void test_request_limits_enforced(void)
{
	CHECK_EQ(bf_setup(&f, 128 * MiB, 256, NULL), 0);
	struct virtio_blk_config c;
	uint32_t seg_max, size_max, id, len;
	uint64_t buf = fd_alloc(&f.d, 2 * MiB);

	memcpy(&c, f.dev->config, sizeof(c));
	seg_max = le32toh(c.seg_max);
	size_max = le32toh(c.size_max);
	CHECK_EQ(seg_max, 126);
	CHECK_EQ(size_max, MiB);
	bf_pattern(fd_ptr(&f.d, buf), 2 * MiB, 7);

	/* seg_max + 1 segments of a sector each. */
	multi_request(VIRTIO_BLK_T_OUT, seg_max + 1, buf, 512);
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, multi_status), VIRTIO_BLK_S_IOERR);
	/* One segment of more than size_max. */
	multi_request(VIRTIO_BLK_T_OUT, 1, buf, size_max + 512);
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, multi_status), VIRTIO_BLK_S_IOERR);
	/* The same as reads: the driver's buffer is left alone. */
	multi_request(VIRTIO_BLK_T_IN, seg_max + 1, buf, 512);
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, multi_status), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(len, 1);
	multi_request(VIRTIO_BLK_T_IN, 2, buf, size_max + 512);
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, multi_status), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(len, 1);
	/* None of it reached the image. */
	CHECK(image_is_zero(4 * MiB));

	/* At both limits: seg_max segments of size_max, 126 MiB. */
	multi_request(VIRTIO_BLK_T_IN, seg_max, buf, size_max);
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, multi_status), VIRTIO_BLK_S_OK);
	CHECK_EQ(len, (uint64_t)seg_max * size_max + 1);
	bf_pattern(fd_ptr(&f.d, buf), 4096, 7); /* the read zeroed it */
	multi_request(VIRTIO_BLK_T_OUT, seg_max, buf, 4096);
	CHECK_EQ(bf_run(&f, 1, &id, &len), 1);
	CHECK_EQ(*(uint8_t *)fd_ptr(&f.d, multi_status), VIRTIO_BLK_S_OK);
	CHECK(!image_is_zero(4096));
	bf_teardown(&f);
}

/* Runs fn with stderr going to a file; returns the lines it wrote. */
static int stderr_lines(void (*fn)(void))
{
	FILE *t = tmpfile();
	int saved = dup(2), lines = 0, c;

	fflush(stderr);
	dup2(fileno(t), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(t);
	while ((c = fgetc(t)) != EOF)
		lines += c == '\n';
	fclose(t);
	return lines;
}

static void resets_with_bad_requests(void)
{
	uint64_t b = fd_alloc(&f.d, 512);

	for (int i = 0; i < 1000; i++) {
		struct hv_vq_layout l;

		/* A device reset: the queue stops and starts again. */
		f.dev->ops->queue_stop(&f.q);
		fd_layout(&f.d, &l, f.dev->features);
		l.last_avail = l.used_idx = le16toh(f.d.avail->idx);
		CHECK_EQ(hv_vq_init(&f.q.vq, &f.d.fm.mem, &l, "tblk-0"), 0);
		CHECK_EQ(f.dev->ops->queue_start(f.dev, &f.q), 0);
		f.d.last_used = l.used_idx;
		CHECK_EQ(bf_do(&f, VIRTIO_BLK_T_IN, 1ull << 40, b, 512, true).status,
			 VIRTIO_BLK_S_IOERR);
	}
}

/* Issue 12 #12: what a driver makes blk log is limited across resets (the
 * limiter was the queue's, and every reset made a new one). */
static void test_log_bounded_across_resets(void)
{
	enum hv_log_level saved = hv_log_level;
	int n;

	CHECK_EQ(bf_setup(&f, 1 * MiB, 16, NULL), 0);
	hv_log_level = HV_LOG_WARN;
	n = stderr_lines(resets_with_bad_requests);
	hv_log_level = saved;
	CHECK(n > 0);
	CHECK(n <= 24);
	if (n > 24)
		printf("# %d log lines\n", n);
	bf_teardown(&f);
}

int main(void)
{
	hv_log_level = HV_LOG_ERR;
	RUN(test_features_and_config);
	RUN(test_write_read_roundtrip);
	RUN(test_many_in_one_kick);
	RUN(test_many_in_one_kick_packed);
	RUN(test_out_of_range);
	RUN(test_readonly);
	RUN(test_get_id_and_flush);
	RUN(test_discard_punches_hole);
	RUN(test_write_zeroes);
	RUN(test_short_header_and_no_status);
	RUN(test_truncated_image_is_reported);
	RUN(test_write_failure_mid_stream);
	RUN(test_missing_image);
	RUN(test_image_locked);
	RUN(test_null_backend);
	RUN(test_kick_yields_to_the_loop);
	RUN(test_request_limits_enforced);
	RUN(test_request_iovecs_bounded);
	RUN(test_log_bounded_across_resets);
	return check_done();
}
