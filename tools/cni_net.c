// SPDX-License-Identifier: MIT
/* hvdpa-cni's netlink half (cni_net.h), with libnl-route. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cni_net.h"

int hv_cni_link_info(struct nl_sock *sk, const char *name, char *kind, size_t klen, char *master,
		     size_t mlen)
{
	struct rtnl_link *l = NULL, *m = NULL;
	const char *t;
	int r = rtnl_link_get_kernel(sk, 0, name, &l);

	if (r < 0)
		return r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV ? -ENOENT : -EIO;
	if (kind) {
		t = rtnl_link_get_type(l);
		snprintf(kind, klen, "%s", t ? t : "");
	}
	if (master) {
		master[0] = '\0';
		if (rtnl_link_get_master(l) > 0 &&
		    rtnl_link_get_kernel(sk, rtnl_link_get_master(l), NULL, &m) == 0)
			snprintf(master, mlen, "%s", rtnl_link_get_name(m));
		rtnl_link_put(m);
	}
	rtnl_link_put(l);
	return 0;
}

int hv_cni_nl_open(const char *netns_path, struct nl_sock **out, struct hv_cni_err *e)
{
	struct nl_sock *sk = nl_socket_alloc();
	int self = -1, tgt = -1, r;

	*out = NULL;
	if (!sk)
		return hv_cni_fail(e, CNI_E_IO, NULL, "out of memory");
	if (netns_path) {
		tgt = open(netns_path, O_RDONLY | O_CLOEXEC);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (tgt < 0 || self < 0 || setns(tgt, CLONE_NEWNET) < 0) {
			int err = errno;

			if (tgt >= 0)
				close(tgt);
			if (self >= 0)
				close(self);
			nl_socket_free(sk);
			return hv_cni_fail(e, CNI_E_CONTAINER, NULL, "netns %s: %s", netns_path,
					   strerror(err));
		}
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (netns_path) {
		/* Stays in the container's netns otherwise: no way on. */
		if (setns(self, CLONE_NEWNET) < 0)
			abort();
		close(self);
		close(tgt);
	}
	if (r < 0) {
		nl_socket_free(sk);
		return hv_cni_fail(e, CNI_E_IO, NULL, "rtnetlink: %s", nl_geterror(r));
	}
	*out = sk;
	return 0;
}

int hv_cni_tap_create(const char *tap, const char *bridge, unsigned int mtu, struct hv_cni_err *e)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	struct rtnl_link *orig = NULL, *chg = NULL;
	struct nl_sock *sk = NULL;
	int fd, r, br;

	/* TUNSETIFF on an existing tap attaches to it rather than failing. */
	if (if_nametoindex(tap) > 0) {
		hv_cni_fail(e, HV_CNI_E_HOST, NULL,
			    "tap %s exists already (a previous ADD not deleted? DEL it first)",
			    tap);
		return -EEXIST;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		hv_cni_fail(e, HV_CNI_E_HOST, NULL, "/dev/net/tun: %s (modprobe tun)",
			    strerror(errno));
		return -EIO;
	}
	/* Persistent: it outlives this process, until DEL deletes it, and
	 * hvdpad (restarted or not) opens it by name. */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		r = errno;
		close(fd);
		hv_cni_fail(e, HV_CNI_E_HOST, NULL, "creating tap %s: %s", tap, strerror(r));
		return -EIO;
	}
	close(fd);
	if (hv_cni_nl_open(NULL, &sk, e) < 0)
		goto undo;
	br = (int)if_nametoindex(bridge);
	r = rtnl_link_get_kernel(sk, 0, tap, &orig);
	if (r == 0 && !(chg = rtnl_link_alloc()))
		r = -NLE_NOMEM;
	if (r == 0) {
		rtnl_link_set_master(chg, br);
		if (mtu)
			rtnl_link_set_mtu(chg, mtu);
		rtnl_link_set_flags(chg, IFF_UP);
		r = rtnl_link_change(sk, orig, chg, 0);
	}
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	if (r < 0 || br == 0) {
		hv_cni_fail(e, HV_CNI_E_HOST, NULL, "tap %s into bridge %s, up: %s", tap, bridge,
			    br == 0 ? "no such bridge" : nl_geterror(r));
		goto undo;
	}
	nl_socket_free(sk);
	return 0;
undo:
	if (sk)
		hv_cni_link_del(sk, tap);
	nl_socket_free(sk);
	return -EIO;
}

int hv_cni_link_del(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	r = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	return r < 0 ? -EIO : 0;
}

static int parse_addr(const char *s, int fam, struct nl_addr **a)
{
	return nl_addr_parse(s, fam, a);
}

/* The gateway of the first address of family fam that has one, or NULL. */
static const char *family_gw(const struct hv_cni_ipam *ip, int fam)
{
	for (unsigned int i = 0; i < ip->n_ips; i++)
		if (ip->ips[i].family == fam && ip->ips[i].gateway[0])
			return ip->ips[i].gateway;
	return NULL;
}

static int add_route(struct nl_sock *sk, int ifindex, const struct hv_cni_route *rt, const char *gw,
		     struct hv_cni_err *e)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *via = NULL;
	int err;

	if (!r || !nh) {
		rtnl_route_put(r);
		if (nh)
			rtnl_route_nh_free(nh);
		return hv_cni_fail(e, CNI_E_IO, NULL, "out of memory");
	}
	err = parse_addr(rt->dst, AF_UNSPEC, &dst);
	if (err == 0 && gw)
		err = parse_addr(gw, nl_addr_get_family(dst), &via);
	if (err == 0) {
		rtnl_route_set_family(r, (uint8_t)nl_addr_get_family(dst));
		rtnl_route_set_dst(r, dst);
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		rtnl_route_set_protocol(r, RTPROT_BOOT);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (via)
			rtnl_route_nh_set_gateway(nh, via);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;
		err = rtnl_route_add(sk, r, NLM_F_EXCL);
	}
	if (nh) /* libnl's free takes no NULL */
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(via);
	rtnl_route_put(r);
	if (err < 0)
		return hv_cni_fail(e, HV_CNI_E_SANDBOX, NULL, "route %s via %s: %s", rt->dst,
				   gw ? gw : "(link)", nl_geterror(err));
	return 0;
}

/* An IPv4 address's broadcast (host bits set), as `ip addr add ... brd +`
 * and the bridge plugin give it: some software sends there. */
static int set_broadcast(struct rtnl_addr *a, struct nl_addr *local)
{
	unsigned int plen = nl_addr_get_prefixlen(local);
	uint32_t v, mask = plen ? ~0u << (32 - plen) : 0;
	struct nl_addr *brd;
	int r;

	if (plen >= 31) /* point-to-point sized: no broadcast */
		return 0;
	memcpy(&v, nl_addr_get_binary_addr(local), 4);
	v = htonl(ntohl(v) | ~mask);
	brd = nl_addr_build(AF_INET, &v, 4);
	if (!brd)
		return -NLE_NOMEM;
	r = rtnl_addr_set_broadcast(a, brd);
	nl_addr_put(brd);
	return r;
}

int hv_cni_sandbox_setup(struct nl_sock *sk, const char *ifname, unsigned int mtu,
			 const struct hv_cni_ipam *ip, char mac[32], struct hv_cni_err *e)
{
	struct rtnl_link *orig = NULL, *chg = NULL;
	struct nl_addr *hw;
	int r, ifindex;

	r = rtnl_link_get_kernel(sk, 0, ifname, &orig);
	if (r < 0)
		return hv_cni_fail(e, HV_CNI_E_SANDBOX, NULL, "%s in the container: %s", ifname,
				   nl_geterror(r));
	ifindex = rtnl_link_get_ifindex(orig);
	hw = rtnl_link_get_addr(orig);
	mac[0] = '\0';
	if (hw)
		nl_addr2str(hw, mac, 32);
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(orig);
		return hv_cni_fail(e, CNI_E_IO, NULL, "out of memory");
	}
	if (mtu)
		rtnl_link_set_mtu(chg, mtu);
	rtnl_link_set_flags(chg, IFF_UP);
	r = rtnl_link_change(sk, orig, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	if (r < 0)
		return hv_cni_fail(e, HV_CNI_E_SANDBOX, NULL, "%s: setting it up (mtu %u): %s",
				   ifname, mtu, nl_geterror(r));
	for (unsigned int i = 0; i < ip->n_ips; i++) {
		struct rtnl_addr *a = rtnl_addr_alloc();
		struct nl_addr *local = NULL;

		r = a ? parse_addr(ip->ips[i].address, ip->ips[i].family, &local) : -NLE_NOMEM;
		if (r == 0) {
			rtnl_addr_set_ifindex(a, ifindex);
			rtnl_addr_set_family(a, ip->ips[i].family);
			r = rtnl_addr_set_local(a, local);
		}
		if (r == 0) {
			rtnl_addr_set_prefixlen(a, nl_addr_get_prefixlen(local));
			/* No duplicate detection: the address is IPAM's to hand out, and
			 * routes through it must work as soon as ADD returns. */
			if (ip->ips[i].family == AF_INET6)
				rtnl_addr_set_flags(a, IFA_F_NODAD);
			else
				r = set_broadcast(a, local);
		}
		if (r == 0) {
			r = rtnl_addr_add(sk, a, 0);
		}
		nl_addr_put(local);
		rtnl_addr_put(a);
		if (r < 0)
			return hv_cni_fail(e, HV_CNI_E_SANDBOX, NULL, "address %s on %s: %s",
					   ip->ips[i].address, ifname, nl_geterror(r));
	}
	for (unsigned int i = 0; i < ip->n_routes; i++) {
		const struct hv_cni_route *rt = &ip->routes[i];
		int fam = strchr(rt->dst, ':') ? AF_INET6 : AF_INET;

		if (add_route(sk, ifindex, rt, rt->gw[0] ? rt->gw : family_gw(ip, fam), e) < 0)
			return -1;
	}
	return 0;
}

int hv_cni_sandbox_check(struct nl_sock *sk, const char *ifname, const char *mac,
			 const struct hv_cni_ipam *ip, struct hv_cni_err *e)
{
	struct rtnl_link *l = NULL;
	struct nl_cache *addrs = NULL;
	char have[32] = "";
	int r, ifindex;
	unsigned int flags;

	r = rtnl_link_get_kernel(sk, 0, ifname, &l);
	if (r < 0)
		return hv_cni_fail(e, HV_CNI_E_CHECK, NULL, "%s is not in the container: %s",
				   ifname, nl_geterror(r));
	ifindex = rtnl_link_get_ifindex(l);
	flags = rtnl_link_get_flags(l);
	if (rtnl_link_get_addr(l))
		nl_addr2str(rtnl_link_get_addr(l), have, sizeof(have));
	rtnl_link_put(l);
	if (!(flags & IFF_UP))
		return hv_cni_fail(e, HV_CNI_E_CHECK, NULL, "%s in the container is down", ifname);
	if (mac[0] && strcasecmp(mac, have))
		return hv_cni_fail(e, HV_CNI_E_CHECK, NULL,
				   "%s in the container has MAC %s, not ADD's %s", ifname, have,
				   mac);
	r = rtnl_addr_alloc_cache(sk, &addrs);
	if (r < 0)
		return hv_cni_fail(e, CNI_E_IO, NULL, "reading addresses: %s", nl_geterror(r));
	for (unsigned int i = 0; i < ip->n_ips; i++) {
		struct nl_addr *want = NULL;
		bool found = false;

		if (parse_addr(ip->ips[i].address, ip->ips[i].family, &want) < 0)
			continue; /* hv_cni_ipam_parse checked it */
		for (struct nl_object *o = nl_cache_get_first(addrs); o && !found;
		     o = nl_cache_get_next(o)) {
			struct rtnl_addr *a = (struct rtnl_addr *)o;
			struct nl_addr *loc = rtnl_addr_get_local(a);

			found = rtnl_addr_get_ifindex(a) == ifindex && loc &&
				nl_addr_get_family(loc) == nl_addr_get_family(want) &&
				nl_addr_get_len(loc) == nl_addr_get_len(want) &&
				!memcmp(nl_addr_get_binary_addr(loc), nl_addr_get_binary_addr(want),
					nl_addr_get_len(want)) &&
				rtnl_addr_get_prefixlen(a) == (int)nl_addr_get_prefixlen(want);
		}
		nl_addr_put(want);
		if (!found) {
			nl_cache_free(addrs);
			return hv_cni_fail(e, HV_CNI_E_CHECK, NULL,
					   "%s in the container lacks its address %s", ifname,
					   ip->ips[i].address);
		}
	}
	nl_cache_free(addrs);
	return 0;
}
