/* SPDX-License-Identifier: MIT */
/* hvdpa-cni's netlink half: the host's tap and bridge, the container's NIC. */
#ifndef HVDPA_TOOLS_CNI_NET_H
#define HVDPA_TOOLS_CNI_NET_H

#include <netlink/socket.h>

#include "cni.h"

/* The link's kind ("bridge", "tun", "" for a plain device) into kind and
 * its master's name into master ("" when none); -ENOENT when it does not
 * exist. Either buffer may be NULL. */
int hv_cni_link_info(struct nl_sock *sk, const char *name, char *kind, size_t klen, char *master,
		     size_t mlen);

/* A persistent tap, plugged into bridge, MTU mtu (0: left), up. -EEXIST
 * (and nothing done) when an interface of that name is there already. */
int hv_cni_tap_create(const char *tap, const char *bridge, unsigned int mtu, struct hv_cni_err *e);

/* Deletes the link; 0 when it is gone, or was not there. */
int hv_cni_link_del(struct nl_sock *sk, const char *name);

/* A NETLINK_ROUTE socket of the host's own netns, or of the netns at
 * path (setns there for the socket() call only: a socket keeps the netns
 * it was made in). CNI_E_CONTAINER when path is no netns. */
int hv_cni_nl_open(const char *netns_path, struct nl_sock **sk, struct hv_cni_err *e);

/* Inside the container (sk from hv_cni_nl_open): ifname's MTU set (when
 * mtu), up, every IPAM address and route added (a route without gw goes
 * via the gateway of the first address of its family that has one, as
 * the bridge plugin does), its MAC into mac. */
int hv_cni_sandbox_setup(struct nl_sock *sk, const char *ifname, unsigned int mtu,
			 const struct hv_cni_ipam *ip, char mac[32], struct hv_cni_err *e);

/* CHECK inside the container: ifname is there, up, has mac (when not
 * empty) and every address in ip. HV_CNI_E_CHECK otherwise. */
int hv_cni_sandbox_check(struct nl_sock *sk, const char *ifname, const char *mac,
			 const struct hv_cni_ipam *ip, struct hv_cni_err *e);

#endif
