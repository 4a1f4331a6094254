// SPDX-License-Identifier: MIT
/* /dev/vduse/control: API version, device creation and destruction. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vduse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vduse_int.h"

int vduse_control_open(char *err, size_t errlen)
{
	uint64_t version = VDUSE_API_VERSION;
	int fd = open(HV_VDUSE_CONTROL, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s%s", HV_VDUSE_CONTROL, strerror(e),
			 e == ENOENT ? " (is the vduse module loaded? try: modprobe vduse)" : "");
		return -e;
	}
	/* Version 0 is what every kernel with VDUSE speaks; we use nothing
	 * newer yet. */
	if (ioctl(fd, VDUSE_SET_API_VERSION, &version) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot set API version %llu: %s", HV_VDUSE_CONTROL,
			 (unsigned long long)version, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int hv_vduse_check(char *err, size_t errlen)
{
	int fd = vduse_control_open(err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int vduse_control_create(int ctrl, const struct hv_device *dev, char *err, size_t errlen)
{
	struct vduse_dev_config *c = calloc(1, sizeof(*c) + dev->config_size);
	int r = 0;

	if (!c)
		return -ENOMEM;
	snprintf(c->name, sizeof(c->name), "%s", dev->name);
	c->vendor_id = 0;
	c->device_id = dev->device_id;
	c->features = dev->features;
	c->vq_num = dev->num_queues;
	c->vq_align = 4096;
	c->config_size = dev->config_size;
	memcpy(c->config, dev->config, dev->config_size);
	if (ioctl(ctrl, VDUSE_CREATE_DEV, c) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: VDUSE_CREATE_DEV: %s%s", dev->name, strerror(-r),
			 r == -EEXIST ? " (a VDUSE device of that name exists)" : "");
	}
	free(c);
	return r;
}

int vduse_control_destroy(int ctrl, const char *name)
{
	char n[VDUSE_NAME_MAX] = {0};

	snprintf(n, sizeof(n), "%s", name);
	return ioctl(ctrl, VDUSE_DESTROY_DEV, n) < 0 ? -errno : 0;
}
