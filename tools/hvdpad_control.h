/* SPDX-License-Identifier: MIT */
/* hvdpad's control commands (docs/control.md), for include/hvdpa/control_server.h. */
#ifndef HVDPA_TOOLS_HVDPAD_CONTROL_H
#define HVDPA_TOOLS_HVDPAD_CONTROL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct hvdpad_control {
	/* Where devices added here are recorded; NULL: nowhere. */
	const char *devices_file;
	/* True while no device may be added or removed (the first devices
	 * are still being attached, on a thread of their own). */
	bool (*busy)(void);
};

/* An hv_control_fn: opaque is a struct hvdpad_control. */
struct json_object *hvdpad_control_command(void *opaque, const char *cmd, struct json_object *args,
					   const char **cls, char *desc, size_t desclen);
/* Rewrites file with the devices added through the socket. */
int hvdpad_control_save(const char *file);

#endif
