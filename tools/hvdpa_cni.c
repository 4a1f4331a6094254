// SPDX-License-Identifier: MIT
/*
 * hvdpa-cni: a CNI plugin (SPEC.md 1.0.0; 0.3.x and 0.4.0 results too)
 * giving a container a virtio-net NIC that hvdpad serves over VDUSE.
 *
 * ADD: a persistent tap, plugged into the configuration's bridge and up;
 * hvdpad's device-add (control socket) of a net device on that tap,
 * attached to virtio_vdpa, which makes it an ethN here; that netdev moved
 * into CNI_NETNS and named CNI_IFNAME in one RTM_NEWLINK; the IPAM
 * plugin's addresses and routes on it, up. Any failure undoes what was
 * done, in reverse. DEL undoes an ADD and finds nothing missing an error.
 * CHECK compares the container's interface with ADD's result.
 *
 * Names (cni.h): device "cni-" + 16 hex digits of a hash of (network,
 * container id, ifname), tap "hvcni" + 8 of them.
 *
 * Results and errors are the spec's JSON on stdout; errors exit 1.
 */
#include <errno.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"
#include "cni_ipam.h"
#include "cni_net.h"
#include "hvdpa/control_client.h"
#include "hvdpa/vdpa.h"

/* device-add with attach=virtio waits for the netdev: seconds on an
 * emulated machine. */
#define CONTROL_TIMEOUT_MS 60000
/* A network configuration is a few hundred bytes; a prevResult a few KiB. */
#define STDIN_MAX (1u << 20)

static const char *env_get(const char *name)
{
	return getenv(name);
}

static char *read_stdin(size_t *len, struct hv_cni_err *e)
{
	char *buf = malloc(STDIN_MAX + 1);
	ssize_t n = 1;

	*len = 0;
	if (!buf) {
		hv_cni_fail(e, CNI_E_IO, NULL, "out of memory");
		return NULL;
	}
	while (n > 0 && *len <= STDIN_MAX) {
		n = read(0, buf + *len, STDIN_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			*len += (size_t)n;
		if (*len > STDIN_MAX) {
			free(buf);
			hv_cni_fail(e, CNI_E_DECODE, NULL,
				    "the network configuration is over 1 MiB");
			return NULL;
		}
	}
	if (n < 0) {
		free(buf);
		hv_cni_fail(e, CNI_E_IO, NULL, "reading stdin: %s", strerror(errno));
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

/* device-del; 0 when it is gone, whether it was there or not. */
static int device_del(const struct hv_cni_conf *c, const char *dev, struct hv_cni_err *e)
{
	struct json_object *args = json_object_new_object(), *ret = NULL;
	char err[512], drv[64];
	int r;

	json_object_object_add(args, "name", json_object_new_string(dev));
	r = hv_control_call(c->control, "device-del", args, &ret, CONTROL_TIMEOUT_MS, err,
			    sizeof(err));
	json_object_put(args);
	json_object_put(ret);
	if (r == 0 || (r == -EREMOTEIO && !strncmp(err, "DeviceNotFound", 14)))
		return 0;
	if (r != -EREMOTEIO) {
		char path[128];

		/* hvdpad is not there to ask: fine if the device is not either. */
		snprintf(path, sizeof(path), "/dev/vduse/%s", dev);
		if (hv_vdpa_bound(dev, drv, sizeof(drv)) == -ENOENT && access(path, F_OK) < 0)
			return 0;
		return hv_cni_fail(e, CNI_E_AGAIN, err,
				   "device %s is still there and hvdpad cannot be asked to delete "
				   "it",
				   dev);
	}
	return hv_cni_fail(e, HV_CNI_E_HVDPAD, NULL, "hvdpad: device-del %s: %s", dev, err);
}

/* The MAC of a host interface, "" when it has none or is not there. */
static void host_mac(struct nl_sock *sk, const char *name, char mac[32])
{
	struct rtnl_link *l = NULL;

	mac[0] = '\0';
	if (rtnl_link_get_kernel(sk, 0, name, &l) == 0 && rtnl_link_get_addr(l))
		nl_addr2str(rtnl_link_get_addr(l), mac, 32);
	rtnl_link_put(l);
}

static int cmd_add(const struct hv_cni_env *env, const struct hv_cni_conf *c, const char *conf,
		   size_t conf_len, struct hv_cni_err *e)
{
	enum { TAP = 1, DEV = 2, IPAM = 4 } done = 0;
	struct nl_sock *host = NULL, *ns = NULL;
	struct json_object *args = NULL, *ret = NULL, *ipres = NULL, *res, *dns = NULL;
	struct hv_cni_ipam ip = {0};
	char dev[64], tap[16], kind[32], err[512], mac[32], tap_mac[32], br_mac[32];
	int r;

	hv_cni_names(c->name, env->containerid, env->ifname, dev, tap);
	/* The bridge first: a configuration naming none needs no netns. */
	if (hv_cni_nl_open(NULL, &host, e) < 0)
		goto out;
	r = hv_cni_link_info(host, c->bridge, kind, sizeof(kind), NULL, 0);
	if (r == -ENOENT) {
		hv_cni_fail(e, CNI_E_CONFIG, NULL,
			    "bridge %s does not exist (create it: ip link add %s type bridge)",
			    c->bridge, c->bridge);
		goto out;
	}
	if (r == 0 && strcmp(kind, "bridge")) {
		hv_cni_fail(e, CNI_E_CONFIG, NULL, "%s is not a bridge (it is a %s device)",
			    c->bridge, kind[0] ? kind : "plain");
		goto out;
	}
	if (hv_cni_nl_open(env->netns, &ns, e) < 0)
		goto out;
	if (hv_cni_link_info(ns, env->ifname, NULL, 0, NULL, 0) == 0) {
		hv_cni_fail(e, HV_CNI_E_SANDBOX, NULL, "the container has a %s already",
			    env->ifname);
		goto out;
	}
	if (hv_cni_tap_create(tap, c->bridge, c->mtu, e) < 0)
		goto out;
	done |= TAP;
	args = json_object_new_object();
	json_object_object_add(args, "type", json_object_new_string("net"));
	json_object_object_add(args, "name", json_object_new_string(dev));
	json_object_object_add(args, "tap", json_object_new_string(tap));
	json_object_object_add(args, "attach", json_object_new_string("virtio"));
	if (c->mtu)
		json_object_object_add(args, "mtu", json_object_new_int((int)c->mtu));
	r = hv_control_call(c->control, "device-add", args, &ret, CONTROL_TIMEOUT_MS, err,
			    sizeof(err));
	/* Only a refusal says for sure that no device was made. */
	if (r != -EREMOTEIO)
		done |= DEV;
	if (r < 0) {
		hv_cni_fail(e, r == -EREMOTEIO ? HV_CNI_E_HVDPAD : CNI_E_AGAIN, NULL,
			    "hvdpad: device-add %s: %s%s", dev, err,
			    hv_control_unreachable(r) ? " (is hvdpad running with --control?)"
						      : "");
		goto undo;
	}
	if (hv_vdpa_netns_as(dev, env->netns, env->ifname, err, sizeof(err)) < 0) {
		hv_cni_fail(e, HV_CNI_E_SANDBOX, NULL, "%s", err);
		goto undo;
	}
	if (c->ipam_type[0]) {
		if (hv_cni_ipam_exec(c->ipam_type, env->path, "ADD", conf, conf_len, &ipres, e) < 0)
			goto undo;
		done |= IPAM;
		if (hv_cni_ipam_parse(ipres, &ip, e) < 0)
			goto undo;
	}
	if (hv_cni_sandbox_setup(ns, env->ifname, c->mtu, &ip, mac, e) < 0)
		goto undo;
	host_mac(host, tap, tap_mac);
	host_mac(host, c->bridge, br_mac);
	json_object_object_get_ex(c->root, "dns", &dns);
	/* A prevResult (we are not first in a chain) is replaced: the spec
	 * lets a plugin suppress it, and its interfaces are not ours. */
	res = hv_cni_result_json(c->version,
				 (struct hv_cni_iface[3]){{c->bridge, br_mac, NULL},
							  {tap, tap_mac, NULL},
							  {env->ifname, mac, env->netns}},
				 &ip, dns);
	print_json(res);
	json_object_put(res);
	r = 0;
	goto done_ok;
undo:
	if (done & IPAM) {
		struct hv_cni_err e2;

		if (hv_cni_ipam_exec(c->ipam_type, env->path, "DEL", conf, conf_len, NULL, &e2) < 0)
			fprintf(stderr, "hvdpa-cni: rolling back: %s\n", e2.msg);
	}
	if (done & DEV) {
		struct hv_cni_err e2;

		if (device_del(c, dev, &e2) < 0)
			fprintf(stderr, "hvdpa-cni: rolling back: %s\n", e2.msg);
	}
	if ((done & TAP) && hv_cni_link_del(host, tap) < 0)
		fprintf(stderr, "hvdpa-cni: rolling back: tap %s stays\n", tap);
out:
	r = -1;
done_ok:
	hv_cni_ipam_free(&ip);
	json_object_put(ipres);
	json_object_put(ret);
	json_object_put(args);
	nl_socket_free(ns);
	nl_socket_free(host);
	return r;
}

/* Every step is tried; the first failure is the one told. */
static int cmd_del(const struct hv_cni_env *env, const struct hv_cni_conf *c, const char *conf,
		   size_t conf_len, struct hv_cni_err *e)
{
	struct hv_cni_err e2;
	struct nl_sock *host = NULL;
	char dev[64], tap[16];
	int failed = 0;

	hv_cni_names(c->name, env->containerid, env->ifname, dev, tap);
	if (c->ipam_type[0] &&
	    hv_cni_ipam_exec(c->ipam_type, env->path, "DEL", conf, conf_len, NULL, &e2) < 0 &&
	    !failed++)
		*e = e2;
	if (device_del(c, dev, &e2) < 0 && !failed++)
		*e = e2;
	if (hv_cni_nl_open(NULL, &host, &e2) < 0 || hv_cni_link_del(host, tap) < 0) {
		if (host)
			hv_cni_fail(&e2, HV_CNI_E_HOST, NULL, "deleting tap %s failed", tap);
		if (!failed++)
			*e = e2;
	}
	nl_socket_free(host);
	return failed ? -1 : 0;
}

static int cmd_check(const struct hv_cni_env *env, const struct hv_cni_conf *c, const char *conf,
		     size_t conf_len, struct hv_cni_err *e)
{
	struct hv_cni_ipam ip = {0};
	struct nl_sock *ns = NULL, *host = NULL;
	char dev[64], tap[16], mac[32], kind[32], master[32], drv[64];
	int r = -1;

	if (hv_cni_version_lt(c->version, "0.4.0"))
		return hv_cni_fail(e, CNI_E_VERSION, NULL,
				   "CHECK needs cniVersion 0.4.0 or later, not %s", c->version);
	if (!c->prev)
		return hv_cni_fail(e, CNI_E_CONFIG, NULL,
				   "CHECK needs prevResult (ADD's result) in the configuration");
	hv_cni_names(c->name, env->containerid, env->ifname, dev, tap);
	if (hv_cni_prev_find(c->prev, env->ifname, mac, &ip, e) < 0)
		goto out;
	if (c->ipam_type[0] &&
	    hv_cni_ipam_exec(c->ipam_type, env->path, "CHECK", conf, conf_len, NULL, e) < 0)
		goto out;
	if (hv_cni_nl_open(env->netns, &ns, e) < 0 || hv_cni_nl_open(NULL, &host, e) < 0)
		goto out;
	if (hv_cni_sandbox_check(ns, env->ifname, mac, &ip, e) < 0)
		goto out;
	if (hv_cni_link_info(host, tap, kind, sizeof(kind), master, sizeof(master)) < 0) {
		hv_cni_fail(e, HV_CNI_E_CHECK, NULL, "tap %s is gone", tap);
		goto out;
	}
	if (strcmp(master, c->bridge)) {
		hv_cni_fail(e, HV_CNI_E_CHECK, NULL, "tap %s is not in bridge %s (master: %s)", tap,
			    c->bridge, master[0] ? master : "none");
		goto out;
	}
	if (hv_vdpa_bound(dev, drv, sizeof(drv)) < 0 || strcmp(drv, "virtio_vdpa")) {
		hv_cni_fail(e, HV_CNI_E_CHECK, NULL,
			    "device %s is not on the vDPA bus with "
			    "virtio_vdpa",
			    dev);
		goto out;
	}
	r = 0;
out:
	hv_cni_ipam_free(&ip);
	nl_socket_free(ns);
	nl_socket_free(host);
	return r;
}

int main(void)
{
	struct hv_cni_env env;
	struct hv_cni_conf conf = {0};
	struct hv_cni_err e = {0};
	char *in = NULL;
	size_t len = 0;
	int r = -1;

	if (hv_cni_env_parse(env_get, &env, &e) < 0)
		goto fail;
	if (env.cmd == HV_CNI_VERSION) {
		struct json_object *v = hv_cni_version_json();

		print_json(v);
		json_object_put(v);
		return 0;
	}
	in = read_stdin(&len, &e);
	if (!in || hv_cni_conf_parse(in, len, &conf, &e) < 0)
		goto fail;
	switch (env.cmd) {
	case HV_CNI_ADD:
		r = cmd_add(&env, &conf, in, len, &e);
		break;
	case HV_CNI_DEL:
		r = cmd_del(&env, &conf, in, len, &e);
		break;
	case HV_CNI_CHECK:
		r = cmd_check(&env, &conf, in, len, &e);
		break;
	case HV_CNI_VERSION:
		break;
	}
	if (r == 0) {
		hv_cni_conf_free(&conf);
		free(in);
		return 0;
	}
fail : {
	/* An unsupported cniVersion is not one to answer in. */
	struct json_object *o =
		hv_cni_err_json(hv_cni_version_ok(conf.version) ? conf.version : NULL, &e);

	print_json(o);
	json_object_put(o);
	/* The one line a person reading the runtime's log sees first. */
	fprintf(stderr, "hvdpa-cni: %s%s%s\n", e.msg, e.details[0] ? ": " : "", e.details);
}
	hv_cni_conf_free(&conf);
	free(in);
	return 1;
}
