// SPDX-License-Identifier: MIT
/*
 * hvisor-tool's virtio config (virtio_cfg.json), read unchanged, so that
 * moving from hvisor-tool's device loop to hvbridge is a change of command:
 *
 *   {"zones": [{"id": 1,
 *     "memory_region": [{"zone0_ipa": "0x50000000", "zonex_ipa": "0x50000000",
 *                        "size": "0x30000000"}],
 *     "devices": [{"type": "blk", "addr": "0xa003c00", "len": "0x200", "irq": 78,
 *                  "img": "rootfs.ext4", "status": "enable"},
 *                 {"type": "net", ..., "tap": "tap0", "mac": ["00", "16", ...]},
 *                 {"type": "console", ...}]}]}
 *
 * Zone RAM is hvisor's (/dev/hvisor at zone0_ipa, seen by the zone at
 * zonex_ipa) and every device is served locally, as hvisor-tool does.
 * Devices of the types hvbridge does not serve (scmi, gpu) are skipped with
 * a warning, or refused with --strict; the older flat format is refused
 * (see hvb_config_hvisor_tool_flat()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "config_json.h"
#include "hvdpa/log.h"
#include "range.h"

bool hvb_config_is_hvisor_tool(json_object *root)
{
	json_object *zones, *z;

	return json_object_object_get_ex(root, "zones", &zones) &&
	       json_object_is_type(zones, json_type_array) && json_object_array_length(zones) > 0 &&
	       (z = json_object_array_get_idx(zones, 0)) &&
	       json_object_is_type(z, json_type_object) &&
	       json_object_object_get_ex(z, "memory_region", NULL);
}

bool hvb_config_is_hvisor_tool_flat(json_object *root)
{
	return json_object_is_type(root, json_type_object) &&
	       json_object_object_get_ex(root, "devices", NULL) &&
	       !json_object_object_get_ex(root, "zones", NULL);
}

/*
 * hvisor-tool's older flat format, {"devices": [{..., "zone_id": 1}]}, says
 * nothing of zone RAM: that hvisor-tool mapped one region, the same for
 * every zone, fixed when it was built (NON_ROOT_PHYS_START and _SIZE in its
 * hvisor.h; 0x70000000+0x20000000 in some releases, 0x50000000+0x30000000
 * in others), with zone0_ipa == zonex_ipa. hvbridge would have to guess it,
 * and a wrong guess hands devices the wrong memory, so the file is refused
 * with what it lacks and how to convert it.
 */
int hvb_config_hvisor_tool_flat(struct cj_ctx *c)
{
	FAIL(c, "config.devices: hvisor-tool's flat format (devices[] with zone_id) has no "
		"memory_region, and hvbridge needs each zone's RAM (that hvisor-tool had it "
		"built in: NON_ROOT_PHYS_START/SIZE); use the zones[] format: {\"zones\": "
		"[{\"id\": ZONE_ID, \"memory_region\": [{\"zone0_ipa\": START, "
		"\"zonex_ipa\": START, \"size\": SIZE}], \"devices\": [that zone's "
		"devices]}]}");
}

/* Every memory_region is a region of zone RAM, mapped from /dev/hvisor at
 * zone0_ipa as hvisor-tool maps it. */
static int parse_regions(struct cj_ctx *c, json_object *zo, struct hvb_zone *z, const char *zw)
{
	static const struct cj_ram_keys names = {"zonex_ipa", "size", "zone0_ipa", "memory_region"};
	json_object *regs;
	size_t n;
	int r;

	if (!json_object_object_get_ex(zo, "memory_region", &regs) ||
	    !json_object_is_type(regs, json_type_array) || json_object_array_length(regs) == 0)
		FAIL(c, "%s.memory_region: missing, empty or not an array", zw);
	n = json_object_array_length(regs);
	for (size_t i = 0; i < n; i++) {
		json_object *ro = json_object_array_get_idx(regs, i);
		struct hvb_zone_ram ram = {.backing = HVB_RAM_HVISOR};

		snprintf(c->where, sizeof(c->where), "%s.memory_region[%zu]", zw, i);
		if (!json_object_is_type(ro, json_type_object))
			FAIL(c, "%s: expected an object", c->where);
		if ((r = cj_u64(c, ro, "zone0_ipa", true, &ram.offset)) < 0 ||
		    (r = cj_u64(c, ro, "zonex_ipa", true, &ram.base)) < 0 ||
		    (r = cj_u64(c, ro, "size", true, &ram.size)) < 0 ||
		    (r = hvb_config_ram_region(c, z, &ram, &names)) < 0)
			return r;
	}
	return 0;
}

/*
 * A value pasted into a "local" spec: a ',' would end it and start another
 * option (img "r.img,readonly=off"), so it is refused. '=' is harmless:
 * only the first one of an option splits key from value.
 */
static int spec_value(struct cj_ctx *c, json_object *o, const char *key, char **out)
{
	int r = cj_str(c, o, key, true, out);

	if (r < 0)
		return r;
	if (strchr(*out, ',')) {
		snprintf(c->err, c->errlen,
			 "%s.%s: '%s' contains ',', which hvbridge's device options cannot "
			 "carry; rename it",
			 c->where, key, *out);
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

/* The "local" spec for a device of hvisor-tool's. */
static int device_spec(struct cj_ctx *c, json_object *o, const char *type, char **out)
{
	char buf[4200], *img = NULL, *tap = NULL;
	json_object *mac;
	int r = 0;

	if (!strcmp(type, "blk")) {
		if ((r = spec_value(c, o, "img", &img)) < 0)
			return r;
		snprintf(buf, sizeof(buf), "blk:path=%s", img);
	} else if (!strcmp(type, "net")) {
		size_t n;

		if ((r = spec_value(c, o, "tap", &tap)) < 0)
			return r;
		r = 0;
		n = (size_t)snprintf(buf, sizeof(buf), "net:tap=%s", tap);
		if (json_object_object_get_ex(o, "mac", &mac)) {
			if (!json_object_is_type(mac, json_type_array) ||
			    json_object_array_length(mac) != 6)
				r = -EINVAL;
			for (size_t i = 0; r == 0 && i < 6; i++) {
				json_object *b = json_object_array_get_idx(mac, i);
				const char *s = json_object_get_string(b);
				char *end;
				unsigned long v = s ? strtoul(s, &end, 16) : 256;

				if (!json_object_is_type(b, json_type_string) || !*s || *end ||
				    v > 255)
					r = -EINVAL;
				else
					n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%02lx",
							      i ? ":" : ",mac=", v);
			}
			if (r < 0) {
				free(tap);
				FAIL(c, "%s.mac: expected 6 hex byte strings", c->where);
			}
		}
	} else {
		/* console: skip_unserved() let through no other type. */
		snprintf(buf, sizeof(buf), "console:pty");
	}
	free(img);
	free(tap);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static bool served(const char *type)
{
	return !strcmp(type, "blk") || !strcmp(type, "net") || !strcmp(type, "console");
}

/*
 * hvisor-tool's examples list devices hvbridge does not serve (scmi on
 * rk3588 and Jetson, gpu on qemu-aarch64) beside the blk and console a
 * newcomer wants to try: such a device is left out, with a warning, so the
 * file works unchanged; the zone then finds no device at its address.
 * --strict refuses it instead, for who wants all or nothing.
 * Returns 1 if the device is left out, 0 if it is served, or an error.
 */
static int skip_unserved(struct cj_ctx *c, json_object *o, const struct hvb_zone *z,
			 const char *type)
{
	uint64_t addr = 0;
	int r;

	if (served(type))
		return 0;
	if (c->strict)
		FAIL(c, "%s.type: '%s' is not blk, net or console (refused by --strict)", c->where,
		     type);
	if ((r = cj_u64(c, o, "addr", true, &addr)) < 0)
		return r;
	hv_warn("zone %u: %s device at 0x%llx (%s) skipped: hvbridge serves blk, net and "
		"console only; the zone finds no device there",
		z->id, type, (unsigned long long)addr, c->where);
	return 1;
}

static int parse_devices(struct cj_ctx *c, json_object *zo, struct hvb_zone *z, const char *zw)
{
	json_object *devs;
	unsigned int n;

	if (!json_object_object_get_ex(zo, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		FAIL(c, "%s.devices: missing or not an array", zw);
	n = (unsigned int)json_object_array_length(devs);
	z->devs = calloc(n ? n : 1, sizeof(*z->devs));
	if (!z->devs)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(devs, i);
		const struct hvb_zone_ram *ram;
		char *type = NULL, *status = NULL;
		struct hvb_device *d;
		uint64_t irq = 0;
		int r;

		snprintf(c->where, sizeof(c->where), "%s.devices[%u]", zw, i);
		if (!json_object_is_type(o, json_type_object))
			FAIL(c, "%s: expected an object", c->where);
		if ((r = cj_str(c, o, "status", false, &status)) < 0)
			return r;
		if (status && strcmp(status, "enable") && strcmp(status, "disable")) {
			free(status);
			FAIL(c, "%s.status: expected \"enable\" or \"disable\"", c->where);
		}
		if (status && !strcmp(status, "disable")) {
			free(status);
			continue;
		}
		free(status);
		if ((r = cj_str(c, o, "type", true, &type)) < 0)
			return r;
		if ((r = skip_unserved(c, o, z, type)) != 0) {
			free(type);
			if (r < 0)
				return r;
			continue;
		}
		d = calloc(1, sizeof(*d));
		if (!d) {
			free(type);
			return -ENOMEM;
		}
		z->devs[z->n_devs++] = d;
		d->zone = z;
		if ((r = cj_u64(c, o, "addr", true, &d->cfg.base)) < 0 ||
		    (r = cj_u64(c, o, "len", true, &d->cfg.size)) < 0 ||
		    (r = cj_u64(c, o, "irq", true, &irq)) < 0 ||
		    (r = device_spec(c, o, type, &d->cfg.local)) < 0) {
			free(type);
			return r;
		}
		if (d->cfg.base + d->cfg.size < d->cfg.base) {
			free(type);
			FAIL(c, "%s.len: window 0x%llx+0x%llx wraps the address space", c->where,
			     (unsigned long long)d->cfg.base, (unsigned long long)d->cfg.size);
		}
		d->cfg.irq = (uint32_t)irq;
		d->cfg.name = malloc(32);
		if (!d->cfg.name) {
			free(type);
			return -ENOMEM;
		}
		snprintf(d->cfg.name, 32, "%s%u", type, i);
		free(type);
		if (irq > UINT32_MAX || d->cfg.size < VIRTIO_MMIO_CONFIG || d->cfg.base % 4)
			FAIL(c, "%s: irq %llu, window 0x%llx+0x%llx: out of range", c->where,
			     (unsigned long long)irq, (unsigned long long)d->cfg.base,
			     (unsigned long long)d->cfg.size);
		for (unsigned int j = 0; j + 1 < z->n_devs; j++)
			if (hvb_range_overlap(d->cfg.base, d->cfg.size, z->devs[j]->cfg.base,
					      z->devs[j]->cfg.size))
				FAIL(c, "%s.addr: window overlaps %s", c->where,
				     z->devs[j]->cfg.name);
		if ((ram = hvb_zone_ram_overlap(z, d->cfg.base, d->cfg.size)))
			FAIL(c, "%s.addr: window overlaps the zone's RAM at 0x%llx+0x%llx",
			     c->where, (unsigned long long)ram->base,
			     (unsigned long long)ram->size);
	}
	return 0;
}

int hvb_config_hvisor_tool(struct cj_ctx *c, json_object *root, struct hvb_bridge *b)
{
	json_object *zones;

	json_object_object_get_ex(root, "zones", &zones);
	b->n_zones = (unsigned int)json_object_array_length(zones);
	b->zones = calloc(b->n_zones, sizeof(*b->zones));
	if (!b->zones || !(b->trap_kind = strdup("hvisor")) ||
	    !(b->hvisor_dev = strdup("/dev/hvisor")))
		return -ENOMEM;
	for (unsigned int i = 0; i < b->n_zones; i++) {
		json_object *zo = json_object_array_get_idx(zones, i);
		struct hvb_zone *z = calloc(1, sizeof(*z));
		char zw[32];
		uint64_t id = 0;
		int r;

		if (!z)
			return -ENOMEM;
		b->zones[i] = z;
		snprintf(zw, sizeof(zw), "zones[%u]", i);
		snprintf(c->where, sizeof(c->where), "%s", zw);
		if (!json_object_is_type(zo, json_type_object))
			FAIL(c, "%s: expected an object", zw);
		if ((r = cj_u64(c, zo, "id", true, &id)) < 0)
			return r;
		if (id > UINT32_MAX)
			FAIL(c, "%s.id: out of range", zw);
		z->id = (uint32_t)id;
		for (unsigned int j = 0; j < i; j++)
			if (b->zones[j]->id == z->id)
				FAIL(c, "%s.id: zone %u is listed twice", zw, z->id);
		if ((r = parse_regions(c, zo, z, zw)) < 0 || (r = parse_devices(c, zo, z, zw)) < 0)
			return r;
	}
	return 0;
}
