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
#include "capture.h"
#include "check.h"

static char err[512];
static char devs[256]; /* the last load's devices: "1:blk0 1:console1" */
/* and its RAM regions: "1:0x80000000+0x1000@0x0:hvisor 1:...@0x1000:/dev/shm/r" */
static char rams[1024];

static const char *backing_name(const struct hvb_zone_ram *r)
{
	return r->backing == HVB_RAM_HVISOR ? "hvisor"
	       : r->backing == HVB_RAM_SIM  ? "sim"
					    : r->path;
}

static void list_rams(const struct hvb_bridge *b)
{
	size_t n = 0;

	for (unsigned int i = 0; i < b->n_zones; i++)
		for (unsigned int j = 0; j < b->zones[i]->n_ram; j++) {
			const struct hvb_zone_ram *r = &b->zones[i]->ram[j];

			n += (size_t)snprintf(rams + n, n < sizeof(rams) ? sizeof(rams) - n : 0,
					      "%s%u:0x%llx+0x%llx@0x%llx:%s", n ? " " : "",
					      b->zones[i]->id, (unsigned long long)r->base,
					      (unsigned long long)r->size,
					      (unsigned long long)r->offset, backing_name(r));
		}
}

/* Loads the config at path (hvbridge --strict if strict); returns the
 * result, the message in err. */
static int load_path(const char *path, bool strict)
{
	struct hvb_bridge b = {.hvisor_fd = -1, .control = {.fd = -1}, .strict = strict};
	size_t n = 0;
	int r;

	err[0] = devs[0] = rams[0] = '\0';
	r = hvb_config_load(path, &b, err, sizeof(err));
	if (r == 0)
		list_rams(&b);
	for (unsigned int i = 0; r == 0 && i < b.n_zones; i++)
		for (unsigned int j = 0; j < b.zones[i]->n_devs; j++)
			n += (size_t)snprintf(devs + n, n < sizeof(devs) ? sizeof(devs) - n : 0,
					      "%s%u:%s", n ? " " : "", b.zones[i]->id,
					      b.zones[i]->devs[j]->cfg.name);
	hvb_bridge_free(&b);
	if (r < 0)
		printf("# %s\n", err);
	return r;
}

/* Loads text as a config; returns the result, the message in err. */
static int load_text(const char *text, bool strict)
{
	char path[] = "/tmp/hvbridge-config-XXXXXX";
	int fd = mkstemp(path), r;

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	r = load_path(path, strict);
	unlink(path);
	return r;
}

static int load(const char *text)
{
	return load_text(text, false);
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

#define RAMS(regions, devs)                                                                        \
	"{\"zones\": [{\"id\": 1, \"ram\": [" regions "], \"devices\": [" devs "]}]}"
#define RAM(base, size) "{\"base\": \"" base "\", \"size\": \"" size "\", \"backing\": \"hvisor\"}"

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
	      strstr(err, "zones[0].ram.size: 0x1001 is not a non-zero multiple of the page size"));
	CHECK(load("{\"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, \"size\": 4096, \"backing\": "
		   "\"sim\"}, \"devices\": []}]}") < 0 &&
	      strstr(err, "zones[0].ram.backing: \"sim\" RAM goes with trap \"sim\""));
	CHECK(load("{\"trap\": \"sim\", \"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, \"size\": "
		   "4096, \"backing\": \"sim\"}, \"devices\": []}]}") < 0 &&
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

/* "ram" as one object reads as it always did; as an array, each entry is a
 * region of its own. */
static void test_ram_regions(void)
{
	CHECK_EQ(load(ZONE("")), 0);
	CHECK(strcmp(rams, "1:0x80000000+0x1000000@0x0:hvisor") == 0);
	CHECK_EQ(load(RAMS(RAM("0x80000000", "0x1000000") ", {\"base\": \"0x90000000\", \"size\": "
							  "8192, \"backing\": \"/dev/shm/r\", "
							  "\"offset\": 4096}",
			   DEV("a", "\"0xa0000000\""))),
		 0);
	printf("# %s\n", rams);
	CHECK(strcmp(rams, "1:0x80000000+0x1000000@0x0:hvisor "
			   "1:0x90000000+0x2000@0x1000:/dev/shm/r") == 0);
	/* Regions may touch. */
	CHECK_EQ(load(RAMS(RAM("0x80000000", "0x1000000") "," RAM("0x81000000", "0x1000"), "")), 0);
}

static void test_ram_region_mistakes(void)
{
	char many[4096];
	size_t n = 0;

	CHECK(load(RAMS(RAM("0x80000000", "0x1000000") "," RAM("0x90000000", "0x1001"), "")) < 0 &&
	      strstr(err, "zones[0].ram[1].size: 0x1001 is not a non-zero multiple of the page "
			  "size"));
	CHECK(load(RAMS(RAM("0x80000000", "0x1000000") "," RAM("0x90000800", "0x1000"), "")) < 0 &&
	      strstr(err, "zones[0].ram[1].base: 0x90000800 is not page-aligned"));
	CHECK(load(RAMS(RAM("0x80000000", "0x1000000") "," RAM("0x80fff000", "0x2000"), "")) < 0 &&
	      strstr(err, "zones[0].ram[1].base: 0x80fff000+0x2000 overlaps ram[0]"));
	CHECK(load(RAMS(RAM("0x80000000", "0x1000000") "," RAM("0xfffffffffffff000", "0x2000"),
			"")) < 0 &&
	      strstr(err, "zones[0].ram[1].size: 0xfffffffffffff000+0x2000 wraps"));
	CHECK(load(RAMS(RAM("0x80000000", "0x1000000") "," RAM("0x90000000", "0x1000"),
			DEV("a", "\"0x90000000\""))) < 0 &&
	      strstr(err, "zones[0].devices[0].base: window overlaps the zone's RAM at "
			  "0x90000000+0x1000"));
	CHECK(load(RAMS("", "")) < 0 && strstr(err, "zones[0].ram: an empty array"));
	CHECK(load(RAMS("4096", "")) < 0 && strstr(err, "zones[0].ram[0]: expected an object"));
	n += (size_t)snprintf(many + n, sizeof(many) - n,
			      "{\"zones\": [{\"id\": 1, \"devices\": [], \"ram\": [");
	for (unsigned int i = 0; i <= HVB_RAM_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
				      "%s{\"base\": %u, \"size\": 4096, \"backing\": \"hvisor\"}",
				      i ? ", " : "", i * 4096);
	snprintf(many + n, sizeof(many) - n, "]}]}");
	CHECK(load(many) < 0 && strstr(err, "zones[0].ram[16]: a zone has at most 16 RAM regions"));
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
	      strstr(err, "zones[0].memory_region[1].zonex_ipa: 0x60000000+0x1000000 overlaps "
			  "memory_region[0]"));
	/* Several regions: each mapped from /dev/hvisor at its zone0_ipa. */
	CHECK_EQ(load(HT_ZONE(
			 HT_REGION("0x50000000",
				   "0x30000000") ","
						 "{\"zone0_ipa\": \"0x90000000\", \"zonex_ipa\": "
						 "\"0x100000000\", \"size\": \"0x1000000\"}",
			 HT_BLK("0xa003c00"))),
		 0);
	printf("# %s\n", rams);
	CHECK(strcmp(rams, "1:0x50000000+0x30000000@0x50000000:hvisor "
			   "1:0x100000000+0x1000000@0x90000000:hvisor") == 0);
	CHECK(load(HT_ZONE(
		      HT_REGION("0x50000000", "0x30000000") "," HT_REGION("0xa000000", "0x4000"),
		      HT_BLK("0xa003c00"))) < 0 &&
	      strstr(err, "zones[0].devices[0].addr: window overlaps the zone's RAM at "
			  "0xa000000+0x4000"));
	CHECK(load(HT_ZONE(
		      HT_REGION("0x50000000", "0x30000000") "," HT_REGION("0x90000000", "0x1800"),
		      HT_BLK("0xa003c00"))) < 0 &&
	      strstr(err, "zones[0].memory_region[1].size: 0x1800 is not a non-zero multiple"));
	CHECK(load(HT_ZONE("{\"zone0_ipa\": \"0x50000000\", \"size\": \"0x1000\"}",
			   HT_BLK("0xa003c00"))) < 0 &&
	      strstr(err, "zones[0].memory_region[0].zonex_ipa: missing"));
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			   "{\"type\": \"net\", \"addr\": \"0xa003600\", \"len\": \"0x200\", "
			   "\"irq\": 75, \"tap\": \"t\", \"mac\": [\"zz\"]}")) < 0 &&
	      strstr(err, "zones[0].devices[0].mac: expected 6 hex byte strings"));
}

#define DATA SRCDIR "/tests/unit/data/"

/* Loads an hvisor-tool example; returns the result, what was logged in
 * *log (free it). */
static int load_logged(const char *path, bool strict, char **log)
{
	struct capture cap;
	int r;

	capture_begin(&cap);
	r = load_path(path, strict);
	*log = capture_end(&cap);
	return r;
}

/* hvisor-tool's own examples carry devices hvbridge does not serve: each is
 * left out with one warning naming it, the others are served; --strict
 * refuses the file instead. */
static void test_hvisor_tool_unserved_types(void)
{
	static const struct {
		const char *file, *warning, *strict_error;
	} ex[] = {
		{DATA "hvisor-tool-qemu-aarch64.json",
		 "warning: zone 1: gpu device at 0xa003400 (zones[0].devices[3]) skipped",
		 "zones[0].devices[3].type: 'gpu' is not blk, net or console (refused by "
		 "--strict)"},
		{DATA "hvisor-tool-rk3588-scmi.json",
		 "warning: zone 1: scmi device at 0xff9c0000 (zones[0].devices[2]) skipped",
		 "zones[0].devices[2].type: 'scmi' is not blk, net or console (refused by "
		 "--strict)"},
	};
	struct capture cap;
	char *log = NULL;

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		CHECK_EQ(load_logged(ex[i].file, false, &log), 0);
		CHECK(strcmp(devs, "1:blk0 1:console1") == 0);
		CHECK_EQ(count_lines(log), 1);
		CHECK(log && strstr(log, ex[i].warning));
		free(log);
		CHECK(load_logged(ex[i].file, true, &log) < 0 && strstr(err, ex[i].strict_error));
		free(log);
	}

	/* The warning needs the address; a disabled device needs nothing and
	 * is left out silently, whatever its type and even with --strict, as
	 * hvisor-tool does (the disabled net above made no line either). */
	CHECK(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"), "{\"type\": \"gpu\"}")) < 0 &&
	      strstr(err, "zones[0].devices[0].addr: missing"));
	capture_begin(&cap);
	CHECK_EQ(load(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
			      HT_BLK("0xa003c00") ",{\"type\": \"gpu\", \"status\": \"disable\"}")),
		 0);
	log = capture_end(&cap);
	CHECK(strcmp(devs, "1:blk0") == 0);
	CHECK(log && !*log);
	free(log);
	CHECK_EQ(load_text(HT_ZONE(HT_REGION("0x50000000", "0x30000000"),
				   "{\"type\": \"gpu\", \"status\": \"disable\"}"),
			   true),
		 0);
}

/* hvisor-tool's older flat format has no zone RAM: refused, saying so and
 * how to convert it. */
static void test_hvisor_tool_flat_format(void)
{
	CHECK(load_path(DATA "hvisor-tool-flat.json", false) < 0 &&
	      strstr(err, "config.devices: hvisor-tool's flat format (devices[] with zone_id) "
			  "has no memory_region") &&
	      strstr(err, "use the zones[] format: {\"zones\": [{\"id\": ZONE_ID, "
			  "\"memory_region\": [{\"zone0_ipa\""));
	/* Ours has zones[]: a devices key there is ours to refuse. */
	CHECK(load("{\"devices\": [], \"zones\": [{\"id\": 1, \"ram\": {\"base\": 0, "
		   "\"size\": 4096, \"backing\": \"hvisor\"}, \"devices\": []}]}") < 0 &&
	      strstr(err, "config: unknown key 'devices'"));
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
	RUN(test_ram_regions);
	RUN(test_ram_region_mistakes);
	RUN(test_mistakes_name_the_field);
	RUN(test_runtime_device_json);
	RUN(test_hvisor_tool_format);
	RUN(test_hvisor_tool_hostile_values);
	RUN(test_hvisor_tool_unserved_types);
	RUN(test_hvisor_tool_flat_format);
	return check_done();
}
