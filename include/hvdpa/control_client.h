/* SPDX-License-Identifier: MIT */
/*
 * A client of a control socket (hvdpad's, docs/control.md; hvbridge's): one JSON object
 * per line each way, shaped like QMP.
 *
 *   -> {"execute": "device-add", "arguments": {"type": "blk", "name": ...}}
 *   <- {"return": {...}}   or   {"error": {"class": "...", "desc": "..."}}
 */
#ifndef HVDPA_CONTROL_CLIENT_H
#define HVDPA_CONTROL_CLIENT_H

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define HV_CONTROL_DEFAULT "/run/hvdpa/control.sock"

/*
 * Sends one command (args may be NULL; it is not taken) to the socket at
 * path and waits at most timeout_ms for the answer. 0 with *ret the
 * "return" value (the caller puts it); -EREMOTEIO with the error's class
 * and text in err ("CLASS: desc") when the server refused; another negative
 * errno with a reason in err when it could not be asked: -ENOENT or
 * -ECONNREFUSED when nobody listens there (hv_control_unreachable), which
 * the caller's message says, naming the daemon it meant.
 */
int hv_control_call(const char *path, const char *cmd, struct json_object *args,
		    struct json_object **ret, int timeout_ms, char *err, size_t errlen);

static inline bool hv_control_unreachable(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED;
}

#endif
