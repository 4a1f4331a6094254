// SPDX-License-Identifier: MIT
/*
 * The control socket (see control.h). Requests are served on the bridge's
 * own thread between accesses, so a device is never half-added while a
 * zone touches it. Nothing here waits on a client: the listening socket
 * and every connected client are watched on the bridge's loop, a client is
 * read only when it is readable, and answered without blocking; an idle
 * client costs the zones nothing. At most HVB_CONTROL_MAX_CLIENTS are
 * held, the oldest dropped for a new one.
 *
 * Who may talk: the socket is created 0600 (0660 with a control group)
 * whatever the process umask, and each peer's SO_PEERCRED is checked: root,
 * our own user, or a member of the control group.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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

#define MSG_MAX 4096

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
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
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

static void answer(int c, const char *out)
{
	/* The client waits for it: a full buffer means it does not. */
	send(c, out, strnlen(out, MSG_MAX - 1), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void do_add(struct hvb_bridge *b, const char *json, char *out, size_t outlen)
{
	struct hvb_device_cfg cfg = {0};
	char err[256];
	struct hvb_zone *z;
	uint32_t zone;

	if (hvb_device_cfg_parse(json, &cfg, &zone, err, sizeof(err)) < 0) {
		snprintf(out, outlen, "error: %s", err);
	} else if (!(z = hvb_bridge_zone(b, zone))) {
		snprintf(out, outlen, "error: device.zone: no zone %u", zone);
	} else if (hvb_zone_add_device(z, &cfg, err, sizeof(err)) < 0) {
		snprintf(out, outlen, "error: %s", err);
	} else {
		snprintf(out, outlen, "ok: %s added to zone %u", cfg.name, zone);
		hv_info("zone %u: %s added", zone, cfg.name);
	}
	hvb_device_cfg_free(&cfg);
}

static void do_remove(struct hvb_bridge *b, const char *args, char *out, size_t outlen)
{
	unsigned int zone;
	char name[128];
	struct hvb_zone *z;

	if (sscanf(args, "%u %127s", &zone, name) != 2)
		snprintf(out, outlen, "error: usage: remove ZONE NAME");
	else if (!(z = hvb_bridge_zone(b, zone)))
		snprintf(out, outlen, "error: no zone %u", zone);
	else if (hvb_zone_remove_device(z, name) < 0)
		snprintf(out, outlen, "error: zone %u has no device '%s'", zone, name);
	else
		snprintf(out, outlen, "ok: %s removed from zone %u", name, zone);
}

static void do_list(struct hvb_bridge *b, char *out, size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, "ok");

	for (unsigned int i = 0; i < b->n_zones && n < outlen; i++) {
		struct hvb_zone *z = b->zones[i];

		for (unsigned int j = 0; j < z->n_devs && n < outlen; j++) {
			struct hvb_device *d = z->devs[j];

			n += (size_t)snprintf(out + n, outlen - n,
					      "\nzone %u %s base 0x%llx irq %u %s status 0x%x "
					      "ignored %llu",
					      z->id, d->cfg.name, (unsigned long long)d->cfg.base,
					      d->cfg.irq,
					      d->cfg.vhost ? d->cfg.vhost : d->cfg.local,
					      d->mmio.status, (unsigned long long)d->mmio.ignored);
		}
	}
}

static void drop_client(struct hvb_bridge *b, unsigned int i)
{
	hv_loop_del(&b->loop, b->control_clients[i]);
	close(b->control_clients[i]);
	memmove(&b->control_clients[i], &b->control_clients[i + 1],
		(b->n_control_clients - i - 1) * sizeof(int));
	b->n_control_clients--;
}

static void accept_clients(struct hvb_bridge *b)
{
	for (int n = 0; n < HVB_CONTROL_MAX_CLIENTS; n++) {
		int c = accept4(b->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cr = {0};

		if (c < 0)
			return;
		if (!peer_allowed(b, c, &cr)) {
			hv_warn_ratelimited(&control_rl,
					    "control: uid %u (pid %d) refused: only root%s may use "
					    "it",
					    (unsigned int)cr.uid, (int)cr.pid,
					    b->control_group ? " or the control group" : "");
			answer(c, "error: permission denied");
			/* Closing with its request unread would reset the
			 * connection before the client read the answer. */
			while (recv(c, &cr, sizeof(cr), MSG_DONTWAIT) > 0)
				;
			close(c);
			continue;
		}
		if (b->n_control_clients == HVB_CONTROL_MAX_CLIENTS)
			drop_client(b, 0); /* the oldest, silent so far */
		if (hv_loop_add(&b->loop, c, EPOLLIN, client_event, b) < 0) {
			close(c);
			continue;
		}
		b->control_clients[b->n_control_clients++] = c;
	}
}

/* Serves the client's request if it has sent it; true when the client is
 * done with (answered, gone or broken). */
static bool serve_client(struct hvb_bridge *b, int c)
{
	char req[MSG_MAX + 1], out[MSG_MAX];
	ssize_t n = recv(c, req, MSG_MAX, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0)
		return true;
	req[n] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (strncmp(req, "add ", 4) == 0)
		do_add(b, req + 4, out, sizeof(out));
	else if (strncmp(req, "remove ", 7) == 0)
		do_remove(b, req + 7, out, sizeof(out));
	else if (strcmp(req, "list") == 0)
		do_list(b, out, sizeof(out));
	else
		snprintf(out, sizeof(out),
			 "error: unknown request (add JSON, remove ZONE NAME, "
			 "list)");
	answer(c, out);
	return true;
}

/* A client sent its request (or went): the fd is found among those held,
 * since one dropped for a newer client may have had its number reused. */
static void client_event(void *opaque, uint32_t events)
{
	struct hvb_bridge *b = opaque;

	(void)events;
	for (unsigned int i = 0; i < b->n_control_clients;) {
		if (serve_client(b, b->control_clients[i]))
			drop_client(b, i);
		else
			i++;
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

int hvb_control_request(const char *path, const char *request)
{
	struct sockaddr_un sa;
	char out[MSG_MAX + 1];
	ssize_t n;
	int s;

	if (unix_addr(path, &sa) < 0 || strlen(request) > MSG_MAX) {
		fprintf(stderr, "hvbridge: request or socket path too long\n");
		return -1;
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hvbridge: %s: %s (is hvbridge running with \"control\" set?)\n",
			path, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	/* A refused client is answered at once and the socket closed: the
	 * answer may be waiting even when the send fails. */
	send(s, request, strlen(request), MSG_NOSIGNAL);
	if ((n = recv(s, out, MSG_MAX, 0)) <= 0) {
		fprintf(stderr, "hvbridge: %s: no answer\n", path);
		close(s);
		return -1;
	}
	close(s);
	out[n] = '\0';
	if (strncmp(out, "ok", 2) == 0) {
		printf("%s\n", out);
		return 0;
	}
	fprintf(stderr, "hvbridge: %s\n", out);
	return -1;
}
