// SPDX-License-Identifier: MIT
/* hvdpa-cni's unprivileged half (cni.h): input checked, output built. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni.h"

/* 0.1.0 and 0.2.0 had another result shape (ip4/ip6 objects); runtimes
 * of the last years (podman 4, containerd, CRI-O, Multus) send 0.3.1 and
 * later. */
const char *const hv_cni_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", NULL};

int hv_cni_fail(struct hv_cni_err *e, int code, const char *details, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->details, sizeof(e->details), "%s", details ? details : "");
	return -1;
}

bool hv_cni_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

int hv_cni_env_parse(const char *(*get)(const char *), struct hv_cni_env *env, struct hv_cni_err *e)
{
	const char *cmd = get("CNI_COMMAND");
	char missing[128] = "";

	memset(env, 0, sizeof(*env));
	if (!cmd || !*cmd)
		return hv_cni_fail(e, CNI_E_ENV, NULL, "CNI_COMMAND is not set");
	if (!strcmp(cmd, "ADD"))
		env->cmd = HV_CNI_ADD;
	else if (!strcmp(cmd, "DEL"))
		env->cmd = HV_CNI_DEL;
	else if (!strcmp(cmd, "CHECK"))
		env->cmd = HV_CNI_CHECK;
	else if (!strcmp(cmd, "VERSION"))
		env->cmd = HV_CNI_VERSION;
	else
		return hv_cni_fail(e, CNI_E_ENV, NULL,
				   "CNI_COMMAND %.64s: not ADD, DEL, CHECK or VERSION", cmd);
	if (env->cmd == HV_CNI_VERSION)
		return 0;
	env->containerid = get("CNI_CONTAINERID");
	env->netns = get("CNI_NETNS");
	env->ifname = get("CNI_IFNAME");
	env->args = get("CNI_ARGS");
	env->path = get("CNI_PATH");
	/* The spec lets DEL come without a netns (the container may be gone). */
#define NEED(v, name)                                                                              \
	if (!(v) || !*(v))                                                                         \
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",     \
			 missing[0] ? "," : "", name);
	NEED(env->containerid, "CNI_CONTAINERID");
	if (env->cmd != HV_CNI_DEL)
		NEED(env->netns, "CNI_NETNS");
	NEED(env->ifname, "CNI_IFNAME");
	NEED(env->path, "CNI_PATH");
#undef NEED
	if (missing[0])
		return hv_cni_fail(e, CNI_E_ENV, NULL, "required environment variables missing: %s",
				   missing);
	if (env->netns && !*env->netns)
		env->netns = NULL;
	if (!hv_cni_ifname_ok(env->ifname))
		return hv_cni_fail(e, CNI_E_ENV, NULL,
				   "CNI_IFNAME %.64s: not an interface name (1-15 bytes, no '/', "
				   "':' or spaces)",
				   env->ifname);
	return 0;
}

bool hv_cni_version_ok(const char *v)
{
	for (const char *const *s = hv_cni_versions; *s; s++)
		if (!strcmp(*s, v))
			return true;
	return false;
}

bool hv_cni_version_lt(const char *a, const char *b)
{
	unsigned int x[3] = {0}, y[3] = {0};

	sscanf(a, "%u.%u.%u", &x[0], &x[1], &x[2]);
	sscanf(b, "%u.%u.%u", &y[0], &y[1], &y[2]);
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i];
	return false;
}

struct json_object *hv_cni_version_json(void)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "cniVersion", json_object_new_string(HV_CNI_SPEC));
	for (const char *const *s = hv_cni_versions; *s; s++)
		json_object_array_add(a, json_object_new_string(*s));
	json_object_object_add(o, "supportedVersions", a);
	return o;
}

/* FNV-1a, 64 bits: stable across builds and machines, unlike a seeded
 * hash, so that DEL after an upgrade finds what ADD made. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (;; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
		if (!*s) /* the NUL too: ("ab","c") and ("a","bc") differ */
			return h;
	}
}

void hv_cni_names(const char *net, const char *containerid, const char *ifname, char dev[64],
		  char tap[16])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, net);
	h = fnv(h, containerid);
	h = fnv(h, ifname);
	snprintf(dev, 64, "cni-%016llx", (unsigned long long)h);
	snprintf(tap, 16, "hvcni%08llx", (unsigned long long)(h >> 32));
}

/* Copies a string member into out; -1 (and e set) when it is there but
 * not a string or too long. *found tells whether it was there. */
static int get_str(struct json_object *o, const char *key, char *out, size_t len, bool *found,
		   struct hv_cni_err *e)
{
	struct json_object *v;
	const char *s;

	*found = json_object_object_get_ex(o, key, &v) && v;
	if (!*found)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"%s\" must be a string", key);
	s = json_object_get_string(v);
	if (strlen(s) >= len)
		return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"%s\" is longer than %zu bytes", key,
				   len - 1);
	snprintf(out, len, "%s", s);
	return 0;
}

/* The spec's network name: alphanumeric first, then [A-Za-z0-9_.-]. */
static bool netname_ok(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static const char *const known_keys[] = {
	/* the spec's */
	"cniVersion", "name", "type", "args", "ipMasq", "ipam", "dns", "runtimeConfig",
	"prevResult", "capabilities", "networkScaling",
	/* ours */
	"bridge", "control", "mtu", NULL};

int hv_cni_conf_parse(const char *text, size_t len, struct hv_cni_conf *c, struct hv_cni_err *e)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *v;
	enum json_tokener_error je;
	bool found;
	int64_t mtu;

	memset(c, 0, sizeof(*c));
	if (!tok)
		return hv_cni_fail(e, CNI_E_IO, NULL, "out of memory");
	c->root = json_tokener_parse_ex(tok, text, (int)len);
	je = json_tokener_get_error(tok);
	if (c->root && je == json_tokener_success && tok->char_offset < (int)len) {
		/* Trailing bytes other than white space are a second value. */
		for (size_t i = (size_t)tok->char_offset; i < len; i++)
			if (!isspace((unsigned char)text[i])) {
				je = json_tokener_error_parse_unexpected;
				break;
			}
	}
	if (!c->root || je != json_tokener_success) {
		hv_cni_fail(e, CNI_E_DECODE, NULL,
			    "the network configuration on stdin is not JSON: %s at byte %d",
			    je == json_tokener_continue ? "it ends early"
							: json_tokener_error_desc(je),
			    tok->char_offset);
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(c->root, json_type_object))
		return hv_cni_fail(e, CNI_E_DECODE, NULL,
				   "the network configuration must be a JSON object");
	json_object_object_foreach(c->root, key, val)
	{
		const char *const *k;

		(void)val;
		for (k = known_keys; *k && strcmp(*k, key); k++)
			;
		if (!*k)
			return hv_cni_fail(e, CNI_E_FIELD, NULL,
					   "unknown key \"%.64s\" in the network configuration "
					   "(hvdpa takes bridge, control, mtu and ipam)",
					   key);
	}
	if (get_str(c->root, "cniVersion", c->version, sizeof(c->version), &found, e) < 0)
		return -1;
	if (!found)
		return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"cniVersion\" is missing");
	if (!hv_cni_version_ok(c->version))
		return hv_cni_fail(e, CNI_E_VERSION, NULL,
				   "cniVersion %s is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0)",
				   c->version);
	if (get_str(c->root, "name", c->name, sizeof(c->name), &found, e) < 0)
		return -1;
	if (!found || !netname_ok(c->name))
		return hv_cni_fail(
			e, CNI_E_CONFIG, NULL,
			"\"name\" must be a network name (alphanumeric, then also _ . -)");
	if (get_str(c->root, "bridge", c->bridge, sizeof(c->bridge), &found, e) < 0)
		return -1;
	if (!found)
		return hv_cni_fail(
			e, CNI_E_CONFIG, NULL,
			"\"bridge\" is missing: the Linux bridge the tap is plugged into");
	if (!hv_cni_ifname_ok(c->bridge))
		return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"bridge\": %s is not an interface name",
				   c->bridge);
	if (get_str(c->root, "control", c->control, sizeof(c->control), &found, e) < 0)
		return -1;
	if (!found)
		snprintf(c->control, sizeof(c->control), "%s", HV_CNI_CONTROL_DEFAULT);
	else if (c->control[0] != '/')
		return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"control\" must be an absolute path");
	if (json_object_object_get_ex(c->root, "mtu", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"mtu\" must be an integer");
		mtu = json_object_get_int64(v);
		if (mtu < 68 || mtu > 65535)
			return hv_cni_fail(e, CNI_E_CONFIG, NULL,
					   "\"mtu\" %lld is out of range (68-65535)",
					   (long long)mtu);
		c->mtu = (unsigned int)mtu;
	}
	if (json_object_object_get_ex(c->root, "ipam", &v) && v) {
		if (!json_object_is_type(v, json_type_object))
			return hv_cni_fail(e, CNI_E_CONFIG, NULL, "\"ipam\" must be an object");
		/* An empty ipam object is "no IPAM", as the bridge plugin has it. */
		if (json_object_object_length(v) > 0) {
			if (get_str(v, "type", c->ipam_type, sizeof(c->ipam_type), &found, e) < 0)
				return -1;
			if (!found || !c->ipam_type[0])
				return hv_cni_fail(e, CNI_E_CONFIG, NULL,
						   "\"ipam\" needs a \"type\"");
			/* It is looked up in CNI_PATH: a path would escape it. */
			if (strchr(c->ipam_type, '/') || c->ipam_type[0] == '.')
				return hv_cni_fail(e, CNI_E_CONFIG, NULL,
						   "\"ipam\": type %s is not a plugin name",
						   c->ipam_type);
		}
	}
	if (json_object_object_get_ex(c->root, "prevResult", &v) && v) {
		if (!json_object_is_type(v, json_type_object))
			return hv_cni_fail(e, CNI_E_CONFIG, NULL,
					   "\"prevResult\" must be an object");
		c->prev = v;
	}
	return 0;
}

void hv_cni_conf_free(struct hv_cni_conf *c)
{
	json_object_put(c->root);
	c->root = c->prev = NULL;
}

/* "a.b.c.d/N" or "x::y/N": family into *fam. */
static bool cidr_ok(const char *s, int *fam)
{
	char buf[64], *slash;
	unsigned char bin[16];
	char *end;
	long n;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (inet_pton(AF_INET, buf, bin) == 1)
		*fam = AF_INET;
	else if (inet_pton(AF_INET6, buf, bin) == 1)
		*fam = AF_INET6;
	else
		return false;
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	return slash[1] && !*end && !errno && n >= 0 && n <= (*fam == AF_INET ? 32 : 128);
}

static bool ip_ok(const char *s, int fam)
{
	unsigned char bin[16];

	return inet_pton(fam, s, bin) == 1;
}

static int opt_str(struct json_object *o, const char *key, char *out, size_t len,
		   struct hv_cni_err *e)
{
	struct json_object *v;

	out[0] = '\0';
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string) || strlen(json_object_get_string(v)) >= len)
		return hv_cni_fail(e, CNI_E_DECODE, NULL, "result: \"%s\" is not a short string",
				   key);
	snprintf(out, len, "%s", json_object_get_string(v));
	return 0;
}

int hv_cni_ipam_parse(struct json_object *res, struct hv_cni_ipam *out, struct hv_cni_err *e)
{
	struct json_object *ips = NULL, *routes = NULL, *dns;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(res, json_type_object))
		return hv_cni_fail(e, CNI_E_DECODE, NULL, "result: not a JSON object");
	if (json_object_object_get_ex(res, "ips", &ips) && ips &&
	    !json_object_is_type(ips, json_type_array))
		return hv_cni_fail(e, CNI_E_DECODE, NULL, "result: \"ips\" is not an array");
	if (json_object_object_get_ex(res, "routes", &routes) && routes &&
	    !json_object_is_type(routes, json_type_array))
		return hv_cni_fail(e, CNI_E_DECODE, NULL, "result: \"routes\" is not an array");
	if (ips && json_object_array_length(ips) > HV_CNI_MAX_IPS)
		return hv_cni_fail(e, CNI_E_DECODE, NULL, "result: more than %d ips",
				   HV_CNI_MAX_IPS);
	if (routes && json_object_array_length(routes) > HV_CNI_MAX_ROUTES)
		return hv_cni_fail(e, CNI_E_DECODE, NULL, "result: more than %d routes",
				   HV_CNI_MAX_ROUTES);
	for (size_t i = 0; ips && i < json_object_array_length(ips); i++) {
		struct json_object *o = json_object_array_get_idx(ips, i), *v;
		struct hv_cni_ip *ip = &out->ips[out->n_ips];

		if (!json_object_is_type(o, json_type_object))
			return hv_cni_fail(e, CNI_E_DECODE, NULL,
					   "result: ips[%zu] is not an object", i);
		if (opt_str(o, "address", ip->address, sizeof(ip->address), e) < 0 ||
		    opt_str(o, "gateway", ip->gateway, sizeof(ip->gateway), e) < 0)
			return -1;
		if (!cidr_ok(ip->address, &ip->family))
			return hv_cni_fail(
				e, CNI_E_DECODE, NULL,
				"result: ips[%zu].address \"%s\" is not an address/prefix", i,
				ip->address);
		if (ip->gateway[0] && !ip_ok(ip->gateway, ip->family))
			return hv_cni_fail(e, CNI_E_DECODE, NULL,
					   "result: ips[%zu].gateway \"%s\" is not an address", i,
					   ip->gateway);
		ip->interface = -1;
		if (json_object_object_get_ex(o, "interface", &v) && v) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 0)
				return hv_cni_fail(e, CNI_E_DECODE, NULL,
						   "result: ips[%zu].interface is not an index", i);
			ip->interface = json_object_get_int(v);
		}
		out->n_ips++;
	}
	for (size_t i = 0; routes && i < json_object_array_length(routes); i++) {
		struct json_object *o = json_object_array_get_idx(routes, i);
		struct hv_cni_route *r = &out->routes[out->n_routes];
		int fam;

		if (!json_object_is_type(o, json_type_object))
			return hv_cni_fail(e, CNI_E_DECODE, NULL,
					   "result: routes[%zu] is not an object", i);
		if (opt_str(o, "dst", r->dst, sizeof(r->dst), e) < 0 ||
		    opt_str(o, "gw", r->gw, sizeof(r->gw), e) < 0)
			return -1;
		if (!cidr_ok(r->dst, &fam) || (r->gw[0] && !ip_ok(r->gw, fam)))
			return hv_cni_fail(e, CNI_E_DECODE, NULL,
					   "result: routes[%zu] (%s via %s) does not parse", i,
					   r->dst, r->gw[0] ? r->gw : "-");
		out->n_routes++;
	}
	if (json_object_object_get_ex(res, "dns", &dns) && dns &&
	    json_object_is_type(dns, json_type_object))
		out->dns = json_object_get(dns);
	return 0;
}

void hv_cni_ipam_free(struct hv_cni_ipam *r)
{
	json_object_put(r->dns);
	r->dns = NULL;
}

int hv_cni_prev_find(struct json_object *prev, const char *ifname, char mac[32],
		     struct hv_cni_ipam *ip, struct hv_cni_err *e)
{
	struct json_object *ifs, *o, *v;
	int idx = -1;
	unsigned int k = 0;

	if (hv_cni_ipam_parse(prev, ip, e) < 0) {
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		return hv_cni_fail(e, CNI_E_CONFIG, why, "prevResult does not parse");
	}
	if (!json_object_object_get_ex(prev, "interfaces", &ifs) ||
	    !json_object_is_type(ifs, json_type_array))
		return hv_cni_fail(e, CNI_E_CONFIG, NULL, "prevResult has no interfaces");
	for (size_t i = 0; i < json_object_array_length(ifs); i++) {
		o = json_object_array_get_idx(ifs, i);
		if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, "name", &v) &&
		    !strcmp(json_object_get_string(v), ifname) &&
		    json_object_object_get_ex(o, "sandbox", &v) &&
		    json_object_get_string_len(v) > 0) {
			idx = (int)i;
			break;
		}
	}
	if (idx < 0)
		return hv_cni_fail(e, CNI_E_CONFIG, NULL,
				   "prevResult has no interface %s in a sandbox", ifname);
	mac[0] = '\0';
	if (json_object_object_get_ex(o, "mac", &v) && json_object_is_type(v, json_type_string))
		snprintf(mac, 32, "%s", json_object_get_string(v));
	for (unsigned int i = 0; i < ip->n_ips; i++)
		if (ip->ips[i].interface == idx)
			ip->ips[k++] = ip->ips[i];
	ip->n_ips = k;
	return 0;
}

struct json_object *hv_cni_result_json(const char *version, const struct hv_cni_iface ifs[3],
				       const struct hv_cni_ipam *ipam, struct json_object *conf_dns)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	bool old = hv_cni_version_lt(version, "1.0.0");

	json_object_object_add(o, "cniVersion", json_object_new_string(version));
	for (int i = 0; i < 3; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(ifs[i].name));
		if (ifs[i].mac && ifs[i].mac[0])
			json_object_object_add(f, "mac", json_object_new_string(ifs[i].mac));
		if (ifs[i].sandbox)
			json_object_object_add(f, "sandbox",
					       json_object_new_string(ifs[i].sandbox));
		json_object_array_add(a, f);
	}
	json_object_object_add(o, "interfaces", a);
	a = json_object_new_array();
	for (unsigned int i = 0; i < ipam->n_ips; i++) {
		struct json_object *p = json_object_new_object();
		const struct hv_cni_ip *ip = &ipam->ips[i];

		/* 0.3.x and 0.4.0 results name the family; 1.0.0 dropped it. */
		if (old)
			json_object_object_add(
				p, "version",
				json_object_new_string(ip->family == AF_INET6 ? "6" : "4"));
		json_object_object_add(p, "interface", json_object_new_int(2));
		json_object_object_add(p, "address", json_object_new_string(ip->address));
		if (ip->gateway[0])
			json_object_object_add(p, "gateway", json_object_new_string(ip->gateway));
		json_object_array_add(a, p);
	}
	json_object_object_add(o, "ips", a);
	if (ipam->n_routes) {
		a = json_object_new_array();
		for (unsigned int i = 0; i < ipam->n_routes; i++) {
			struct json_object *r = json_object_new_object();

			json_object_object_add(r, "dst",
					       json_object_new_string(ipam->routes[i].dst));
			if (ipam->routes[i].gw[0])
				json_object_object_add(r, "gw",
						       json_object_new_string(ipam->routes[i].gw));
			json_object_array_add(a, r);
		}
		json_object_object_add(o, "routes", a);
	}
	if (ipam->dns && json_object_object_length(ipam->dns) > 0)
		json_object_object_add(o, "dns", json_object_get(ipam->dns));
	else if (conf_dns && json_object_is_type(conf_dns, json_type_object))
		json_object_object_add(o, "dns", json_object_get(conf_dns));
	else
		json_object_object_add(o, "dns", json_object_new_object());
	return o;
}

struct json_object *hv_cni_err_json(const char *version, const struct hv_cni_err *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(
		o, "cniVersion",
		json_object_new_string(version && version[0] ? version : HV_CNI_SPEC));
	json_object_object_add(o, "code", json_object_new_int(e->code));
	json_object_object_add(o, "msg", json_object_new_string(e->msg));
	if (e->details[0])
		json_object_object_add(o, "details", json_object_new_string(e->details));
	return o;
}
