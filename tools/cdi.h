/* SPDX-License-Identifier: MIT */
/*
 * A CDI (Container Device Interface) spec for the blk devices hvdpad
 * serves attached to virtio_vdpa: kind hvdpa.dev/blk, one device per
 * /dev/vdX, so that `podman run --device hvdpa.dev/blk=disk0` (or a
 * Kubernetes device plugin's CDI answer) gives a container that disk.
 */
#ifndef HVDPA_TOOLS_CDI_H
#define HVDPA_TOOLS_CDI_H

#include <json-c/json.h>
#include <stddef.h>

#define HV_CDI_DIR  "/var/run/cdi"
#define HV_CDI_KIND "hvdpa.dev/blk"
/* Debian bookworm's podman 4.3 reads CDI specs up to 0.5.0. */
#define HV_CDI_VERSION "0.5.0"

struct hv_cdi_dev {
	const char *name; /* the hvdpa device's */
	const char *path; /* "/dev/vda" */
	unsigned int major, minor;
};

/* A CDI device name: a letter or digit, then letters, digits, _ . : -.
 * hvdpa names may start with one of "_.-", which CDI refuses. */
int hv_cdi_name_ok(const char *s);

/* The spec for devs (in that order); devices whose name CDI would refuse
 * are left out. */
struct json_object *hv_cdi_spec(const struct hv_cdi_dev *devs, unsigned int n);

/* Writes the spec of the blk devices on the vDPA bus now (hv_vdpa_list,
 * hv_vdpa_node, stat) to DIR/hvdpa.json (dir NULL: HV_CDI_DIR), through a
 * temporary file renamed over it, so that a runtime reading the
 * directory sees the old spec or the new one, whole. Warnings (a device
 * left out) go to stderr. Negative errno with one line in err. */
int hv_cdi_write(const char *dir, char *err, size_t errlen);

#endif
