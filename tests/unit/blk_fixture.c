// SPDX-License-Identifier: MIT
#include <endian.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blk_fixture.h"

static void count_notify(struct hv_queue *q)
{
	struct blk_fixture *f = q->transport;

	f->notifies++;
}

static const char *scratch_dir(void)
{
	const char *d = getenv("HVDPA_TEST_DIR");

	if (d)
		return d;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

int bf_setup(struct blk_fixture *f, uint64_t size, uint16_t qsize, const char *extra_opts)
{
	struct hv_blk_options o;
	struct hv_vq_layout l;
	char spec[512], err[256];
	int fd, r;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/hvdpa-test-XXXXXX", scratch_dir());
	fd = mkstemp(f->path);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	f->fd = fd;
	/* Those with storage of their own take no temp file. */
	if (extra_opts && (strstr(extra_opts, "null=on") || strstr(extra_opts, "nbd=") ||
			   strstr(extra_opts, "rbd=")))
		snprintf(spec, sizeof(spec), "name=tblk,serial=test-serial-0123,%s", extra_opts);
	else
		snprintf(spec, sizeof(spec), "name=tblk,path=%s,serial=test-serial-0123%s%s",
			 f->path, extra_opts ? "," : "", extra_opts ? extra_opts : "");
	if (hv_blk_options_parse(&o, spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "bf_setup: %s\n", err);
		abort();
	}
	o.queue_size = qsize;
	r = hv_blk_create(&o, &f->dev, err, sizeof(err));
	if (r < 0)
		return r;

	if (o.packed)
		fd_init_packed(&f->d, 8 << 20, qsize);
	else
		fd_init(&f->d, 8 << 20, qsize);
	fd_layout(&f->d, &l, f->dev->features);
	if (hv_vq_init(&f->q.vq, &f->d.fm.mem, &l, "tblk-0") < 0 || hv_loop_init(&f->loop) < 0)
		abort();
	f->q.dev = f->dev;
	f->q.loop = &f->loop;
	f->q.notify = count_notify;
	f->q.transport = f;
	if ((f->dev->ops->start && f->dev->ops->start(f->dev, f->dev->features) < 0) ||
	    f->dev->ops->queue_start(f->dev, &f->q) < 0)
		abort();
	return 0;
}

void bf_teardown(struct blk_fixture *f)
{
	if (f->dev) {
		f->dev->ops->queue_stop(&f->q);
		if (f->dev->ops->reset)
			f->dev->ops->reset(f->dev);
		f->dev->ops->destroy(f->dev);
		hv_loop_fini(&f->loop);
		fd_free(&f->d);
	}
	close(f->fd);
	unlink(f->path);
}

uint16_t bf_request(struct blk_fixture *f, uint32_t type, uint64_t sector, uint64_t data_gpa,
		    uint32_t len, bool data_in, uint64_t *status_gpa)
{
	uint64_t h = fd_alloc(&f->d, sizeof(struct virtio_blk_outhdr));
	uint64_t s = fd_alloc(&f->d, 1);
	struct virtio_blk_outhdr *hdr = fd_ptr(&f->d, h);
	struct fd_buf b[3];
	unsigned int n = 0;
	uint16_t head;

	hdr->type = htole32(type);
	hdr->ioprio = 0;
	hdr->sector = htole64(sector);
	*(uint8_t *)fd_ptr(&f->d, s) = 0xee; /* the device must overwrite it */
	b[n++] = (struct fd_buf){h, sizeof(*hdr), false};
	if (len)
		b[n++] = (struct fd_buf){data_gpa, len, data_in};
	b[n++] = (struct fd_buf){s, 1, true};
	head = fd_submit(&f->d, b, n);
	if (status_gpa)
		*status_gpa = s;
	return head;
}

int bf_run(struct blk_fixture *f, int count, uint32_t *ids, uint32_t *lens)
{
	time_t deadline = time(NULL) + 5;
	int got = 0;

	f->dev->ops->queue_kick(&f->q);
	while (got < count && time(NULL) <= deadline) {
		uint32_t id, len;

		while (got < count && fd_used(&f->d, &id, &len)) {
			if (ids)
				ids[got] = id;
			if (lens)
				lens[got] = len;
			got++;
		}
		if (got < count)
			hv_loop_run_once(&f->loop, 100);
	}
	return got;
}

struct blk_result bf_do(struct blk_fixture *f, uint32_t type, uint64_t sector, uint64_t data_gpa,
			uint32_t len, bool data_in)
{
	struct blk_result res = {0, 0xff};
	uint64_t s;
	uint32_t id;

	bf_request(f, type, sector, data_gpa, len, data_in, &s);
	if (bf_run(f, 1, &id, &res.used_len) == 1)
		res.status = *(uint8_t *)fd_ptr(&f->d, s);
	return res;
}

void bf_pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}
