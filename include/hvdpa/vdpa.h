/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_VDPA_H
#define HVDPA_VDPA_H

#include <stddef.h>
#include <stdint.h>

/*
 * The kernel's vDPA bus, for the devices hvdpad serves: adding one (the
 * generic netlink "vdpa" family, as `vdpa dev add` does), binding it to the
 * driver that makes it a /dev/vdX or ethX (virtio_vdpa) or a
 * /dev/vhost-vdpa-N (vhost_vdpa) through sysfs driver_override, finding what
 * it became, and moving a netdev into a container's network namespace.
 * Errors are a negative errno with one line in err.
 */

enum hv_attach { HV_ATTACH_NONE, HV_ATTACH_VIRTIO, HV_ATTACH_VHOST };

/* "virtio", "vhost" or "none". */
int hv_attach_parse(const char *s, enum hv_attach *out);
const char *hv_attach_name(enum hv_attach a);
/* How a device bound to drv (hv_vdpa_bound; "" for none) is attached:
 * "virtio", "vhost", "other" or "none". */
const char *hv_attach_state(const char *drv);
/* The vdpa bus driver: "virtio_vdpa" or "vhost_vdpa". */
const char *hv_attach_driver(enum hv_attach a);

struct hv_vdpa_dev {
	char name[64];
	char mgmtdev[64];
	uint32_t device_id; /* VIRTIO_ID_* */
};

/* vdpa_nl.c: the netlink family. */
int hv_vdpa_list(struct hv_vdpa_dev **out, unsigned int *n, char *err, size_t errlen);
int hv_vdpa_dev_add(const char *name, const char *mgmtdev, char *err, size_t errlen);
int hv_vdpa_dev_del(const char *name, char *err, size_t errlen);

/* vdpa_bind.c: sysfs. */
/* The bound driver's name into drv, "" when unbound; -ENOENT when NAME is
 * not on the bus. */
int hv_vdpa_bound(const char *name, char *drv, size_t len);
/* What NAME became: "/dev/vda", "eth1", "/dev/vhost-vdpa-0", or "". */
void hv_vdpa_node(const char *name, char *out, size_t len);
/* Adds NAME (a VDUSE device) to the bus, binds it to a's driver and waits
 * for its node. -EALREADY if it is attached so already, -EBUSY if
 * attached otherwise. */
int hv_vdpa_attach(const char *name, enum hv_attach a, char *err, size_t errlen);
int hv_vdpa_detach(const char *name, char *err, size_t errlen);

/* netns.c: moves NAME's netdev into NETNS (a name under /run/netns, or a
 * path such as /proc/PID/ns/net). The MAC address goes with it. */
int hv_vdpa_netns(const char *name, const char *netns, char *err, size_t errlen);
/* The same, renamed to newname there (when not NULL), as a CNI plugin
 * must name the container's interface CNI_IFNAME. */
int hv_vdpa_netns_as(const char *name, const char *netns, const char *newname, char *err,
		     size_t errlen);

#endif
