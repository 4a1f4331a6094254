// SPDX-License-Identifier: MIT
/*
 * The zone's side of the simulator protocol's HELLO (sim_proto.h), shared
 * by the zone simulator and hvzone: one region of zone RAM, its memfd
 * passed with SCM_RIGHTS.
 */
#include <string.h>
#include <sys/socket.h>

#include "sim_proto.h"

int hvb_sim_send_hello(int sock, uint32_t zone, uint64_t base, uint64_t size, int ram_fd)
{
	struct hvb_sim_msg m = {.type = HVB_SIM_HELLO, .zone = zone};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf = {0};
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	m.hello.ram_base = base;
	m.hello.ram_size = size;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &ram_fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}
