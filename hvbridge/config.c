// SPDX-License-Identifier: MIT
/*
 * hvbridge's JSON config. Addresses and sizes may be JSON numbers or
 * strings ("0x80000000", as hvisor-tool writes them). Every error names the
 * field it is about, as zones[1].devices[0].base, so that an integrator can
 * find it in a file of twenty zones.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "config_json.h"
#include "range.h"

static int parse_device(struct cj_ctx *c, json_object *o, struct hvb_device_cfg *d)
{
	static const char *const keys[] = {"name",  "base",  "size", "irq",
					   "vhost", "local", "zone", NULL};
	uint64_t irq = 0;
	int r;

	if (!json_object_is_type(o, json_type_object))
		FAIL(c, "%s: expected an object", c->where);
	d->size = HV_MMIO_WIN_SIZE;
	if ((r = cj_keys(c, o, keys)) < 0 || (r = cj_str(c, o, "name", true, &d->name)) < 0 ||
	    (r = cj_u64(c, o, "base", true, &d->base)) < 0 ||
	    (r = cj_u64(c, o, "size", false, &d->size)) < 0 ||
	    (r = cj_u64(c, o, "irq", true, &irq)) < 0 ||
	    (r = cj_str(c, o, "vhost", false, &d->vhost)) < 0 ||
	    (r = cj_str(c, o, "local", false, &d->local)) < 0)
		return r;
	if (!d->vhost == !d->local)
		FAIL(c, "%s: give either vhost (a /dev/vhost-vdpa-N) or local (blk:path=...)",
		     c->where);
	if (irq > UINT32_MAX)
		FAIL(c, "%s.irq: %llu is out of range", c->where, (unsigned long long)irq);
	d->irq = (uint32_t)irq;
	if (d->base % 4 || d->size < VIRTIO_MMIO_CONFIG || d->size % 4 ||
	    d->base + d->size < d->base)
		FAIL(c, "%s: window 0x%llx+0x%llx must be 4-byte aligned and at least 0x%x bytes",
		     c->where, (unsigned long long)d->base, (unsigned long long)d->size,
		     VIRTIO_MMIO_CONFIG);
	return 0;
}

static int ram_region_checks(struct cj_ctx *c, const struct hvb_zone *z,
			     const struct hvb_zone_ram *r, const struct cj_ram_keys *k)
{
	if (z->n_ram == HVB_RAM_MAX)
		FAIL(c, "%s: a zone has at most %u RAM regions", c->where, HVB_RAM_MAX);
	if (r->size == 0 || r->size % 4096)
		FAIL(c, "%s.%s: 0x%llx is not a non-zero multiple of the page size (4096)",
		     c->where, k->size, (unsigned long long)r->size);
	if (r->base % 4096)
		FAIL(c, "%s.%s: 0x%llx is not page-aligned", c->where, k->base,
		     (unsigned long long)r->base);
	if (r->base + r->size < r->base)
		FAIL(c, "%s.%s: 0x%llx+0x%llx wraps the address space", c->where, k->size,
		     (unsigned long long)r->base, (unsigned long long)r->size);
	if (r->offset + r->size < r->offset)
		FAIL(c, "%s.%s: 0x%llx+0x%llx wraps the address space", c->where, k->offset,
		     (unsigned long long)r->offset, (unsigned long long)r->size);
	for (unsigned int i = 0; i < z->n_ram; i++)
		if (hvb_range_overlap(r->base, r->size, z->ram[i].base, z->ram[i].size))
			FAIL(c, "%s.%s: 0x%llx+0x%llx overlaps %s[%u]", c->where, k->base,
			     (unsigned long long)r->base, (unsigned long long)r->size, k->list, i);
	if ((r->backing == HVB_RAM_SIM) != c->sim_trap)
		FAIL(c, "%s.backing: \"sim\" RAM goes with trap \"sim\", and only it", c->where);
	return 0;
}

int hvb_config_ram_region(struct cj_ctx *c, struct hvb_zone *z, struct hvb_zone_ram *r,
			  const struct cj_ram_keys *k)
{
	int ret = ram_region_checks(c, z, r, k);

	if (ret < 0) {
		free(r->path);
		r->path = NULL;
		return ret;
	}
	z->ram[z->n_ram++] = *r;
	return 0;
}

static int parse_ram_region(struct cj_ctx *c, json_object *o, struct hvb_zone *z)
{
	static const char *const keys[] = {"base", "size", "backing", "offset", NULL};
	static const struct cj_ram_keys names = {"base", "size", "offset", "ram"};
	struct hvb_zone_ram ram = {0};
	char *backing = NULL;
	int r;

	if (!json_object_is_type(o, json_type_object))
		FAIL(c, "%s: expected an object", c->where);
	if ((r = cj_keys(c, o, keys)) < 0 || (r = cj_u64(c, o, "base", true, &ram.base)) < 0 ||
	    (r = cj_u64(c, o, "size", true, &ram.size)) < 0 ||
	    (r = cj_u64(c, o, "offset", false, &ram.offset)) < 0 ||
	    (r = cj_str(c, o, "backing", true, &backing)) < 0)
		return r;
	if (strcmp(backing, "sim") == 0) {
		ram.backing = HVB_RAM_SIM;
		free(backing);
	} else if (strcmp(backing, "hvisor") == 0) {
		ram.backing = HVB_RAM_HVISOR;
		free(backing);
	} else {
		ram.backing = HVB_RAM_FILE;
		ram.path = backing;
	}
	return hvb_config_ram_region(c, z, &ram, &names);
}

/* "ram": one region (an object), or several (an array of such objects). */
static int parse_ram(struct cj_ctx *c, json_object *o, struct hvb_zone *z)
{
	char where[64]; /* "zones[N].ram", with room for "[i]" in c->where */
	size_t n;

	if (!json_object_is_type(o, json_type_array))
		return parse_ram_region(c, o, z);
	n = json_object_array_length(o);
	if (n == 0)
		FAIL(c, "%s: an empty array; give at least one region", c->where);
	snprintf(where, sizeof(where), "%s", c->where);
	for (size_t i = 0; i < n; i++) {
		int r;

		snprintf(c->where, sizeof(c->where), "%s[%zu]", where, i);
		if ((r = parse_ram_region(c, json_object_array_get_idx(o, i), z)) < 0)
			return r;
	}
	return 0;
}

static int parse_zone(struct cj_ctx *c, json_object *o, struct hvb_zone *z)
{
	static const char *const keys[] = {"id", "ram", "devices", "sim_socket", "data", NULL};
	const struct hvb_zone_ram *ram;
	char *data = NULL;
	json_object *ram_o, *devs;
	char zone_where[64];
	uint64_t id;
	int r;

	if (!json_object_is_type(o, json_type_object))
		FAIL(c, "%s: expected an object", c->where);
	if ((r = cj_keys(c, o, keys)) < 0 || (r = cj_u64(c, o, "id", true, &id)) < 0)
		return r;
	if (id > UINT32_MAX)
		FAIL(c, "%s.id: %llu is out of range", c->where, (unsigned long long)id);
	z->id = (uint32_t)id;
	snprintf(zone_where, sizeof(zone_where), "%s", c->where);
	if (!json_object_object_get_ex(o, "ram", &ram_o))
		FAIL(c, "%s.ram: missing", c->where);
	snprintf(c->where, sizeof(c->where), "%s.ram", zone_where);
	if ((r = parse_ram(c, ram_o, z)) < 0)
		return r;
	snprintf(c->where, sizeof(c->where), "%s", zone_where);
	if ((r = cj_str(c, o, "sim_socket", c->sim_trap, &z->sim_socket)) < 0 ||
	    (r = cj_str(c, o, "data", false, &data)) < 0)
		return r;
	if (data) {
		bool known = true;

		if (strcmp(data, "auto") == 0)
			z->data = HVB_DATA_AUTO;
		else if (strcmp(data, "direct") == 0)
			z->data = HVB_DATA_DIRECT;
		else if (strcmp(data, "shadow") == 0)
			z->data = HVB_DATA_SHADOW;
		else
			known = false;
		free(data);
		if (!known)
			FAIL(c, "%s.data: expected \"auto\", \"direct\" or \"shadow\"", c->where);
	}
	if (!json_object_object_get_ex(o, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		FAIL(c, "%s.devices: missing or not an array", c->where);
	z->n_devs = (unsigned int)json_object_array_length(devs);
	z->devs = calloc(z->n_devs ? z->n_devs : 1, sizeof(*z->devs));
	if (!z->devs)
		return -ENOMEM;
	for (unsigned int i = 0; i < z->n_devs; i++) {
		struct hvb_device *d = calloc(1, sizeof(*d));

		if (!d)
			return -ENOMEM;
		z->devs[i] = d;
		d->zone = z;
		snprintf(c->where, sizeof(c->where), "%s.devices[%u]", zone_where, i);
		if ((r = parse_device(c, json_object_array_get_idx(devs, i), &d->cfg)) < 0)
			return r;
		for (unsigned int j = 0; j < i; j++) {
			const struct hvb_device_cfg *e = &z->devs[j]->cfg;

			if (strcmp(e->name, d->cfg.name) == 0)
				FAIL(c, "%s.name: '%s' is used twice", c->where, e->name);
			if (hvb_range_overlap(e->base, e->size, d->cfg.base, d->cfg.size))
				FAIL(c, "%s.base: window overlaps devices[%u] ('%s')", c->where, j,
				     e->name);
		}
		if ((ram = hvb_zone_ram_overlap(z, d->cfg.base, d->cfg.size)))
			FAIL(c, "%s.base: window overlaps the zone's RAM at 0x%llx+0x%llx",
			     c->where, (unsigned long long)ram->base,
			     (unsigned long long)ram->size);
	}
	return 0;
}

static int parse_root(struct cj_ctx *c, json_object *root, struct hvb_bridge *b)
{
	static const char *const keys[] = {"trap",	    "hvisor_dev", "control",
					   "control_group", "zones",	  NULL};
	json_object *zones;
	int r;

	snprintf(c->where, sizeof(c->where), "config");
	if (!json_object_is_type(root, json_type_object))
		FAIL(c, "config: expected an object");
	if ((r = cj_keys(c, root, keys)) < 0 ||
	    (r = cj_str(c, root, "trap", false, &b->trap_kind)) < 0 ||
	    (r = cj_str(c, root, "hvisor_dev", false, &b->hvisor_dev)) < 0 ||
	    (r = cj_str(c, root, "control", false, &b->control_path)) < 0 ||
	    (r = cj_str(c, root, "control_group", false, &b->control_group)) < 0)
		return r;
	if (!b->trap_kind && !(b->trap_kind = strdup("hvisor")))
		return -ENOMEM;
	if (strcmp(b->trap_kind, "hvisor") && strcmp(b->trap_kind, "sim"))
		FAIL(c, "config.trap: '%s' is neither \"hvisor\" nor \"sim\"", b->trap_kind);
	c->sim_trap = strcmp(b->trap_kind, "sim") == 0;
	if (!b->hvisor_dev && !(b->hvisor_dev = strdup("/dev/hvisor")))
		return -ENOMEM;
	if (!json_object_object_get_ex(root, "zones", &zones) ||
	    !json_object_is_type(zones, json_type_array) || json_object_array_length(zones) == 0)
		FAIL(c, "config.zones: missing, empty or not an array");
	b->n_zones = (unsigned int)json_object_array_length(zones);
	b->zones = calloc(b->n_zones, sizeof(*b->zones));
	if (!b->zones)
		return -ENOMEM;
	for (unsigned int i = 0; i < b->n_zones; i++) {
		struct hvb_zone *z = calloc(1, sizeof(*z));

		if (!z)
			return -ENOMEM;
		b->zones[i] = z;
		snprintf(c->where, sizeof(c->where), "zones[%u]", i);
		if ((r = parse_zone(c, json_object_array_get_idx(zones, i), z)) < 0)
			return r;
		for (unsigned int j = 0; j < i; j++)
			if (b->zones[j]->id == z->id)
				FAIL(c, "zones[%u].id: zone %u is listed twice", i, z->id);
	}
	return 0;
}

/* json-c's own file reader reports "continue" for a truncated file; this
 * says where parsing stopped, as a line number. */
static json_object *parse_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	json_tokener *tok;
	json_object *o = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);

		if (n >= 0 && n < (16 << 20) && (buf = malloc((size_t)n + 1))) {
			rewind(f);
			len = fread(buf, 1, (size_t)n, f);
		}
	}
	fclose(f);
	tok = json_tokener_new();
	if (!buf || !tok) {
		snprintf(err, errlen, "%s: cannot read it (or larger than 16 MiB)", path);
	} else {
		enum json_tokener_error e;
		size_t at, line = 1;

		o = json_tokener_parse_ex(tok, buf, (int)len);
		e = json_tokener_get_error(tok);
		at = json_tokener_get_parse_end(tok);
		if (!o || e != json_tokener_success || at < len) {
			for (size_t i = 0; i < at && i < len; i++)
				line += buf[i] == '\n';
			if (o && e == json_tokener_success)
				snprintf(err, errlen,
					 "%s:%zu: text after the end of the JSON value", path,
					 line);
			else
				snprintf(err, errlen, "%s:%zu: %s", path, line,
					 e == json_tokener_continue ? "unexpected end of file"
								    : json_tokener_error_desc(e));
			json_object_put(o);
			o = NULL;
		}
	}
	if (tok)
		json_tokener_free(tok);
	free(buf);
	return o;
}

int hvb_config_load(const char *path, struct hvb_bridge *b, char *err, size_t errlen)
{
	struct cj_ctx c = {.err = err, .errlen = errlen, .strict = b->strict};
	json_object *root = parse_file(path, err, errlen);
	int r;

	if (!root)
		return -EINVAL;
	if (hvb_config_is_hvisor_tool(root))
		r = hvb_config_hvisor_tool(&c, root, b);
	else if (hvb_config_is_hvisor_tool_flat(root))
		r = hvb_config_hvisor_tool_flat(&c);
	else
		r = parse_root(&c, root, b);
	json_object_put(root);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	return r;
}

int hvb_device_cfg_from_json(struct json_object *o, struct hvb_device_cfg *cfg, uint32_t *zone,
			     char *err, size_t errlen)
{
	struct cj_ctx c = {.err = err, .errlen = errlen};
	uint64_t id = 0;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "device: not a JSON object");
		return -EINVAL;
	}
	snprintf(c.where, sizeof(c.where), "device");
	r = parse_device(&c, o, cfg);
	if (r == 0 && (r = cj_u64(&c, o, "zone", true, &id)) > 0)
		r = 0;
	if (r == 0 && id > UINT32_MAX) {
		snprintf(err, errlen, "device.zone: %llu is out of range", (unsigned long long)id);
		r = -EINVAL;
	}
	*zone = (uint32_t)id;
	return r;
}

int hvb_device_cfg_parse(const char *json, struct hvb_device_cfg *cfg, uint32_t *zone, char *err,
			 size_t errlen)
{
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(json, &jerr);
	int r;

	if (!o) {
		snprintf(err, errlen, "device: %s", json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	r = hvb_device_cfg_from_json(o, cfg, zone, err, errlen);
	json_object_put(o);
	return r;
}

void hvb_device_cfg_free(struct hvb_device_cfg *cfg)
{
	free(cfg->name);
	free(cfg->vhost);
	free(cfg->local);
	cfg->name = cfg->vhost = cfg->local = NULL;
}
