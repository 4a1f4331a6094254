// SPDX-License-Identifier: MIT
/*
 * hvbridge's control commands (see control.h), served by the shared control
 * socket server (hvdpa/control_server.h) on the bridge's own loop, between
 * accesses: a device is never half-added while a zone touches it, and
 * what a client can make the bridge hold is that server's bounds.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "control.h"
#include "hvdpa/control_client.h"
#include "hvdpa/control_server.h"
#include "hvdpa/log.h"

/* An error answer for hv_control_fn: *cls and desc, and NULL. */
static json_object *fail(const char **cls, char *desc, size_t desclen, const char *c,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static json_object *fail(const char **cls, char *desc, size_t desclen, const char *c,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, desclen, fmt, ap);
	va_end(ap);
	*cls = c;
	return NULL;
}

#define FAIL(c, ...) fail(cls, desc, desclen, c, __VA_ARGS__)

/* Refuses arguments other than those in the NULL-terminated list: true
 * (with the error set) when one is unknown. */
static bool unknown_argument(json_object *args, const char *const *known, const char **cls,
			     char *desc, size_t desclen)
{
	json_object_object_foreach(args, key, val)
	{
		bool ok = false;

		(void)val;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, key) == 0;
		if (!ok) {
			FAIL("InvalidParameter", "unknown argument '%.64s'", key);
			return true;
		}
	}
	return false;
}

static json_object *do_device_add(struct hvb_bridge *b, json_object *args, const char **cls,
				  char *desc, size_t desclen)
{
	struct hvb_device_cfg cfg = {0};
	char err[256];
	struct hvb_zone *z;
	uint32_t zone;

	if (!json_object_object_length(args))
		return FAIL("InvalidParameter", "device-add: arguments missing (a device object)");
	if (hvb_device_cfg_from_json(args, &cfg, &zone, err, sizeof(err)) < 0) {
		FAIL("InvalidParameter", "%s", err);
	} else if (!(z = hvb_bridge_zone(b, zone))) {
		FAIL("InvalidParameter", "device.zone: no zone %u", zone);
	} else if (hvb_zone_add_device(z, &cfg, err, sizeof(err)) < 0) {
		FAIL("GenericError", "%s", err);
	} else {
		hv_info("zone %u: %s added", zone, cfg.name);
	}
	hvb_device_cfg_free(&cfg);
	return NULL;
}

static json_object *do_device_del(struct hvb_bridge *b, json_object *args, const char **cls,
				  char *desc, size_t desclen)
{
	static const char *const known[] = {"zone", "name", NULL};
	json_object *zone_o, *name_o;
	struct hvb_zone *z;
	const char *name;
	int64_t zone;

	if (!json_object_object_length(args))
		return FAIL("InvalidParameter",
			    "device-del: arguments missing ({\"zone\": ID, \"name\": NAME})");
	if (unknown_argument(args, known, cls, desc, desclen))
		return NULL;
	if (!json_object_object_get_ex(args, "zone", &zone_o) ||
	    !json_object_is_type(zone_o, json_type_int))
		return FAIL("InvalidParameter", "device-del: 'zone' must be a number");
	if (!json_object_object_get_ex(args, "name", &name_o) ||
	    !json_object_is_type(name_o, json_type_string))
		return FAIL("InvalidParameter", "device-del: 'name' must be a string");
	zone = json_object_get_int64(zone_o);
	name = json_object_get_string(name_o);
	if (zone < 0 || zone > UINT32_MAX || !(z = hvb_bridge_zone(b, (uint32_t)zone)))
		return FAIL("DeviceNotFound", "no zone %lld", (long long)zone);
	if (hvb_zone_remove_device(z, name) < 0)
		return FAIL("DeviceNotFound", "zone %u has no device '%.64s'", z->id, name);
	return NULL;
}

static json_object *do_query_devices(struct hvb_bridge *b, json_object *args, const char **cls,
				     char *desc, size_t desclen)
{
	static const char *const known[] = {NULL};
	json_object *list;

	if (unknown_argument(args, known, cls, desc, desclen))
		return NULL;
	list = json_object_new_array();
	for (unsigned int i = 0; i < b->n_zones; i++) {
		struct hvb_zone *z = b->zones[i];

		for (unsigned int j = 0; j < z->n_devs; j++) {
			struct hvb_device *d = z->devs[j];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "zone", json_object_new_int64(z->id));
			json_object_object_add(o, "name", json_object_new_string(d->cfg.name));
			json_object_object_add(o, "base",
					       json_object_new_int64((int64_t)d->cfg.base));
			json_object_object_add(o, "size",
					       json_object_new_int64((int64_t)d->cfg.size));
			json_object_object_add(o, "irq", json_object_new_int64(d->cfg.irq));
			if (d->cfg.vhost)
				json_object_object_add(o, "vhost",
						       json_object_new_string(d->cfg.vhost));
			else
				json_object_object_add(o, "local",
						       json_object_new_string(d->cfg.local));
			json_object_object_add(o, "status", json_object_new_int(d->mmio.status));
			json_object_object_add(o, "ignored",
					       json_object_new_int64((int64_t)d->mmio.ignored));
			json_object_array_add(list, o);
		}
	}
	return list;
}

/* hv_control_fn: the bridge's commands. */
static json_object *bridge_command(void *ctx, const char *cmd, json_object *args, const char **cls,
				   char *desc, size_t desclen)
{
	static const struct {
		const char *name;
		json_object *(*fn)(struct hvb_bridge *b, json_object *args, const char **cls,
				   char *desc, size_t desclen);
	} commands[] = {
		{"device-add", do_device_add},
		{"device-del", do_device_del},
		{"query-devices", do_query_devices},
	};

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(ctx, args, cls, desc, desclen);
	return FAIL("CommandNotFound",
		    "the command %.64s has not been found (device-add, device-del, query-devices)",
		    cmd);
}

int hvb_control_listen(struct hvb_bridge *b, char *err, size_t errlen)
{
	struct hv_loop *loop = hvb_bridge_loop(b);

	if (!loop) {
		snprintf(err, errlen, "control socket %s: %s", b->control_path, strerror(ENOMEM));
		return -ENOMEM;
	}
	return hv_control_listen(&b->control, loop, b->control_path, b->control_group,
				 bridge_command, b, err, errlen);
}

void hvb_control_close(struct hvb_bridge *b)
{
	hv_control_close(&b->control);
}

/* The client's side. */

static void print_devices(json_object *list)
{
	size_t n = json_object_array_length(list);

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(list, i), *v;
		const char *be = "?";

		if (json_object_object_get_ex(d, "vhost", &v) ||
		    json_object_object_get_ex(d, "local", &v))
			be = json_object_get_string(v);
#define FIELD(k) (json_object_object_get_ex(d, k, &v) ? json_object_get_int64(v) : 0)
		printf("zone %lld %s base 0x%llx irq %lld %s status 0x%llx ignored %lld\n",
		       (long long)FIELD("zone"),
		       json_object_object_get_ex(d, "name", &v) ? json_object_get_string(v) : "?",
		       (unsigned long long)FIELD("base"), (long long)FIELD("irq"), be,
		       (unsigned long long)FIELD("status"), (long long)FIELD("ignored"));
#undef FIELD
	}
}

/* The command line's request (list, add JSON, remove ZONE NAME) as a
 * request object; NULL after saying why not. */
static json_object *cli_request(const char *text)
{
	json_object *req = json_object_new_object(), *args = NULL;
	const char *cmd;
	char name[256];
	unsigned int zone;
	int end = 0;

	if (strcmp(text, "list") == 0) {
		cmd = "query-devices";
	} else if (strncmp(text, "add ", 4) == 0) {
		enum json_tokener_error jerr;

		cmd = "device-add";
		args = json_tokener_parse_verbose(text + 4, &jerr);
		if (!args || !json_object_is_type(args, json_type_object)) {
			fprintf(stderr, "hvbridge: add: not a JSON object: %s\n",
				args ? "another JSON value" : json_tokener_error_desc(jerr));
			json_object_put(args);
			json_object_put(req);
			return NULL;
		}
	} else if (strncmp(text, "remove ", 7) == 0 &&
		   sscanf(text + 7, "%u %255s %n", &zone, name, &end) == 2 && !text[7 + end]) {
		cmd = "device-del";
		args = json_object_new_object();
		json_object_object_add(args, "zone", json_object_new_int64(zone));
		json_object_object_add(args, "name", json_object_new_string(name));
	} else {
		fprintf(stderr,
			"hvbridge: ctl: unknown request '%s' (list, add JSON, remove ZONE "
			"NAME)\n",
			text);
		json_object_put(req);
		return NULL;
	}
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	return req;
}

/* What the answer says, for a person. */
static void print_human(json_object *req, json_object *ret)
{
	json_object *exec, *args, *v;
	const char *cmd = "", *name = "?";
	long long zone = 0;

	json_object_object_get_ex(req, "execute", &exec);
	cmd = json_object_get_string(exec);
	if (json_object_object_get_ex(req, "arguments", &args)) {
		if (json_object_object_get_ex(args, "name", &v))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(args, "zone", &v))
			zone = (long long)json_object_get_int64(v);
	}
	if (strcmp(cmd, "query-devices") == 0 && json_object_is_type(ret, json_type_array))
		print_devices(ret);
	else if (strcmp(cmd, "device-add") == 0)
		printf("%s added to zone %lld\n", name, zone);
	else if (strcmp(cmd, "device-del") == 0)
		printf("%s removed from zone %lld\n", name, zone);
}

int hvb_control_request(const char *path, const char *request, bool raw)
{
	json_object *req = cli_request(request), *exec, *args = NULL, *ret = NULL;
	char err[768];
	int r;

	if (!req)
		return 2;
	json_object_object_get_ex(req, "execute", &exec);
	json_object_object_get_ex(req, "arguments", &args);
	/* Adding a vhost-vdpa device waits for its daemon; VDUSE gives up on
	 * it well before this. */
	r = hv_control_call(path, json_object_get_string(exec), args, &ret, 120000, err,
			    sizeof(err));
	if (r == 0) {
		if (raw)
			printf("%s\n", json_object_to_json_string_ext(
					       ret, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_human(req, ret);
	} else {
		fprintf(stderr, "hvbridge: %s%s\n", err,
			hv_control_unreachable(r) ? " (is hvbridge running with \"control\" set?)"
						  : "");
	}
	json_object_put(ret);
	json_object_put(req);
	return r == 0 ? 0 : 1;
}
