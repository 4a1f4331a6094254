// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blk_image.h"

/* A block device says whether it discards; there is no harmless probe. */
static bool blockdev_discards(dev_t rdev)
{
	char path[96], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/discard_max_bytes", major(rdev),
		 minor(rdev));
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoull(buf, NULL, 10) > 0;
}

/* Past the end with KEEP_SIZE changes nothing, but still says whether the
 * filesystem supports the mode at all. */
static bool file_supports(int fd, uint64_t size, int mode)
{
	off_t probe = (off_t)size + (1 << 20);

	if (fallocate(fd, mode | FALLOC_FL_KEEP_SIZE, probe, 4096) < 0)
		return false;
	/* ZERO_RANGE may have preallocated the probe: give it back. */
	if (mode != FALLOC_FL_PUNCH_HOLE)
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, probe, 4096);
	return true;
}

int blk_image_open(const char *path, bool readonly, struct blk_image *img, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes;

		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			goto fail_errno;
		img->size = bytes;
		img->is_blockdev = true;
	} else if (S_ISREG(st.st_mode)) {
		img->size = (uint64_t)st.st_size;
	} else {
		snprintf(err, errlen, "%s: not a regular file or block device", path);
		close(fd);
		return -EINVAL;
	}
	if (img->size < 512) {
		snprintf(err, errlen, "%s: smaller than one 512-byte sector", path);
		close(fd);
		return -EINVAL;
	}
	/* Two daemons writing one image corrupt it: refuse the second. */
	if (flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path,
			 e == EWOULDBLOCK ? "in use by another process" : strerror(e));
		close(fd);
		return -(e == EWOULDBLOCK ? EBUSY : e);
	}
	if (!readonly) {
		if (img->is_blockdev) {
			img->can_discard = blockdev_discards(st.st_rdev);
			img->zero_mode = FALLOC_FL_ZERO_RANGE; /* the kernel emulates it */
		} else {
			img->can_discard = file_supports(fd, img->size, FALLOC_FL_PUNCH_HOLE);
			if (file_supports(fd, img->size, FALLOC_FL_ZERO_RANGE))
				img->zero_mode = FALLOC_FL_ZERO_RANGE;
			else if (img->can_discard)
				img->zero_mode = FALLOC_FL_PUNCH_HOLE;
		}
	}
	img->fd = fd;
	return 0;

fail_errno:;
	int e = errno;

	snprintf(err, errlen, "%s: %s", path, strerror(e));
	close(fd);
	return -e;
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}
