// SPDX-License-Identifier: MIT
/*
 * Which driver has a vDPA device, and what it made of it, through sysfs:
 * /sys/bus/vdpa/devices/NAME/{driver,driver_override}, and below it
 * virtioN/block/vdX, virtioN/net/ethX or vhost-vdpa-N.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvdpa/vdpa.h"

#define BUS "/sys/bus/vdpa"

int hv_attach_parse(const char *s, enum hv_attach *out)
{
	if (!strcmp(s, "virtio"))
		*out = HV_ATTACH_VIRTIO;
	else if (!strcmp(s, "vhost"))
		*out = HV_ATTACH_VHOST;
	else if (!strcmp(s, "none"))
		*out = HV_ATTACH_NONE;
	else
		return -EINVAL;
	return 0;
}

const char *hv_attach_name(enum hv_attach a)
{
	return a == HV_ATTACH_VIRTIO ? "virtio" : a == HV_ATTACH_VHOST ? "vhost" : "none";
}

const char *hv_attach_state(const char *drv)
{
	return !strcmp(drv, "virtio_vdpa")  ? "virtio"
	       : !strcmp(drv, "vhost_vdpa") ? "vhost"
	       : drv[0]			    ? "other"
					    : "none";
}

const char *hv_attach_driver(enum hv_attach a)
{
	return a == HV_ATTACH_VIRTIO ? "virtio_vdpa" : a == HV_ATTACH_VHOST ? "vhost_vdpa" : "";
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int hv_vdpa_bound(const char *name, char *drv, size_t len)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), BUS "/devices/%s", name);
	if (access(path, F_OK) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), BUS "/devices/%s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	drv[0] = '\0';
	if (n > 0) {
		const char *base;

		link[n] = '\0';
		base = strrchr(link, '/');
		snprintf(drv, len, "%s", base ? base + 1 : link);
	}
	return 0;
}

/* The first entry of dir whose name starts with prefix, or "". */
static void first_entry(const char *dir, const char *prefix, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !strncmp(e->d_name, prefix, strlen(prefix))) {
			size_t n = strnlen(e->d_name, len - 1);

			memcpy(out, e->d_name, n);
			out[n] = '\0';
			break;
		}
	closedir(d);
}

void hv_vdpa_node(const char *name, char *out, size_t len)
{
	char dir[256], virtio[64], sub[400], leaf[64];

	snprintf(dir, sizeof(dir), BUS "/devices/%s", name);
	first_entry(dir, "vhost-vdpa-", leaf, sizeof(leaf));
	if (leaf[0]) {
		snprintf(out, len, "/dev/%s", leaf);
		return;
	}
	first_entry(dir, "virtio", virtio, sizeof(virtio));
	out[0] = '\0';
	if (!virtio[0])
		return;
	snprintf(sub, sizeof(sub), "%s/%s/block", dir, virtio);
	first_entry(sub, "", leaf, sizeof(leaf));
	if (leaf[0]) {
		snprintf(out, len, "/dev/%s", leaf);
		return;
	}
	snprintf(sub, sizeof(sub), "%s/%s/net", dir, virtio);
	first_entry(sub, "", leaf, sizeof(leaf));
	snprintf(out, len, "%s", leaf);
}

/* Moves NAME to drv: the kernel binds a new device to whichever loaded
 * driver came first, so this undoes that when it was the other one. */
static int bind_to(const char *name, const char *drv, char *err, size_t errlen)
{
	char path[256], cur[64];
	int r;

	for (int i = 0; i < 20 && hv_vdpa_bound(name, cur, sizeof(cur)) == 0 && !cur[0]; i++)
		sleep_ms(10);
	if (hv_vdpa_bound(name, cur, sizeof(cur)) < 0) {
		snprintf(err, errlen, "%s: not on the vDPA bus", name);
		return -ENOENT;
	}
	if (!strcmp(cur, drv))
		return 0;
	snprintf(path, sizeof(path), BUS "/devices/%s/driver_override", name);
	r = write_file(path, drv);
	if (r == 0 && cur[0]) {
		snprintf(path, sizeof(path), BUS "/drivers/%s/unbind", cur);
		r = write_file(path, name);
	}
	if (r == 0) {
		snprintf(path, sizeof(path), BUS "/drivers/%s/bind", drv);
		r = write_file(path, name);
	}
	if (r < 0)
		snprintf(err, errlen, "%s: binding to %s: %s", name, drv, strerror(-r));
	return r;
}

int hv_vdpa_attach(const char *name, enum hv_attach a, char *err, size_t errlen)
{
	const char *drv = hv_attach_driver(a);
	char path[256], cur[64], node[128];
	int r;

	if (a == HV_ATTACH_NONE)
		return 0;
	if (hv_vdpa_bound(name, cur, sizeof(cur)) == 0) {
		if (!strcmp(cur, drv)) {
			snprintf(err, errlen, "%s: already attached (%s)", name, drv);
			return -EALREADY;
		}
		snprintf(err, errlen, "%s: already on the vDPA bus%s%s: detach it first", name,
			 cur[0] ? " with " : ", unbound", cur);
		return -EBUSY;
	}
	/* Checked first, so that a missing module leaves nothing behind. */
	snprintf(path, sizeof(path), BUS "/drivers/%s", drv);
	if (access(path, F_OK) < 0) {
		snprintf(err, errlen, "%s: driver %s is not loaded (modprobe %s)", name, drv, drv);
		return -ENOENT;
	}
	r = hv_vdpa_dev_add(name, "vduse", err, errlen);
	if (r < 0)
		return r;
	r = bind_to(name, drv, err, errlen);
	if (r < 0) {
		hv_vdpa_dev_del(name, path, sizeof(path));
		return r;
	}
	/* A driver's probe can take seconds on a slow (emulated) machine. */
	for (int i = 0; i < 3000; i++) {
		hv_vdpa_node(name, node, sizeof(node));
		if (node[0] && (node[0] != '/' || access(node, F_OK) == 0))
			return 0;
		sleep_ms(10);
	}
	snprintf(err, errlen, "%s: bound to %s, but no device node appeared", name, drv);
	return -ETIMEDOUT;
}

int hv_vdpa_detach(const char *name, char *err, size_t errlen)
{
	char cur[64];

	if (hv_vdpa_bound(name, cur, sizeof(cur)) < 0) {
		snprintf(err, errlen, "%s: not attached", name);
		return -ENOENT;
	}
	return hv_vdpa_dev_del(name, err, errlen);
}
