// SPDX-License-Identifier: MIT
/* The CDI spec of hvdpad's attached blk devices (cdi.h). */
#include "cdi.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hvdpa/vdpa.h"

int hv_cdi_name_ok(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.:-", *s))
			return 0;
	return 1;
}

struct json_object *hv_cdi_spec(const struct hv_cdi_dev *devs, unsigned int n)
{
	struct json_object *spec = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(spec, "cdiVersion", json_object_new_string(HV_CDI_VERSION));
	json_object_object_add(spec, "kind", json_object_new_string(HV_CDI_KIND));
	for (unsigned int i = 0; i < n; i++) {
		struct json_object *d, *edits, *nodes, *node;

		if (!hv_cdi_name_ok(devs[i].name))
			continue;
		d = json_object_new_object();
		edits = json_object_new_object();
		nodes = json_object_new_array();
		node = json_object_new_object();
		json_object_object_add(node, "path", json_object_new_string(devs[i].path));
		json_object_object_add(node, "type", json_object_new_string("b"));
		json_object_object_add(node, "major", json_object_new_int64(devs[i].major));
		json_object_object_add(node, "minor", json_object_new_int64(devs[i].minor));
		json_object_array_add(nodes, node);
		json_object_object_add(edits, "deviceNodes", nodes);
		json_object_object_add(d, "name", json_object_new_string(devs[i].name));
		json_object_object_add(d, "containerEdits", edits);
		json_object_array_add(arr, d);
	}
	json_object_object_add(spec, "devices", arr);
	return spec;
}

/* text to dir/hvdpa.json, by a temporary file in dir and rename(2). */
static int write_atomic(const char *dir, const char *text, char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	size_t len = strlen(text);
	int fd, r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/hvdpa.json", dir) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.hvdpa.json.XXXXXX", dir) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return r;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return r;
	}
	/* Readable by the runtime whatever our umask; mkostemp makes 0600. */
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	for (size_t off = 0; r == 0 && off < len;) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(-r));
		unlink(tmp);
	}
	return r;
}

int hv_cdi_write(const char *dir, char *err, size_t errlen)
{
	struct hv_vdpa_dev *list = NULL;
	struct hv_cdi_dev *devs;
	char(*paths)[128];
	unsigned int n = 0, k = 0;
	struct json_object *spec;
	int r;

	if (!dir)
		dir = HV_CDI_DIR;
	r = hv_vdpa_list(&list, &n, err, errlen);
	if (r < 0)
		return r;
	devs = calloc(n ? n : 1, sizeof(*devs));
	paths = calloc(n ? n : 1, sizeof(*paths));
	if (!devs || !paths) {
		free(devs);
		free(paths);
		free(list);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct stat st;

		if (list[i].device_id != VIRTIO_ID_BLOCK)
			continue;
		hv_vdpa_node(list[i].name, paths[k], sizeof(paths[k]));
		/* vhost_vdpa's /dev/vhost-vdpa-N is not a disk; unbound: nothing. */
		if (strncmp(paths[k], "/dev/vd", 7))
			continue;
		if (stat(paths[k], &st) < 0 || !S_ISBLK(st.st_mode)) {
			fprintf(stderr, "hvdpactl: cdi: %s: %s is not a block device, left out\n",
				list[i].name, paths[k]);
			continue;
		}
		if (!hv_cdi_name_ok(list[i].name)) {
			fprintf(stderr,
				"hvdpactl: cdi: %s: CDI names start with a letter or digit, left "
				"out\n",
				list[i].name);
			continue;
		}
		devs[k] = (struct hv_cdi_dev){list[i].name, paths[k], major(st.st_rdev),
					      minor(st.st_rdev)};
		k++;
	}
	spec = hv_cdi_spec(devs, k);
	r = write_atomic(dir,
			 json_object_to_json_string_ext(
				 spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
			 err, errlen);
	json_object_put(spec);
	free(devs);
	free(paths);
	free(list);
	return r;
}
