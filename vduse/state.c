// SPDX-License-Identifier: MIT
/*
 * The state file of a served device, DIR/NAME.state: its lock says a live
 * process serves NAME; its header records what the VDUSE device was created
 * as and the status last answered; after the header come the queues'
 * in-flight logs. The kernel keeps a VDUSE device when its server dies, and
 * this file, in memory that also outlives the process, is what lets the
 * next one take the device over without losing a request.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "hvdpa/log.h"
#include "vduse_int.h"

#define STATE_MAGIC "HVDPAST"
/* Version 1 still: a device that offers no packed ring has the same file
 * as before it could (inflight.h); one that does has a longer stride, which
 * the check of its arguments and layout tells apart. */
#define STATE_VERSION 1

struct state_hdr {
	char magic[8];
	uint32_t version;
	uint32_t pid; /* of the process holding the lock */
	uint32_t device_id;
	uint32_t config_size;
	uint64_t features;
	uint16_t num_queues, queue_size;
	uint8_t status;	 /* last status answered to the kernel */
	uint8_t created; /* the VDUSE device exists with its queues set up */
	uint8_t pad[2];
	uint64_t queue_stride;
	uint8_t config[HV_CONFIG_MAX];
};

#define HDR_BYTES ((sizeof(struct state_hdr) + 63) & ~(size_t)63)

struct hv_vduse_state {
	char path[PATH_MAX]; /* for messages; files are reached through dirfd */
	char file[NAME_MAX + 1];
	int dirfd, fd;
	bool reattach;
	struct state_hdr *hdr;
	size_t len;
};

const char *vduse_node_dir = "/dev/vduse";

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/*
 * Root writes through the state directory, so nobody else may have put
 * anything in it: it must be root's (or our own user's) and writable by
 * no one else. Returns an fd on it, or a negative errno with err set.
 */
static int open_state_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int r = mkdir_p(dir), fd;

	if (r < 0) {
		snprintf(err, errlen, "state directory %s: %s", dir, strerror(-r));
		return r;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "state directory %s: %s%s", dir, strerror(-r),
			 r == -ENOTDIR || r == -ELOOP ? " (a symlink is not accepted)" : "");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "state directory %s: %s", dir, strerror(-r));
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "state directory %s is owned by uid %u: only root's (or hvdpad's user's) "
			 "is trusted",
			 dir, (unsigned int)st.st_uid);
		r = -EPERM;
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "state directory %s is writable by group or others, who could plant "
			 "files in it: chmod go-w it, or use another",
			 dir);
		r = -EPERM;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int hv_vduse_claim(const char *dir, const char *name, struct hv_vduse_state **out, char *err,
		   size_t errlen)
{
	struct hv_vduse_state *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->fd = s->dirfd = -1;
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/%s.state", dir, name) >=
		    sizeof(s->path) ||
	    (size_t)snprintf(s->file, sizeof(s->file), "%s.state", name) >= sizeof(s->file) ||
	    strchr(name, '/')) {
		snprintf(err, errlen, "state directory path too long, or a bad name");
		free(s);
		return -ENAMETOOLONG;
	}
	s->dirfd = open_state_dir(dir, err, errlen);
	if (s->dirfd < 0) {
		r = s->dirfd;
		free(s);
		return r;
	}
	/* A holder that unlinks the file as it exits leaves us a lock on a
	 * dead inode: lock, then check the name still leads to it. Never
	 * through a symlink, and only to a regular file of ours. */
	for (;;) {
		struct stat a, b;

		s->fd = openat(s->dirfd, s->file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s->fd < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s%s", s->path, strerror(-r),
				 r == -ELOOP ? " (a symlink: refused, not followed)" : "");
			close(s->dirfd);
			free(s);
			return r;
		}
		if (fstat(s->fd, &a) < 0 || !S_ISREG(a.st_mode) || a.st_uid != geteuid()) {
			snprintf(err, errlen, "%s: not a regular file of ours: refused", s->path);
			close(s->fd);
			close(s->dirfd);
			free(s);
			return -EPERM;
		}
		if (flock(s->fd, LOCK_EX | LOCK_NB) < 0) {
			uint32_t pid = 0;

			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			if (pread(s->fd, &pid, sizeof(pid), offsetof(struct state_hdr, pid)) !=
			    sizeof(pid))
				pid = 0;
			if (r == -EBUSY)
				snprintf(err, errlen,
					 "device '%s' is served by a running hvdpad (pid %u, lock "
					 "%s)",
					 name, pid, s->path);
			else
				snprintf(err, errlen, "%s: flock: %s", s->path, strerror(-r));
			close(s->fd);
			close(s->dirfd);
			free(s);
			return r;
		}
		if (fstatat(s->dirfd, s->file, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		close(s->fd);
	}
	uint32_t pid = (uint32_t)getpid();
	if (pwrite(s->fd, &pid, sizeof(pid), offsetof(struct state_hdr, pid)) != sizeof(pid)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", s->path, strerror(-r));
		hv_vduse_release(s);
		return r;
	}
	*out = s;
	return 0;
}

void hv_vduse_release(struct hv_vduse_state *s)
{
	struct stat st;

	if (!s)
		return;
	if (s->hdr)
		munmap(s->hdr, s->len);
	else if (fstat(s->fd, &st) == 0 && st.st_size < (off_t)sizeof(struct state_hdr))
		unlinkat(s->dirfd, s->file, 0); /* only our pid in it: no record to keep */
	close(s->fd);
	close(s->dirfd);
	free(s);
}

static size_t state_len(const struct hv_device *dev, uint64_t *stride)
{
	bool packed = dev->features & (1ull << VIRTIO_F_RING_PACKED);

	*stride = (hv_inflight_bytes(dev->queue_size, packed) + 63) & ~(uint64_t)63;
	return HDR_BYTES + (size_t)*stride * dev->num_queues;
}

/* Names the first property the device was created with that dev lacks. */
static const char *mismatch(const struct state_hdr *h, const struct hv_device *dev)
{
	if (h->device_id != dev->device_id)
		return "device type";
	if (h->num_queues != dev->num_queues)
		return "number of queues";
	if (h->queue_size != dev->queue_size)
		return "queue size";
	if (h->features != dev->features)
		return "features (read-only, discard, ...)";
	if (h->config_size != dev->config_size || memcmp(h->config, dev->config, h->config_size))
		return "configuration space (capacity, ...)";
	return NULL;
}

int hv_vduse_claim_check(struct hv_vduse_state *s, const struct hv_device *dev, char *err,
			 size_t errlen)
{
	char node[PATH_MAX];
	struct state_hdr h;
	struct stat st;
	const char *why;
	uint64_t stride;
	size_t len = state_len(dev, &stride);

	snprintf(node, sizeof(node), "%s/%s", vduse_node_dir, dev->name);
	s->reattach = false;
	if (stat(node, &st) < 0)
		return 0;
	if (pread(s->fd, &h, sizeof(h), 0) != sizeof(h) || memcmp(h.magic, STATE_MAGIC, 8) ||
	    h.version != STATE_VERSION || !h.created) {
		snprintf(err, errlen,
			 "%s exists but %s has no record of it: another program's device, or one "
			 "made before this state directory",
			 node, s->path);
		return -EEXIST;
	}
	why = mismatch(&h, dev);
	if (why) {
		snprintf(err, errlen,
			 "%s exists with a different %s: start hvdpad with the arguments it was "
			 "created with, or remove it (vdpa dev del %s, then let that hvdpad exit)",
			 node, why, dev->name);
		return -EEXIST;
	}
	/* What the file says of its own layout is used to find the logs:
	 * it must be exactly what this device makes. */
	if (fstat(s->fd, &st) < 0)
		st.st_size = 0;
	if (h.queue_stride != stride || (uint64_t)st.st_size < len) {
		snprintf(err, errlen,
			 "%s is damaged (queue_stride %llu, expected %llu; %lld of %zu bytes): not "
			 "taking over %s from it; remove the device (vdpa dev del %s) and the file",
			 s->path, (unsigned long long)h.queue_stride, (unsigned long long)stride,
			 (long long)st.st_size, len, node, dev->name);
		return -EINVAL;
	}
	s->reattach = true;
	return 1;
}

bool vduse_state_reattach(const struct hv_vduse_state *s)
{
	return s->reattach;
}

int vduse_state_map(struct hv_vduse_state *s, const struct hv_device *dev)
{
	uint64_t stride;
	size_t len = state_len(dev, &stride);
	void *p;

	if (!s->reattach && ftruncate(s->fd, 0) < 0)
		return -errno;
	if (ftruncate(s->fd, (off_t)len) < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	s->hdr = p;
	s->len = len;
	if (s->reattach && s->hdr->queue_stride != stride) {
		/* Changed since hv_vduse_claim_check() read it. */
		munmap(p, len);
		s->hdr = NULL;
		return -EINVAL;
	}
	s->hdr->pid = (uint32_t)getpid();
	if (s->reattach)
		return 0;
	/* Fresh: the header is written now, marked created only once the
	 * kernel has the device (vduse_state_created). */
	memcpy(s->hdr->magic, STATE_MAGIC, 8);
	s->hdr->version = STATE_VERSION;
	s->hdr->device_id = dev->device_id;
	s->hdr->config_size = dev->config_size;
	s->hdr->features = dev->features;
	s->hdr->num_queues = dev->num_queues;
	s->hdr->queue_size = dev->queue_size;
	s->hdr->queue_stride = stride;
	memcpy(s->hdr->config, dev->config, dev->config_size);
	return 0;
}

void vduse_state_record_config(struct hv_vduse_state *s, const struct hv_device *dev)
{
	memcpy(s->hdr->config, dev->config, dev->config_size);
}

void vduse_state_created(struct hv_vduse_state *s)
{
	__atomic_store_n(&s->hdr->created, 1, __ATOMIC_RELEASE);
}

uint8_t vduse_state_status(const struct hv_vduse_state *s)
{
	return s->hdr->status;
}

void vduse_state_set_status(struct hv_vduse_state *s, uint8_t status)
{
	__atomic_store_n(&s->hdr->status, status, __ATOMIC_RELEASE);
}

struct hv_inflight *vduse_state_log(struct hv_vduse_state *s, unsigned int queue)
{
	return (struct hv_inflight *)((uint8_t *)s->hdr + HDR_BYTES + s->hdr->queue_stride * queue);
}

void vduse_state_remove(struct hv_vduse_state *s)
{
	unlinkat(s->dirfd, s->file, 0);
}
