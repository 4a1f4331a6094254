// SPDX-License-Identifier: MIT
/* JSON field readers shared by hvbridge's two config formats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"

int cj_u64(struct cj_ctx *c, json_object *obj, const char *key, bool required, uint64_t *out)
{
	json_object *v;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			FAIL(c, "%s.%s: missing", c->where, key);
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			FAIL(c, "%s.%s: must not be negative", c->where, key);
		*out = json_object_get_uint64(v);
		return 1;
	}
	if (!json_object_is_type(v, json_type_string))
		FAIL(c, "%s.%s: expected a number or a \"0x...\" string", c->where, key);
	s = json_object_get_string(v);
	errno = 0;
	if (*s == '-' || *s == '\0')
		FAIL(c, "%s.%s: '%s' is not a number", c->where, key, s);
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		FAIL(c, "%s.%s: '%s' is not a number", c->where, key, s);
	return 1;
}

int cj_str(struct cj_ctx *c, json_object *obj, const char *key, bool required, char **out)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			FAIL(c, "%s.%s: missing", c->where, key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v))
		FAIL(c, "%s.%s: expected a non-empty string", c->where, key);
	*out = strdup(json_object_get_string(v));
	return *out ? 1 : -ENOMEM;
}

int cj_keys(struct cj_ctx *c, json_object *obj, const char *const *keys)
{
	json_object_object_foreach(obj, key, val)
	{
		bool known = false;

		(void)val;
		for (const char *const *k = keys; *k; k++)
			known |= strcmp(*k, key) == 0;
		if (!known)
			FAIL(c, "%s: unknown key '%s'", c->where, key);
	}
	return 0;
}
