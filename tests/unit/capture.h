/* SPDX-License-Identifier: MIT */
/* Captures what the code under test writes to stderr (log lines). */
#ifndef HVDPA_TESTS_CAPTURE_H
#define HVDPA_TESTS_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct capture {
	int saved, fd;
};

static inline void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->saved = dup(2);
	c->fd = memfd_create("stderr", MFD_CLOEXEC);
	dup2(c->fd, 2);
}

/* Restores stderr; returns what was written (free it), NUL-terminated. */
static inline char *capture_end(struct capture *c)
{
	off_t n;
	char *s;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	n = lseek(c->fd, 0, SEEK_END);
	s = calloc(1, (size_t)n + 1);
	if (s && n > 0 && pread(c->fd, s, (size_t)n, 0) != n)
		s[0] = '\0';
	close(c->fd);
	return s;
}

static inline unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static inline unsigned int count_substr(const char *s, const char *sub)
{
	unsigned int n = 0;

	while (s && (s = strstr(s, sub))) {
		n++;
		s += strlen(sub);
	}
	return n;
}

#endif
