// SPDX-License-Identifier: MIT
/*
 * The control socket's server side (hvdpa/control_server.h). The listening
 * socket and every client are watched on the caller's loop: a client is
 * read only when it is readable (one recv per round: a round takes at most
 * a request's worth of bytes from a client) and written only when it is
 * writable, so an idle or stuck client costs the loop's other work nothing.
 */
#include "hvdpa/control_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvdpa/log.h"

struct hv_control_client {
	struct hv_control_server *srv;
	int fd;
	/* Bytes received and not yet served: at most one request line of
	 * HV_CONTROL_LINE_MAX bytes and its newline. */
	char in[HV_CONTROL_LINE_MAX + 1];
	size_t in_len;
	/* The answer the client has not read yet, from out_off. */
	char *out;
	size_t out_len, out_off;
	bool closing;	 /* dropped once out is sent */
	uint32_t events; /* what it is watched for: EPOLLIN or EPOLLOUT */
};

static struct hv_ratelimit control_rl;

static void client_event(void *opaque, uint32_t events);

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* {"error": {"class": CLASS, "desc": ...}} */
static struct json_object *error_answer(const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct json_object *error_answer(const char *cls, const char *fmt, ...)
{
	struct json_object *a = json_object_new_object(), *e = json_object_new_object();
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

/* The request in line, or NULL with *a its error answer. */
static struct json_object *parse_request(const char *line, size_t len, struct json_object **a)
{
	struct json_tokener *tok;
	struct json_object *req;
	enum json_tokener_error jerr;

	/* json-c would stop at a NUL and take what came before. */
	if (memchr(line, '\0', len)) {
		*a = error_answer("GenericError", "request is not JSON: it holds a NUL byte");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		*a = error_answer("GenericError", "out of memory");
		return NULL;
	}
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!req || jerr != json_tokener_success) {
		*a = error_answer("GenericError", "request is not JSON: %s",
				  jerr == json_tokener_continue ? "it ends too soon"
								: json_tokener_error_desc(jerr));
		json_object_put(req);
		json_tokener_free(tok);
		return NULL;
	}
	/* Only blanks may follow the object. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			*a = error_answer("GenericError",
					  "request is not JSON: '%c' after the object at byte %zu",
					  line[i], i);
			json_object_put(req);
			json_tokener_free(tok);
			return NULL;
		}
	json_tokener_free(tok);
	return req;
}

/* One request line (no newline) to its answer. */
static struct json_object *answer_line(const char *line, size_t len, hv_control_fn fn, void *ctx)
{
	struct json_object *req, *exec, *args = NULL, *id = NULL, *ret, *a = NULL;
	const char *cls = NULL;
	char desc[512] = "";

	req = parse_request(line, len, &a);
	if (!req)
		return a;
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
			a = error_answer("GenericError", "request member '%.64s' is unknown", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(req, "execute", &exec) ||
	    !json_object_is_type(exec, json_type_string)) {
		a = error_answer("GenericError",
				 "request member 'execute' is missing or not a string");
		goto out;
	}
	if (json_object_object_get_ex(req, "arguments", &args)) {
		if (!json_object_is_type(args, json_type_object)) {
			a = error_answer("GenericError",
					 "request member 'arguments' must be an object");
			goto out;
		}
		json_object_get(args);
	} else {
		args = json_object_new_object();
	}
	ret = fn(ctx, json_object_get_string(exec), args, &cls, desc, sizeof(desc));
	json_object_put(args);
	if (!ret && cls) {
		a = error_answer(cls, "%s", desc);
	} else {
		a = json_object_new_object();
		json_object_object_add(a, "return", ret ? ret : json_object_new_object());
	}
out:
	/* As QMP: an answer carries its request's id, for clients that
	 * pipeline. */
	if (id)
		json_object_object_add(a, "id", json_object_get(id));
	json_object_put(req);
	return a;
}

char *hv_control_answer(const char *line, size_t len, hv_control_fn fn, void *ctx)
{
	struct json_object *a = answer_line(line, len, fn, ctx);
	char *s = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(a);
	return s;
}

static void unwatch_client(struct hv_control_client *c)
{
	hv_loop_del(c->srv->loop, c->fd);
	c->events = 0;
}

static void drop_client(struct hv_control_server *s, unsigned int i)
{
	struct hv_control_client *c = s->clients[i];

	if (c->events)
		unwatch_client(c);
	close(c->fd);
	free(c->out);
	free(c);
	memmove(&s->clients[i], &s->clients[i + 1], (s->n_clients - i - 1) * sizeof(s->clients[0]));
	s->n_clients--;
}

static void drop(struct hv_control_client *c)
{
	struct hv_control_server *s = c->srv;

	for (unsigned int i = 0; i < s->n_clients; i++)
		if (s->clients[i] == c) {
			drop_client(s, i);
			return;
		}
}

/* Watched for what the client is to do next: read its answer, or send. */
static int watch_client(struct hv_control_client *c, uint32_t events)
{
	if (c->events == events)
		return 0;
	if (c->events)
		unwatch_client(c);
	if (hv_loop_add(c->srv->loop, c->fd, events, client_event, c) < 0)
		return -1;
	c->events = events;
	return 0;
}

/* Sends what the client has not taken yet: true once it is all sent,
 * false if the rest waits for the client (or the client is broken: then
 * closing is set). */
static bool flush(struct hv_control_client *c)
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
static void answer(struct hv_control_client *c, struct json_object *a)
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

/* Serves the request lines received, at most HV_CONTROL_BATCH and one
 * answer outstanding at a time, and watches the client for what comes
 * next. Returns false when the client is done with (dropped). */
static bool serve(struct hv_control_client *c)
{
	struct hv_control_server *s = c->srv;
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
		if (k == HV_CONTROL_BATCH) {
			more = true; /* on the next round, after the loop's other work */
			break;
		}
		len = (size_t)(nl - c->in);
		/* A blank line is no request (nor an answer). */
		if (strspn(c->in, " \t\r") < len)
			answer(c, answer_line(c->in, len, s->fn, s->ctx));
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

/* Reads what the client sent: one recv. */
static bool receive(struct hv_control_client *c)
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
		answer(c, error_answer("GenericError", "request longer than %u bytes (%u KiB)",
				       HV_CONTROL_LINE_MAX, HV_CONTROL_LINE_MAX >> 10));
		c->closing = true;
		c->in_len = 0;
	}
	return true;
}

static void client_event(void *opaque, uint32_t events)
{
	struct hv_control_client *c = opaque;

	if (c->events == EPOLLIN && !receive(c))
		return;
	if ((events & (EPOLLERR | EPOLLHUP)) && c->events == EPOLLOUT) {
		drop(c);
		return;
	}
	serve(c);
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
static bool peer_allowed(const struct hv_control_server *s, int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) < 0)
		return false;
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	return s->has_group && (cr->gid == s->gid || in_groups(fd, s->gid));
}

static void refuse(const struct hv_control_server *s, int fd, const struct ucred *cr)
{
	static const char denied[] =
		"{\"error\":{\"class\":\"GenericError\",\"desc\":\"permission denied\"}}\n";
	char sink[256];

	hv_warn_ratelimited(&control_rl, "control: uid %u (pid %d) refused: only root%s may use it",
			    (unsigned int)cr->uid, (int)cr->pid,
			    s->has_group ? " or the control group" : "");
	/* A new socket's buffer takes it whole; a full one would mean a
	 * client that does not wait for it. */
	send(fd, denied, sizeof(denied) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* Closing with its request unread would reset the connection before
	 * the client read the answer. */
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void listen_event(void *opaque, uint32_t events)
{
	struct hv_control_server *s = opaque;

	(void)events;
	/* At most a table's worth per round: a flood of connections waits
	 * for the next round like everything else. */
	for (unsigned int n = 0; n < HV_CONTROL_CLIENTS; n++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct hv_control_client *c;
		struct ucred cr = {0};

		if (fd < 0)
			return;
		if (!peer_allowed(s, fd, &cr)) {
			refuse(s, fd, &cr);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		if (s->n_clients == HV_CONTROL_CLIENTS)
			drop_client(s, 0); /* the oldest */
		if (watch_client(c, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		s->clients[s->n_clients++] = c;
	}
}

/* A socket file nobody answers on is a dead server's: ours to replace. */
static bool live_server(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
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

void hv_control_init(struct hv_control_server *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int hv_control_listen(struct hv_control_server *s, struct hv_loop *loop, const char *path,
		      const char *group, hv_control_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int r;

	hv_control_init(s);
	if (unix_addr(path, &sa) < 0) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	if (group) {
		if (resolve_group(group, &s->gid) < 0) {
			snprintf(err, errlen, "control group '%s': no such group", group);
			return -ENOENT;
		}
		s->has_group = true;
	}
	/* Only a socket left by an earlier run is replaced. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and is not a socket",
				 path);
			return -EEXIST;
		}
		if (live_server(&sa)) {
			snprintf(err, errlen, "control socket %s: another %s answers there", path,
				 program_invocation_short_name);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* The mode is set as the socket is made: there is no moment when
	 * anyone else could connect. */
	old = umask(group ? 0117 : 0177);
	r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		goto fail;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (group && fchownat(AT_FDCWD, path, (uid_t)-1, s->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		snprintf(err, errlen, "control socket %s: chown to group %s: %s", path, group,
			 strerror(-r));
		goto undo;
	}
	if (listen(s->fd, 16) < 0)
		goto fail;
	s->loop = loop;
	s->fn = fn;
	s->ctx = ctx;
	r = hv_loop_add(loop, s->fd, EPOLLIN, listen_event, s);
	if (r < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-r));
		goto undo;
	}
	return 0;

fail:
	r = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(-r));
undo:
	if (s->path[0])
		unlink(s->path);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return r;
}

void hv_control_close(struct hv_control_server *s)
{
	if (s->fd < 0)
		return;
	while (s->n_clients)
		drop_client(s, s->n_clients - 1);
	hv_loop_del(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	s->fd = -1;
}
