/* SPDX-License-Identifier: MIT */
/*
 * Reading hvbridge's configs with json-c: numbers may be JSON numbers or
 * strings ("0x80000000", as hvisor-tool writes them), and every error
 * names its field (zones[1].devices[0].irq) in the caller's buffer.
 */
#ifndef HVBRIDGE_CONFIG_JSON_H
#define HVBRIDGE_CONFIG_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cj_ctx {
	char *err;
	size_t errlen;
	char where[96];
	bool strict;   /* struct hvb_bridge's */
	bool sim_trap; /* trap "sim": RAM is the simulator's, and only then */
};

#define FAIL(c, ...)                                                                               \
	do {                                                                                       \
		snprintf((c)->err, (c)->errlen, __VA_ARGS__);                                      \
		return -EINVAL;                                                                    \
	} while (0)

/* 1 found, 0 absent (and not required), negative on error. */
int cj_u64(struct cj_ctx *c, json_object *obj, const char *key, bool required, uint64_t *out);
int cj_str(struct cj_ctx *c, json_object *obj, const char *key, bool required, char **out);
/* Refuses keys not in the NULL-terminated list. */
int cj_keys(struct cj_ctx *c, json_object *obj, const char *const *keys);

struct hvb_bridge;
struct hvb_zone;
struct hvb_zone_ram;

/* What a format calls a RAM region's fields, and its list of them. */
struct cj_ram_keys {
	const char *base, *size, *offset, *list;
};

/* config.c: adds region r (c->where names it) to z, which then owns
 * r->path; refused, naming the field, if it is empty, not page-aligned,
 * wraps, overlaps a region before it, or is one too many. */
int hvb_config_ram_region(struct cj_ctx *c, struct hvb_zone *z, struct hvb_zone_ram *r,
			  const struct cj_ram_keys *k);

/* config_hvisor_tool.c: hvisor-tool's own virtio_cfg.json. */
bool hvb_config_is_hvisor_tool(json_object *root);
int hvb_config_hvisor_tool(struct cj_ctx *c, json_object *root, struct hvb_bridge *b);
/* Its older flat format: recognised, to be refused with how to convert it. */
bool hvb_config_is_hvisor_tool_flat(json_object *root);
int hvb_config_hvisor_tool_flat(struct cj_ctx *c);

#endif
