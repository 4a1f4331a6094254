// SPDX-License-Identifier: MIT
/*
 * hvdpa-cni's unprivileged half (tools/cni.h), IPAM delegation against a
 * fake IPAM plugin, and the CDI spec (tools/cdi.h) of a fake device list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/cdi.h"
#include "../../tools/cni.h"
#include "../../tools/cni_ipam.h"
#include "check.h"

/* A fake environment for hv_cni_env_parse. */
static const char *fake_env[16][2];

static const char *fake_get(const char *name)
{
	for (int i = 0; i < 16 && fake_env[i][0]; i++)
		if (!strcmp(fake_env[i][0], name))
			return fake_env[i][1];
	return NULL;
}

static void set_env(const char *cmd, const char *cid, const char *netns, const char *ifname,
		    const char *path)
{
	int i = 0;

	memset(fake_env, 0, sizeof(fake_env));
#define SET(k, v)                                                                                  \
	if (v) {                                                                                   \
		fake_env[i][0] = k;                                                                \
		fake_env[i++][1] = v;                                                              \
	}
	SET("CNI_COMMAND", cmd);
	SET("CNI_CONTAINERID", cid);
	SET("CNI_NETNS", netns);
	SET("CNI_IFNAME", ifname);
	SET("CNI_PATH", path);
#undef SET
}

static void test_env(void)
{
	struct hv_cni_env env;
	struct hv_cni_err e;

	set_env("ADD", "c1", "/run/netns/a", "eth0", "/usr/lib/cni");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), 0);
	CHECK_EQ(env.cmd, HV_CNI_ADD);
	CHECK(!strcmp(env.netns, "/run/netns/a") && !strcmp(env.ifname, "eth0"));

	set_env("ADD", "c1", NULL, NULL, "/usr/lib/cni");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), -1);
	CHECK_EQ(e.code, CNI_E_ENV);
	CHECK(strstr(e.msg, "CNI_NETNS,CNI_IFNAME") != NULL);

	/* DEL may come without a netns: the container can be gone. */
	set_env("DEL", "c1", NULL, "eth0", "/usr/lib/cni");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), 0);
	CHECK(env.netns == NULL);
	set_env("CHECK", "c1", NULL, "eth0", "/usr/lib/cni");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), -1);
	CHECK_EQ(e.code, CNI_E_ENV);

	set_env("VERSION", NULL, NULL, NULL, NULL);
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), 0);
	CHECK_EQ(env.cmd, HV_CNI_VERSION);

	set_env("GC", "c1", "/n", "eth0", "/p");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), -1);
	CHECK(e.code == CNI_E_ENV && strstr(e.msg, "GC") != NULL);
	set_env(NULL, NULL, NULL, NULL, NULL);
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), -1);

	set_env("ADD", "c1", "/n", "eth0/../x", "/p");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), -1);
	CHECK_EQ(e.code, CNI_E_ENV);
	set_env("ADD", "c1", "/n", "a-sixteen-chars!", "/p");
	CHECK_EQ(hv_cni_env_parse(fake_get, &env, &e), -1);
}

static int parse(const char *text, struct hv_cni_conf *c, struct hv_cni_err *e)
{
	int r = hv_cni_conf_parse(text, strlen(text), c, e);

	if (r < 0)
		printf("# %s -> %d %s\n", text, e->code, e->msg);
	return r;
}

/* The error code of text, the configuration freed. */
static int code_of(const char *text)
{
	struct hv_cni_conf c;
	struct hv_cni_err e = {0};
	int r = parse(text, &c, &e);

	hv_cni_conf_free(&c);
	return r == 0 ? 0 : e.code;
}

#define CONF(extra)                                                                                \
	"{\"cniVersion\": \"1.0.0\", \"name\": \"hv-net\", \"type\": \"hvdpa-cni\", "              \
	"\"bridge\": \"br0\"" extra "}"

static void test_conf(void)
{
	struct hv_cni_conf c;
	struct hv_cni_err e;

	CHECK_EQ(parse(CONF(", \"mtu\": 9000, \"control\": \"/run/x.sock\", \"ipam\": "
			    "{\"type\": \"host-local\", \"subnet\": \"10.1.0.0/24\"}, \"dns\": "
			    "{\"nameservers\": [\"10.1.0.1\"]}, \"args\": {\"x\": 1}"),
		       &c, &e),
		 0);
	CHECK(!strcmp(c.version, "1.0.0") && !strcmp(c.name, "hv-net"));
	CHECK(!strcmp(c.bridge, "br0") && !strcmp(c.control, "/run/x.sock"));
	CHECK_EQ(c.mtu, 9000);
	CHECK(!strcmp(c.ipam_type, "host-local"));
	CHECK(c.prev == NULL);
	hv_cni_conf_free(&c);

	CHECK_EQ(parse(CONF(""), &c, &e), 0);
	CHECK(!strcmp(c.control, HV_CNI_CONTROL_DEFAULT));
	CHECK_EQ(c.mtu, 0);
	CHECK(c.ipam_type[0] == '\0');
	hv_cni_conf_free(&c);
	/* An empty ipam is no IPAM, as the bridge plugin takes it. */
	CHECK_EQ(code_of(CONF(", \"ipam\": {}")), 0);
	CHECK_EQ(code_of(CONF(", \"prevResult\": {\"interfaces\": []}")), 0);
	CHECK_EQ(code_of(CONF("") "  \n"), 0);

	/* Hostile or broken input: each with the spec's code. */
	CHECK_EQ(code_of("{\"cniVersion\": \"1.0.0\", "), CNI_E_DECODE);
	CHECK_EQ(code_of(""), CNI_E_DECODE);
	CHECK_EQ(code_of("not json"), CNI_E_DECODE);
	CHECK_EQ(code_of("[1, 2]"), CNI_E_DECODE);
	CHECK_EQ(code_of(CONF("") " {}"), CNI_E_DECODE);
	CHECK_EQ(code_of(CONF(", \"brdige\": \"br1\"")), CNI_E_FIELD);
	CHECK_EQ(code_of("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"t\"}"),
		 CNI_E_CONFIG);
	CHECK_EQ(code_of("{\"cniVersion\": \"0.2.0\", \"name\": \"n\", \"bridge\": \"b\"}"),
		 CNI_E_VERSION);
	CHECK_EQ(code_of("{\"cniVersion\": 1, \"name\": \"n\", \"bridge\": \"b\"}"), CNI_E_CONFIG);
	CHECK_EQ(code_of("{\"name\": \"n\", \"bridge\": \"b\"}"), CNI_E_CONFIG);
	CHECK_EQ(code_of("{\"cniVersion\": \"1.0.0\", \"name\": \"-n\", \"bridge\": \"b\"}"),
		 CNI_E_CONFIG);
	CHECK_EQ(code_of("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"bridge\": "
			 "\"a-bridge-name-too-long\"}"),
		 CNI_E_CONFIG);
	CHECK_EQ(code_of("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"bridge\": \"b/c\"}"),
		 CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"mtu\": 67")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"mtu\": 65536")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"mtu\": \"1500\"")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"mtu\": 1500.5")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"control\": \"run/x.sock\"")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"ipam\": {\"subnet\": \"10.0.0.0/8\"}")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"ipam\": {\"type\": \"../../bin/sh\"}")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"ipam\": \"host-local\"")), CNI_E_CONFIG);
	CHECK_EQ(code_of(CONF(", \"prevResult\": 3")), CNI_E_CONFIG);

	/* The error names what is wrong. */
	CHECK_EQ(parse(CONF(", \"mtu\": 70000"), &c, &e), -1);
	CHECK(strstr(e.msg, "70000") && strstr(e.msg, "68-65535"));
	hv_cni_conf_free(&c);
	CHECK_EQ(parse("{\"a\": [1, 2", &c, &e), -1);
	CHECK(strstr(e.msg, "not JSON") != NULL);
	hv_cni_conf_free(&c);
}

static void test_names(void)
{
	char dev[64], tap[16], dev2[64], tap2[16];

	hv_cni_names("net", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		     "eth0", dev, tap);
	CHECK_EQ(strlen(dev), 20);
	CHECK_EQ(strlen(tap), 13);
	CHECK(!strncmp(dev, "cni-", 4) && !strncmp(tap, "hvcni", 5));
	/* The tap carries the device's first 8 hex digits: one finds the other. */
	CHECK(!strncmp(dev + 4, tap + 5, 8));
	CHECK(hv_cni_ifname_ok(tap));
	/* Stable: the same attachment, the same names (FNV-1a, fixed; the
	 * value below computed apart, in Python). */
	hv_cni_names("net", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		     "eth0", dev2, tap2);
	CHECK(!strcmp(dev, dev2) && !strcmp(tap, tap2));
	hv_cni_names("a", "b", "c", dev, tap);
	CHECK(!strcmp(dev, "cni-cec64e155111225d") || (printf("# %s\n", dev), 0));
	/* Any part changed, or moved across a boundary, changes them. */
	hv_cni_names("a", "b", "d", dev2, tap2);
	CHECK(strcmp(dev, dev2) && strcmp(tap, tap2));
	hv_cni_names("ab", "", "c", dev2, tap2);
	CHECK(strcmp(dev, dev2));
	hv_cni_names("b", "a", "c", dev2, tap2);
	CHECK(strcmp(dev, dev2));
}

static void test_versions(void)
{
	struct json_object *v = hv_cni_version_json(), *a, *s;

	CHECK(json_object_object_get_ex(v, "cniVersion", &s) &&
	      !strcmp(json_object_get_string(s), "1.0.0"));
	CHECK(json_object_object_get_ex(v, "supportedVersions", &a));
	CHECK_EQ(json_object_array_length(a), 4);
	CHECK(!strcmp(json_object_get_string(json_object_array_get_idx(a, 3)), "1.0.0"));
	json_object_put(v);
	CHECK(hv_cni_version_ok("0.3.1") && hv_cni_version_ok("0.4.0"));
	CHECK(!hv_cni_version_ok("0.2.0") && !hv_cni_version_ok("1.1.0") && !hv_cni_version_ok(""));
	CHECK(hv_cni_version_lt("0.3.1", "0.4.0") && hv_cni_version_lt("0.4.0", "1.0.0"));
	CHECK(!hv_cni_version_lt("1.0.0", "1.0.0") && !hv_cni_version_lt("1.0.0", "0.4.0"));
}

static const char *host_local_result =
	"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.1.0.5/24\", \"gateway\": "
	"\"10.1.0.1\"}, {\"address\": \"fd00::5/64\"}], \"routes\": [{\"dst\": \"0.0.0.0/0\"}, "
	"{\"dst\": \"10.9.0.0/16\", \"gw\": \"10.1.0.254\"}], \"dns\": {}}";

static void test_ipam_parse(void)
{
	struct json_object *o = json_tokener_parse(host_local_result);
	struct hv_cni_ipam ip;
	struct hv_cni_err e;

	CHECK_EQ(hv_cni_ipam_parse(o, &ip, &e), 0);
	CHECK_EQ(ip.n_ips, 2);
	CHECK(!strcmp(ip.ips[0].address, "10.1.0.5/24") && !strcmp(ip.ips[0].gateway, "10.1.0.1"));
	CHECK_EQ(ip.ips[0].family, AF_INET);
	CHECK_EQ(ip.ips[1].family, AF_INET6);
	CHECK_EQ(ip.ips[0].interface, -1);
	CHECK_EQ(ip.n_routes, 2);
	CHECK(!strcmp(ip.routes[1].gw, "10.1.0.254") && ip.routes[0].gw[0] == '\0');
	hv_cni_ipam_free(&ip);
	json_object_put(o);

	static const char *bad[] = {
		"{\"ips\": [{\"address\": \"10.1.0.5\"}]}",	 /* no prefix */
		"{\"ips\": [{\"address\": \"10.1.0.5/33\"}]}",	 /* prefix too long */
		"{\"ips\": [{\"address\": \"10.1.0.300/24\"}]}", /* not an address */
		"{\"ips\": [{\"address\": \"10.1.0.5/24\", \"gateway\": \"fd00::1\"}]}",
		"{\"ips\": [{\"address\": 5}]}",
		"{\"ips\": {}}",
		"{\"routes\": [{\"dst\": \"10.0.0.0/8\", \"gw\": \"x\"}]}",
		"{\"routes\": [{\"gw\": \"10.0.0.1\"}]}",
		"{\"ips\": [{\"address\": \"10.1.0.5/24\", \"interface\": -1}]}",
		"[]",
		"{\"ips\": [{\"address\": \"1.0.0.1/8\"}, {\"address\": \"1.0.0.2/8\"}, "
		"{\"address\": "
		"\"1.0.0.3/8\"}, {\"address\": \"1.0.0.4/8\"}, {\"address\": \"1.0.0.5/8\"}, "
		"{\"address\": \"1.0.0.6/8\"}, {\"address\": \"1.0.0.7/8\"}, {\"address\": "
		"\"1.0.0.8/8\"}, {\"address\": \"1.0.0.9/8\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_tokener_parse(bad[i]);
		CHECK(o != NULL);
		e.code = 0;
		CHECK_EQ(hv_cni_ipam_parse(o, &ip, &e), -1);
		CHECK_EQ(e.code, CNI_E_DECODE);
		hv_cni_ipam_free(&ip);
		json_object_put(o);
	}
}

/* Looks up a path like "ips.0.address" in o as a string. */
static const char *at(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	}
	return o ? json_object_get_string(o) : NULL;
}

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void test_result(void)
{
	struct json_object *o = json_tokener_parse(host_local_result), *r, *dns;
	struct hv_cni_ipam ip;
	struct hv_cni_err e;
	const struct hv_cni_iface ifs[3] = {{"br0", "aa:bb:cc:dd:ee:01", NULL},
					    {"hvcni12345678", "aa:bb:cc:dd:ee:02", NULL},
					    {"eth0", "02:68:00:00:00:01", "/run/netns/c1"}};

	CHECK_EQ(hv_cni_ipam_parse(o, &ip, &e), 0);
	json_object_put(o);
	dns = json_tokener_parse("{\"nameservers\": [\"10.1.0.1\"]}");
	r = hv_cni_result_json("1.0.0", ifs, &ip, dns);
	CHECK(streq(at(r, "cniVersion"), "1.0.0"));
	CHECK(streq(at(r, "interfaces.2.name"), "eth0"));
	CHECK(streq(at(r, "interfaces.2.sandbox"), "/run/netns/c1"));
	CHECK(streq(at(r, "interfaces.2.mac"), "02:68:00:00:00:01"));
	CHECK(at(r, "interfaces.0.sandbox") == NULL);
	CHECK(streq(at(r, "ips.0.interface"), "2"));
	CHECK(streq(at(r, "ips.0.address"), "10.1.0.5/24"));
	CHECK(streq(at(r, "ips.0.gateway"), "10.1.0.1"));
	CHECK(at(r, "ips.1.gateway") == NULL);
	/* 1.0.0 dropped "version". */
	CHECK(at(r, "ips.0.version") == NULL);
	CHECK(streq(at(r, "routes.1.gw"), "10.1.0.254"));
	/* IPAM's dns was empty: the configuration's is the one. */
	CHECK(streq(at(r, "dns.nameservers.0"), "10.1.0.1"));
	json_object_put(r);
	r = hv_cni_result_json("0.4.0", ifs, &ip, NULL);
	CHECK(streq(at(r, "cniVersion"), "0.4.0"));
	CHECK(streq(at(r, "ips.0.version"), "4") && streq(at(r, "ips.1.version"), "6"));
	json_object_put(r);

	/* A result read back as CHECK's prevResult finds eth0 and its ips. */
	r = hv_cni_result_json("1.0.0", ifs, &ip, dns);
	hv_cni_ipam_free(&ip);
	{
		char mac[32];

		CHECK_EQ(hv_cni_prev_find(r, "eth0", mac, &ip, &e), 0);
		CHECK(!strcmp(mac, "02:68:00:00:00:01"));
		CHECK_EQ(ip.n_ips, 2);
		hv_cni_ipam_free(&ip);
		/* The tap is not in a sandbox: it is not the container's. */
		CHECK_EQ(hv_cni_prev_find(r, "hvcni12345678", mac, &ip, &e), -1);
		CHECK_EQ(e.code, CNI_E_CONFIG);
		hv_cni_ipam_free(&ip);
		CHECK_EQ(hv_cni_prev_find(r, "eth1", mac, &ip, &e), -1);
		hv_cni_ipam_free(&ip);
	}
	json_object_put(r);
	json_object_put(dns);
}

static void test_err_json(void)
{
	struct hv_cni_err e;
	struct json_object *o;

	hv_cni_fail(&e, CNI_E_CONFIG, NULL, "bridge %s does not exist", "br9");
	o = hv_cni_err_json("0.4.0", &e);
	CHECK(streq(at(o, "cniVersion"), "0.4.0"));
	CHECK(streq(at(o, "code"), "7"));
	CHECK(streq(at(o, "msg"), "bridge br9 does not exist"));
	CHECK(at(o, "details") == NULL);
	json_object_put(o);
	hv_cni_fail(&e, 101, "DeviceNotFound: x", "hvdpad said no");
	o = hv_cni_err_json(NULL, &e);
	CHECK(streq(at(o, "cniVersion"), HV_CNI_SPEC));
	CHECK(streq(at(o, "details"), "DeviceNotFound: x"));
	json_object_put(o);
}

/* A fake IPAM plugin in a directory of CNI_PATH: it records its command
 * line's CNI_COMMAND, its environment and stdin, and answers as told. */
static char dir[] = "/tmp/hvdpa-cni-test-XXXXXX";

static void fake_plugin(const char *name, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
}

static char *slurp(const char *name)
{
	static char buf[4096];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_ipam_exec(void)
{
	const char *conf = CONF(", \"ipam\": {\"type\": \"fake\"}");
	struct json_object *res = NULL;
	struct hv_cni_err e = {0};
	char cni_path[300], body[1024];
	const char *s;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(body, sizeof(body),
		 "cat >%s/stdin; echo \"$CNI_COMMAND $CNI_CONTAINERID\" >%s/cmd\n"
		 "echo '{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.1.0.7/24\"}]}'",
		 dir, dir);
	fake_plugin("fake", body);
	fake_plugin("failing", "cat >/dev/null; echo '{\"cniVersion\": \"1.0.0\", \"code\": 11, "
			       "\"msg\": \"no addresses left\", \"details\": \"range full\"}'; "
			       "exit 1");
	fake_plugin("mute", "exit 3");
	fake_plugin("garbage", "echo 'this is not json'");
	/* The first directory lacks it: CNI_PATH is searched in order. */
	snprintf(cni_path, sizeof(cni_path), "/nonexistent:%s", dir);
	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "c42", 1);
	CHECK_EQ(hv_cni_ipam_exec("fake", cni_path, "DEL", conf, strlen(conf), &res, &e), 0);
	CHECK(streq(at(res, "ips.0.address"), "10.1.0.7/24"));
	json_object_put(res);
	/* Same stdin, same environment but the command (a rollback's DEL). */
	s = slurp("stdin");
	CHECK(s && !strcmp(s, conf));
	s = slurp("cmd");
	CHECK(s && !strcmp(s, "DEL c42\n"));
	CHECK(!strcmp(getenv("CNI_COMMAND"), "ADD"));

	CHECK_EQ(hv_cni_ipam_exec("failing", cni_path, "ADD", conf, strlen(conf), &res, &e), -1);
	CHECK_EQ(e.code, 11);
	CHECK(strstr(e.msg, "no addresses left") && !strcmp(e.details, "range full"));
	CHECK(res == NULL);
	CHECK_EQ(hv_cni_ipam_exec("mute", cni_path, "ADD", conf, strlen(conf), &res, &e), -1);
	CHECK(e.code == CNI_E_IO && strstr(e.msg, "status 3"));
	CHECK_EQ(hv_cni_ipam_exec("garbage", cni_path, "ADD", conf, strlen(conf), &res, &e), -1);
	CHECK_EQ(e.code, CNI_E_DECODE);
	CHECK_EQ(hv_cni_ipam_exec("absent", cni_path, "ADD", conf, strlen(conf), &res, &e), -1);
	CHECK(e.code == CNI_E_CONFIG && strstr(e.msg, "not found in CNI_PATH"));
	/* DEL and CHECK want no result: NULL is fine. */
	CHECK_EQ(hv_cni_ipam_exec("fake", dir, "CHECK", conf, strlen(conf), NULL, &e), 0);
	s = slurp("cmd");
	CHECK(s && !strcmp(s, "CHECK c42\n"));

	for (const char *const *f = (const char *const[]){"fake", "failing", "mute", "garbage",
							  "stdin", "cmd", NULL};
	     *f; f++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
}

static void test_cdi(void)
{
	const struct hv_cdi_dev devs[] = {
		{"disk0", "/dev/vda", 254, 0},
		{"_hidden", "/dev/vdb", 254, 16}, /* CDI refuses the name: left out */
		{"data.1", "/dev/vdc", 254, 32},
	};
	struct json_object *s = hv_cdi_spec(devs, 3), *d;
	struct json_object *empty = hv_cdi_spec(NULL, 0);

	CHECK(streq(at(s, "cdiVersion"), "0.5.0"));
	CHECK(streq(at(s, "kind"), "hvdpa.dev/blk"));
	CHECK(json_object_object_get_ex(s, "devices", &d));
	CHECK_EQ(json_object_array_length(d), 2);
	CHECK(streq(at(s, "devices.0.name"), "disk0"));
	CHECK(streq(at(s, "devices.0.containerEdits.deviceNodes.0.path"), "/dev/vda"));
	CHECK(streq(at(s, "devices.0.containerEdits.deviceNodes.0.type"), "b"));
	CHECK(streq(at(s, "devices.0.containerEdits.deviceNodes.0.major"), "254"));
	CHECK(streq(at(s, "devices.0.containerEdits.deviceNodes.0.minor"), "0"));
	CHECK(streq(at(s, "devices.1.name"), "data.1"));
	CHECK(streq(at(s, "devices.1.containerEdits.deviceNodes.0.minor"), "32"));
	/* No devices is still a valid spec: an empty list, not a missing one. */
	CHECK(json_object_object_get_ex(empty, "devices", &d));
	CHECK(json_object_is_type(d, json_type_array) && json_object_array_length(d) == 0);
	CHECK(hv_cdi_name_ok("a") && hv_cdi_name_ok("disk-0_a.b:c"));
	CHECK(!hv_cdi_name_ok("") && !hv_cdi_name_ok("-a") && !hv_cdi_name_ok("a/b") &&
	      !hv_cdi_name_ok("a b"));
	json_object_put(s);
	json_object_put(empty);
}

int main(void)
{
	RUN(test_env);
	RUN(test_conf);
	RUN(test_names);
	RUN(test_versions);
	RUN(test_ipam_parse);
	RUN(test_result);
	RUN(test_err_json);
	RUN(test_ipam_exec);
	RUN(test_cdi);
	return check_done();
}
