// SPDX-License-Identifier: MIT
/*
 * hvbridge's config: the example parses, and each kind of mistake an
 * integrator makes is refused with a message naming the field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hvbridge/bridge.h"
#include "check.h"

static char err[512];

/* Loads text as a config; returns the result, the message in err. */
static int load(const char *text)
{
	char path[] = "/tmp/hvbridge-config-XXXXXX";
	struct hvb_bridge b = {.hvisor_fd = -1, .control_fd = -1};
	int fd = mkstemp(path), r;

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	err[0] = '\0';
	r = hvb_config_load(path, &b, err, sizeof(err));
	unlink(path);
	hvb_bridge_free(&b);
	if (r < 0)
		printf("# %s\n", err);
	return r;
}

#define ZONE(devs)                                                                                 \
	"{\"zones\": [{\"id\": 1, \"ram\": {\"base\": \"0x80000000\", \"size\": \"0x1000000\", "   \
	"\"backing\": \"hvisor\"}, \"devices\": [" devs "]}]}"
#define DEV(name, base)                                                                            \
	"{\"name\": \"" name "\", \"base\": " base ", \"irq\": 5, \"vhost\": \"/dev/v\"}"

static void test_example_parses(void)
{
	FILE *f = fopen(SRCDIR "/examples/hvbridge-hvisor.json", "r");
	char text[8192];
	size_t n;

	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	CHECK_EQ(load(text), 0);
}

static void test_good_forms(void)
{
	CHECK_EQ(load(ZONE(DEV("a", "\"0xa0000000\"") "," DEV("b", "2684355072"))), 0);
	/* Two zones may use the same MMIO addresses. */
	CHECK_EQ(
		load("{\"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, \"size\": 4096, \"backing\": "
		     "\"hvisor\"}, \"devices\": [" DEV(
			     "a", "8192") "]}, {\"id\": 2, \"ram\": "
					  "{\"base\": 0, \"size\": 4096, \"backing\": \"hvisor\"}, "
					  "\"devices\": [" DEV("a", "8192") "]}]}"),
		0);
}

static void test_mistakes_name_the_field(void)
{
	CHECK(load("{\"zones\": [") < 0 && strstr(err, ":1: unexpected end of file"));
	CHECK(load("{\"zones\": []}") < 0 && strstr(err, "config.zones: missing, empty"));
	CHECK(load("{\"zonez\": []}") < 0 && strstr(err, "unknown key 'zonez'"));
	CHECK(load(ZONE("{\"name\": \"a\", \"base\": 4096, \"vhost\": \"/dev/v\"}")) < 0 &&
	      strstr(err, "zones[0].devices[0].irq: missing"));
	CHECK(load(ZONE(DEV("a", "\"0xa00zz\""))) < 0 &&
	      strstr(err, "zones[0].devices[0].base: '0xa00zz' is not a number"));
	CHECK(load(ZONE(DEV("a", "-4"))) < 0 &&
	      strstr(err, "devices[0].base: must not be negative"));
	CHECK(load(ZONE(DEV("a", "\"0xa0000000\"") "," DEV("b", "\"0xa0000100\""))) < 0 &&
	      strstr(err, "zones[0].devices[1].base: window overlaps devices[0] ('a')"));
	CHECK(load(ZONE(DEV("a", "\"0xa0000000\"") "," DEV("a", "\"0xb0000000\""))) < 0 &&
	      strstr(err, "zones[0].devices[1].name: 'a' is used twice"));
	CHECK(load(ZONE(DEV("a", "\"0x80001000\""))) < 0 && strstr(err, "overlaps the zone's RAM"));
	CHECK(load(ZONE(DEV("a", "\"0xa0000002\""))) < 0 && strstr(err, "4-byte aligned"));
	CHECK(load("{\"zones\": [{\"id\": 1, \"ram\": {\"base\": \"0x80000000\", \"size\": "
		   "\"0x1001\", "
		   "\"backing\": \"hvisor\"}, \"devices\": []}]}") < 0 &&
	      strstr(err, "zones[0].ram: RAM 0x80000000+0x1001 must be"));
	CHECK(load("{\"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, \"size\": 4096, \"backing\": "
		   "\"sim\"}, \"devices\": []}]}") < 0 &&
	      strstr(err, "zones[0].sim_socket: missing"));
	CHECK(load("{\"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, \"size\": 4096, \"backing\": "
		   "\"hvisor\"}, \"devices\": []}, {\"id\": 1, \"ram\": {\"base\": 0, \"size\": "
		   "4096, "
		   "\"backing\": \"hvisor\"}, \"devices\": []}]}") < 0 &&
	      strstr(err, "zones[1].id: zone 1 is listed twice"));
	CHECK(load("{\"trap\": \"kvm\", \"zones\": []}") < 0 && strstr(err, "config.trap: 'kvm'"));
	CHECK(load("{\"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, \"size\": 8192, \"backing\": "
		   "\"/dev/shm/r\", \"offset\": \"0xfffffffffffff000\"}, \"devices\": []}]}") < 0 &&
	      strstr(err, "zones[0].ram.offset: 0xfffffffffffff000+0x2000 wraps"));
}

static void test_runtime_device_json(void)
{
	struct hvb_device_cfg cfg = {0};
	uint32_t zone = 0;

	CHECK_EQ(hvb_device_cfg_parse("{\"zone\": 3, \"name\": \"x\", \"base\": \"0x1000\", "
				      "\"irq\": 9, \"vhost\": \"/dev/vhost-vdpa-2\"}",
				      &cfg, &zone, err, sizeof(err)),
		 0);
	CHECK_EQ(zone, 3);
	CHECK_EQ(cfg.base, 0x1000);
	CHECK_EQ(cfg.size, 0x200);
	CHECK(cfg.vhost && strcmp(cfg.vhost, "/dev/vhost-vdpa-2") == 0);
	hvb_device_cfg_free(&cfg);
	CHECK(hvb_device_cfg_parse("{\"name\": \"x\", \"base\": 1, \"irq\": 9, \"vhost\": \"v\"}",
				   &cfg, &zone, err, sizeof(err)) < 0);
	hvb_device_cfg_free(&cfg);
	CHECK(hvb_device_cfg_parse(
		      "{\"name\": \"x\", \"base\": 4096, \"irq\": 9, \"vhost\": \"v\"}", &cfg,
		      &zone, err, sizeof(err)) < 0 &&
	      strstr(err, "device.zone: missing"));
	hvb_device_cfg_free(&cfg);
	CHECK(hvb_device_cfg_parse("{oops", &cfg, &zone, err, sizeof(err)) < 0);
	hvb_device_cfg_free(&cfg);
}

#define HT_ZONE(regions, devs)                                                                     \
	"{\"zones\": [{\"id\": 1, \"memory_region\": [" regions "], \"devices\": [" devs "]}]}"
#define HT_REGION(ipa, size)                                                                       \
	"{\"zone0_ipa\": \"" ipa "\", \"zonex_ipa\": \"" ipa "\", \"size\": \"" size "\"}"
#define HT_BLK(addr)                                                                               \
	"{\"type\": \"blk\", \"addr\": \"" addr                                                    \
	"\", \"len\": \"0x200\", \"irq\": 78, \"img\": \"r.img\", \"status\": \"enable\"}"
#define HT_NET                                                                                     \
	"{\"type\": \"net\", \"addr\": \"0xa003600\", \"len\": \"0x200\", \"irq\": 75, "           \
	"\"tap\": \"tap0\", \"mac\": [\"00\", \"16\", \"3e\", \"10\", \"10\", \"10\"], "           \
	"\"status\": \"enable\"}"
#define HT_CON "{\"type\": \"console\", \"addr\": \"0xa003800\", \"len\": \"0x200\", \"irq\": 76}"

/* hvisor-tool's own virtio_cfg.json, unchanged. */
static void test_hvisor_tool_format(void)
{
	CHECK_EQ(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			      HT_BLK("0xa003c00") "," HT_NET "," HT_CON)),
		 0);
	/* A disabled device is skipped, even if it is incomplete. */
	CHECK_EQ(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			      HT_BLK("0xa003c00") ",{\"type\": \"net\", \"status\": \"disable\"}")),
		 0);
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"blk\", \"addr\": \"0xa003c00\", \"len\": \"0x200\", "
			   "\"irq\": 78}")) < 0 &&
	      strstr(err, "zones[0].devices[0].img: missing"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"), HT_BLK("0xa00zc00"))) < 0 &&
	      strstr(err, "zones[0].devices[0].addr: '0xa00zc00' is not a number"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"), HT_BLK("0xa003800") "," HT_CON)) <
		      0 &&
	      strstr(err, "zones[0].devices[1].addr: window overlaps blk0"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000") "," HT_REGION("0x60000000",
									       "0x1000000"),
			   HT_BLK("0xa003c00"))) < 0 &&
	      strstr(err, "zones[0].memory_region[1].zonex_ipa: overlaps memory_region[0]"));
	CHECK(load(HT_ZONE("{\"zone0_ipa\": \"0x50000000\", \"size\": \"0x1000\"}",
			   HT_BLK("0xa003c00"))) < 0 &&
	      strstr(err, "zones[0].memory_region[0].zonex_ipa: missing"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"gpu\", \"addr\": \"0xa003c00\", \"len\": \"0x200\", "
			   "\"irq\": 78}")) < 0 &&
	      strstr(err, "zones[0].devices[0].type: 'gpu' is not blk, net or console"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"net\", \"addr\": \"0xa003600\", \"len\": \"0x200\", "
			   "\"irq\": 75, \"tap\": \"t\", \"mac\": [\"zz\"]}")) < 0 &&
	      strstr(err, "zones[0].devices[0].mac: expected 6 hex byte strings"));
}

/* hvisor-tool's values become a "local" spec: none may smuggle in options,
 * and a window may not wrap the address space. */
static void test_hvisor_tool_hostile_values(void)
{
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"blk\", \"addr\": \"0xa003c00\", \"len\": \"0x200\", "
			   "\"irq\": 78, \"img\": \"r.img,readonly=off,serial=x\"}")) < 0 &&
	      strstr(err, "zones[0].devices[0].img: ") && strstr(err, "','"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"net\", \"addr\": \"0xa003600\", \"len\": \"0x200\", "
			   "\"irq\": 75, \"tap\": \"tap0,mtu=68\"}")) < 0 &&
	      strstr(err, "zones[0].devices[0].tap: ") && strstr(err, "','"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"console\", \"addr\": \"0xfffffffffffffe00\", "
			   "\"len\": \"0x400\", \"irq\": 76}")) < 0 &&
	      strstr(err, "zones[0].devices[0].len: window 0xfffffffffffffe00+0x400 wraps"));
	CHECK(load(HT_ZONE("{\"zone0_ipa\": \"0xfffffffffffff000\", \"zonex_ipa\": "
			   "\"0x50000000\", \"size\": \"0x2000\"}",
			   HT_CON)) < 0 &&
	      strstr(err, "zones[0].memory_region[0].zone0_ipa: 0xfffffffffffff000+0x2000 wraps"));
	/* '=' in a value is passed through: only the first '=' splits. */
	CHECK_EQ(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			      "{\"type\": \"blk\", \"addr\": \"0xa003c00\", \"len\": "
			      "\"0x200\", \"irq\": 78, \"img\": \"a=b.img\"}")),
		 0);
}

int main(void)
{
	RUN(test_example_parses);
	RUN(test_good_forms);
	RUN(test_mistakes_name_the_field);
	RUN(test_runtime_device_json);
	RUN(test_hvisor_tool_format);
	RUN(test_hvisor_tool_hostile_values);
	return check_done();
}
