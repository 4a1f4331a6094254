/* SPDX-License-Identifier: MIT */
/*
 * The server side of a QMP-shaped control socket (docs/control.md): a UNIX
 * stream socket, one JSON object per line each way, served on the caller's
 * loop. It never waits on a client: clients are read when readable and
 * answered without blocking; one that sends a line over
 * HV_CONTROL_LINE_MAX, or will not take its answers, is dropped; at most
 * HV_CONTROL_CLIENTS are held, the oldest dropped for a new one. Only
 * root and our own user may talk (SO_PEERCRED); the socket is 0600.
 */
#ifndef HVDPA_TOOLS_CONTROL_SERVER_H
#define HVDPA_TOOLS_CONTROL_SERVER_H

#include <json-c/json.h>
#include <stddef.h>

#include "hvdpa/loop.h"

#define HV_CONTROL_LINE_MAX (64u << 10)
#define HV_CONTROL_CLIENTS  16

/* Answers one command: returns the "return" value (a new reference; NULL
 * means {}), or NULL with *cls and desc set for an error. args is never
 * NULL (an empty object when the request had none). */
typedef struct json_object *(*hv_control_fn)(void *ctx, const char *cmd, struct json_object *args,
					     const char **cls, char *desc, size_t desclen);

struct hv_control_client;

struct hv_control_server {
	struct hv_loop *loop;
	int fd;
	char path[108];
	hv_control_fn fn;
	void *ctx;
	struct hv_control_client *clients[HV_CONTROL_CLIENTS];
	unsigned long long accepted; /* orders clients: the oldest goes first */
};

/*
 * Listens at path on loop. A socket file there that nobody answers on is
 * replaced; -EADDRINUSE (with err) when a live server answers there.
 */
int hv_control_listen(struct hv_control_server *s, struct hv_loop *loop, const char *path,
		      hv_control_fn fn, void *ctx, char *err, size_t errlen);
/* Drops every client, closes and removes the socket. Safe when not
 * listening (fd -1). */
void hv_control_close(struct hv_control_server *s);

/* The answer to one request line, as the server sends it (tests, fuzzing):
 * a malloc'ed string without newline. */
char *hv_control_answer(const char *line, size_t len, hv_control_fn fn, void *ctx);

#endif
