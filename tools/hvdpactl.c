// SPDX-License-Identifier: MIT
/*
 * hvdpactl: the devices hvdpad serves, as the rest of the system sees them.
 *
 *   hvdpactl list                       devices, class, attach state, node
 *   hvdpactl attach NAME virtio|vhost   onto the vDPA bus, to that driver
 *   hvdpactl detach NAME                off the bus (hvdpad keeps serving)
 *   hvdpactl netns NAME NETNS           its netdev into a network namespace
 *   hvdpactl cdi [--output DIR]         the CDI spec of the attached disks
 *
 * and, through hvdpad's control socket (docs/control.md; --control PATH,
 * default /run/hvdpa/control.sock):
 *
 *   hvdpactl add --blk SPEC | --net SPEC   a device, as hvdpad's options
 *   hvdpactl remove NAME                off the bus, and destroyed
 *   hvdpactl devices                    what hvdpad serves
 *   hvdpactl stats [NAME]               per device and queue counters
 *   hvdpactl resize NAME SIZE           a disk's new size
 *   hvdpactl link NAME up|down          a NIC's link
 *
 * -j prints what hvdpad answered as JSON, for scripts.
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
#include <unistd.h>

#include "cdi.h"
#include "hvdpa/control_client.h"
#include "hvdpa/vdpa.h"
#include "hvdpa/version.h"

/* Attaching a device probes its driver: seconds under emulation. */
#define CALL_TIMEOUT_MS 60000

static int usage(FILE *f)
{
	fprintf(f,
		"usage: hvdpactl list\n"
		"       hvdpactl attach NAME virtio|vhost\n"
		"       hvdpactl detach NAME\n"
		"       hvdpactl netns NAME NETNS\n"
		"       hvdpactl [-j] [--control PATH] add --blk SPEC | --net SPEC\n"
		"       hvdpactl [-j] [--control PATH] remove NAME\n"
		"       hvdpactl [-j] [--control PATH] devices\n"
		"       hvdpactl [-j] [--control PATH] stats [NAME]\n"
		"       hvdpactl [-j] [--control PATH] resize NAME SIZE\n"
		"       hvdpactl [-j] [--control PATH] link NAME up|down\n"
		"       hvdpactl --help | --version\n"
		"SPEC: hvdpad's --blk or --net options (name=disk0,path=/srv/disk0.img,...);\n"
		"the control socket defaults to %s.\n",
		HV_CONTROL_DEFAULT);
	return f == stdout ? 0 : 2;
}

static const char *class_of(uint32_t id)
{
	return id == VIRTIO_ID_BLOCK ? "blk" : id == VIRTIO_ID_NET ? "net" : "other";
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
		       hv_attach_state(drv), drv[0] ? drv : "-", node[0] ? node : "-");
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

/* A CDI spec written before (hvdpactl cdi) follows the disks attached
 * and detached since: a runtime resolving hvdpa.dev/blk=NAME finds what
 * is there now. */
static void refresh_cdi(void)
{
	char path[256], err[512];

	snprintf(path, sizeof(path), "%s/hvdpa.json", HV_CDI_DIR);
	if (access(path, F_OK) == 0 && hv_cdi_write(HV_CDI_DIR, err, sizeof(err)) < 0)
		fprintf(stderr, "hvdpactl: %s\n", err);
}

/* "key=value,key=value" into device-add's arguments. Values stay strings:
 * hvdpad parses them as it parses its command line. */
static struct json_object *spec_args(const char *type, const char *spec)
{
	struct json_object *a = json_object_new_object();
	const char *p = spec;

	json_object_object_add(a, "type", json_object_new_string(type));
	while (*p) {
		size_t tl = strcspn(p, ","), kl = strcspn(p, "=");
		char key[64];

		if (kl >= tl || kl == 0 || kl >= sizeof(key)) {
			fprintf(stderr, "hvdpactl: '%.*s' is not key=value\n", (int)tl, p);
			json_object_put(a);
			return NULL;
		}
		snprintf(key, sizeof(key), "%.*s", (int)kl, p);
		json_object_object_add(a, key,
				       json_object_new_string_len(p + kl + 1, (int)(tl - kl - 1)));
		p += tl + (p[tl] == ',');
	}
	return a;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return "-";
	return json_object_get_string(v);
}

static void print_devices(struct json_object *ret)
{
	printf("%-16s %-4s %-8s %-18s %-7s %s\n", "NAME", "TYPE", "ATTACH", "NODE", "ORIGIN",
	       "BACKEND");
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *d = json_object_array_get_idx(ret, i);
		bool net = !strcmp(str(d, "type"), "net");
		char backend[4200];

		if (net)
			snprintf(backend, sizeof(backend), "tap %s, %s, link %s", str(d, "tap"),
				 str(d, "mac"), str(d, "link"));
		else
			snprintf(backend, sizeof(backend), "%s, %s bytes%s", str(d, "path"),
				 str(d, "size"),
				 !strcmp(str(d, "readonly"), "true") ? ", read-only" : "");
		printf("%-16s %-4s %-8s %-18s %-7s %s\n", str(d, "name"), str(d, "type"),
		       str(d, "attach"), str(d, "node"),
		       !strcmp(str(d, "origin"), "control") ? "control" : "cmdline", backend);
	}
}

static void print_stats(struct json_object *ret)
{
	printf("%-16s %-5s %12s %14s %8s %9s %12s %12s %10s\n", "NAME", "QUEUE", "REQUESTS",
	       "BYTES", "ERRORS", "INFLIGHT", "KICKS", "INTERRUPTS", "POLLHITS");
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *d = json_object_array_get_idx(ret, i), *qs;

		printf("%-16s %-5s %12s %14s %8s %9s %12s %12s %10s\n", str(d, "name"), "all",
		       str(d, "requests"), str(d, "bytes"), str(d, "errors"), str(d, "in-flight"),
		       str(d, "kicks"), str(d, "interrupts"), str(d, "poll-hits"));
		if (!json_object_object_get_ex(d, "queues", &qs))
			continue;
		for (size_t j = 0; j < json_object_array_length(qs); j++) {
			struct json_object *q = json_object_array_get_idx(qs, j);

			printf("%-16s %-5s %12s %14s %8s %9s %12s %12s %10s\n", "", str(q, "index"),
			       str(q, "requests"), str(q, "bytes"), str(q, "errors"),
			       str(q, "in-flight"), str(q, "kicks"), str(q, "interrupts"),
			       str(q, "poll-hits"));
		}
	}
}

/* The commands hvdpad answers: argv[0] is the command's name. */
static int control(const char *path, bool json, int argc, char **argv)
{
	struct json_object *args = NULL, *ret = NULL;
	const char *cmd;
	char err[1024];
	int r;

	if (!strcmp(argv[0], "add") && argc == 3 &&
	    (!strcmp(argv[1], "--blk") || !strcmp(argv[1], "--net"))) {
		cmd = "device-add";
		args = spec_args(argv[1] + 2, argv[2]);
		if (!args)
			return 2;
	} else if (!strcmp(argv[0], "remove") && argc == 2) {
		cmd = "device-del";
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[1]));
	} else if (!strcmp(argv[0], "devices") && argc == 1) {
		cmd = "query-devices";
	} else if (!strcmp(argv[0], "stats") && argc <= 2) {
		cmd = "query-stats";
		if (argc == 2) {
			args = json_object_new_object();
			json_object_object_add(args, "name", json_object_new_string(argv[1]));
		}
	} else if (!strcmp(argv[0], "resize") && argc == 3) {
		cmd = "resize";
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[1]));
		json_object_object_add(args, "size", json_object_new_string(argv[2]));
	} else if (!strcmp(argv[0], "link") && argc == 3 &&
		   (!strcmp(argv[2], "up") || !strcmp(argv[2], "down"))) {
		cmd = "set-link";
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[1]));
		json_object_object_add(args, "up", json_object_new_boolean(argv[2][0] == 'u'));
	} else {
		return usage(stderr);
	}
	r = hv_control_call(path, cmd, args, &ret, CALL_TIMEOUT_MS, err, sizeof(err));
	json_object_put(args);
	if (r < 0) {
		fprintf(stderr, "hvdpactl: %s%s\n", err,
			hv_control_unreachable(r) ? " (is hvdpad running with --control?)" : "");
		return 1;
	}
	if (!strcmp(cmd, "device-add") || !strcmp(cmd, "device-del"))
		refresh_cdi();
	if (json)
		printf("%s\n", json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN));
	else if (!strcmp(cmd, "device-add"))
		printf("%s: added%s%s%s\n", str(ret, "name"),
		       strcmp(str(ret, "node"), "-") ? " (" : "",
		       strcmp(str(ret, "node"), "-") ? str(ret, "node") : "",
		       strcmp(str(ret, "node"), "-") ? ")" : "");
	else if (!strcmp(cmd, "query-devices"))
		print_devices(ret);
	else if (!strcmp(cmd, "query-stats"))
		print_stats(ret);
	else if (!strcmp(cmd, "resize"))
		printf("%s: %s bytes\n", argv[1], str(ret, "size"));
	json_object_put(ret);
	return 0;
}

static bool is_control_cmd(const char *c)
{
	static const char *const cmds[] = {"add", "remove", "devices", "stats", "resize", "link"};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(c, cmds[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	char err[512];
	int r;

	const char *path = getenv("HVDPA_CONTROL") ? getenv("HVDPA_CONTROL") : HV_CONTROL_DEFAULT;
	bool json = false;
	int i = 1;

	/* Options of the control commands, before the command. */
	while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--help") &&
	       strcmp(argv[i], "--version")) {
		if (!strcmp(argv[i], "-j"))
			json = true;
		else if (!strcmp(argv[i], "--control") && i + 1 < argc)
			path = argv[++i];
		else
			return usage(stderr);
		i++;
	}
	if (i < argc && is_control_cmd(argv[i]))
		return control(path, json, argc - i, argv + i);
	if (i > 1)
		return usage(stderr);
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
			refresh_cdi();
		}
	} else if (!strcmp(argv[1], "detach") && argc == 3) {
		r = hv_vdpa_detach(argv[2], err, sizeof(err));
		if (r == 0)
			refresh_cdi();
	} else if (!strcmp(argv[1], "netns") && argc == 4) {
		r = hv_vdpa_netns(argv[2], argv[3], err, sizeof(err));
	} else if (!strcmp(argv[1], "cdi") &&
		   (argc == 2 || (argc == 4 && !strcmp(argv[2], "--output")))) {
		const char *dir = argc == 4 ? argv[3] : HV_CDI_DIR;

		r = hv_cdi_write(dir, err, sizeof(err));
		if (r == 0)
			printf("%s/hvdpa.json\n", dir);
	} else {
		return usage(stderr);
	}
	if (r < 0) {
		fprintf(stderr, "hvdpactl: %s\n", err);
		return 1;
	}
	return 0;
}
