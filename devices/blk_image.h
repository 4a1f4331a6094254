/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_DEVICES_BLK_IMAGE_H
#define HVDPA_DEVICES_BLK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The storage behind a virtio-blk device: a raw file or a block device. */
struct blk_image {
	int fd;
	uint64_t size; /* bytes */
	bool is_blockdev;
	bool can_discard; /* punches holes */
	/* fallocate mode that zeroes a range without writing it, 0 if none:
	 * ZERO_RANGE, or PUNCH_HOLE where that is all the filesystem has
	 * (tmpfs): a hole reads back as zeroes too. */
	int zero_mode;
};

int blk_image_open(const char *path, bool readonly, struct blk_image *img, char *err,
		   size_t errlen);
void blk_image_close(struct blk_image *img);

#endif
