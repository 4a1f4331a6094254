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
 * The answer starts with "ok" or "error: ".
 */
#ifndef HVBRIDGE_CONTROL_H
#define HVBRIDGE_CONTROL_H

#include <stddef.h>

struct hvb_bridge;

int hvb_control_listen(const char *path, int *fd, char *err, size_t errlen);
/* Serves one waiting request, if any. */
void hvb_control_serve(struct hvb_bridge *b);
/* Client side: sends one request and prints the answer; returns 0 on "ok". */
int hvb_control_request(const char *path, const char *request);

#endif
