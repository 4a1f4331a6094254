// SPDX-License-Identifier: MIT
/* hv_sd_notify against a socket of our own, as systemd's would be: the
 * message arrives as one datagram, on a path or in the abstract namespace;
 * without NOTIFY_SOCKET nothing is sent and nothing fails. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../tools/sd_notify.h"
#include "check.h"

static int listener(const char *name, socklen_t *len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	CHECK(fd >= 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, *len), 0);
	return fd;
}

static void expect(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	CHECK_EQ(n, (ssize_t)strlen(want));
	if (n >= 0) {
		buf[n] = '\0';
		CHECK(!strcmp(buf, want));
	}
}

static void test_path(void)
{
	char dir[] = "/tmp/hvdpa-notify-XXXXXX", path[128];
	socklen_t len;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path, &len);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK_EQ(hv_sd_notify("READY=1\nSTATUS=serving %u devices", 2u), 0);
	expect(fd, "READY=1\nSTATUS=serving 2 devices");
	CHECK_EQ(hv_sd_notify("STOPPING=1"), 0);
	expect(fd, "STOPPING=1");
	close(fd);
	unlink(path);
	/* The socket gone (systemd stopped listening): an error, no crash. */
	CHECK(hv_sd_notify("READY=1") < 0);
	rmdir(dir);
}

static void test_abstract(void)
{
	char name[64];
	socklen_t len;
	int fd;

	snprintf(name, sizeof(name), "@hvdpa-notify-test-%d", (int)getpid());
	fd = listener(name, &len);
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK_EQ(hv_sd_notify("READY=1"), 0);
	expect(fd, "READY=1");
	close(fd);
}

static void test_unset(void)
{
	unsetenv("NOTIFY_SOCKET");
	CHECK_EQ(hv_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK_EQ(hv_sd_notify("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	RUN(test_path);
	RUN(test_abstract);
	RUN(test_unset);
	return check_done();
}
