// SPDX-License-Identifier: MIT
/* The control socket's server side (control_server.h). */
#include "control_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvdpa/log.h"

/* Answers a client has not taken yet: beyond this it is not reading them
 * and is dropped, rather than held in memory. */
#define OUT_MAX (8u << 20)

struct hv_control_client {
	struct hv_control_server *srv;
	int fd;
	unsigned long long seq;
	bool closing; /* answered a fatal error: goes once it is sent */
	bool want_out;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
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

/* Lines are not NUL-terminated: they end where their length says. */
static bool all_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

static struct json_object *error_answer(const char *cls, const char *desc)
{
	struct json_object *a = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(cls));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(a, "error", e);
	return a;
}

/* The answer to one line; *fatal when the connection is to close after it
 * (the client does not speak the protocol). */
static struct json_object *answer_line(const char *line, size_t len, hv_control_fn fn, void *ctx,
				       bool *fatal)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = NULL, *cmd, *args = NULL, *ret, *a;
	const char *cls = NULL;
	char desc[512] = "";

	*fatal = false;
	if (tok) {
		req = json_tokener_parse_ex(tok, line, (int)len);
		/* Trailing bytes after the object are as bad as none. */
		if (req && !all_blank(line + json_tokener_get_parse_end(tok),
				      len - json_tokener_get_parse_end(tok))) {
			json_object_put(req);
			req = NULL;
		}
		json_tokener_free(tok);
	}
	if (!req || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		*fatal = true;
		return error_answer("GenericError", "not a JSON object");
	}
	if (!json_object_object_get_ex(req, "execute", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		json_object_put(req);
		return error_answer("InvalidParameter", "the request has no \"execute\" string");
	}
	if (json_object_object_get_ex(req, "arguments", &args)) {
		if (!json_object_is_type(args, json_type_object)) {
			json_object_put(req);
			return error_answer("InvalidParameter", "\"arguments\" is not an object");
		}
		json_object_get(args);
	} else {
		args = json_object_new_object();
	}
	json_object_object_foreach(req, key, val)
	{
		(void)val;
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
			json_object_put(args);
			json_object_put(req);
			return error_answer("InvalidParameter", "unknown key in the request");
		}
	}
	ret = fn(ctx, json_object_get_string(cmd), args, &cls, desc, sizeof(desc));
	json_object_put(args);
	if (!ret && cls) {
		a = error_answer(cls, desc);
	} else {
		a = json_object_new_object();
		json_object_object_add(a, "return", ret ? ret : json_object_new_object());
	}
	/* QMP's "id" comes back with the answer, for clients that pipeline. */
	if (json_object_object_get_ex(req, "id", &cmd))
		json_object_object_add(a, "id", json_object_get(cmd));
	json_object_put(req);
	return a;
}

char *hv_control_answer(const char *line, size_t len, hv_control_fn fn, void *ctx)
{
	bool fatal;
	struct json_object *a = answer_line(line, len, fn, ctx, &fatal);
	char *s = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));

	json_object_put(a);
	return s;
}

static void drop_client(struct hv_control_server *s, unsigned int i)
{
	struct hv_control_client *c = s->clients[i];

	hv_loop_del(s->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	s->clients[i] = NULL;
}

static int client_slot(struct hv_control_server *s, struct hv_control_client *c)
{
	for (unsigned int i = 0; i < HV_CONTROL_CLIENTS; i++)
		if (s->clients[i] == c)
			return (int)i;
	return -1;
}

/* Sends what it can now; false when the client is to go. */
static bool flush_out(struct hv_control_client *c)
{
	bool want;

	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return false;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->closing && !c->out_len)
		return false;
	/* Watch for room only while there is something to send. */
	want = c->out_len > 0;
	if (want != c->want_out) {
		hv_loop_del(c->srv->loop, c->fd);
		if (hv_loop_add(c->srv->loop, c->fd, EPOLLIN | (want ? EPOLLOUT : 0), client_event,
				c) < 0)
			return false;
		c->want_out = want;
	}
	return true;
}

static bool queue_out(struct hv_control_client *c, struct json_object *a)
{
	const char *text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text) + 1;

	if (c->out_len + len > OUT_MAX)
		return false;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len - 1);
	c->out[c->out_len + len - 1] = '\n';
	c->out_len += len;
	return true;
}

/* Answers the complete lines in c->in: at most 64 KiB of requests per
 * wake-up, the buffer's size. */
static bool serve_lines(struct hv_control_client *c)
{
	struct hv_control_server *s = c->srv;
	char *nl;

	while (!c->closing && (nl = memchr(c->in, '\n', c->in_len))) {
		size_t len = (size_t)(nl - c->in);
		struct json_object *a;
		bool fatal = false;

		if (!all_blank(c->in, len)) {
			a = answer_line(c->in, len, s->fn, s->ctx, &fatal);
			if (!queue_out(c, a)) {
				json_object_put(a);
				return false;
			}
			json_object_put(a);
		}
		c->closing = fatal;
		memmove(c->in, nl + 1, c->in_len - len - 1);
		c->in_len -= len + 1;
	}
	return true;
}

static void client_event(void *opaque, uint32_t events)
{
	struct hv_control_client *c = opaque;
	struct hv_control_server *s = c->srv;
	bool keep = true;

	if ((events & EPOLLIN) && !c->closing) {
		ssize_t n = recv(c->fd, c->in + c->in_len, HV_CONTROL_LINE_MAX - c->in_len,
				 MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			keep = false;
		} else if (n > 0) {
			c->in_len += (size_t)n;
			keep = serve_lines(c);
			if (keep && !c->closing && c->in_len == HV_CONTROL_LINE_MAX &&
			    !memchr(c->in, '\n', c->in_len)) {
				struct json_object *a =
					error_answer("GenericError", "a request over 64 KiB");

				keep = queue_out(c, a);
				json_object_put(a);
				c->closing = true;
			}
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		keep = false;
	}
	if (keep)
		keep = flush_out(c);
	if (!keep) {
		int i = client_slot(s, c);

		if (i >= 0)
			drop_client(s, (unsigned int)i);
	}
}

static bool peer_allowed(int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) < 0)
		return false;
	return cr->uid == 0 || cr->uid == geteuid();
}

static void listen_event(void *opaque, uint32_t events)
{
	struct hv_control_server *s = opaque;
	struct hv_control_client *c;
	struct ucred cr;
	unsigned int slot = 0;
	int fd;

	(void)events;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!peer_allowed(fd, &cr)) {
		hv_warn_ratelimited(&control_rl, "control: refused a client (pid %d, uid %u)",
				    (int)cr.pid, (unsigned int)cr.uid);
		close(fd);
		return;
	}
	/* A free slot, else the oldest client's. */
	for (unsigned int i = 0; i < HV_CONTROL_CLIENTS; i++) {
		if (!s->clients[i]) {
			slot = i;
			break;
		}
		if (s->clients[i]->seq < s->clients[slot]->seq)
			slot = i;
	}
	if (s->clients[slot])
		drop_client(s, slot);
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(HV_CONTROL_LINE_MAX);
	if (!c || !c->in || hv_loop_add(s->loop, fd, EPOLLIN, client_event, c) < 0) {
		if (c)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->seq = s->accepted++;
	s->clients[slot] = c;
}

/* A socket file nobody answers on is a dead daemon's: ours to replace. */
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

int hv_control_listen(struct hv_control_server *s, struct hv_loop *loop, const char *path,
		      hv_control_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (unix_addr(path, &sa) < 0) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	if (live_server(&sa)) {
		snprintf(err, errlen, "control socket %s: another hvdpad answers there", path);
		return -EADDRINUSE;
	}
	unlink(path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* 0600 from the start: no moment where others may connect. */
	old = umask(0177);
	r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(s->fd, 16) < 0)
		goto fail;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->loop = loop;
	s->fn = fn;
	s->ctx = ctx;
	if (hv_loop_add(loop, s->fd, EPOLLIN, listen_event, s) < 0)
		goto fail;
	return 0;

fail:
	r = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return r;
}

void hv_control_close(struct hv_control_server *s)
{
	if (s->fd < 0)
		return;
	for (unsigned int i = 0; i < HV_CONTROL_CLIENTS; i++)
		if (s->clients[i])
			drop_client(s, i);
	hv_loop_del(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	s->fd = -1;
}
