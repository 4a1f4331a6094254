// SPDX-License-Identifier: MIT
/* The control socket's client side (control_client.h). */
#include "hvdpa/control_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The longest answer taken: query-stats of every device fits many times. */
#define ANSWER_MAX (4u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int fail(char *err, size_t errlen, int e, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return e;
}

/* Waits for fd to be ready for events until deadline. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long left = deadline - now_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n == 0 ? (now_ms() >= deadline ? -ETIMEDOUT : 0) : 1;
}

static int connect_to(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long%s", path, "");
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, -errno, "socket: %s%s", strerror(errno), "");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline, char *err,
		    size_t errlen)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int w = wait_fd(fd, POLLOUT, deadline);

			if (w < 0)
				return fail(err, errlen, w, "sending: %s%s", strerror(-w), "");
			continue;
		}
		if (n < 0)
			return fail(err, errlen, -errno, "sending: %s%s", strerror(errno), "");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line, without its newline, into a malloc'ed string. */
static int read_line(int fd, char **out, long long deadline, char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;
		char *nl;

		if (len + 1 == cap) {
			char *b;

			if (cap >= ANSWER_MAX) {
				free(buf);
				return fail(err, errlen, -EMSGSIZE, "answer over %s%s", "4 MiB",
					    "");
			}
			b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int w = wait_fd(fd, POLLIN, deadline);

			if (w < 0) {
				free(buf);
				return fail(err, errlen, w, "no answer: %s%s", strerror(-w), "");
			}
			continue;
		}
		if (n <= 0) {
			int e = n < 0 ? errno : ECONNRESET;

			free(buf);
			return fail(err, errlen, -e, "the server closed the connection: %s%s",
				    strerror(e), "");
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf + len - n, '\n', (size_t)n);
		if (nl) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
	}
}

static int take_answer(struct json_object *a, struct json_object **ret, char *err, size_t errlen)
{
	struct json_object *r, *e, *cls, *desc;

	if (json_object_object_get_ex(a, "return", &r)) {
		*ret = json_object_get(r);
		return 0;
	}
	if (json_object_object_get_ex(a, "error", &e) &&
	    json_object_object_get_ex(e, "class", &cls) &&
	    json_object_object_get_ex(e, "desc", &desc)) {
		snprintf(err, errlen, "%s: %s", json_object_get_string(cls),
			 json_object_get_string(desc));
		return -EREMOTEIO;
	}
	snprintf(err, errlen, "the answer has neither return nor error");
	return -EPROTO;
}

int hv_control_call(const char *path, const char *cmd, struct json_object *args,
		    struct json_object **ret, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	struct json_object *req = json_object_new_object(), *ans;
	char *line = NULL;
	const char *text;
	int fd, r;

	*ret = NULL;
	if (!req)
		return -ENOMEM;
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", json_object_get(args));
	fd = connect_to(path, err, errlen);
	if (fd < 0) {
		json_object_put(req);
		return fd;
	}
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	r = send_all(fd, text, strlen(text), deadline, err, errlen);
	if (r == 0)
		r = send_all(fd, "\n", 1, deadline, err, errlen);
	json_object_put(req);
	/* A refused client is answered at once and the socket closed: the
	 * answer may be waiting even when the send failed. */
	if (r == 0 || r == -EPIPE || r == -ECONNRESET)
		r = read_line(fd, &line, deadline, err, errlen);
	close(fd);
	if (r < 0)
		return r;
	ans = json_tokener_parse(line);
	free(line);
	if (!ans) {
		snprintf(err, errlen, "the answer is not JSON");
		return -EPROTO;
	}
	r = take_answer(ans, ret, err, errlen);
	json_object_put(ans);
	return r;
}
