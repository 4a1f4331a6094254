// SPDX-License-Identifier: MIT
/*
 * hvdpad's control commands (docs/control.md), run on the main thread: it
 * alone adds and removes devices. What changes a device's config space
 * (resize, set-link) runs on that device's own thread, which the main
 * thread waits for at most CALL_TIMEOUT_MS: a device stuck in a reset
 * holds up its own request, never the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "hvdpad.h"
#include "hvdpad_control.h"

#define CALL_TIMEOUT_MS 5000

#define CLS_PARAM "InvalidParameter"
#define CLS_NODEV "DeviceNotFound"
#define CLS_NOCMD "CommandNotFound"
#define CLS_ERROR "GenericError"

struct cmd_ctx {
	const char **cls;
	char *desc;
	size_t desclen;
};

static struct json_object *fail(struct cmd_ctx *c, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct json_object *fail(struct cmd_ctx *c, const char *cls, const char *fmt, ...)
{
	va_list ap;

	*c->cls = cls;
	va_start(ap, fmt);
	vsnprintf(c->desc, c->desclen, fmt, ap);
	va_end(ap);
	return NULL;
}

/* Devices added here, in the config file syntax, so that a restart with
 * the same --control adds them again (docs/control.md). */
int hvdpad_control_save(const char *file)
{
	char tmp[4200];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	fprintf(f, "# hvdpad: devices added through the control socket; rewritten by it\n");
	for (unsigned int i = 0; i < nserved; i++)
		if (served[i].used && served[i].runtime)
			fprintf(f, "%s %s\n", served[i].is_net ? "net" : "blk", served[i].spec);
	if (fflush(f) || fsync(fd) || ferror(f)) {
		int e = errno ? errno : EIO;

		fclose(f);
		unlink(tmp);
		return -e;
	}
	fclose(f);
	if (rename(tmp, file) < 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

static const char *attach_now(const char *name)
{
	char drv[64] = "";

	if (hv_vdpa_bound(name, drv, sizeof(drv)) < 0)
		return "none";
	return hv_attach_state(drv);
}

static struct json_object *device_json(const struct served *s)
{
	struct json_object *o = json_object_new_object();
	char node[128] = "";

	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "type", json_object_new_string(s->is_net ? "net" : "blk"));
	if (s->is_net) {
		const uint8_t *m = s->net.mac;
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		json_object_object_add(o, "tap", json_object_new_string(s->net.tap));
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "mtu", json_object_new_int(s->net.mtu));
		json_object_object_add(
			o, "link",
			json_object_new_string(s->dev && hv_net_link_up(s->dev) ? "up" : "down"));
		json_object_object_add(o, "queue-size", json_object_new_int(s->net.queue_size));
	} else {
		json_object_object_add(o, "path",
				       s->opt.null ? NULL : json_object_new_string(s->opt.path));
		json_object_object_add(o, "size",
				       json_object_new_uint64(s->dev ? hv_blk_size(s->dev) : 0));
		json_object_object_add(o, "readonly",
				       json_object_new_boolean(s->dev ? hv_blk_read_only(s->dev)
								      : s->opt.readonly));
		json_object_object_add(o, "queues", json_object_new_int(s->opt.num_queues));
		json_object_object_add(o, "queue-size", json_object_new_int(s->opt.queue_size));
	}
	json_object_object_add(o, "attach", json_object_new_string(attach_now(s->name)));
	hv_vdpa_node(s->name, node, sizeof(node));
	json_object_object_add(o, "node", node[0] ? json_object_new_string(node) : NULL);
	json_object_object_add(o, "origin",
			       json_object_new_string(s->runtime ? "control" : "command-line"));
	json_object_object_add(o, "taken-over", json_object_new_boolean(s->takeover));
	return o;
}

/* The option string --blk or --net would take, from device-add's
 * arguments. */
static int args_to_spec(struct json_object *args, char *spec, size_t len, bool *is_net,
			struct cmd_ctx *c)
{
	struct json_object *type;
	size_t n = 0;

	if (!json_object_object_get_ex(args, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    (strcmp(json_object_get_string(type), "blk") &&
	     strcmp(json_object_get_string(type), "net"))) {
		fail(c, CLS_PARAM, "\"type\" must be \"blk\" or \"net\"");
		return -EINVAL;
	}
	*is_net = !strcmp(json_object_get_string(type), "net");
	spec[0] = '\0';
	json_object_object_foreach(args, key, val)
	{
		char v[4096];
		int w;

		if (!strcmp(key, "type"))
			continue;
		if (!key[0] || strspn(key, "abcdefghijklmnopqrstuvwxyz-") != strlen(key)) {
			fail(c, CLS_PARAM, "unknown key '%.64s'", key);
			return -EINVAL;
		}
		switch (json_object_get_type(val)) {
		case json_type_string:
			snprintf(v, sizeof(v), "%s", json_object_get_string(val));
			break;
		case json_type_boolean:
			snprintf(v, sizeof(v), "%s", json_object_get_boolean(val) ? "on" : "off");
			break;
		case json_type_int:
			if (json_object_get_int64(val) < 0) {
				fail(c, CLS_PARAM, "'%s' is negative", key);
				return -EINVAL;
			}
			snprintf(v, sizeof(v), "%lld", (long long)json_object_get_int64(val));
			break;
		default:
			fail(c, CLS_PARAM, "'%s' must be a string, a number or a boolean", key);
			return -EINVAL;
		}
		/* The option syntax has no quoting: a comma would split it. */
		if (strpbrk(v, ",\n\r") || strlen(v) != strlen(json_object_get_string(val)) ||
		    !v[0]) {
			fail(c, CLS_PARAM, "'%s' is empty or has a comma or a line break", key);
			return -EINVAL;
		}
		w = snprintf(spec + n, len - n, "%s%s=%s", n ? "," : "", key, v);
		if (w < 0 || (size_t)w >= len - n) {
			fail(c, CLS_PARAM, "the options are longer than %zu bytes", len - 1);
			return -EINVAL;
		}
		n += (size_t)w;
	}
	return 0;
}

static struct json_object *device_add(struct hvdpad_control *ctl, struct json_object *args,
				      struct cmd_ctx *c)
{
	char spec[4096], err[1024];
	struct served *s;
	bool is_net;
	int r;

	if (ctl->busy && ctl->busy())
		return fail(c, CLS_ERROR, "hvdpad is still attaching its first devices; retry");
	if (args_to_spec(args, spec, sizeof(spec), &is_net, c) < 0)
		return NULL;
	s = served_alloc();
	if (!s)
		return fail(c, CLS_ERROR, "hvdpad serves %u devices already", HVDPAD_MAX_DEVICES);
	if (served_parse(s, is_net, spec, "control", err, sizeof(err)) < 0) {
		served_free(s);
		return fail(c, CLS_PARAM, "%s", err);
	}
	s->name = NULL; /* not findable until it is served */
	if (served_find(is_net ? s->net.name : s->opt.name)) {
		served_free(s);
		return fail(c, CLS_ERROR, "a device named %s exists",
			    is_net ? s->net.name : s->opt.name);
	}
	s->name = is_net ? s->net.name : s->opt.name;
	r = hv_vduse_claim(state_dir, s->name, &s->claim, err, sizeof(err));
	if (r == 0)
		r = served_build(s, err, sizeof(err));
	if (r == 0)
		r = served_start(s, err, sizeof(err));
	s->runtime = true;
	if (r == 0 && ctl->devices_file) {
		r = hvdpad_control_save(ctl->devices_file);
		if (r < 0)
			snprintf(err, sizeof(err), "cannot record it in %s: %s", ctl->devices_file,
				 strerror(-r));
	}
	if (r == 0) {
		served_print_ready(s);
		hv_info("%s: added through the control socket", s->name);
	}
	if (r == 0 && s->attach != HV_ATTACH_NONE) {
		r = hv_vdpa_attach(s->name, s->attach, err, sizeof(err));
		if (r == -EALREADY)
			r = 0; /* taken over while attached */
	}
	if (r < 0) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", err);
		if (s->vduse && hv_vdpa_bound(s->name, err, sizeof(err)) == 0)
			hv_vdpa_detach(s->name, err, sizeof(err));
		served_stop(s);
		served_free(s);
		if (ctl->devices_file)
			hvdpad_control_save(ctl->devices_file);
		return fail(c, CLS_ERROR, "%s", why);
	}
	return device_json(s);
}

static struct served *find_arg(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *name;
	struct served *s;

	if (!json_object_object_get_ex(args, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return fail(c, CLS_PARAM, "\"name\" (a string) is required"), NULL;
	s = served_find(json_object_get_string(name));
	if (!s)
		fail(c, CLS_NODEV, "no device named %.64s", json_object_get_string(name));
	return s;
}

static struct json_object *device_del(struct hvdpad_control *ctl, struct json_object *args,
				      struct cmd_ctx *c)
{
	struct served *s = find_arg(args, c);
	char err[512], drv[64];
	bool runtime;
	int r;

	if (!s)
		return NULL;
	if (ctl->busy && ctl->busy())
		return fail(c, CLS_ERROR, "hvdpad is still attaching its first devices; retry");
	/* Off the bus first: its driver lets go of it, and the kernel then
	 * lets us destroy it. */
	if (hv_vdpa_bound(s->name, drv, sizeof(drv)) == 0 &&
	    hv_vdpa_detach(s->name, err, sizeof(err)) < 0)
		return fail(c, CLS_ERROR, "%s", err);
	runtime = s->runtime;
	r = served_stop(s);
	hv_info("%s: removed through the control socket", s->name);
	served_free(s);
	if (runtime && ctl->devices_file && hvdpad_control_save(ctl->devices_file) < 0)
		hv_warn("cannot rewrite %s: %s", ctl->devices_file, strerror(errno));
	if (r == -EBUSY)
		return fail(c, CLS_ERROR,
			    "its VDUSE device is on the vDPA bus again: "
			    "vdpa dev del removes it");
	return NULL;
}

static struct json_object *stats_json(const struct hv_queue_stats *st)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "requests", json_object_new_uint64(st->requests));
	json_object_object_add(o, "bytes", json_object_new_uint64(st->bytes));
	json_object_object_add(o, "errors", json_object_new_uint64(st->errors));
	json_object_object_add(o, "in-flight", json_object_new_uint64(st->in_flight));
	json_object_object_add(o, "kicks", json_object_new_uint64(st->kicks));
	json_object_object_add(o, "interrupts", json_object_new_uint64(st->interrupts));
	json_object_object_add(o, "poll-hits", json_object_new_uint64(st->poll_hits));
	return o;
}

static struct json_object *device_stats(const struct served *s)
{
	struct json_object *o, *queues = json_object_new_array();
	struct hv_queue_stats total = {0};

	for (unsigned int i = 0; s->vduse && i < s->dev->num_queues; i++) {
		struct hv_queue_stats st;
		struct json_object *q;

		hv_vduse_queue_stats(s->vduse, i, &st);
		hv_queue_stats_sum(&total, &st);
		q = stats_json(&st);
		json_object_object_add(q, "index", json_object_new_int((int)i));
		json_object_array_add(queues, q);
	}
	o = stats_json(&total);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "queues", queues);
	return o;
}

static struct json_object *query_stats(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *a;

	if (json_object_object_get_ex(args, "name", NULL)) {
		struct served *s = find_arg(args, c);

		if (!s)
			return NULL;
		a = json_object_new_array();
		json_object_array_add(a, device_stats(s));
		return a;
	}
	a = json_object_new_array();
	for (unsigned int i = 0; i < nserved; i++)
		if (served[i].used && served[i].vduse)
			json_object_array_add(a, device_stats(&served[i]));
	return a;
}

static struct json_object *query_devices(void)
{
	struct json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < nserved; i++)
		if (served[i].used && served[i].vduse)
			json_object_array_add(a, device_json(&served[i]));
	return a;
}

static int do_resize(struct served *s, struct served_call *c)
{
	int r = hv_blk_resize(s->dev, c->size, c->err, sizeof(c->err));

	if (r == 0)
		hv_vduse_record_config(s->vduse);
	return r;
}

static int do_set_link(struct served *s, struct served_call *c)
{
	hv_net_set_link(s->dev, c->up);
	return 0;
}

/* Runs c on s's thread; NULL with the error set when it failed. */
static bool call(struct served *s, struct served_call *sc, struct cmd_ctx *c)
{
	struct served_call out;
	int r = served_call_on_thread(s, sc, CALL_TIMEOUT_MS, &out);

	if (r == -EBUSY || r == -ETIMEDOUT) {
		fail(c, CLS_ERROR, "%s: its thread is busy (a reset the driver has not finished?)",
		     s->name);
		return false;
	}
	if (r < 0) {
		fail(c, CLS_ERROR, "%s: %s", s->name, strerror(-r));
		return false;
	}
	if (out.result < 0) {
		fail(c, out.result == -EINVAL ? CLS_PARAM : CLS_ERROR, "%s", out.err);
		return false;
	}
	return true;
}

static struct json_object *resize(struct json_object *args, struct cmd_ctx *c)
{
	struct served *s = find_arg(args, c);
	struct served_call sc = {.fn = do_resize};
	struct json_object *size, *ret;

	if (!s)
		return NULL;
	if (s->is_net)
		return fail(c, CLS_PARAM, "%s is not a disk", s->name);
	if (s->opt.null)
		return fail(c, CLS_PARAM, "%s is a null disk: its size is its command line's",
			    s->name);
	if (!json_object_object_get_ex(args, "size", &size))
		return fail(c, CLS_PARAM, "\"size\" is required");
	if (json_object_is_type(size, json_type_int) && json_object_get_int64(size) > 0)
		sc.size = (uint64_t)json_object_get_int64(size);
	else if (!json_object_is_type(size, json_type_string) ||
		 hv_blk_parse_size(json_object_get_string(size), &sc.size) < 0)
		return fail(c, CLS_PARAM,
			    "\"size\" must be a positive number of 512-byte sectors, "
			    "in bytes or with K, M, G or T");
	if (!call(s, &sc, c))
		return NULL;
	ret = json_object_new_object();
	json_object_object_add(ret, "size", json_object_new_uint64(hv_blk_size(s->dev)));
	return ret;
}

static struct json_object *set_link(struct json_object *args, struct cmd_ctx *c)
{
	struct served *s = find_arg(args, c);
	struct served_call sc = {.fn = do_set_link};
	struct json_object *up;

	if (!s)
		return NULL;
	if (!s->is_net)
		return fail(c, CLS_PARAM, "%s is not a NIC", s->name);
	if (!json_object_object_get_ex(args, "up", &up) ||
	    !json_object_is_type(up, json_type_boolean))
		return fail(c, CLS_PARAM, "\"up\" (true or false) is required");
	sc.up = json_object_get_boolean(up);
	call(s, &sc, c);
	return NULL;
}

/* Arguments a command does not know are refused, not ignored: a typo
 * must not pass for a request that was carried out. */
static bool only_keys(struct json_object *args, const char *const *keys, struct cmd_ctx *c)
{
	json_object_object_foreach(args, key, val)
	{
		bool known = false;

		(void)val;
		for (unsigned int i = 0; keys[i]; i++)
			known |= !strcmp(key, keys[i]);
		if (!known) {
			fail(c, CLS_PARAM, "unknown argument '%.64s'", key);
			return false;
		}
	}
	return true;
}

struct json_object *hvdpad_control_command(void *opaque, const char *cmd, struct json_object *args,
					   const char **cls, char *desc, size_t desclen)
{
	static const char *const name_only[] = {"name", NULL};
	static const char *const none[] = {NULL};
	static const char *const resize_keys[] = {"name", "size", NULL};
	static const char *const link_keys[] = {"name", "up", NULL};
	struct hvdpad_control *ctl = opaque;
	struct cmd_ctx c = {cls, desc, desclen};

	*cls = NULL;
	if (!strcmp(cmd, "device-add"))
		return device_add(ctl, args, &c);
	if (!strcmp(cmd, "device-del"))
		return only_keys(args, name_only, &c) ? device_del(ctl, args, &c) : NULL;
	if (!strcmp(cmd, "query-devices"))
		return only_keys(args, none, &c) ? query_devices() : NULL;
	if (!strcmp(cmd, "query-stats"))
		return only_keys(args, name_only, &c) ? query_stats(args, &c) : NULL;
	if (!strcmp(cmd, "resize"))
		return only_keys(args, resize_keys, &c) ? resize(args, &c) : NULL;
	if (!strcmp(cmd, "set-link"))
		return only_keys(args, link_keys, &c) ? set_link(args, &c) : NULL;
	return fail(&c, CLS_NOCMD,
		    "unknown command '%.64s' (device-add, device-del, "
		    "query-devices, query-stats, resize, set-link)",
		    cmd);
}
