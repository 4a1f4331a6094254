// SPDX-License-Identifier: MIT
/* Parsing shared by the --blk and --net option strings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int hv_opt_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int hv_opt_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long x;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

int hv_opt_ranged(const char *key, const char *v, unsigned long min, unsigned long max,
		  unsigned long *out, char *err, size_t errlen)
{
	if (hv_opt_uint(v, min, max, out))
		return hv_opt_fail(err, errlen, "%s must be %lu to %lu, not '%s'", key, min, max,
				   v);
	return 0;
}

int hv_opt_switch(const char *key, const char *v, bool *out, char *err, size_t errlen)
{
	if (!strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "off"))
		*out = false;
	else
		return hv_opt_fail(err, errlen, "%s must be on or off, not '%s'", key, v);
	return 0;
}

int hv_opt_queue_size(const char *v, uint16_t *out, char *err, size_t errlen)
{
	unsigned long x;

	if (hv_opt_uint(v, 2, 32768, &x) || (x & (x - 1)))
		return hv_opt_fail(err, errlen,
				   "queue-size must be a power of two from 2 to 32768, not '%s'",
				   v);
	*out = (uint16_t)x;
	return 0;
}

int hv_opt_name(const char *v, char *out, size_t max, char *err, size_t errlen)
{
	bool ok = *v && strlen(v) < max && v[0] != '.';

	for (const char *s = v; ok && *s; s++)
		ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		     (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.';
	if (!ok)
		return hv_opt_fail(err, errlen,
				   "name '%s' must be 1-%zu characters of A-Z a-z 0-9 . _ -", v,
				   max - 1);
	snprintf(out, max, "%s", v);
	return 0;
}

static int cpu_number(const char *s, const char *end, unsigned long *out)
{
	char buf[16];

	if (end - s <= 0 || end - s >= (long)sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	return hv_opt_uint(buf, 0, CPU_SETSIZE - 1, out);
}

int hv_opt_cpus(const char *key, const char *v, cpu_set_t *set, char *err, size_t errlen)
{
	const char *s = v;

	CPU_ZERO(set);
	for (;;) {
		const char *end = s + strcspn(s, ":");
		const char *dash = memchr(s, '-', (size_t)(end - s));
		unsigned long lo, hi;

		/* "N" is the range N-N. */
		if (cpu_number(s, dash ? dash : end, &lo) ||
		    cpu_number(dash ? dash + 1 : s, end, &hi) || hi < lo) {
			CPU_ZERO(set);
			return hv_opt_fail(err, errlen,
					   "%s is CPUs (0 to %d) and ranges joined by ':', like "
					   "2 or 0:2-3, not '%s'",
					   key, CPU_SETSIZE - 1, v);
		}
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (!*end)
			return 0;
		s = end + 1; /* an empty item after a ':' fails above */
	}
}

int hv_opt_cpus_usable(const cpu_set_t *set, char *err, size_t errlen)
{
	cpu_set_t allowed;

	if (!CPU_COUNT(set))
		return 0;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return hv_opt_fail(err, errlen, "cpus: cannot read this process's CPUs: %s",
				   strerror(errno));
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, set) && !CPU_ISSET(c, &allowed))
			return hv_opt_fail(err, errlen,
					   "cpus: CPU %d is not one this process may run on "
					   "(see taskset -p or its cgroup's cpuset)",
					   c);
	}
	return 0;
}

int hv_opt_each(const char *spec, hv_opt_key_fn fn, void *ctx, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');

		if (!v) {
			r = hv_opt_fail(err, errlen, "'%s' is not key=value", tok);
			break;
		}
		*v++ = '\0';
		r = fn(ctx, tok, v, err, errlen);
	}
	free(copy);
	return r;
}
