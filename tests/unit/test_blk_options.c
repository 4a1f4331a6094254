// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "check.h"
#include "hvdpa/device.h"
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
	CHECK_EQ(o.poll_us, 0);
	CHECK_EQ(parse("path=/x,name=n,poll-us=50"), 0);
	CHECK_EQ(o.poll_us, 50);
	CHECK(!o.packed);
}

static void expect_error(const char *spec, const char *words);

/* packed=on adds the packed ring to the offer; without it only the split
 * ring is offered. */
static void test_packed_offer(void)
{
	struct hv_device *dev;
	char why[256];

	CHECK_EQ(parse("name=n,null=on,size=1M,packed=on"), 0);
	CHECK(o.packed);
	CHECK_EQ(hv_blk_create(&o, &dev, why, sizeof(why)), 0);
	CHECK(dev->features & (1ull << VIRTIO_F_RING_PACKED));
	dev->ops->destroy(dev);
	CHECK_EQ(parse("name=n,null=on,size=1M"), 0);
	CHECK_EQ(hv_blk_create(&o, &dev, why, sizeof(why)), 0);
	CHECK(!(dev->features & (1ull << VIRTIO_F_RING_PACKED)));
	dev->ops->destroy(dev);
	expect_error("name=a,path=/x,packed=yes", "packed must be on or off");
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
	expect_error("name=a,null=on", "null=on needs size=");
	expect_error("name=a,null=on,size=1G,path=/x", "drop path=");
	expect_error("name=a,path=/x,size=1G", "size= is only for null=on");
	expect_error("name=a,null=on,size=1000", "multiple of 512");
	expect_error("name=a,null=on,size=1X", "multiple of 512");
	expect_error("name=a,null=on,size=99999999999T", "multiple of 512");
	expect_error("name=a,null=maybe,size=1G", "null must be on or off");
	expect_error("name=a,path=/x,poll-us=1001", "poll-us must be 0 to 1000");
}

/* cpus=: a list in the option string's own syntax; a bad one is named. */
static void test_cpus(void)
{
	CHECK_EQ(parse("name=a,path=/x"), 0);
	CHECK_EQ(CPU_COUNT(&o.cpus), 0);
	CHECK_EQ(parse("name=a,path=/x,cpus=1"), 0);
	CHECK_EQ(CPU_COUNT(&o.cpus), 1);
	CHECK(CPU_ISSET(1, &o.cpus));
	CHECK_EQ(parse("name=a,path=/x,cpus=0:2-4:7,queues=2"), 0);
	CHECK_EQ(CPU_COUNT(&o.cpus), 5);
	CHECK(CPU_ISSET(0, &o.cpus) && CPU_ISSET(2, &o.cpus) && CPU_ISSET(4, &o.cpus));
	CHECK(CPU_ISSET(7, &o.cpus) && !CPU_ISSET(5, &o.cpus) && !CPU_ISSET(1, &o.cpus));
	CHECK_EQ(o.num_queues, 2);
	CHECK_EQ(parse("name=a,path=/x,cpus=1023"), 0);
	CHECK(CPU_ISSET(1023, &o.cpus));
	expect_error("name=a,path=/x,cpus=", "cpus is CPUs (0 to 1023)");
	expect_error("name=a,path=/x,cpus=1024", "not '1024'");
	expect_error("name=a,path=/x,cpus=3-1", "not '3-1'");
	expect_error("name=a,path=/x,cpus=1:", "not '1:'");
	expect_error("name=a,path=/x,cpus=:1", "not ':1'");
	expect_error("name=a,path=/x,cpus=1-", "not '1-'");
	expect_error("name=a,path=/x,cpus=-1", "not '-1'");
	expect_error("name=a,path=/x,cpus=1-2-3", "not '1-2-3'");
	expect_error("name=a,path=/x,cpus=a", "not 'a'");
	expect_error("name=a,path=/x,cpus=99999999999999999999", "cpus is CPUs");
}

/* A CPU the process may not run on is refused when the device is made. */
static void test_cpus_unusable(void)
{
	struct hv_device *dev = NULL;
	cpu_set_t allowed;
	int c = 0;

	CHECK_EQ(parse("name=a,null=on,size=1M,cpus=1023"), 0);
	CHECK_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	if (CPU_ISSET(1023, &allowed))
		return; /* a machine with 1024 CPUs: nothing to refuse here */
	err[0] = '\0';
	CHECK_EQ(hv_blk_create(&o, &dev, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "CPU 1023 is not one this process may run on") != NULL);
	CHECK(dev == NULL);
	while (!CPU_ISSET(c, &allowed))
		c++;
	CPU_ZERO(&o.cpus);
	CPU_SET(c, &o.cpus);
	CHECK_EQ(hv_blk_create(&o, &dev, err, sizeof(err)), 0);
	CHECK(dev && CPU_EQUAL(&dev->cpus, &o.cpus));
	if (dev)
		dev->ops->destroy(dev);
}

static void test_null_sizes(void)
{
	CHECK_EQ(parse("name=a,null=on,size=1G"), 0);
	CHECK(o.null);
	CHECK_EQ(o.size, 1ull << 30);
	CHECK_EQ(parse("name=a,null=on,size=512"), 0);
	CHECK_EQ(o.size, 512);
	CHECK_EQ(parse("name=a,null=on,size=4K"), 0);
	CHECK_EQ(o.size, 4096);
	CHECK_EQ(parse("name=a,null=on,size=2T"), 0);
	CHECK_EQ(o.size, 2ull << 40);
}

static void test_nbd(void)
{
	CHECK_EQ(parse("name=a,nbd=nbd://127.0.0.1:10809/exp"), 0);
	CHECK(o.nbd);
	CHECK(strcmp(o.path, "nbd://127.0.0.1:10809/exp") == 0);
	CHECK_EQ(o.timeout_s, 30);
	/* The URI's own '=' is the value's. */
	CHECK_EQ(parse("name=a,nbd=nbd+unix:///e?socket=/run/s.sock,timeout=5,readonly=on"), 0);
	CHECK(strcmp(o.path, "nbd+unix:///e?socket=/run/s.sock") == 0);
	CHECK_EQ(o.timeout_s, 5);
	CHECK(o.readonly);
	CHECK_EQ(parse("name=a,path=/x"), 0);
	CHECK(!o.nbd);
	expect_error("name=a,nbd=http://h/x", "nbd= takes nbd://");
	expect_error("name=a,nbd=nbd://", "nbd= takes nbd://");
	expect_error("name=a,nbd=nbd+vsock:///x", "nbd= takes nbd://");
	expect_error("name=a,path=/x,nbd=nbd://h/e", "one of path=, nbd= or rbd=");
	expect_error("name=a,nbd=nbd://h/e,path=/x", "one of path=, nbd= or rbd=");
	expect_error("name=a,path=/x,timeout=5", "timeout= is only for nbd=");
	expect_error("name=a,nbd=nbd://h/e,timeout=0", "timeout must be 1 to 3600");
	expect_error("name=a,nbd=nbd://h/e,timeout=3601", "timeout must be 1 to 3600");
	expect_error("name=a,null=on,size=1G,nbd=nbd://h/e", "drop nbd=");
	expect_error("name=a,nbd=nbd://h/e,size=1G", "size= is only for null=on");
}

static void test_rbd(void)
{
	char big[700];

	if (!HVDPA_HAVE_RBD) {
		expect_error("name=a,rbd=rbd/disk0", "built without librbd");
		return;
	}
	CHECK_EQ(parse("name=a,rbd=rbd/disk0"), 0);
	CHECK(o.rbd);
	CHECK(!o.nbd);
	CHECK(strcmp(o.path, "rbd/disk0") == 0);
	CHECK_EQ(o.timeout_s, 30);
	CHECK_EQ(o.ceph_conf[0], 0);
	CHECK_EQ(o.ceph_id[0], 0);
	CHECK_EQ(parse("name=a,rbd=p-1.x/img_2@snap.3,ceph-conf=/run/ceph/ceph.conf,"
		       "ceph-id=hvdpa.1,timeout=7,queues=2"),
		 0);
	CHECK(strcmp(o.path, "p-1.x/img_2@snap.3") == 0);
	CHECK(strcmp(o.ceph_conf, "/run/ceph/ceph.conf") == 0);
	CHECK(strcmp(o.ceph_id, "hvdpa.1") == 0);
	CHECK_EQ(o.timeout_s, 7);
	CHECK_EQ(o.num_queues, 2);
	/* Not POOL/IMAGE[@SNAP]. */
	expect_error("name=a,rbd=disk0", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=/disk0", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/ns/disk0", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/disk0@", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/@s", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rb@d/disk0", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/a@b@c", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/di sk", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=rbd/d\x1b[2J", "rbd= takes POOL/IMAGE");
	expect_error("name=a,rbd=", "rbd= takes POOL/IMAGE");
	memset(big, 'a', sizeof(big));
	memcpy(big, "name=a,rbd=p/", 13);
	big[sizeof(big) - 1] = '\0';
	expect_error(big, "at most 511 bytes");
	/* One image, and the Ceph keys only with it. */
	expect_error("name=a,rbd=p/i,path=/x", "one of path=, nbd= or rbd=");
	expect_error("name=a,rbd=p/i,nbd=nbd://h/e", "one of path=, nbd= or rbd=");
	expect_error("name=a,rbd=p/i,rbd=p/j", "one of path=, nbd= or rbd=");
	expect_error("name=a,path=/x,ceph-conf=/c", "ceph-conf= is only for rbd=");
	expect_error("name=a,nbd=nbd://h/e,ceph-id=admin", "ceph-id= is only for rbd=");
	expect_error("name=a,rbd=p/i,ceph-conf=", "ceph-conf is a path");
	expect_error("name=a,rbd=p/i,ceph-id=", "ceph-id is the NAME");
	expect_error("name=a,rbd=p/i,ceph-id=client/x", "ceph-id is the NAME");
	expect_error("name=a,rbd=p/"
		     "i,ceph-id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		     "ceph-id is the NAME");
	expect_error("name=a,rbd=p/i,timeout=0", "timeout must be 1 to 3600");
	expect_error("name=a,null=on,size=1G,rbd=p/i", "drop rbd=");
	expect_error("name=a,rbd=p/i,size=1G", "size= is only for null=on");
	expect_error("name=a,path=/x,timeout=5", "timeout= is only for nbd= and rbd=");
}

int main(void)
{
	RUN(test_full_spec);
	RUN(test_defaults);
	RUN(test_packed_offer);
	RUN(test_errors);
	RUN(test_cpus);
	RUN(test_cpus_unusable);
	RUN(test_null_sizes);
	RUN(test_nbd);
	RUN(test_rbd);
	return check_done();
}
