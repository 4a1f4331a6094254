// SPDX-License-Identifier: MIT
/*
 * hvdpactl: the devices hvdpad serves, as the rest of the system sees them.
 *
 *   hvdpactl list                       devices, class, attach state, node
 *   hvdpactl attach NAME virtio|vhost   onto the vDPA bus, to that driver
 *   hvdpactl detach NAME                off the bus (hvdpad keeps serving)
 *   hvdpactl netns NAME NETNS           its netdev into a network namespace
 *
 * Errors are one line on stderr and status 1; usage errors status 2.
 * hvdpactl --help and --version print to stdout, status 0.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/vdpa.h"
#include "hvdpa/version.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: hvdpactl list\n"
		   "       hvdpactl attach NAME virtio|vhost\n"
		   "       hvdpactl detach NAME\n"
		   "       hvdpactl netns NAME NETNS\n"
		   "       hvdpactl --help | --version\n");
	return f == stdout ? 0 : 2;
}

static const char *class_of(uint32_t id)
{
	return id == VIRTIO_ID_BLOCK ? "blk" : id == VIRTIO_ID_NET ? "net" : "other";
}

static const char *state_of(const char *drv)
{
	return !strcmp(drv, "virtio_vdpa")  ? "virtio"
	       : !strcmp(drv, "vhost_vdpa") ? "vhost"
	       : drv[0]			    ? "other"
					    : "none";
}

static bool listed(const struct hv_vdpa_dev *d, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(d[i].name, name))
			return true;
	return false;
}

static int list(void)
{
	struct hv_vdpa_dev *devs = NULL;
	unsigned int n = 0;
	char err[256];
	DIR *dir;
	struct dirent *e;

	if (hv_vdpa_list(&devs, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "hvdpactl: %s\n", err);
		return 1;
	}
	printf("%-16s %-6s %-9s %-12s %s\n", "NAME", "CLASS", "ATTACH", "DRIVER", "NODE");
	for (unsigned int i = 0; i < n; i++) {
		char drv[64] = "", node[128] = "";

		hv_vdpa_bound(devs[i].name, drv, sizeof(drv));
		hv_vdpa_node(devs[i].name, node, sizeof(node));
		printf("%-16s %-6s %-9s %-12s %s\n", devs[i].name, class_of(devs[i].device_id),
		       state_of(drv), drv[0] ? drv : "-", node[0] ? node : "-");
	}
	/* Served but not on the bus. */
	dir = opendir("/dev/vduse");
	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "control") &&
		    !listed(devs, n, e->d_name))
			printf("%-16s %-6s %-9s %-12s %s\n", e->d_name, "-", "detached", "-", "-");
	if (dir)
		closedir(dir);
	free(devs);
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	int r;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") && argc == 2)
		return usage(stdout);
	if (!strcmp(argv[1], "--version") && argc == 2)
		return hv_version("hvdpactl");
	if (!strcmp(argv[1], "list") && argc == 2)
		return list();
	if (!strcmp(argv[1], "attach") && argc == 4) {
		enum hv_attach a;
		char node[128];

		if (hv_attach_parse(argv[3], &a) < 0 || a == HV_ATTACH_NONE)
			return usage(stderr);
		r = hv_vdpa_attach(argv[2], a, err, sizeof(err));
		if (r == 0) {
			hv_vdpa_node(argv[2], node, sizeof(node));
			printf("%s: attached (%s): %s\n", argv[2], hv_attach_driver(a), node);
		}
	} else if (!strcmp(argv[1], "detach") && argc == 3) {
		r = hv_vdpa_detach(argv[2], err, sizeof(err));
	} else if (!strcmp(argv[1], "netns") && argc == 4) {
		r = hv_vdpa_netns(argv[2], argv[3], err, sizeof(err));
	} else {
		return usage(stderr);
	}
	if (r < 0) {
		fprintf(stderr, "hvdpactl: %s\n", err);
		return 1;
	}
	return 0;
}
