// SPDX-License-Identifier: MIT
/*
 * The control socket (see control.h). Requests are served on the bridge's
 * own thread between accesses, so a device is never half-added while a
 * zone touches it. Nothing here waits on a client: the listening socket
 * and every connected client are watched on the bridge's loop, a client is
 * read only when it is readable (one recv per round of the loop) and
 * written only when it is writable; an idle client costs the zones
 * nothing. At most HVB_CONTROL_MAX_CLIENTS are held, the oldest dropped
 * for a new one.
 *
 * What a client can make us hold is bounded: a request line of at most
 * HVB_CONTROL_REQ_MAX bytes (a longer one is answered with an error and
 * the connection closed), at most HVB_CONTROL_BATCH requests served per
 * round, and one answer at a time: while an answer waits for the client
 * to read it, no further request of that client is served.
 *
 * Who may talk: the socket is created 0600 (0660 with a control group)
 * whatever the process umask, and each peer's SO_PEERCRED is checked: root,
 * our own user, or a member of the control group.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge.h"
#include "control.h"
#include "hvdpa/log.h"

/* Requests a client may have served in one round of the bridge loop: the
 * rest wait for the next, after every zone's accesses. */
#define HVB_CONTROL_BATCH 16

struct hvb_control_client {
	struct hvb_bridge *b;
	int fd;
	/* Bytes received and not yet served: at most one request line of
	 * HVB_CONTROL_REQ_MAX bytes and its newline. */
	char in[HVB_CONTROL_REQ_MAX + 1];
	size_t in_len;
	/* The answer the client has not read yet, from out_off. */
	char *out;
	size_t out_len, out_off;
	bool closing;	 /* dropped once out is sent */
	uint32_t events; /* what it is watched for: EPOLLIN or EPOLLOUT */
};

static struct hv_ratelimit control_rl;

static void listen_event(void *opaque, uint32_t events);
static void client_event(void *opaque, uint32_t events);

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* A name from /etc/group, or a number. */
static int resolve_group(const char *name, gid_t *gid)
{
	struct group *g = getgrnam(name);
	char *end;
	unsigned long v;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	v = strtoul(name, &end, 10);
	if (!*name || *end || v >= (gid_t)-1)
		return -ENOENT;
	*gid = (gid_t)v;
	return 0;
}

int hvb_control_listen(struct hvb_bridge *b, char *err, size_t errlen)
{
	const char *path = b->control_path;
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int s = -1, r = unix_addr(path, &sa);

	if (r < 0) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return r;
	}
	if (b->control_group && resolve_group(b->control_group, &b->control_gid) < 0) {
		snprintf(err, errlen, "control group '%s': no such group", b->control_group);
		return -ENOENT;
	}
	/* Only a socket left by an earlier run is replaced. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and is not a socket",
				 path);
			return -EEXIST;
		}
		unlink(path);
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		goto fail;
	/* The mode is set as the socket is made: there is no moment when
	 * anyone else could connect. */
	old = umask(b->control_group ? 0117 : 0177);
	r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		goto fail;
	if (b->control_group &&
	    fchownat(AT_FDCWD, path, (uid_t)-1, b->control_gid, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		unlink(path);
		snprintf(err, errlen, "control socket %s: chown to group %s: %s", path,
			 b->control_group, strerror(-r));
		close(s);
		return r;
	}
	if (listen(s, 8) < 0) {
		r = -errno;
		unlink(path);
		errno = -r;
		goto fail;
	}
	r = hvb_bridge_loop(b) ? hv_loop_add(&b->loop, s, EPOLLIN, listen_event, b) : -ENOMEM;
	if (r < 0) {
		unlink(path);
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-r));
		close(s);
		return r;
	}
	b->control_fd = s;
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(-r));
	if (s >= 0)
		close(s);
	return r;
}

static bool in_groups(int fd, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE || !(groups = malloc(len)))
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		found |= groups[i] == gid;
	if (groups != small)
		free(groups);
	return found;
}

/* Root, our own user, or a member of the control group. */
static bool peer_allowed(const struct hvb_bridge *b, int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) < 0)
		return false;
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	return b->control_group && (cr->gid == b->control_gid || in_groups(fd, b->control_gid));
}

/* {"error": {"class": CLASS, "desc": ...}} */
static json_object *error_answer(const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static json_object *error_answer(const char *cls, const char *fmt, ...)
{
	json_object *a = json_object_new_object(), *e = json_object_new_object();
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "class", json_object_new_string(cls));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(a, "error", e);
	return a;
}

static json_object *return_answer(json_object *value)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "return", value ? value : json_object_new_object());
	return a;
}

/* Refuses arguments other than those in the NULL-terminated list. */
static json_object *unknown_argument(json_object *args, const char *const *known)
{
	json_object_object_foreach(args, key, val)
	{
		bool ok = false;

		(void)val;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, key) == 0;
		if (!ok)
			return error_answer("InvalidParameter", "unknown argument '%s'", key);
	}
	return NULL;
}

static json_object *do_device_add(struct hvb_bridge *b, json_object *args)
{
	struct hvb_device_cfg cfg = {0};
	json_object *a;
	char err[256];
	struct hvb_zone *z;
	uint32_t zone;

	if (!args)
		return error_answer("InvalidParameter",
				    "device-add: arguments missing (a device object)");
	if (hvb_device_cfg_from_json(args, &cfg, &zone, err, sizeof(err)) < 0) {
		a = error_answer("InvalidParameter", "%s", err);
	} else if (!(z = hvb_bridge_zone(b, zone))) {
		a = error_answer("InvalidParameter", "device.zone: no zone %u", zone);
	} else if (hvb_zone_add_device(z, &cfg, err, sizeof(err)) < 0) {
		a = error_answer("GenericError", "%s", err);
	} else {
		a = return_answer(NULL);
		hv_info("zone %u: %s added", zone, cfg.name);
	}
	hvb_device_cfg_free(&cfg);
	return a;
}

static json_object *do_device_del(struct hvb_bridge *b, json_object *args)
{
	static const char *const known[] = {"zone", "name", NULL};
	json_object *zone_o, *name_o, *a;
	struct hvb_zone *z;
	const char *name;
	int64_t zone;

	if (!args)
		return error_answer(
			"InvalidParameter",
			"device-del: arguments missing ({\"zone\": ID, \"name\": NAME})");
	if ((a = unknown_argument(args, known)))
		return a;
	if (!json_object_object_get_ex(args, "zone", &zone_o) ||
	    !json_object_is_type(zone_o, json_type_int))
		return error_answer("InvalidParameter", "device-del: 'zone' must be a number");
	if (!json_object_object_get_ex(args, "name", &name_o) ||
	    !json_object_is_type(name_o, json_type_string))
		return error_answer("InvalidParameter", "device-del: 'name' must be a string");
	zone = json_object_get_int64(zone_o);
	name = json_object_get_string(name_o);
	if (zone < 0 || zone > UINT32_MAX || !(z = hvb_bridge_zone(b, (uint32_t)zone)))
		return error_answer("DeviceNotFound", "no zone %lld", (long long)zone);
	if (hvb_zone_remove_device(z, name) < 0)
		return error_answer("DeviceNotFound", "zone %u has no device '%s'", z->id, name);
	return return_answer(NULL);
}

static json_object *do_query_devices(struct hvb_bridge *b, json_object *args)
{
	static const char *const known[] = {NULL};
	json_object *list, *a;

	if (args && (a = unknown_argument(args, known)))
		return a;
	list = json_object_new_array();
	for (unsigned int i = 0; i < b->n_zones; i++) {
		struct hvb_zone *z = b->zones[i];

		for (unsigned int j = 0; j < z->n_devs; j++) {
			struct hvb_device *d = z->devs[j];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "zone", json_object_new_int64(z->id));
			json_object_object_add(o, "name", json_object_new_string(d->cfg.name));
			json_object_object_add(o, "base",
					       json_object_new_int64((int64_t)d->cfg.base));
			json_object_object_add(o, "size",
					       json_object_new_int64((int64_t)d->cfg.size));
			json_object_object_add(o, "irq", json_object_new_int64(d->cfg.irq));
			if (d->cfg.vhost)
				json_object_object_add(o, "vhost",
						       json_object_new_string(d->cfg.vhost));
			else
				json_object_object_add(o, "local",
						       json_object_new_string(d->cfg.local));
			json_object_object_add(o, "status", json_object_new_int(d->mmio.status));
			json_object_object_add(o, "ignored",
					       json_object_new_int64((int64_t)d->mmio.ignored));
			json_object_array_add(list, o);
		}
	}
	return return_answer(list);
}

/* One request line (no newline) to its answer. */
static json_object *serve_request(struct hvb_bridge *b, const char *line, size_t len)
{
	static const struct {
		const char *name;
		json_object *(*fn)(struct hvb_bridge *b, json_object *args);
	} commands[] = {
		{"device-add", do_device_add},
		{"device-del", do_device_del},
		{"query-devices", do_query_devices},
	};
	struct json_tokener *tok = json_tokener_new();
	json_object *req = NULL, *exec = NULL, *args = NULL, *id = NULL, *a = NULL;
	enum json_tokener_error jerr = json_tokener_success;
	const char *cmd;

	if (!tok)
		return error_answer("GenericError", "out of memory");
	/* json-c would stop at a NUL and take what came before. */
	if (memchr(line, '\0', len)) {
		json_tokener_free(tok);
		return error_answer("GenericError", "request is not JSON: it holds a NUL byte");
	}
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!req || jerr != json_tokener_success) {
		a = error_answer("GenericError", "request is not JSON: %s",
				 jerr == json_tokener_continue ? "it ends too soon"
							       : json_tokener_error_desc(jerr));
		goto out;
	}
	/* Only blanks may follow the object. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			a = error_answer("GenericError",
					 "request is not JSON: '%c' after the object at byte %zu",
					 line[i], i);
			goto out;
		}
	if (!json_object_is_type(req, json_type_object)) {
		a = error_answer("GenericError", "a request is a JSON object: "
						 "{\"execute\": COMMAND, \"arguments\": {...}}");
		goto out;
	}
	json_object_object_get_ex(req, "id", &id);
	json_object_object_foreach(req, key, val)
	{
		(void)val;
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
			a = error_answer("GenericError", "request member '%s' is unknown", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(req, "execute", &exec) ||
	    !json_object_is_type(exec, json_type_string)) {
		a = error_answer("GenericError", "request member 'execute' is missing or not a "
						 "string");
		goto out;
	}
	if (json_object_object_get_ex(req, "arguments", &args) &&
	    !json_object_is_type(args, json_type_object)) {
		a = error_answer("GenericError", "request member 'arguments' must be an object");
		goto out;
	}
	cmd = json_object_get_string(exec);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]) && !a; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			a = commands[i].fn(b, args);
	if (!a)
		a = error_answer("CommandNotFound",
				 "the command %.64s has not been found (device-add, device-del, "
				 "query-devices)",
				 cmd);
out:
	/* As QMP: an answer carries its request's id. */
	if (a && id)
		json_object_object_add(a, "id", json_object_get(id));
	json_object_put(req);
	json_tokener_free(tok);
	return a;
}

static void unwatch_client(struct hvb_control_client *c)
{
	hv_loop_del(&c->b->loop, c->fd);
	c->events = 0;
}

static void drop_client(struct hvb_bridge *b, unsigned int i)
{
	struct hvb_control_client *c = b->control_clients[i];

	if (c->events)
		unwatch_client(c);
	close(c->fd);
	free(c->out);
	free(c);
	memmove(&b->control_clients[i], &b->control_clients[i + 1],
		(b->n_control_clients - i - 1) * sizeof(b->control_clients[0]));
	b->n_control_clients--;
}

static void drop(struct hvb_control_client *c)
{
	struct hvb_bridge *b = c->b;

	for (unsigned int i = 0; i < b->n_control_clients; i++)
		if (b->control_clients[i] == c) {
			drop_client(b, i);
			return;
		}
}

/* Watched for what the client is to do next: read its answer, or send. */
static int watch_client(struct hvb_control_client *c, uint32_t events)
{
	if (c->events == events)
		return 0;
	if (c->events)
		unwatch_client(c);
	if (hv_loop_add(&c->b->loop, c->fd, events, client_event, c) < 0)
		return -1;
	c->events = events;
	return 0;
}

/* Sends what the client has not taken yet: true once it is all sent,
 * false if the rest waits for the client (or the client is broken: then
 * closing is set). */
static bool flush(struct hvb_control_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0) {
			c->closing = true;
			c->out_off = c->out_len = 0;
			return true;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return true;
}

/* Queues the answer, one line (json-c escapes every newline in strings). */
static void answer(struct hvb_control_client *c, json_object *a)
{
	const char *s = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);

	free(c->out);
	c->out = malloc(n + 1);
	if (!c->out) {
		c->closing = true;
	} else {
		memcpy(c->out, s, n);
		c->out[n] = '\n';
		c->out_len = n + 1;
		c->out_off = 0;
	}
	json_object_put(a);
}

/* Serves the request lines received, at most HVB_CONTROL_BATCH and one
 * answer outstanding at a time, and watches the client for what comes
 * next. Returns false when the client is done with (dropped). */
static bool serve(struct hvb_control_client *c)
{
	struct hvb_bridge *b = c->b;
	bool more = false;

	for (int k = 0;; k++) {
		char *nl;
		size_t len;

		if (!flush(c))
			break; /* the client reads its answer first */
		if (c->closing)
			break;
		nl = memchr(c->in, '\n', c->in_len);
		if (!nl)
			break;
		if (k == HVB_CONTROL_BATCH) {
			more = true; /* on the next round, after every zone's turn */
			break;
		}
		len = (size_t)(nl - c->in);
		/* A blank line is no request (nor an answer). */
		if (strspn(c->in, " \t\r") < len)
			answer(c, serve_request(b, c->in, len));
		memmove(c->in, nl + 1, c->in_len - len - 1);
		c->in_len -= len + 1;
	}
	if (c->closing && c->out_off == c->out_len) {
		drop(c);
		return false;
	}
	/* Writable, it comes back at once: to send, or to go on. */
	if (watch_client(c, c->out_len || more ? EPOLLOUT : EPOLLIN) < 0) {
		drop(c);
		return false;
	}
	return true;
}

/* Reads what the client sent (one recv: a round of the loop takes at most
 * a request's worth of bytes from a client). */
static bool receive(struct hvb_control_client *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		drop(c); /* gone: nobody to answer */
		return false;
	}
	c->in_len += (size_t)n;
	if (c->in_len == sizeof(c->in) && !memchr(c->in, '\n', c->in_len)) {
		/* Where this request ends and the next begins is not known:
		 * the connection ends after the error. */
		answer(c, error_answer("GenericError", "request longer than %u bytes",
				       (unsigned int)HVB_CONTROL_REQ_MAX));
		c->closing = true;
		c->in_len = 0;
	}
	return true;
}

static void client_event(void *opaque, uint32_t events)
{
	struct hvb_control_client *c = opaque;

	if (c->events == EPOLLIN && !receive(c))
		return;
	if ((events & (EPOLLERR | EPOLLHUP)) && c->events == EPOLLOUT) {
		drop(c);
		return;
	}
	serve(c);
}

static void accept_clients(struct hvb_bridge *b)
{
	for (int n = 0; n < HVB_CONTROL_MAX_CLIENTS; n++) {
		int fd = accept4(b->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct hvb_control_client *c;
		struct ucred cr = {0};

		if (fd < 0)
			return;
		if (!peer_allowed(b, fd, &cr)) {
			static const char denied[] =
				"{\"error\":{\"class\":\"GenericError\",\"desc\":\"permission "
				"denied\"}}\n";
			char sink[256];

			hv_warn_ratelimited(&control_rl,
					    "control: uid %u (pid %d) refused: only root%s may use "
					    "it",
					    (unsigned int)cr.uid, (int)cr.pid,
					    b->control_group ? " or the control group" : "");
			/* A new socket's buffer takes it whole; a full one
			 * would mean a client that does not wait for it. */
			send(fd, denied, sizeof(denied) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			/* Closing with its request unread would reset the
			 * connection before the client read the answer. */
			while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
				;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->b = b;
		c->fd = fd;
		if (b->n_control_clients == HVB_CONTROL_MAX_CLIENTS)
			drop_client(b, 0); /* the oldest, silent so far */
		if (watch_client(c, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		b->control_clients[b->n_control_clients++] = c;
	}
}

static void listen_event(void *opaque, uint32_t events)
{
	(void)events;
	accept_clients(opaque);
}

void hvb_control_close(struct hvb_bridge *b)
{
	while (b->n_control_clients)
		drop_client(b, b->n_control_clients - 1);
	if (b->control_fd >= 0) {
		hv_loop_del(&b->loop, b->control_fd);
		close(b->control_fd);
		unlink(b->control_path);
		b->control_fd = -1;
	}
}

/* The client's side. */

/* One line of answer, up to 16 MiB (a long device list), or NULL. */
static char *read_line(int s, const char *path)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		ssize_t n;
		char *nl;

		/* Adding a vhost-vdpa device waits for its daemon; VDUSE gives
		 * up on it well before this. */
		if (poll(&p, 1, 120000) != 1) {
			fprintf(stderr, "hvbridge: %s: no answer in 120 s\n", path);
			break;
		}
		if (len + 1 == cap) {
			char *more = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!more) {
				fprintf(stderr, "hvbridge: %s: answer too long\n", path);
				break;
			}
			buf = more;
			cap *= 2;
		}
		n = recv(s, buf + len, cap - len - 1, 0);
		if (n <= 0) {
			fprintf(stderr, "hvbridge: %s: no answer\n", path);
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

static void print_devices(json_object *list)
{
	size_t n = json_object_array_length(list);

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(list, i), *v;
		const char *be = "?";

		if (json_object_object_get_ex(d, "vhost", &v) ||
		    json_object_object_get_ex(d, "local", &v))
			be = json_object_get_string(v);
#define FIELD(k) (json_object_object_get_ex(d, k, &v) ? json_object_get_int64(v) : 0)
		printf("zone %lld %s base 0x%llx irq %lld %s status 0x%llx ignored %lld\n",
		       (long long)FIELD("zone"),
		       json_object_object_get_ex(d, "name", &v) ? json_object_get_string(v) : "?",
		       (unsigned long long)FIELD("base"), (long long)FIELD("irq"), be,
		       (unsigned long long)FIELD("status"), (long long)FIELD("ignored"));
#undef FIELD
	}
}

/* The command line's request (list, add JSON, remove ZONE NAME) as a
 * request object; NULL after saying why not. */
static json_object *cli_request(const char *text)
{
	json_object *req = json_object_new_object(), *args = NULL;
	const char *cmd;
	char name[256];
	unsigned int zone;
	int end = 0;

	if (strcmp(text, "list") == 0) {
		cmd = "query-devices";
	} else if (strncmp(text, "add ", 4) == 0) {
		enum json_tokener_error jerr;

		cmd = "device-add";
		args = json_tokener_parse_verbose(text + 4, &jerr);
		if (!args || !json_object_is_type(args, json_type_object)) {
			fprintf(stderr, "hvbridge: add: not a JSON object: %s\n",
				args ? "another JSON value" : json_tokener_error_desc(jerr));
			json_object_put(args);
			json_object_put(req);
			return NULL;
		}
	} else if (strncmp(text, "remove ", 7) == 0 &&
		   sscanf(text + 7, "%u %255s %n", &zone, name, &end) == 2 && !text[7 + end]) {
		cmd = "device-del";
		args = json_object_new_object();
		json_object_object_add(args, "zone", json_object_new_int64(zone));
		json_object_object_add(args, "name", json_object_new_string(name));
	} else {
		fprintf(stderr,
			"hvbridge: ctl: unknown request '%s' (list, add JSON, remove ZONE "
			"NAME)\n",
			text);
		json_object_put(req);
		return NULL;
	}
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	return req;
}

/* What the answer says, for a person. */
static void print_human(json_object *req, json_object *ret)
{
	json_object *exec, *args, *v;
	const char *cmd = "", *name = "?";
	long long zone = 0;

	json_object_object_get_ex(req, "execute", &exec);
	cmd = json_object_get_string(exec);
	if (json_object_object_get_ex(req, "arguments", &args)) {
		if (json_object_object_get_ex(args, "name", &v))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(args, "zone", &v))
			zone = (long long)json_object_get_int64(v);
	}
	if (strcmp(cmd, "query-devices") == 0 && json_object_is_type(ret, json_type_array))
		print_devices(ret);
	else if (strcmp(cmd, "device-add") == 0)
		printf("%s added to zone %lld\n", name, zone);
	else if (strcmp(cmd, "device-del") == 0)
		printf("%s removed from zone %lld\n", name, zone);
}

int hvb_control_request(const char *path, const char *request, bool raw)
{
	json_object *req = cli_request(request), *ans = NULL, *v, *e;
	struct sockaddr_un sa;
	const char *line;
	char *got = NULL;
	int s = -1, r = 1;

	if (!req)
		return 2;
	if (unix_addr(path, &sa) < 0) {
		fprintf(stderr, "hvbridge: %s: socket path too long\n", path);
		goto out;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hvbridge: %s: %s (is hvbridge running with \"control\" set?)\n",
			path, strerror(errno));
		goto out;
	}
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	/* A refused client is answered at once and the socket closed: the
	 * answer may be waiting even when the send fails. */
	if (send(s, line, strlen(line), MSG_NOSIGNAL) >= 0)
		send(s, "\n", 1, MSG_NOSIGNAL);
	got = read_line(s, path);
	if (!got)
		goto out;
	ans = json_tokener_parse(got);
	if (ans && json_object_object_get_ex(ans, "return", &v)) {
		if (raw)
			printf("%s\n",
			       json_object_to_json_string_ext(
				       v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_human(req, v);
		r = 0;
	} else if (ans && json_object_object_get_ex(ans, "error", &e) && !raw) {
		json_object *cls = NULL, *desc = NULL;

		json_object_object_get_ex(e, "class", &cls);
		json_object_object_get_ex(e, "desc", &desc);
		fprintf(stderr, "hvbridge: %s (%s)\n", desc ? json_object_get_string(desc) : "?",
			cls ? json_object_get_string(cls) : "?");
	} else {
		fprintf(stderr, "%s%s\n", ans ? "" : "hvbridge: not a JSON answer: ", got);
	}
out:
	if (s >= 0)
		close(s);
	free(got);
	json_object_put(ans);
	json_object_put(req);
	return r;
}
