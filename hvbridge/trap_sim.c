// SPDX-License-Identifier: MIT
/*
 * Trapped accesses from the zone simulator: one zone per socket, one
 * connection at a time. When the simulator goes away its zone goes with
 * it (its devices are reset and its RAM unmapped) and the next connection
 * starts a fresh zone, as a rebooted one would.
 *
 * Nothing sent to a zone ever blocks the bridge: a zone that does not read
 * its socket loses what it did not read, not other zones their turn.
 * Interrupts stop at half the socket's send buffer, so that the answers a
 * zone's vCPUs wait for (one each) always find room.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "sim_proto.h"
#include "trap_sim.h"

struct sim_trap {
	struct hvb_trap t;
	uint32_t zone;
	int listen_fd, conn_fd;
	int sndbuf; /* of conn_fd */
	bool has_ram;
	char *path;
	struct hv_ratelimit rl;
};

static struct sim_trap *to_st(struct hvb_trap *t)
{
	return (struct sim_trap *)t;
}

static void disconnect(struct sim_trap *st)
{
	if (st->conn_fd < 0)
		return;
	hvb_trap_set_fd(&st->t, st->listen_fd);
	close(st->conn_fd);
	st->conn_fd = -1;
	st->t.epoch++; /* no answer kept for later goes to the next one */
	if (st->has_ram && st->t.zone_event)
		st->t.zone_event(st->t.arg, st->zone, -1, 0, 0);
	st->has_ram = false;
	hv_info_ratelimited(&st->rl, "zone %u: simulator disconnected", st->zone);
}

/* A region of the zone's RAM: one hello each. The zone refuses a region its
 * config does not name, or one it has already, saying which. */
static void hello(struct sim_trap *st, const struct hvb_sim_msg *msg, int fd)
{
	int r = -EPROTO;

	if (fd < 0 || msg->zone != st->zone)
		hv_warn_ratelimited(&st->rl,
				    "zone %u: bad hello from the simulator (zone %u, fd %d)",
				    st->zone, msg->zone, fd);
	else if (st->t.zone_event)
		r = st->t.zone_event(st->t.arg, st->zone, fd, msg->hello.ram_base,
				     msg->hello.ram_size);
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		disconnect(st);
		return;
	}
	st->has_ram = true; /* some of it, at least: dropped when the zone goes */
}

static bool st_next(struct hvb_trap *t, struct hvisor_device_req *req)
{
	struct sim_trap *st = to_st(t);

	while (st->conn_fd >= 0) {
		struct hvb_sim_msg msg;
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = {.iov_base = &msg, .iov_len = sizeof(msg)};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *c;
		int fd = -1;
		ssize_t n = recvmsg(st->conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		if (n <= 0) {
			disconnect(st);
			return false;
		}
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		if ((size_t)n != sizeof(msg)) {
			hv_warn_ratelimited(&st->rl, "zone %u: short message (%zd bytes) ignored",
					    st->zone, n);
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (msg.type == HVB_SIM_HELLO) {
			hello(st, &msg, fd);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (msg.type != HVB_SIM_ACCESS || !st->has_ram) {
			hv_warn_ratelimited(&st->rl, "zone %u: message type %u ignored", st->zone,
					    msg.type);
			continue;
		}
		*req = msg.access;
		/* The socket says who the zone is, not the message. */
		req->src_zone = st->zone;
		return true;
	}
	return false;
}

static void st_send(struct sim_trap *st, const struct hvb_sim_msg *msg)
{
	if (st->conn_fd < 0)
		return;
	if (send(st->conn_fd, msg, sizeof(*msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		hv_warn_ratelimited(&st->rl, "zone %u: send: %s%s", st->zone, strerror(errno),
				    errno == EAGAIN ? " (the zone does not read its socket)" : "");
}

static void st_answer(struct hvb_trap *t, const struct hvisor_device_req *req, uint64_t value)
{
	struct hvb_sim_msg msg = {
		.type = HVB_SIM_ANSWER,
		.zone = req->src_zone,
		.answer = {.src_cpu = req->src_cpu, .address = req->address, .value = value},
	};

	st_send(to_st(t), &msg);
}

static void st_irq(struct hvb_trap *t, uint32_t zone, uint32_t irq)
{
	struct hvb_sim_msg msg = {.type = HVB_SIM_IRQ, .zone = zone, .irq = {.irq = irq}};
	struct sim_trap *st = to_st(t);
	int queued = 0;

	/* A zone that does not read its socket loses interrupt messages:
	 * InterruptStatus still says what happened. The other half of the
	 * buffer is for answers. */
	if (st->conn_fd < 0 || ioctl(st->conn_fd, SIOCOUTQ, &queued) < 0 || queued > st->sndbuf / 2)
		return;
	st_send(st, &msg);
}

static bool st_arm(struct hvb_trap *t)
{
	(void)t;
	return true; /* the socket stays readable while messages wait */
}

static int st_wake(struct hvb_trap *t)
{
	struct sim_trap *st = to_st(t);
	int fd;

	if (st->conn_fd >= 0)
		return 0;
	fd = accept4(st->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
	st->conn_fd = fd;
	hvb_trap_set_fd(t, fd);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &st->sndbuf, &(socklen_t){sizeof(int)}) < 0)
		st->sndbuf = 0;
	hv_info_ratelimited(&st->rl, "zone %u: simulator connected", st->zone);
	return 0;
}

static void st_destroy(struct hvb_trap *t)
{
	struct sim_trap *st = to_st(t);

	disconnect(st);
	close(st->listen_fd);
	unlink(st->path);
	free(st->path);
	free(st);
}

static const struct hvb_trap_ops sim_trap_ops = {
	.next = st_next,
	.answer = st_answer,
	.irq = st_irq,
	.arm = st_arm,
	.wake = st_wake,
	.destroy = st_destroy,
};

int hvb_trap_sim_listen(const char *path, uint32_t zone, struct hvb_trap **out, char *err,
			size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sim_trap *st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		goto fail;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		errno = ENOMEM;
		goto fail;
	}
	st->t.ops = &sim_trap_ops;
	st->t.fd = fd;
	st->t.poll_us = 20;
	st->zone = zone;
	st->listen_fd = fd;
	st->conn_fd = -1;
	*out = &st->t;
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "%s: %s", path, strerror(-r));
	if (fd >= 0)
		close(fd);
	return r;
}
