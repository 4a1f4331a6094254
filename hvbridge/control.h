/* SPDX-License-Identifier: MIT */
/*
 * hvbridge's control socket: devices are added to and removed from a
 * running bridge, and listed, without touching the other zones. One
 * request per connection, a line of text each way:
 *
 *   add {"zone": 1, "name": "blk2", "base": "0xa0000400", "irq": 79,
 *        "vhost": "/dev/vhost-vdpa-1"}
 *   remove ZONE NAME
 *   list
 *
 * The answer starts with "ok" or "error: ". Only root, hvbridge's own user
 * and members of the control group (config "control_group", or
 * --control-group) may connect; others get "error: permission denied".
 */
#ifndef HVBRIDGE_CONTROL_H
#define HVBRIDGE_CONTROL_H

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
/* Client side: sends one request and prints the answer; returns 0 on "ok". */
int hvb_control_request(const char *path, const char *request);

#endif
