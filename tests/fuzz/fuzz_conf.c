// SPDX-License-Identifier: MIT
/*
 * libFuzzer: hvdpad's config files (tools/hvdpad_conf.c) and the device
 * option strings their lines carry (--blk, --net): any bytes are parsed or
 * refused with a message, within bounds, and every line handed over is a
 * known option with a NUL-terminated value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/hvdpad_conf.h"
#include "hvdpa/blk.h"
#include "hvdpa/net.h"

static int take(void *ctx, const char *opt, const char *val, const char *where, char *err,
		size_t errlen)
{
	struct hv_blk_options b;
	struct hv_net_options n;

	(void)ctx;
	if (strlen(where) == 0 || (val && strlen(val) > HVDPAD_CONF_MAX_LINE))
		abort();
	if (!strcmp(opt, "blk"))
		return hv_blk_options_parse(&b, val, err, errlen) ? -1 : 0;
	if (!strcmp(opt, "net"))
		return hv_net_options_parse(&n, val, err, errlen) ? -1 : 0;
	if (strcmp(opt, "state-dir") && strcmp(opt, "verbose") && strcmp(opt, "control"))
		abort(); /* the parser let an unknown option through */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2048];
	int r;

	err[0] = '\0';
	r = hvdpad_conf_parse("fuzz.conf", (const char *)data, size, take, NULL, err, sizeof(err));
	/* A refusal always says why, naming the file. */
	if (r < 0 && strncmp(err, "fuzz.conf", 9))
		abort();
	return 0;
}
