// SPDX-License-Identifier: MIT
/*
 * The control socket (see control.h). Requests are served on the bridge's
 * own thread between accesses, so a device is never half-added while a
 * zone touches it; a request is short and a slow client is cut off by a
 * receive timeout rather than holding the zones' vCPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge.h"
#include "control.h"
#include "hvdpa/log.h"

#define MSG_MAX 4096

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int hvb_control_listen(const char *path, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int s, r = unix_addr(path, &sa);

	if (r < 0) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return r;
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		goto fail;
	unlink(path);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 4) < 0)
		goto fail;
	*fd = s;
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(-r));
	if (s >= 0)
		close(s);
	return r;
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

void hvb_control_serve(struct hvb_bridge *b)
{
	struct timeval tv = {.tv_sec = 1};
	char req[MSG_MAX + 1], out[MSG_MAX];
	ssize_t n;
	int c = accept4(b->control_fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(c, req, MSG_MAX, 0);
	if (n <= 0) {
		close(c);
		return;
	}
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
	send(c, out, strnlen(out, sizeof(out) - 1), MSG_NOSIGNAL);
	close(c);
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
	if (send(s, request, strlen(request), MSG_NOSIGNAL) < 0 ||
	    (n = recv(s, out, MSG_MAX, 0)) <= 0) {
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
