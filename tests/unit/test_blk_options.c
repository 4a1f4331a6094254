// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "check.h"
#include "hvdpa/blk.h"

static struct hv_blk_options o;
static char err[256];

static int parse(const char *s)
{
	err[0] = '\0';
	return hv_blk_options_parse(&o, s, err, sizeof(err));
}

static void test_full_spec(void)
{
	CHECK_EQ(parse("name=hblk0,path=/run/a.img,readonly=on,queues=4,queue-size=128,"
		       "serial=ABC"),
		 0);
	CHECK(strcmp(o.name, "hblk0") == 0);
	CHECK(strcmp(o.path, "/run/a.img") == 0);
	CHECK(o.readonly);
	CHECK_EQ(o.num_queues, 4);
	CHECK_EQ(o.queue_size, 128);
	CHECK(strcmp(o.serial, "ABC") == 0);
}

static void test_defaults(void)
{
	CHECK_EQ(parse("path=/x,name=n"), 0);
	CHECK(!o.readonly);
	CHECK_EQ(o.num_queues, 1);
	CHECK_EQ(o.queue_size, 256);
	CHECK_EQ(o.serial[0], 0);
}

static void expect_error(const char *spec, const char *words)
{
	CHECK_EQ(parse(spec), -EINVAL);
	if (!strstr(err, words)) {
		printf("# '%s' gave '%s', wanted '%s'\n", spec, err, words);
		CHECK(0);
	}
}

static void test_errors(void)
{
	expect_error("name=a,path=/x,colour=red", "unknown key 'colour'");
	expect_error("path=/x", "name= is required");
	expect_error("name=a", "path= is required");
	expect_error("name=a,path=/x,queue-size=100", "power of two");
	expect_error("name=a,path=/x,queue-size=65536", "power of two");
	expect_error("name=a,path=/x,queue-size=1", "power of two");
	expect_error("name=a,path=/x,queue-size=-4", "power of two");
	expect_error("name=a,path=/x,queues=0", "queues must be");
	expect_error("name=a,path=/x,queues=4x", "queues must be");
	expect_error("name=a,path=/x,readonly=yes", "readonly must be on or off");
	expect_error("name=a/b,path=/x", "name 'a/b'");
	expect_error("name=..,path=/x", "name '..'");
	expect_error("name=a,path=/x,serial=123456789012345678901", "serial is at most 20");
	expect_error("name=a,path=/x,bogus", "not key=value");
	expect_error("name=a,path=", "path must not be empty");
}

int main(void)
{
	RUN(test_full_spec);
	RUN(test_defaults);
	RUN(test_errors);
	return check_done();
}
