// SPDX-License-Identifier: MIT
/* The control socket's request decoder (tools/control_server.c): any line a
 * client sends gets one answer, a JSON object with "return" or "error". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/control_server.h"

/* Walks the arguments as a command would, and answers with them. */
static struct json_object *cmd(void *ctx, const char *name, struct json_object *args,
			       const char **cls, char *desc, size_t desclen)
{
	(void)ctx;
	json_object_object_foreach(args, key, val)
	{
		if (json_object_get_type(val) == json_type_string && !strcmp(key, "fail")) {
			*cls = "GenericError";
			snprintf(desc, desclen, "%s", json_object_get_string(val));
			return NULL;
		}
	}
	return name[0] == 'q' ? json_object_get(args) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = hv_control_answer((const char *)data, size, cmd, NULL);
	struct json_object *o;

	if (!a)
		abort();
	o = json_tokener_parse(a);
	if (!o || (!json_object_object_get_ex(o, "return", NULL) &&
		   !json_object_object_get_ex(o, "error", NULL)))
		abort();
	json_object_put(o);
	free(a);
	return 0;
}
