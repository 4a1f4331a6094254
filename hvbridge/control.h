/* SPDX-License-Identifier: MIT */
/*
 * hvbridge's control socket: devices are added to and removed from a
 * running bridge, and listed, without touching the other zones. A UNIX
 * stream socket speaking QMP's framing, as hvdpad's control socket does:
 * one JSON object per line each way, any number of requests per
 * connection, each answered in order.
 *
 *   {"execute": "device-add", "arguments": {"zone": 1, "name": "blk2",
 *     "base": "0xa0000400", "irq": 79, "vhost": "/dev/vhost-vdpa-1"}}
 *   {"execute": "device-del", "arguments": {"zone": 1, "name": "blk2"}}
 *   {"execute": "query-devices"}
 *
 * The answer is {"return": VALUE} ({} for device-add and device-del, an
 * array of devices for query-devices) or {"error": {"class": CLASS,
 * "desc": TEXT}}, CLASS one of CommandNotFound, InvalidParameter,
 * DeviceNotFound, GenericError; a request's "id", if any, comes back in
 * its answer. The socket's bounds (a request line of at most 64 KiB, one
 * answer at a time per client, ...) are the shared server's
 * (hvdpa/control_server.h). Only root, hvbridge's
 * own user and members of the control group (config "control_group", or
 * --control-group) may connect; others are answered a GenericError
 * "permission denied" and closed.
 */
#ifndef HVBRIDGE_CONTROL_H
#define HVBRIDGE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct hvb_bridge;

/* Listens on b->control_path, 0600 (0660 and group b->control_group if
 * set) whatever the umask; only a stale socket there is replaced. The
 * socket and each client are watched on the bridge's loop
 * (hvb_bridge_loop): requests are served there, between accesses,
 * without blocking. Call after hvb_bridge_start(). */
int hvb_control_listen(struct hvb_bridge *b, char *err, size_t errlen);
/* Closes every client and the socket, and removes it. Before
 * hvb_bridge_free(). */
void hvb_control_close(struct hvb_bridge *b);
/* Client side, for hvbridge ctl: request is the command line's "list",
 * "add JSON" or "remove ZONE NAME", sent as its JSON request. Prints the
 * answer for a person, or with raw the "return" value as JSON; an error
 * goes to stderr. Returns 0 on a return, 1 on an error or no answer, 2 on
 * a request it does not know. */
int hvb_control_request(const char *path, const char *request, bool raw);

#endif
