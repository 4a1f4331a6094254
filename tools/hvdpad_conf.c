// SPDX-License-Identifier: MIT
/* hvdpad's configuration files (hvdpad_conf.h). */
#include "hvdpad_conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The options a line may give, and whether each takes a value. */
static const struct {
	const char *name;
	bool value;
} options[] = {
	{"blk", true}, {"control", true}, {"net", true}, {"state-dir", true}, {"verbose", false},
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int line_fail(char *err, size_t errlen, const char *name, unsigned int line,
		     const char *what, const char *arg)
{
	snprintf(err, errlen, "%s:%u: %s%s%s%s", name, line, what, arg ? " '" : "", arg ? arg : "",
		 arg ? "'" : "");
	return -EINVAL;
}

/* One line, without its newline, NUL-terminated in buf. */
static int parse_line(const char *name, unsigned int line, char *buf, hvdpad_conf_fn fn, void *ctx,
		      char *err, size_t errlen)
{
	char *p = buf, *end = buf + strlen(buf), *opt, *val = NULL;
	char where[512], msg[1024];
	size_t i;

	while (blank(*p))
		p++;
	while (end > p && blank(end[-1]))
		*--end = '\0';
	if (!*p || *p == '#')
		return 0;
	opt = p;
	while (*p && !blank(*p))
		p++;
	if (*p) {
		*p++ = '\0';
		while (blank(*p))
			p++;
		val = p;
	}
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (!strcmp(opt, options[i].name))
			break;
	if (i == sizeof(options) / sizeof(options[0]))
		return line_fail(err, errlen, name, line,
				 "a line is blk, net, control, state-dir or verbose, not", opt);
	if (options[i].value && !val)
		return line_fail(err, errlen, name, line, "a value must follow", opt);
	if (!options[i].value && val)
		return line_fail(err, errlen, name, line, "nothing may follow", opt);
	snprintf(where, sizeof(where), "%s:%u", name, line);
	if (fn(ctx, opt, val, where, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", where, msg);
		return -EINVAL;
	}
	return 0;
}

int hvdpad_conf_parse(const char *name, const char *text, size_t len, hvdpad_conf_fn fn, void *ctx,
		      char *err, size_t errlen)
{
	char buf[HVDPAD_CONF_MAX_LINE + 1];
	unsigned int line = 0;
	size_t at = 0;

	if (len > HVDPAD_CONF_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", name, HVDPAD_CONF_MAX_BYTES);
		return -EINVAL;
	}
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = (nl ? (size_t)(nl - text) : len) - at;
		int r;

		line++;
		if (n > HVDPAD_CONF_MAX_LINE)
			return line_fail(err, errlen, name, line, "longer than 4096 bytes", NULL);
		if (memchr(text + at, '\0', n))
			return line_fail(err, errlen, name, line, "holds a NUL byte", NULL);
		memcpy(buf, text + at, n);
		buf[n] = '\0';
		r = parse_line(name, line, buf, fn, ctx, err, errlen);
		if (r < 0)
			return r;
		at += n + 1;
	}
	return 0;
}

static int load_file(const char *path, hvdpad_conf_fn fn, void *ctx, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text = NULL;
	size_t len = 0;
	int r = 0;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/* One byte more than allowed: a longer file is refused, not cut. */
	text = malloc(HVDPAD_CONF_MAX_BYTES + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, text + len, HVDPAD_CONF_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			break;
		}
		len += (size_t)n;
		if (n == 0 || len > HVDPAD_CONF_MAX_BYTES)
			break;
	}
	close(fd);
	if (!r)
		r = hvdpad_conf_parse(path, text, len, fn, ctx, err, errlen);
	free(text);
	return r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool conf_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 5 && !strcmp(n + l - 5, ".conf");
}

static int load_dir(const char *path, DIR *d, hvdpad_conf_fn fn, void *ctx, char *err,
		    size_t errlen)
{
	char *names[HVDPAD_CONF_MAX_FILES];
	unsigned int n = 0;
	struct dirent *e;
	int r = 0;

	while ((e = readdir(d))) {
		if (!conf_name(e->d_name))
			continue;
		if (n == HVDPAD_CONF_MAX_FILES) {
			snprintf(err, errlen, "%s: more than %u *.conf files", path,
				 HVDPAD_CONF_MAX_FILES);
			r = -EINVAL;
			break;
		}
		if (asprintf(&names[n], "%s/%s", path, e->d_name) < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (unsigned int i = 0; i < n; i++) {
		struct stat st;

		/* A subdirectory or a socket named *.conf is no config file. */
		if (!r && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			r = load_file(names[i], fn, ctx, err, errlen);
		free(names[i]);
	}
	return r;
}

int hvdpad_conf_load(const char *path, hvdpad_conf_fn fn, void *ctx, char *err, size_t errlen)
{
	DIR *d = opendir(path);

	if (d)
		return load_dir(path, d, fn, ctx, err, errlen);
	if (errno != ENOTDIR) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return load_file(path, fn, ctx, err, errlen);
}
