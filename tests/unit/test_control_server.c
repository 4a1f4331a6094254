// SPDX-License-Identifier: MIT
/* The control socket's framing and server (control/server.c, hvdpad's and
 * hvbridge's) against well-behaved, pipelining, silent, flooding and
 * garbage-sending clients, and its client (control/client.c). hvbridge's
 * own use of it (groups, its commands) is test_control.c's. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvdpa/control_client.h"
#include "hvdpa/control_server.h"
#include "check.h"

/* "echo" returns its arguments; "fail" an error; anything else unknown. */
static struct json_object *cmd(void *ctx, const char *name, struct json_object *args,
			       const char **cls, char *desc, size_t desclen)
{
	(void)ctx;
	if (!strcmp(name, "echo"))
		return json_object_get(args);
	if (!strcmp(name, "nothing"))
		return NULL;
	*cls = !strcmp(name, "fail") ? "GenericError" : "CommandNotFound";
	snprintf(desc, desclen, "no %s", name);
	return NULL;
}

static char *answer(const char *line)
{
	return hv_control_answer(line, strlen(line), cmd, NULL);
}

static bool answer_is(const char *line, const char *want)
{
	char *a = answer(line);
	bool ok = a && !strcmp(a, want);

	if (!ok)
		printf("# %s -> %s, not %s\n", line, a ? a : "(null)", want);
	free(a);
	return ok;
}

static void test_framing(void)
{
	CHECK(answer_is("{\"execute\":\"echo\",\"arguments\":{\"a\":1}}",
			"{\"return\":{\"a\":1}}"));
	CHECK(answer_is("{\"execute\":\"echo\"}", "{\"return\":{}}"));
	CHECK(answer_is("{\"execute\":\"nothing\"}", "{\"return\":{}}"));
	CHECK(answer_is("  {\"execute\":\"echo\",\"id\":7}  ", "{\"return\":{},\"id\":7}"));
	CHECK(answer_is("{\"execute\":\"fail\"}",
			"{\"error\":{\"class\":\"GenericError\",\"desc\":\"no fail\"}}"));
	CHECK(answer_is("{\"execute\":\"zap\"}",
			"{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"no zap\"}}"));
	CHECK(answer_is("garbage", "{\"error\":{\"class\":\"GenericError\",\"desc\":\"request is "
				   "not JSON: unexpected character\"}}"));
	CHECK(answer_is("[1,2]", "{\"error\":{\"class\":\"GenericError\",\"desc\":\"a request is "
				 "a JSON object: {\\\"execute\\\": COMMAND, \\\"arguments\\\": "
				 "{...}}\"}}"));
	CHECK(answer_is("{\"execute\":\"echo\"} trailing",
			"{\"error\":{\"class\":\"GenericError\",\"desc\":\"request is not JSON: "
			"'t' after the object at byte 19\"}}"));
	CHECK(answer_is("{\"execute\":\"echo\"", "{\"error\":{\"class\":\"GenericError\","
						 "\"desc\":\"request is not JSON: it ends too "
						 "soon\"}}"));
	CHECK(answer_is("{\"execute\":5}", "{\"error\":{\"class\":\"GenericError\",\"desc\":"
					   "\"request member 'execute' is missing or not a "
					   "string\"}}"));
	CHECK(answer_is("{\"execute\":\"echo\",\"arguments\":[]}",
			"{\"error\":{\"class\":\"GenericError\",\"desc\":\"request member "
			"'arguments' must be an object\"}}"));
	CHECK(answer_is("{\"execute\":\"echo\",\"colour\":1,\"id\":2}",
			"{\"error\":{\"class\":\"GenericError\",\"desc\":\"request member "
			"'colour' is unknown\"},\"id\":2}"));
	/* json-c would take what comes before a NUL. */
	{
		static const char nul[] = "{\"execute\":\"echo\"}\0 x";
		char *a = hv_control_answer(nul, sizeof(nul) - 1, cmd, NULL);

		CHECK(a && strstr(a, "NUL byte"));
		free(a);
	}
}

static struct hv_control_server srv;
static struct hv_loop loop;
static volatile bool stop;
static char dir[] = "/tmp/hvdpa-ctl-XXXXXX";
static char path[128];

static void *serve(void *arg)
{
	(void)arg;
	while (!stop)
		hv_loop_run_once(&loop, 20);
	return NULL;
}

static int connect_raw(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything the server sends until it closes or 2 s pass. */
static size_t read_all(int fd, char *buf, size_t len)
{
	struct timeval tv = {.tv_sec = 2};
	size_t n = 0;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n + 1 < len && (r = recv(fd, buf + n, len - 1 - n, 0)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/* The server closed fd: recv sees the end, not a time-out. */
static bool closed_by_server(int fd)
{
	struct timeval tv = {.tv_sec = 2};
	char c;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(fd, &c, 1, 0) == 0;
}

static void test_socket(void)
{
	struct hv_control_server other;
	struct json_object *ret = NULL, *args = json_object_new_object();
	char err[256], buf[8192];
	struct stat st;
	int fd, r;

	json_object_object_add(args, "x", json_object_new_string("y"));
	r = hv_control_call(path, "echo", args, &ret, 2000, err, sizeof(err));
	CHECK_EQ(r, 0);
	CHECK(ret && !strcmp(json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN),
			     "{\"x\":\"y\"}"));
	json_object_put(ret);
	json_object_put(args);
	r = hv_control_call(path, "fail", NULL, &ret, 2000, err, sizeof(err));
	CHECK_EQ(r, -EREMOTEIO);
	CHECK(!strcmp(err, "GenericError: no fail"));

	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ(hv_control_listen(&other, &loop, path, NULL, cmd, NULL, err, sizeof(err)),
		 -EADDRINUSE);

	/* Three requests in one write: three answers, in order. */
	fd = connect_raw();
	CHECK(fd >= 0);
	{
		const char *reqs = "{\"execute\":\"echo\",\"id\":1}\n\n{\"execute\":\"zap\",\"id\":"
				   "2}\n{\"execute\":\"echo\",\"id\":3}\n";

		CHECK(send(fd, reqs, strlen(reqs), 0) == (ssize_t)strlen(reqs));
		shutdown(fd, SHUT_WR);
		read_all(fd, buf, sizeof(buf));
		CHECK(!strcmp(buf,
			      "{\"return\":{},\"id\":1}\n{\"error\":{\"class\":"
			      "\"CommandNotFound\",\"desc\":\"no zap\"},\"id\":2}\n{\"return\":"
			      "{},\"id\":3}\n"));
		close(fd);
	}

	/* Garbage: an error; the line ended, so the next request is served. */
	fd = connect_raw();
	CHECK(send(fd, "\x01\x02garbage\n{\"execute\":\"echo\"}\n", 29, 0) == 29);
	shutdown(fd, SHUT_WR);
	read_all(fd, buf, sizeof(buf));
	CHECK(!strncmp(buf, "{\"error\":{\"class\":\"GenericError\",\"desc\":\"request is not JSON",
		       60));
	CHECK(strstr(buf, "}\n{\"return\":{}}\n") != NULL);
	close(fd);

	/* A client that pipelines without reading its answers gets at most
	 * one answer queued: the server stops reading it, serves others. */
	fd = connect_raw();
	{
		static char many[HV_CONTROL_LINE_MAX];
		const char *one =
			"{\"execute\":\"echo\",\"arguments\":{\"pad\":\"xxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n";
		size_t l = strlen(one), n = 0;
		int sent = 0;

		while (n + l < sizeof(many)) {
			memcpy(many + n, one, l);
			n += l;
		}
		/* 64 times what fits in the socket buffers both ways. */
		for (int i = 0; i < 64; i++) {
			ssize_t w = send(fd, many, n, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				sent++;
		}
		CHECK(sent < 64);
		r = hv_control_call(path, "echo", NULL, &ret, 2000, err, sizeof(err));
		CHECK_EQ(r, 0);
		json_object_put(ret);
	}
	close(fd);

	/* A line that never ends: an error once it passes 64 KiB, closed. */
	fd = connect_raw();
	{
		static char big[HV_CONTROL_LINE_MAX + 100];

		memset(big, 'x', sizeof(big));
		CHECK(send(fd, big, sizeof(big), MSG_NOSIGNAL) > 0);
		read_all(fd, buf, sizeof(buf));
		CHECK(strstr(buf, "request longer than 65536 bytes (64 KiB)") != NULL);
	}
	close(fd);

	/* A client that says nothing holds nobody up; a full table drops
	 * the oldest. */
	{
		int silent[HV_CONTROL_CLIENTS + 1];

		for (unsigned int i = 0; i <= HV_CONTROL_CLIENTS; i++) {
			silent[i] = connect_raw();
			usleep(20000); /* accepted in this order */
		}
		r = hv_control_call(path, "echo", NULL, &ret, 2000, err, sizeof(err));
		CHECK_EQ(r, 0);
		json_object_put(ret);
		/* The first two went: for the 17th silent one, then ours. */
		CHECK(closed_by_server(silent[0]));
		CHECK(!closed_by_server(silent[2]));
		CHECK(send(silent[HV_CONTROL_CLIENTS], "{\"execute\":\"echo\"}\n", 19, 0) == 19);
		shutdown(silent[HV_CONTROL_CLIENTS], SHUT_WR);
		read_all(silent[HV_CONTROL_CLIENTS], buf, sizeof(buf));
		CHECK(!strcmp(buf, "{\"return\":{}}\n"));
		for (unsigned int i = 0; i <= HV_CONTROL_CLIENTS; i++)
			close(silent[i]);
	}
}

static void test_stale_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct hv_control_server s2;
	char p2[160], err[256];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* A dead daemon's socket file: bound, nobody listening. */
	snprintf(p2, sizeof(p2), "%s/stale.sock", dir);
	strcpy(sa.sun_path, p2);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CHECK_EQ(hv_control_listen(&s2, &loop, p2, NULL, cmd, NULL, err, sizeof(err)), 0);
	hv_control_close(&s2);
	CHECK(access(p2, F_OK) < 0);
}

static void test_client_errors(void)
{
	struct json_object *ret;
	char err[256], p2[160];

	snprintf(p2, sizeof(p2), "%s/none.sock", dir);
	CHECK_EQ(hv_control_call(p2, "echo", NULL, &ret, 1000, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, p2) != NULL && strstr(err, "No such file"));
	CHECK(hv_control_unreachable(-ENOENT));
}

int main(void)
{
	pthread_t t;
	char err[256];

	printf("TAP version 13\n1..4\n");
	RUN(test_framing);
	if (!mkdtemp(dir) || hv_loop_init(&loop) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	if (hv_control_listen(&srv, &loop, path, NULL, cmd, NULL, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		return 1;
	}
	pthread_create(&t, NULL, serve, NULL);
	RUN(test_socket);
	stop = true;
	pthread_join(t, NULL);
	RUN(test_stale_socket);
	RUN(test_client_errors);
	hv_control_close(&srv);
	hv_loop_fini(&loop);
	rmdir(dir);
	return check_failures ? 1 : 0;
}
