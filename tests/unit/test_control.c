// SPDX-License-Identifier: MIT
/*
 * hvbridge's control socket: made 0600 whatever the umask (0660 and the
 * group's with a control group), only root or the group's members are
 * served, an idle client holds up nobody, and a device added through it
 * cannot make root replace a file that is not its own socket. It speaks
 * QMP's framing (a JSON object per line): bad requests (not JSON, no such
 * command, arguments missing or unknown, too long) get the error class
 * they should, and a client that sends without reading holds up nobody.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <time.h>
#include <unistd.h>

#include "../../hvbridge/bridge.h"
#include "../../hvbridge/control.h"
#include "check.h"

#define TEST_GID 4242

static char dir[] = "/tmp/hvbridge-ctl-XXXXXX";
static char ctl[100];

struct running {
	struct hvb_bridge b;
	volatile sig_atomic_t stop;
	pthread_t thread;
	bool started;
};

static void *run(void *arg)
{
	hvb_bridge_run(arg);
	return NULL;
}

static void bridge_up(struct running *rb, const char *group)
{
	char path[300], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
	f = fopen(path, "w");
	fprintf(f,
		"{\"trap\": \"sim\", \"control\": \"%s\", %s%s%s \"zones\": [{\"id\": 1, \"ram\": "
		"{\"base\": \"0x80000000\", \"size\": \"0x1000000\", \"backing\": \"sim\"}, "
		"\"sim_socket\": \"%s/zone1.sock\", \"devices\": []}]}",
		ctl, group ? "\"control_group\": \"" : "", group ? group : "", group ? "\"," : "",
		dir);
	fclose(f);
	memset(rb, 0, sizeof(*rb));
	rb->b.hvisor_fd = -1;
	rb->b.control.fd = -1;
	rb->b.stop = &rb->stop;
	CHECK_EQ(hvb_config_load(path, &rb->b, err, sizeof(err)), 0);
	if (hvb_bridge_start(&rb->b, err, sizeof(err)) < 0 ||
	    hvb_control_listen(&rb->b, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		CHECK(0);
		return;
	}
	rb->started = pthread_create(&rb->thread, NULL, run, &rb->b) == 0;
}

static int connect_ctl(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Bytes received past the line read_answer() returned, per socket (the
 * tests use a few at a time, each with one pending buffer). */
static struct {
	int fd;
	char buf[8192];
	size_t len;
} pend[16];

static size_t *pend_of(int s, char **buf)
{
	for (unsigned int i = 0; i < 16; i++)
		if (pend[i].fd == s || pend[i].fd == 0) {
			if (pend[i].fd == 0) {
				pend[i].fd = s;
				pend[i].len = 0;
			}
			*buf = pend[i].buf;
			return &pend[i].len;
		}
	*buf = pend[0].buf;
	return &pend[0].len;
}

static void pend_forget(int s)
{
	for (unsigned int i = 0; i < 16; i++)
		if (pend[i].fd == s)
			pend[i].fd = 0;
}

/* Waits up to 5 s for one answer line on s, into out without its
 * newline. -1 on timeout or end of connection. */
static int read_answer(int s, char *out, size_t outlen)
{
	char *buf, *nl;
	size_t *len = pend_of(s, &buf);

	out[0] = '\0';
	while (!(nl = memchr(buf, '\n', *len))) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		ssize_t n;

		if (*len == sizeof(pend[0].buf) || poll(&p, 1, 5000) != 1)
			return -1;
		n = recv(s, buf + *len, sizeof(pend[0].buf) - *len, 0);
		if (n <= 0)
			return -1;
		*len += (size_t)n;
	}
	*nl = '\0';
	/* Cut to outlen: a test's answers fit. */
	memcpy(out, buf, strnlen(buf, outlen - 1));
	out[strnlen(buf, outlen - 1)] = '\0';
	*len -= (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, *len);
	return 0;
}

/* Sends req (a line is added) on s and waits up to 5 s for the answer. */
static int ask_on(int s, const char *req, char *out, size_t outlen)
{
	out[0] = '\0';
	if (send(s, req, strlen(req), MSG_NOSIGNAL) < 0 || send(s, "\n", 1, MSG_NOSIGNAL) < 0)
		return -1;
	return read_answer(s, out, outlen);
}

static bool is_return(const char *out)
{
	return strncmp(out, "{\"return\":", 10) == 0;
}

/* The answer's error class ("" if it is none). */
static const char *error_class(const char *out)
{
	static char cls[64];
	json_object *a = json_tokener_parse(out), *e, *c;

	cls[0] = '\0';
	if (a && json_object_object_get_ex(a, "error", &e) &&
	    json_object_object_get_ex(e, "class", &c))
		snprintf(cls, sizeof(cls), "%s", json_object_get_string(c));
	json_object_put(a);
	return cls;
}

#define LIST "{\"execute\": \"query-devices\"}"

static int ask(const char *req, char *out, size_t outlen)
{
	int s = connect_ctl(), r;

	if (s < 0)
		return -1;
	r = ask_on(s, req, out, outlen);
	pend_forget(s);
	close(s);
	return r;
}

static void bridge_down(struct running *rb)
{
	if (rb->started) {
		int s;

		rb->stop = 1;
		s = connect_ctl(); /* wakes the loop */
		pthread_join(rb->thread, NULL);
		if (s >= 0)
			close(s);
	}
	hvb_control_close(&rb->b);
	hvb_bridge_free(&rb->b);
}

/* In a child with the given ids: 0 answered "ok", 1 refused, 2 could not
 * connect, 3 no answer, 4 something else. */
static int as_user(uid_t uid, gid_t gid, gid_t extra, const char *req)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		char out[4096];
		gid_t groups[1] = {extra};
		int s;

		if (setgroups(extra ? 1 : 0, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(9);
		struct pollfd p;

		s = connect_ctl();
		if (s < 0)
			_exit(2);
		/* A refusal comes at once, before any request. */
		p = (struct pollfd){.fd = s, .events = POLLIN};
		if (poll(&p, 1, 500) == 1) {
			ssize_t n = recv(s, out, sizeof(out) - 1, 0);

			out[n > 0 ? n : 0] = '\0';
			printf("# as uid %u, at once: %s\n", (unsigned int)uid, out);
			fflush(stdout);
			_exit(n > 0 && strstr(out, "\"GenericError\"") &&
					      strstr(out, "permission denied")
				      ? 1
				      : 4);
		}
		if (ask_on(s, req, out, sizeof(out)) < 0)
			_exit(3);
		printf("# as uid %u: %s\n", (unsigned int)uid, out);
		fflush(stdout);
		_exit(is_return(out) ? 0 : 4);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_mode_whatever_the_umask(void)
{
	struct running rb;
	struct stat st;
	mode_t old = umask(0);

	bridge_up(&rb, NULL);
	umask(old);
	CHECK_EQ(lstat(ctl, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	bridge_down(&rb);
}

static void test_only_root_served(void)
{
	struct running rb;
	char out[4096];

	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return;
	}
	bridge_up(&rb, NULL);
	CHECK_EQ(ask(LIST, out, sizeof(out)), 0);
	CHECK(is_return(out));
	/* The mode keeps nobody out... */
	CHECK_EQ(as_user(65534, 65534, 0, LIST), 2);
	/* ...and were it wider, SO_PEERCRED still would. */
	CHECK_EQ(chmod(ctl, 0666), 0);
	CHECK_EQ(as_user(65534, 65534, 0, LIST), 1);
	CHECK_EQ(as_user(65534, 65534, 0,
			 "{\"execute\": \"device-del\", \"arguments\": {\"zone\": 1, "
			 "\"name\": \"x\"}}"),
		 1);
	bridge_down(&rb);
}

static void test_control_group(void)
{
	struct running rb;
	struct stat st;

	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return;
	}
	bridge_up(&rb, "4242");
	CHECK_EQ(lstat(ctl, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0660);
	CHECK_EQ(st.st_gid, TEST_GID);
	/* Primary group, or a supplementary one: served. */
	CHECK_EQ(as_user(65534, TEST_GID, 0, LIST), 0);
	CHECK_EQ(as_user(65534, 65534, TEST_GID, LIST), 0);
	CHECK_EQ(as_user(65534, 65534, 0, LIST), 2);
	CHECK_EQ(chmod(ctl, 0666), 0);
	CHECK_EQ(as_user(65534, 65534, 0, LIST), 1);
	bridge_down(&rb);
}

static void test_idle_client_delays_nobody(void)
{
	struct running rb;
	char out[4096];
	int idle[3];
	uint64_t worst = 0;

	bridge_up(&rb, NULL);
	for (int i = 0; i < 3; i++)
		idle[i] = connect_ctl();
	usleep(100000); /* accepted by now */
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = now_ms(), dt;

		CHECK_EQ(ask(LIST, out, sizeof(out)), 0);
		dt = now_ms() - t0;
		worst = dt > worst ? dt : worst;
	}
	printf("# worst answer with 3 idle clients: %llu ms\n", (unsigned long long)worst);
	CHECK(worst < 300);
	/* They were not dropped: each still gets its answer. */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(ask_on(idle[i], LIST, out, sizeof(out)), 0);
		CHECK(is_return(out));
		pend_forget(idle[i]);
		close(idle[i]);
	}
	/* More than the bridge holds: the oldest go, everyone else is served. */
	int many[HV_CONTROL_CLIENTS + 4];
	for (int i = 0; i < HV_CONTROL_CLIENTS + 4; i++) {
		many[i] = connect_ctl();
		usleep(10000);
	}
	CHECK_EQ(ask_on(many[HV_CONTROL_CLIENTS + 3], LIST, out, sizeof(out)), 0);
	CHECK_EQ(ask(LIST, out, sizeof(out)), 0);
	/* The oldest was dropped: its connection ends without an answer. */
	CHECK_EQ(ask_on(many[0], LIST, out, sizeof(out)), -1);
	for (int i = 0; i < HV_CONTROL_CLIENTS + 4; i++) {
		pend_forget(many[i]);
		close(many[i]);
	}
	bridge_down(&rb);
}

static void test_console_path_not_replaced(void)
{
	struct running rb;
	char out[4096], req[1024], file[300], sock[300], buf[16] = {0};
	struct stat st;
	int fd;

	snprintf(file, sizeof(file), "%s/precious", dir);
	fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CHECK_EQ(write(fd, "precious", 8), 8);
	close(fd);
	bridge_up(&rb, NULL);
	snprintf(req, sizeof(req),
		 "{\"execute\": \"device-add\", \"arguments\": {\"zone\": 1, \"name\": \"c1\", "
		 "\"base\": \"0xa0000000\", \"irq\": 5, "
		 "\"local\": \"console:socket,path=%s\"}}",
		 file);
	CHECK_EQ(ask(req, out, sizeof(out)), 0);
	printf("# %s\n", out);
	CHECK(!strcmp(error_class(out), "GenericError") && strstr(out, "not a socket"));
	snprintf(req, sizeof(req),
		 "{\"execute\": \"device-add\", \"arguments\": {\"zone\": 1, \"name\": \"c2\", "
		 "\"base\": \"0xa0000000\", \"irq\": 5, "
		 "\"local\": \"console:pty,link=%s\"}}",
		 file);
	CHECK_EQ(ask(req, out, sizeof(out)), 0);
	printf("# %s\n", out);
	CHECK(!strcmp(error_class(out), "GenericError") && strstr(out, "not a symlink"));
	fd = open(file, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "precious", 8) == 0);
	close(fd);
	/* A path of its own is made, and removed with the device. */
	snprintf(sock, sizeof(sock), "%s/con.sock", dir);
	snprintf(req, sizeof(req),
		 "{\"execute\": \"device-add\", \"arguments\": {\"zone\": 1, \"name\": \"c3\", "
		 "\"base\": \"0xa0000000\", \"irq\": 5, "
		 "\"local\": \"console:socket,path=%s\"}}",
		 sock);
	CHECK_EQ(ask(req, out, sizeof(out)), 0);
	CHECK_EQ(strcmp(out, "{\"return\":{}}"), 0);
	CHECK(lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode));
	/* Listed as it was added. */
	CHECK_EQ(ask(LIST, out, sizeof(out)), 0);
	printf("# %s\n", out);
	snprintf(req, sizeof(req),
		 "{\"return\":[{\"zone\":1,\"name\":\"c3\",\"base\":2684354560,\"size\":512,"
		 "\"irq\":5,\"local\":\"console:socket,path=%s\",\"status\":0,\"ignored\":0}]}",
		 sock);
	CHECK_EQ(strcmp(out, req), 0);
	CHECK_EQ(ask("{\"execute\": \"device-del\", \"arguments\": {\"zone\": 1, \"name\": "
		     "\"c3\"}}",
		     out, sizeof(out)),
		 0);
	CHECK_EQ(strcmp(out, "{\"return\":{}}"), 0);
	CHECK(lstat(sock, &st) < 0 && errno == ENOENT);
	bridge_down(&rb);
	unlink(file);
}

/* Each bad request, on one connection, which stays usable. */
static void test_bad_requests(void)
{
	static const struct {
		const char *req, *cls, *says;
	} bad[] = {
		{"garbage", "GenericError", "not JSON"},
		{"{\"execute\": \"query-devices\"", "GenericError", "not JSON"},
		{"{\"execute\": \"query-devices\"} trailing", "GenericError", "after the object"},
		{"[1, 2]", "GenericError", "JSON object"},
		{"{\"arguments\": {}}", "GenericError", "'execute'"},
		{"{\"execute\": 5}", "GenericError", "'execute'"},
		{"{\"execute\": \"query-devices\", \"argument\": {}}", "GenericError",
		 "'argument'"},
		{"{\"execute\": \"query-devices\", \"arguments\": []}", "GenericError",
		 "'arguments'"},
		{"{\"execute\": \"no-such\"}", "CommandNotFound", "no-such"},
		{"{\"execute\": \"list\"}", "CommandNotFound", "list"},
		{"{\"execute\": \"device-add\"}", "InvalidParameter", "arguments missing"},
		{"{\"execute\": \"device-add\", \"arguments\": {\"zone\": 1}}", "InvalidParameter",
		 "device.name: missing"},
		{"{\"execute\": \"device-add\", \"arguments\": {\"zone\": 7, \"name\": \"b\", "
		 "\"base\": 4096, \"irq\": 5, \"local\": \"console:pty\"}}",
		 "InvalidParameter", "no zone 7"},
		{"{\"execute\": \"device-add\", \"arguments\": {\"zone\": 1, \"name\": \"b\", "
		 "\"base\": 4096, \"irq\": 5, \"local\": \"console:pty\", \"colour\": 1}}",
		 "InvalidParameter", "colour"},
		{"{\"execute\": \"device-del\"}", "InvalidParameter", "arguments missing"},
		{"{\"execute\": \"device-del\", \"arguments\": {\"zone\": 1}}", "InvalidParameter",
		 "'name'"},
		{"{\"execute\": \"device-del\", \"arguments\": {\"name\": \"x\"}}",
		 "InvalidParameter", "'zone'"},
		{"{\"execute\": \"device-del\", \"arguments\": {\"zone\": 1, \"name\": \"x\", "
		 "\"force\": true}}",
		 "InvalidParameter", "'force'"},
		{"{\"execute\": \"device-del\", \"arguments\": {\"zone\": 1, \"name\": \"x\"}}",
		 "DeviceNotFound", "has no device 'x'"},
		{"{\"execute\": \"device-del\", \"arguments\": {\"zone\": 9, \"name\": \"x\"}}",
		 "DeviceNotFound", "no zone 9"},
		{"{\"execute\": \"query-devices\", \"arguments\": {\"bogus\": 1}}",
		 "InvalidParameter", "'bogus'"},
	};
	static const char nul[] = "{\"execute\"\0: \"query-devices\"}\n";
	struct running rb;
	char out[4096];
	int s;

	bridge_up(&rb, NULL);
	s = connect_ctl();
	CHECK(s >= 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(ask_on(s, bad[i].req, out, sizeof(out)), 0);
		if (strcmp(error_class(out), bad[i].cls) || !strstr(out, bad[i].says)) {
			printf("# %s\n#  -> %s (wanted %s, '%s')\n", bad[i].req, out, bad[i].cls,
			       bad[i].says);
			CHECK(0);
		}
	}
	/* A NUL byte in a line: json-c would have stopped there. */
	CHECK_EQ(send(s, nul, sizeof(nul) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(nul) - 1);
	CHECK_EQ(read_answer(s, out, sizeof(out)), 0);
	CHECK(!strcmp(error_class(out), "GenericError") && strstr(out, "NUL"));
	/* Still served: an id comes back; two requests in one send and a
	 * blank line between them are two answers, in order. */
	CHECK_EQ(ask_on(s, "{\"execute\": \"query-devices\", \"id\": \"x7\"}", out, sizeof(out)),
		 0);
	CHECK_EQ(strcmp(out, "{\"return\":[],\"id\":\"x7\"}"), 0);
	CHECK_EQ(ask_on(s, LIST "\n\r\n{\"execute\": \"nope\"}", out, sizeof(out)), 0);
	CHECK(is_return(out));
	CHECK_EQ(read_answer(s, out, sizeof(out)), 0);
	CHECK_EQ(strcmp(error_class(out), "CommandNotFound"), 0);
	pend_forget(s);
	close(s);
	bridge_down(&rb);
}

/* A request line of HV_CONTROL_LINE_MAX bytes is served; one byte more is
 * answered with an error and the connection closed. */
static void test_oversized_request(void)
{
	size_t max = HV_CONTROL_LINE_MAX;
	char *big = malloc(max + 2), out[4096];
	struct running rb;
	int s;

	bridge_up(&rb, NULL);
	memset(big, ' ', max + 1);
	memcpy(big, LIST, strlen(LIST));
	big[max] = '\n';
	s = connect_ctl();
	CHECK_EQ(send(s, big, max + 1, MSG_NOSIGNAL), (ssize_t)(max + 1));
	CHECK_EQ(read_answer(s, out, sizeof(out)), 0);
	CHECK(is_return(out));
	/* One more byte before the newline. */
	memset(big, 'a', max + 1);
	big[max + 1] = '\n';
	CHECK_EQ(send(s, big, max + 2, MSG_NOSIGNAL), (ssize_t)(max + 2));
	CHECK_EQ(read_answer(s, out, sizeof(out)), 0);
	printf("# %s\n", out);
	CHECK(!strcmp(error_class(out), "GenericError") && strstr(out, "longer than 65536"));
	CHECK_EQ(read_answer(s, out, sizeof(out)), -1); /* closed */
	pend_forget(s);
	close(s);
	/* Without a newline ever: the same. */
	s = connect_ctl();
	memset(big, '{', max + 1);
	CHECK_EQ(send(s, big, max + 1, MSG_NOSIGNAL), (ssize_t)(max + 1));
	CHECK_EQ(read_answer(s, out, sizeof(out)), 0);
	CHECK(strstr(out, "longer than") != NULL);
	pend_forget(s);
	close(s);
	CHECK_EQ(ask(LIST, out, sizeof(out)), 0);
	CHECK(is_return(out));
	free(big);
	bridge_down(&rb);
}

/* A client that sends request after request and never reads its answers:
 * its answers wait for it (one at a time), another client is answered at
 * once, and it holds no more than its socket's buffers. */
static void test_client_that_never_reads(void)
{
	struct running rb;
	char out[4096], burst[4096];
	size_t n = 0, sent = 0;
	uint64_t t0, worst = 0;
	int s;

	bridge_up(&rb, NULL);
	s = connect_ctl();
	while (n + strlen(LIST) + 1 < sizeof(burst)) {
		memcpy(burst + n, LIST "\n", strlen(LIST) + 1);
		n += strlen(LIST) + 1;
	}
	/* Until its socket takes no more: the bridge stopped reading it. */
	t0 = now_ms();
	while (now_ms() - t0 < 3000) {
		ssize_t w = send(s, burst, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			usleep(20000);
			if (send(s, burst, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				break;
			continue;
		}
		sent += (size_t)w;
	}
	printf("# the client sent %zu bytes of requests before the bridge stopped taking them\n",
	       sent);
	CHECK(now_ms() - t0 < 3000); /* it did stop */
	for (int i = 0; i < 5; i++) {
		uint64_t a = now_ms();

		CHECK_EQ(ask(LIST, out, sizeof(out)), 0);
		CHECK(is_return(out));
		if (now_ms() - a > worst)
			worst = now_ms() - a;
	}
	printf("# meanwhile another client's worst answer: %llu ms\n", (unsigned long long)worst);
	CHECK(worst < 300);
	/* It reads at last: its answers are all there, in order. */
	CHECK_EQ(read_answer(s, out, sizeof(out)), 0);
	CHECK(is_return(out));
	pend_forget(s);
	close(s);
	bridge_down(&rb);
}

int main(void)
{
	char cmd[300];

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755); /* the children reach the socket */
	RUN(test_mode_whatever_the_umask);
	RUN(test_only_root_served);
	RUN(test_control_group);
	RUN(test_idle_client_delays_nobody);
	RUN(test_console_path_not_replaced);
	RUN(test_bad_requests);
	RUN(test_oversized_request);
	RUN(test_client_that_never_reads);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return check_done();
}
