/* SPDX-License-Identifier: MIT */
/*
 * The server side of a QMP-shaped control socket, shared by hvdpad
 * (docs/control.md) and hvbridge (docs/hvbridge.md): a UNIX stream socket,
 * one JSON object per line each way, served on the caller's loop.
 *
 * It never waits on a client, and what a client can make it hold is
 * bounded: a request line of at most HV_CONTROL_LINE_MAX bytes (a longer
 * one is answered with an error and the connection closed), at most
 * HV_CONTROL_BATCH requests served per round of the loop, and one answer
 * at a time (while an answer waits for the client to read it, no further
 * request of that client is served). At most HV_CONTROL_CLIENTS are held,
 * the oldest dropped for a new one.
 *
 * Who may talk: the socket is made 0600 (0660 and the group's with a
 * control group) whatever the umask, and each peer's SO_PEERCRED is
 * checked: root, our own user, or a member of the control group; anyone
 * else is answered "permission denied" and closed.
 */
#ifndef HVDPA_CONTROL_SERVER_H
#define HVDPA_CONTROL_SERVER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hvdpa/loop.h"

#define HV_CONTROL_LINE_MAX (64u << 10)
#define HV_CONTROL_CLIENTS  16
/* Requests one client has served per round of the loop: the rest wait for
 * the next round, after everything else the loop serves (hvbridge's zones). */
#define HV_CONTROL_BATCH 16

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
	bool has_group;
	gid_t gid;
	hv_control_fn fn;
	void *ctx;
	/* Oldest first. */
	struct hv_control_client *clients[HV_CONTROL_CLIENTS];
	unsigned int n_clients;
};

/*
 * Listens at path on loop; group (NULL: none) may use it besides root and
 * our own user. A socket file there that nobody answers on is replaced;
 * -EADDRINUSE (with err) when a live server answers there, -EEXIST when
 * the path is something other than a socket.
 */
int hv_control_listen(struct hv_control_server *s, struct hv_loop *loop, const char *path,
		      const char *group, hv_control_fn fn, void *ctx, char *err, size_t errlen);
/* Drops every client, closes and removes the socket. Safe when not
 * listening (fd -1, as hv_control_init leaves it). */
void hv_control_close(struct hv_control_server *s);
/* A server that is not listening: hv_control_close does nothing on it. */
void hv_control_init(struct hv_control_server *s);

/* The answer to one request line, as the server sends it (tests, fuzzing):
 * a malloc'ed string without newline. */
char *hv_control_answer(const char *line, size_t len, hv_control_fn fn, void *ctx);

#endif
