/* SPDX-License-Identifier: MIT */
/*
 * hvdpa-cni, a CNI plugin (containernetworking/cni SPEC.md, 1.0.0) that
 * gives a container a virtio-net NIC served by hvdpad over VDUSE, its host
 * side a tap on a Linux bridge. docs/containers.md says how it is used.
 *
 * cni_conf.c holds what needs no privileges: the environment and the
 * network configuration read and checked, the names derived, the IPAM
 * result and prevResult understood, the result and error JSON built. The
 * unit tests reach all of it.
 */
#ifndef HVDPA_TOOLS_CNI_H
#define HVDPA_TOOLS_CNI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The version VERSION reports as its own and errors use before the
 * configuration's is known. */
#define HV_CNI_SPEC "1.0.0"

/* The spec's well-known error codes, and ours (100+). */
enum {
	CNI_E_VERSION = 1,	/* incompatible CNI version */
	CNI_E_FIELD = 2,	/* unsupported field in the network configuration */
	CNI_E_CONTAINER = 3,	/* container unknown or does not exist */
	CNI_E_ENV = 4,		/* invalid necessary environment variables */
	CNI_E_IO = 5,		/* I/O failure */
	CNI_E_DECODE = 6,	/* failed to decode content */
	CNI_E_CONFIG = 7,	/* invalid network configuration */
	CNI_E_AGAIN = 11,	/* try again later */
	HV_CNI_E_HOST = 100,	/* the host side: tap, bridge */
	HV_CNI_E_HVDPAD = 101,	/* hvdpad refused, or could not be asked */
	HV_CNI_E_SANDBOX = 102, /* inside the container's netns */
	HV_CNI_E_CHECK = 103,	/* CHECK found the attachment not as ADD left it */
};

struct hv_cni_err {
	int code;
	char msg[256];
	char details[768];
};

/* Sets e (code, msg, optional details) and returns -1. */
int hv_cni_fail(struct hv_cni_err *e, int code, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

enum hv_cni_cmd { HV_CNI_ADD, HV_CNI_DEL, HV_CNI_CHECK, HV_CNI_VERSION };

struct hv_cni_env {
	enum hv_cni_cmd cmd;
	const char *containerid, *netns, *ifname, *args, *path;
};

/* The CNI_* variables, through get (getenv in the plugin): each command's
 * required ones present and well formed, else CNI_E_ENV. */
int hv_cni_env_parse(const char *(*get)(const char *), struct hv_cni_env *env,
		     struct hv_cni_err *e);

#define HV_CNI_CONTROL_DEFAULT "/run/hvdpa/control.sock"

struct hv_cni_conf {
	char version[16];
	char name[128];
	char bridge[16];
	char control[108];  /* sun_path's size */
	unsigned int mtu;   /* 0: not given */
	char ipam_type[64]; /* "": no IPAM */
	struct json_object *root;
	struct json_object *prev; /* prevResult, or NULL; borrowed from root */
};

/* Reads the network configuration from text. Unknown top-level keys are
 * refused (CNI_E_FIELD) so that a misspelt "mtu" is not silently lost;
 * the spec's well-known keys are taken. hv_cni_conf_free in any case. */
int hv_cni_conf_parse(const char *text, size_t len, struct hv_cni_conf *c, struct hv_cni_err *e);
void hv_cni_conf_free(struct hv_cni_conf *c);

/* Versions whose result format we produce. */
extern const char *const hv_cni_versions[];
bool hv_cni_version_ok(const char *v);
/* a < b as semantic versions "X.Y.Z". */
bool hv_cni_version_lt(const char *a, const char *b);
/* VERSION's answer. */
struct json_object *hv_cni_version_json(void);

/* The vDPA/VDUSE device name ("cni-" + 16 hex digits) and the tap's
 * ("hvcni" + the first 8 of them, 13 characters: IFNAMSIZ is 16), stable
 * for the attachment (network name, container id, interface name), which
 * is what the spec names it by: DEL and CHECK find what ADD made. */
void hv_cni_names(const char *net, const char *containerid, const char *ifname, char dev[64],
		  char tap[16]);

/* A Linux interface name: 1-15 bytes, none of '/', ':', whitespace; not
 * "." or "..". */
bool hv_cni_ifname_ok(const char *s);

#define HV_CNI_MAX_IPS	  8
#define HV_CNI_MAX_ROUTES 32

struct hv_cni_ip {
	char address[64]; /* CIDR: "10.1.0.5/24" */
	char gateway[48]; /* "" when none */
	int family;	  /* AF_INET or AF_INET6 */
	int interface;	  /* index into interfaces[], -1 when not given */
};

struct hv_cni_route {
	char dst[64];
	char gw[48];
};

/* What an IPAM plugin handed back (or a prevResult held). */
struct hv_cni_ipam {
	struct hv_cni_ip ips[HV_CNI_MAX_IPS];
	unsigned int n_ips;
	struct hv_cni_route routes[HV_CNI_MAX_ROUTES];
	unsigned int n_routes;
	struct json_object *dns; /* taken reference, or NULL */
};

/* Checks and copies an IPAM result: addresses and gateways that parse,
 * at most HV_CNI_MAX_IPS / _ROUTES. CNI_E_DECODE otherwise. */
int hv_cni_ipam_parse(struct json_object *res, struct hv_cni_ipam *out, struct hv_cni_err *e);
void hv_cni_ipam_free(struct hv_cni_ipam *r);

/* In a prevResult: the interface named ifname with sandbox set (its mac
 * into mac), and the ips pointing to it into ip (others dropped). */
int hv_cni_prev_find(struct json_object *prev, const char *ifname, char mac[32],
		     struct hv_cni_ipam *ip, struct hv_cni_err *e);

/* ADD's result, in the configuration's version: interfaces [bridge, tap,
 * the container's NIC (sandbox = netns)], ips pointing to the NIC (with
 * "version" before 1.0.0), routes, and dns from IPAM or else the
 * configuration's. */
struct hv_cni_iface {
	const char *name, *mac, *sandbox;
};
struct json_object *hv_cni_result_json(const char *version, const struct hv_cni_iface ifs[3],
				       const struct hv_cni_ipam *ipam,
				       struct json_object *conf_dns);

/* The spec's error object. */
struct json_object *hv_cni_err_json(const char *version, const struct hv_cni_err *e);

#endif
