// SPDX-License-Identifier: MIT
/* A virtio-net netdev into a container's network namespace (rtnetlink). */
#include <errno.h>
#include <fcntl.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hvdpa/vdpa.h"

int hv_vdpa_netns(const char *name, const char *netns, char *err, size_t errlen)
{
	return hv_vdpa_netns_as(name, netns, NULL, err, errlen);
}

int hv_vdpa_netns_as(const char *name, const char *netns, const char *newname, char *err,
		     size_t errlen)
{
	char ifname[64], path[300];
	struct rtnl_link *orig = NULL, *chg = NULL;
	struct nl_sock *sk = NULL;
	int fd, r;

	hv_vdpa_node(name, ifname, sizeof(ifname));
	if (!ifname[0] || ifname[0] == '/') {
		snprintf(err, errlen,
			 "%s: no network interface (is it a net device attached with "
			 "virtio?)",
			 name);
		return -ENOENT;
	}
	if (strchr(netns, '/'))
		snprintf(path, sizeof(path), "%s", netns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "netns %s: %s", path, strerror(-r));
		return r;
	}
	sk = nl_socket_alloc();
	r = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (r == 0)
		r = rtnl_link_get_kernel(sk, 0, ifname, &orig);
	if (r == 0 && !(chg = rtnl_link_alloc()))
		r = -NLE_NOMEM;
	if (r == 0) {
		rtnl_link_set_ns_fd(chg, fd);
		/* One RTM_NEWLINK: the kernel moves it (taking newname there if its
		 * own name is taken) and then renames it in the new netns. */
		if (newname)
			rtnl_link_set_name(chg, newname);
		r = rtnl_link_change(sk, orig, chg, 0);
	}
	if (r < 0)
		snprintf(err, errlen, "%s: moving %s to %s%s%s: %s", name, ifname, path,
			 newname ? " as " : "", newname ? newname : "", nl_geterror(r));
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	nl_socket_free(sk);
	close(fd);
	return r < 0 ? -EIO : 0;
}
