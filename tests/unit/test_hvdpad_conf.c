// SPDX-License-Identifier: MIT
/* hvdpad's config files (tools/hvdpad_conf.c): what each line gives, and
 * every malformed file refused with its name and line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/hvdpad_conf.h"
#include "check.h"

/* What the parser handed over, one "opt=val@where" per line. */
static char got[8192];
static char err[2048];
static int refuse_at; /* the callback fails its Nth call (0: never) */
static int calls;

static int record(void *ctx, const char *opt, const char *val, const char *where, char *e,
		  size_t elen)
{
	size_t n = strlen(got);

	(void)ctx;
	if (++calls == refuse_at) {
		snprintf(e, elen, "path= is required");
		return -EINVAL;
	}
	snprintf(got + n, sizeof(got) - n, "%s=%s@%s\n", opt, val ? val : "(none)", where);
	return 0;
}

static int parse(const char *text)
{
	got[0] = err[0] = '\0';
	calls = 0;
	return hvdpad_conf_parse("t.conf", text, strlen(text), record, NULL, err, sizeof(err));
}

static void test_lines(void)
{
	CHECK_EQ(parse("# hvdpad\n\n  blk name=d0,path=/srv/d0.img  \n\tnet\tname=n0,tap=tap0\r\n"
		       "state-dir /var/lib/hvdpa\nverbose\n# end"),
		 0);
	CHECK(!strcmp(got, "blk=name=d0,path=/srv/d0.img@t.conf:3\n"
			   "net=name=n0,tap=tap0@t.conf:4\n"
			   "state-dir=/var/lib/hvdpa@t.conf:5\n"
			   "verbose=(none)@t.conf:6\n"));
	CHECK_EQ(parse(""), 0);
	CHECK(!got[0]);
	/* No newline at the end: the last line still counts. */
	CHECK_EQ(parse("blk name=a,path=/a"), 0);
	CHECK(!strcmp(got, "blk=name=a,path=/a@t.conf:1\n"));
}

static void test_refused(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"blk name=a,path=/a\nfrob x\n",
		 "t.conf:2: a line is blk, net, control, state-dir or verbose, not 'frob'"},
		{"--blk name=a\n",
		 "t.conf:1: a line is blk, net, control, state-dir or verbose, not '--blk'"},
		{"\n\nblk\n", "t.conf:3: a value must follow 'blk'"},
		{"state-dir   \n", "t.conf:1: a value must follow 'state-dir'"},
		{"verbose yes\n", "t.conf:1: nothing may follow 'verbose'"},
		{"config /etc/x\n",
		 "t.conf:1: a line is blk, net, control, state-dir or verbose, not 'config'"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(parse(bad[i].text), -EINVAL);
		if (strcmp(err, bad[i].msg))
			printf("# case %zu got '%s'\n", i, err);
		CHECK(!strcmp(err, bad[i].msg));
	}
	/* What the option itself refuses is said with its place. */
	refuse_at = 2;
	CHECK_EQ(parse("verbose\nblk name=a\nblk name=b,path=/b\n"), -EINVAL);
	CHECK(!strcmp(err, "t.conf:2: path= is required"));
	CHECK(!strstr(got, "name=b")); /* nothing after the bad line */
	refuse_at = 0;
}

static void test_bounds(void)
{
	size_t big = HVDPAD_CONF_MAX_BYTES + 1;
	char *text = malloc(big + 1);
	char line[HVDPAD_CONF_MAX_LINE + 64];

	memset(text, '#', big);
	text[big] = '\0';
	CHECK_EQ(parse(text), -EINVAL);
	CHECK(strstr(err, "larger than") != NULL);
	free(text);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "blk ", 4);
	CHECK_EQ(parse(line), -EINVAL);
	CHECK(!strcmp(err, "t.conf:1: longer than 4096 bytes"));
	/* The longest line allowed passes whole. */
	line[HVDPAD_CONF_MAX_LINE] = '\0';
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(strlen(got), strlen("blk=") + HVDPAD_CONF_MAX_LINE - 4 + strlen("@t.conf:1\n"));
	got[0] = err[0] = '\0';
	CHECK_EQ(hvdpad_conf_parse("t.conf", "blk a\0b\n", 8, record, NULL, err, sizeof(err)),
		 -EINVAL);
	CHECK(!strcmp(err, "t.conf:1: holds a NUL byte"));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_files(void)
{
	char dir[] = "/tmp/hvdpad-conf-XXXXXX", p[256];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/20-b.conf", dir);
	write_file(p, "blk name=b,path=/b\n");
	snprintf(p, sizeof(p), "%s/10-a.conf", dir);
	write_file(p, "blk name=a,path=/a\n");
	snprintf(p, sizeof(p), "%s/30-c.conf.orig", dir); /* not *.conf */
	write_file(p, "bogus\n");
	snprintf(p, sizeof(p), "%s/.hidden.conf", dir);
	write_file(p, "bogus\n");
	snprintf(p, sizeof(p), "%s/40-sub.conf", dir); /* a directory */
	CHECK_EQ(mkdir(p, 0700), 0);
	got[0] = '\0';
	calls = 0;
	CHECK_EQ(hvdpad_conf_load(dir, record, NULL, err, sizeof(err)), 0);
	{
		char want[1024];

		snprintf(want, sizeof(want),
			 "blk=name=a,path=/a@%s/10-a.conf:1\nblk=name=b,path=/b@%s/20-b.conf:1\n",
			 dir, dir);
		if (strcmp(got, want))
			printf("# got '%s'\n", got);
		CHECK(!strcmp(got, want));
	}
	/* One file, and one that is not there. */
	snprintf(p, sizeof(p), "%s/10-a.conf", dir);
	got[0] = '\0';
	CHECK_EQ(hvdpad_conf_load(p, record, NULL, err, sizeof(err)), 0);
	CHECK(strstr(got, "name=a") != NULL);
	snprintf(p, sizeof(p), "%s/none.conf", dir);
	CHECK_EQ(hvdpad_conf_load(p, record, NULL, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "No such file") != NULL);
	/* A file too large is refused, not cut at the bound. */
	{
		FILE *f;

		snprintf(p, sizeof(p), "%s/big.conf", dir);
		f = fopen(p, "w");
		for (unsigned int i = 0; f && i <= HVDPAD_CONF_MAX_BYTES / 32; i++)
			fputs("# a comment line of 32 bytes ..\n", f);
		if (f)
			fclose(f);
		CHECK_EQ(hvdpad_conf_load(p, record, NULL, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "larger than") != NULL);
	}
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	CHECK_EQ(system(p), 0);
}

int main(void)
{
	RUN(test_lines);
	RUN(test_refused);
	RUN(test_bounds);
	RUN(test_files);
	return check_done();
}
