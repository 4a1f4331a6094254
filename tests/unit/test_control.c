// SPDX-License-Identifier: MIT
/*
 * hvbridge's control socket: made 0600 whatever the umask (0660 and the
 * group's with a control group), only root or the group's members are
 * served, an idle client holds up nobody, and a device added through it
 * cannot make root replace a file that is not its own socket.
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
	rb->b.hvisor_fd = rb->b.control_fd = -1;
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
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

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

/* Sends req on s and waits up to 5 s for the answer into out. */
static int ask_on(int s, const char *req, char *out, size_t outlen)
{
	struct pollfd p = {.fd = s, .events = POLLIN};
	ssize_t n;

	out[0] = '\0';
	if (send(s, req, strlen(req), MSG_NOSIGNAL) < 0 || poll(&p, 1, 5000) != 1)
		return -1;
	n = recv(s, out, outlen - 1, 0);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static int ask(const char *req, char *out, size_t outlen)
{
	int s = connect_ctl(), r;

	if (s < 0)
		return -1;
	r = ask_on(s, req, out, outlen);
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
			_exit(n > 0 && strncmp(out, "error: permission denied", 24) == 0 ? 1 : 4);
		}
		if (ask_on(s, req, out, sizeof(out)) < 0)
			_exit(3);
		printf("# as uid %u: %s\n", (unsigned int)uid, out);
		fflush(stdout);
		_exit(strncmp(out, "ok", 2) == 0 ? 0 : 4);
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
	CHECK_EQ(ask("list", out, sizeof(out)), 0);
	CHECK(strncmp(out, "ok", 2) == 0);
	/* The mode keeps nobody out... */
	CHECK_EQ(as_user(65534, 65534, 0, "list"), 2);
	/* ...and were it wider, SO_PEERCRED still would. */
	CHECK_EQ(chmod(ctl, 0666), 0);
	CHECK_EQ(as_user(65534, 65534, 0, "list"), 1);
	CHECK_EQ(as_user(65534, 65534, 0, "remove 1 x"), 1);
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
	CHECK_EQ(as_user(65534, TEST_GID, 0, "list"), 0);
	CHECK_EQ(as_user(65534, 65534, TEST_GID, "list"), 0);
	CHECK_EQ(as_user(65534, 65534, 0, "list"), 2);
	CHECK_EQ(chmod(ctl, 0666), 0);
	CHECK_EQ(as_user(65534, 65534, 0, "list"), 1);
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

		CHECK_EQ(ask("list", out, sizeof(out)), 0);
		dt = now_ms() - t0;
		worst = dt > worst ? dt : worst;
	}
	printf("# worst answer with 3 idle clients: %llu ms\n", (unsigned long long)worst);
	CHECK(worst < 300);
	/* They were not dropped: each still gets its answer. */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(ask_on(idle[i], "list", out, sizeof(out)), 0);
		CHECK(strncmp(out, "ok", 2) == 0);
		close(idle[i]);
	}
	/* More than the bridge holds: the oldest go, everyone else is served. */
	int many[HVB_CONTROL_MAX_CLIENTS + 4];
	for (int i = 0; i < HVB_CONTROL_MAX_CLIENTS + 4; i++) {
		many[i] = connect_ctl();
		usleep(10000);
	}
	CHECK_EQ(ask_on(many[HVB_CONTROL_MAX_CLIENTS + 3], "list", out, sizeof(out)), 0);
	CHECK_EQ(ask("list", out, sizeof(out)), 0);
	for (int i = 0; i < HVB_CONTROL_MAX_CLIENTS + 4; i++)
		close(many[i]);
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
		 "add {\"zone\": 1, \"name\": \"c1\", \"base\": \"0xa0000000\", \"irq\": 5, "
		 "\"local\": \"console:socket,path=%s\"}",
		 file);
	CHECK_EQ(ask(req, out, sizeof(out)), 0);
	printf("# %s\n", out);
	CHECK(strncmp(out, "error:", 6) == 0 && strstr(out, "not a socket"));
	snprintf(req, sizeof(req),
		 "add {\"zone\": 1, \"name\": \"c2\", \"base\": \"0xa0000000\", \"irq\": 5, "
		 "\"local\": \"console:pty,link=%s\"}",
		 file);
	CHECK_EQ(ask(req, out, sizeof(out)), 0);
	printf("# %s\n", out);
	CHECK(strncmp(out, "error:", 6) == 0 && strstr(out, "not a symlink"));
	fd = open(file, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "precious", 8) == 0);
	close(fd);
	/* A path of its own is made, and removed with the device. */
	snprintf(sock, sizeof(sock), "%s/con.sock", dir);
	snprintf(req, sizeof(req),
		 "add {\"zone\": 1, \"name\": \"c3\", \"base\": \"0xa0000000\", \"irq\": 5, "
		 "\"local\": \"console:socket,path=%s\"}",
		 sock);
	CHECK_EQ(ask(req, out, sizeof(out)), 0);
	CHECK(strncmp(out, "ok", 2) == 0);
	CHECK(lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_EQ(ask("remove 1 c3", out, sizeof(out)), 0);
	CHECK(strncmp(out, "ok", 2) == 0);
	CHECK(lstat(sock, &st) < 0 && errno == ENOENT);
	bridge_down(&rb);
	unlink(file);
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
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return check_done();
}
