// SPDX-License-Identifier: MIT
/*
 * The generic netlink "vdpa" family (include/uapi/linux/vdpa.h): what
 * `vdpa dev add|del|show` say to the kernel, with libnl-genl. The kernel's
 * answer to a request is an errno in an NLMSG_ERROR; it is kept as such so
 * that callers can tell "no such device" from "already there".
 */
#include <errno.h>
#include <linux/vdpa.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/vdpa.h"

struct req {
	struct nl_sock *sk;
	int family;
	int kerr; /* the kernel's errno, negative */
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	((struct req *)arg)->kerr = e->error;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_STOP;
}

static int open_family(struct req *r, char *err, size_t errlen)
{
	r->kerr = 0;
	r->sk = nl_socket_alloc();
	if (!r->sk || genl_connect(r->sk) < 0) {
		snprintf(err, errlen, "generic netlink: cannot connect");
		if (r->sk)
			nl_socket_free(r->sk);
		return -EIO;
	}
	r->family = genl_ctrl_resolve(r->sk, VDPA_GENL_NAME);
	if (r->family < 0) {
		snprintf(err, errlen, "the kernel has no vdpa netlink family (modprobe vdpa)");
		nl_socket_free(r->sk);
		return -ENOENT;
	}
	nl_socket_modify_err_cb(r->sk, NL_CB_CUSTOM, on_error, r);
	nl_socket_modify_cb(r->sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	return 0;
}

/* Sends msg (consumed) and waits for the answer; the kernel's errno. */
static int transact(struct req *r, struct nl_msg *msg)
{
	int e = nl_send_auto(r->sk, msg);

	nlmsg_free(msg);
	if (e < 0)
		return -EIO;
	e = nl_recvmsgs_default(r->sk);
	if (r->kerr)
		return r->kerr;
	return e < 0 ? -EIO : 0;
}

static struct nl_msg *new_msg(struct req *r, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, r->family, 0, flags, cmd, 0)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/*
 * One device command (VDPA_CMD_DEV_NEW or VDPA_CMD_DEV_DEL) on NAME, with
 * the management device when mgmtdev is not NULL. A negative errno with err
 * filled when the request could not be made; else 0 and the kernel's answer
 * (0 or a negative errno) in *kerr, for the caller to explain.
 */
static int dev_cmd(uint8_t cmd, const char *name, const char *mgmtdev, int *kerr, char *err,
		   size_t errlen)
{
	struct req r;
	struct nl_msg *msg;
	int e = open_family(&r, err, errlen);

	if (e < 0)
		return e;
	msg = new_msg(&r, cmd, NLM_F_ACK);
	if (!msg || (mgmtdev && nla_put_string(msg, VDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev) < 0) ||
	    nla_put_string(msg, VDPA_ATTR_DEV_NAME, name) < 0) {
		nlmsg_free(msg);
		nl_socket_free(r.sk);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*kerr = transact(&r, msg);
	nl_socket_free(r.sk);
	return 0;
}

int hv_vdpa_dev_add(const char *name, const char *mgmtdev, char *err, size_t errlen)
{
	int e, r = dev_cmd(VDPA_CMD_DEV_NEW, name, mgmtdev, &e, err, errlen);

	if (r < 0)
		return r;
	if (e == -ENODEV || e == -EINVAL || e == -ENOENT)
		snprintf(err, errlen, "%s: no VDUSE device of that name (is hvdpad serving it?)",
			 name);
	else if (e == -EEXIST)
		snprintf(err, errlen, "%s: already on the vDPA bus", name);
	else if (e < 0)
		snprintf(err, errlen, "%s: vdpa dev add: %s", name, strerror(-e));
	return e;
}

int hv_vdpa_dev_del(const char *name, char *err, size_t errlen)
{
	int e, r = dev_cmd(VDPA_CMD_DEV_DEL, name, NULL, &e, err, errlen);

	if (r < 0)
		return r;
	if (e == -ENODEV)
		snprintf(err, errlen, "%s: not on the vDPA bus", name);
	else if (e < 0)
		snprintf(err, errlen, "%s: vdpa dev del: %s", name, strerror(-e));
	return e;
}

struct list {
	struct hv_vdpa_dev *devs;
	unsigned int n, cap;
	int oom;
};

static int on_dev(struct nl_msg *msg, void *arg)
{
	struct list *l = arg;
	struct nlattr *tb[VDPA_ATTR_MAX + 1];
	struct hv_vdpa_dev *d;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VDPA_ATTR_MAX, NULL) < 0 ||
	    !tb[VDPA_ATTR_DEV_NAME])
		return NL_SKIP;
	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 8;
		struct hv_vdpa_dev *devs = realloc(l->devs, cap * sizeof(*devs));

		if (!devs) {
			l->oom = 1;
			return NL_STOP;
		}
		l->devs = devs;
		l->cap = cap;
	}
	d = &l->devs[l->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", nla_get_string(tb[VDPA_ATTR_DEV_NAME]));
	if (tb[VDPA_ATTR_MGMTDEV_DEV_NAME])
		snprintf(d->mgmtdev, sizeof(d->mgmtdev), "%s",
			 nla_get_string(tb[VDPA_ATTR_MGMTDEV_DEV_NAME]));
	if (tb[VDPA_ATTR_DEV_ID])
		d->device_id = nla_get_u32(tb[VDPA_ATTR_DEV_ID]);
	return NL_OK;
}

int hv_vdpa_list(struct hv_vdpa_dev **out, unsigned int *n, char *err, size_t errlen)
{
	struct list l = {0};
	struct req r;
	struct nl_msg *msg;
	int e = open_family(&r, err, errlen);

	if (e < 0)
		return e;
	nl_socket_modify_cb(r.sk, NL_CB_VALID, NL_CB_CUSTOM, on_dev, &l);
	msg = new_msg(&r, VDPA_CMD_DEV_GET, NLM_F_DUMP);
	if (!msg) {
		nl_socket_free(r.sk);
		return -ENOMEM;
	}
	e = transact(&r, msg);
	nl_socket_free(r.sk);
	if (e < 0 || l.oom) {
		free(l.devs);
		snprintf(err, errlen, "vdpa dev show: %s", l.oom ? "out of memory" : strerror(-e));
		return l.oom ? -ENOMEM : e;
	}
	*out = l.devs;
	*n = l.n;
	return 0;
}
