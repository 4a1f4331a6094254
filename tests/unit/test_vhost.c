// SPDX-License-Identifier: MIT
/*
 * hvbridge's vhost-vdpa backend against a played device (the ioctls go to
 * a fake): a zone that loops through feature negotiation and reset, with a
 * device that refuses FEATURES_OK, makes a bounded number of log lines;
 * a reset the device takes its time over runs on the backend's own thread;
 * and through the whole bridge (hvisor's request page played by the test),
 * a Status 0 write is answered when that reset is done, so a driver that
 * goes straight on, as Linux's does, is not ignored, while other vCPUs and
 * zones are answered meanwhile.
 */
#include <errno.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../hvbridge/bridge.h"
#include "../../hvbridge/trap_hvisor.h"
#include "../../hvbridge/vhost_vdpa.h"
#include "capture.h"
#include "check.h"

#define F_DEV ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM))

static struct {
	uint8_t status;
	uint8_t refuse; /* status bits the device never takes */
	unsigned int set_status;
	unsigned int reset_ms;	  /* SET_STATUS 0 takes this long */
	unsigned int status_ms;	  /* and any other */
	bool batch;		  /* offers VHOST_BACKEND_F_IOTLB_BATCH */
	uint64_t iova_last;	  /* of its IOVA range; 0: all of it */
	int config_fd;		  /* VHOST_VDPA_SET_CONFIG_CALL's, -1: unbound */
	bool config_at_driver_ok; /* it was bound when DRIVER_OK came */
} dev = {.config_fd = -1};

/* The IOTLB messages written to the node, in order. */
static struct {
	unsigned int n;
	struct vhost_iotlb_msg m[16];
} tlb;

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	const struct vhost_msg_v2 *msg = buf;

	(void)fd;
	CHECK_EQ(len, sizeof(*msg));
	CHECK_EQ(msg->type, VHOST_IOTLB_MSG_V2);
	if (tlb.n < 16)
		tlb.m[tlb.n++] = msg->iotlb;
	return (ssize_t)len;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	switch (req) {
	case VHOST_SET_OWNER:
	case VHOST_SET_BACKEND_FEATURES:
	case VHOST_SET_FEATURES:
		return 0;
	case VHOST_GET_BACKEND_FEATURES:
		*(uint64_t *)arg = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2 |
				   (dev.batch ? 1ull << VHOST_BACKEND_F_IOTLB_BATCH : 0);
		return 0;
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_ADDR:
	case VHOST_SET_VRING_BASE:
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_VDPA_SET_VRING_ENABLE:
		return 0;
	case VHOST_VDPA_GET_DEVICE_ID:
		*(uint32_t *)arg = 2;
		return 0;
	case VHOST_GET_FEATURES:
		*(uint64_t *)arg = F_DEV;
		return 0;
	case VHOST_VDPA_GET_VRING_NUM:
		*(uint16_t *)arg = 256;
		return 0;
	case VHOST_VDPA_GET_CONFIG_SIZE:
		*(uint32_t *)arg = 8;
		return 0;
	case VHOST_VDPA_GET_VQS_COUNT:
		*(uint32_t *)arg = 1;
		return 0;
	case VHOST_VDPA_GET_IOVA_RANGE:
		*(struct vhost_vdpa_iova_range *)arg = (struct vhost_vdpa_iova_range){
			.first = 0, .last = dev.iova_last ? dev.iova_last : ~0ull};
		return 0;
	case VHOST_VDPA_SET_CONFIG_CALL:
		dev.config_fd = *(int *)arg;
		return 0;
	case VHOST_VDPA_SET_STATUS:
		if (*(uint8_t *)arg & VIRTIO_CONFIG_S_DRIVER_OK)
			dev.config_at_driver_ok = dev.config_fd >= 0;
		if (*(uint8_t *)arg == 0 && dev.config_fd >= 0)
			printf("# reset with the config eventfd still bound\n");
		if (*(uint8_t *)arg == 0 && dev.reset_ms)
			usleep(dev.reset_ms * 1000);
		if (*(uint8_t *)arg != 0 && dev.status_ms)
			usleep(dev.status_ms * 1000);
		__atomic_fetch_add(&dev.set_status, 1, __ATOMIC_SEQ_CST);
		dev.status = *(uint8_t *)arg & (uint8_t)~dev.refuse;
		return 0;
	case VHOST_VDPA_GET_STATUS:
		*(uint8_t *)arg = dev.status;
		return 0;
	case VHOST_VDPA_GET_CONFIG:
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static void w(struct hv_mmio_dev *m, uint64_t off, uint32_t v)
{
	hv_mmio_write(m, off, 4, v);
}

static void test_reset_loop_logs_bounded(void)
{
	struct hv_mmio_dev m = {0};
	struct hvb_backend *be = NULL;
	struct capture c;
	char err[256], *out;

	hvb_vhost_ioctl = fake_ioctl;
	dev.refuse = VIRTIO_CONFIG_S_FEATURES_OK;
	CHECK_EQ(hvb_vhost_open("/dev/null", &m, &be, err, sizeof(err)), 0);
	if (!be)
		return;
	CHECK_EQ(hv_mmio_init(&m, be->ops->mmio, be, "v0"), 0);
	capture_begin(&c);
	for (int i = 0; i < 2000; i++) {
		w(&m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
		w(&m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
		w(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		w(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
		/* refused by the device */
		w(&m, VIRTIO_MMIO_STATUS,
		  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK);
		w(&m, VIRTIO_MMIO_STATUS, 0);
	}
	out = capture_end(&c);
	printf("# %u lines, %u about the refused status\n", count_lines(out),
	       count_substr(out, "did not accept status"));
	CHECK(dev.set_status >= 2000);
	CHECK(count_substr(out, "did not accept status") >= 1);
	CHECK(count_lines(out) <= 44); /* two windows of the limiters at most */
	free(out);
	hv_mmio_fini(&m);
	be->ops->close(be);
}

/* The zone's driver sets queue 0 up with its rings at desc, avail, used:
 * whether it became ready. */
static bool queue_up(struct hv_mmio_dev *m, uint64_t desc, uint64_t avail, uint64_t used)
{
	w(m, VIRTIO_MMIO_STATUS, 0);
	w(m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	w(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w(m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
	w(m, VIRTIO_MMIO_STATUS,
	  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	w(m, VIRTIO_MMIO_QUEUE_SEL, 0);
	w(m, VIRTIO_MMIO_QUEUE_NUM, 64);
	w(m, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	w(m, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	w(m, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	w(m, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	w(m, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	w(m, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	w(m, VIRTIO_MMIO_QUEUE_READY, 1);
	return hv_mmio_read(m, VIRTIO_MMIO_QUEUE_READY, 4) == 1;
}

/* Direct mode maps every region of zone RAM, each at its zone-physical
 * address, in one batch; drops them all in one; accepts rings inside any
 * one region and no ring that runs from one into the next. */
static void test_regions_in_the_iotlb(void)
{
	static uint8_t r0[0x4000], r1[0x2000];
	struct hvb_ram ram = {
		.n = 2,
		.r = {{.base = 0x80000000, .size = 0x4000, .host = r0},
		      {.base = 0x80004000, .size = 0x2000, .host = r1}},
	};
	struct hv_mmio_dev m = {0};
	struct hvb_backend *be = NULL;
	char err[256];

	hvb_vhost_ioctl = fake_ioctl;
	hvb_vhost_write = fake_write;
	dev.refuse = 0;
	dev.batch = true;
	CHECK_EQ(hvb_vhost_open("/dev/null", &m, &be, err, sizeof(err)), 0);
	if (!be)
		return;
	CHECK_EQ(hv_mmio_init(&m, be->ops->mmio, be, "v0"), 0);
	tlb.n = 0;
	CHECK_EQ(be->ops->set_ram(be, &ram, NULL, false), 0);
	CHECK_EQ(tlb.n, 4);
	CHECK_EQ(tlb.m[0].type, VHOST_IOTLB_BATCH_BEGIN);
	for (unsigned int i = 0; i < 2; i++) {
		CHECK_EQ(tlb.m[1 + i].type, VHOST_IOTLB_UPDATE);
		CHECK_EQ(tlb.m[1 + i].iova, ram.r[i].base);
		CHECK_EQ(tlb.m[1 + i].size, ram.r[i].size);
		CHECK_EQ(tlb.m[1 + i].uaddr, (uintptr_t)ram.r[i].host);
		CHECK_EQ(tlb.m[1 + i].perm, VHOST_ACCESS_RW);
	}
	CHECK_EQ(tlb.m[3].type, VHOST_IOTLB_BATCH_END);
	/* Rings in the second region; then the used ring across both. */
	CHECK(queue_up(&m, 0x80004000, 0x80004800, 0x80005000));
	CHECK(!queue_up(&m, 0x80000000, 0x80001000, 0x80003e00));
	CHECK(hv_mmio_read(&m, VIRTIO_MMIO_STATUS, 4) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(queue_up(&m, 0x80000000, 0x80001000, 0x80002000));
	tlb.n = 0;
	CHECK_EQ(be->ops->set_ram(be, NULL, NULL, false), 0);
	CHECK_EQ(tlb.n, 4);
	CHECK_EQ(tlb.m[1].type, VHOST_IOTLB_INVALIDATE);
	CHECK_EQ(tlb.m[1].iova, 0x80000000);
	CHECK_EQ(tlb.m[2].type, VHOST_IOTLB_INVALIDATE);
	CHECK_EQ(tlb.m[2].iova, 0x80004000);
	CHECK_EQ(tlb.m[3].type, VHOST_IOTLB_BATCH_END);
	hv_mmio_fini(&m);
	be->ops->close(be);

	/* A region past the device's IOVA range: nothing is mapped. */
	dev.iova_last = 0x80003fff;
	CHECK_EQ(hvb_vhost_open("/dev/null", &m, &be, err, sizeof(err)), 0);
	tlb.n = 0;
	if (be) {
		CHECK_EQ(be->ops->set_ram(be, &ram, NULL, false), -ERANGE);
		be->ops->close(be);
	}
	CHECK_EQ(tlb.n, 0);
	dev.iova_last = 0;
	dev.batch = false;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The device takes 300 ms to reset (hvdpad stopping busy queues): the
 * bridge thread only starts it, learns from reset_fd when it is done, and
 * the register file's reset then finishes at once. */
static void test_slow_reset_off_the_bridge_thread(void)
{
	struct hv_mmio_dev m = {0};
	struct hvb_backend *be = NULL;
	struct pollfd p;
	char err[256];
	uint64_t t0, t1;
	unsigned int calls;

	hvb_vhost_ioctl = fake_ioctl;
	dev.refuse = 0;
	dev.reset_ms = 300;
	CHECK_EQ(hvb_vhost_open("/dev/null", &m, &be, err, sizeof(err)), 0);
	if (!be)
		return;
	CHECK_EQ(hv_mmio_init(&m, be->ops->mmio, be, "v0"), 0);
	CHECK_EQ(be->ops->reset_begin(be), 0); /* nothing told yet: no thread */
	w(&m, VIRTIO_MMIO_STATUS, 1);
	w(&m, VIRTIO_MMIO_STATUS, 3);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
	w(&m, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_STATUS, 4), 0xb);
	calls = dev.set_status;
	t0 = now_ms();
	CHECK_EQ(be->ops->reset_begin(be), 1);
	t1 = now_ms();
	printf("# reset begun in %llu ms\n", (unsigned long long)(t1 - t0));
	CHECK(t1 - t0 < 100);
	CHECK_EQ(be->ops->reset_begin(be), 1); /* one at a time */
	p = (struct pollfd){.fd = be->ops->reset_fd(be), .events = POLLIN};
	CHECK(p.fd >= 0);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	printf("# reset done after %llu ms\n", (unsigned long long)(now_ms() - t0));
	CHECK(now_ms() - t0 >= 250);
	t0 = now_ms();
	hv_mmio_reset(&m);
	CHECK(now_ms() - t0 < 100);
	CHECK_EQ(dev.set_status, calls + 1); /* told once, by the thread */
	CHECK_EQ(dev.status, 0);
	CHECK_EQ(hv_mmio_read(&m, VIRTIO_MMIO_STATUS, 4), 0);
	CHECK_EQ(be->ops->reset_fd(be), -1);
	/* Closing with a reset under way waits for it (ASan would see the
	 * thread use what close freed). */
	w(&m, VIRTIO_MMIO_STATUS, 1);
	w(&m, VIRTIO_MMIO_STATUS, 3);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(F_DEV >> 32));
	w(&m, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(be->ops->reset_begin(be), 1);
	hv_mmio_fini(&m);
	be->ops->close(be);
	CHECK_EQ(dev.status, 0);
	dev.reset_ms = 0;
}

/* The hypervisor's side of the request page (one thread: this test). */
static struct hvisor_bridge *hyp;
static int hyp_efd;

static void hyp_push(uint64_t cpu, uint32_t zone, uint64_t addr, bool wr, uint64_t value)
{
	uint32_t rear = hyp->req_rear;
	uint64_t one = 1;

	while (((rear + 1) & 31) == __atomic_load_n(&hyp->req_front, __ATOMIC_ACQUIRE))
		usleep(100);
	hyp->req_list[rear] = (struct hvisor_device_req){.src_cpu = cpu,
							 .address = addr,
							 .size = 4,
							 .value = value,
							 .src_zone = zone,
							 .is_write = wr};
	__atomic_store_n(&hyp->req_rear, (rear + 1) & 31, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&hyp->need_wakeup, __ATOMIC_RELAXED) &&
	    write(hyp_efd, &one, sizeof(one)) != sizeof(one))
		CHECK(0);
}

/* Waits (5 s at most) for vCPU cpu's flag to move past `before`. */
static bool hyp_wait(uint64_t cpu, uint64_t before, uint64_t *value)
{
	uint64_t end = now_ms() + 5000;

	while (__atomic_load_n(&hyp->cfg_flags[cpu], __ATOMIC_ACQUIRE) == before)
		if (now_ms() > end)
			return false;
	*value = __atomic_load_n(&hyp->cfg_values[cpu], __ATOMIC_RELAXED);
	return true;
}

/* An access a vCPU spins on: its answer, or ~0 if none came in 5 s. */
static uint64_t hyp_access(uint64_t cpu, uint32_t zone, uint64_t addr, bool wr, uint64_t v)
{
	uint64_t before = __atomic_load_n(&hyp->cfg_flags[cpu], __ATOMIC_ACQUIRE), value;

	hyp_push(cpu, zone, addr, wr, v);
	if (!hyp_wait(cpu, before, &value)) {
		printf("# vCPU %llu: no answer to 0x%llx in 5 s\n", (unsigned long long)cpu,
		       (unsigned long long)addr);
		return ~0ull;
	}
	return value;
}

static void *bridge_thread(void *arg)
{
	hvb_bridge_run(arg);
	return NULL;
}

#define DEV1 0xa0000000ull /* zone 1's device */
#define DEV2 0xa0001000ull /* zone 2's */

/* Negotiation up to FEATURES_OK, as vm_probe does. */
static void hyp_negotiate(uint64_t cpu)
{
	hyp_access(cpu, 1, DEV1 + 0x70, true, 1);
	hyp_access(cpu, 1, DEV1 + 0x70, true, 3);
	hyp_access(cpu, 1, DEV1 + 0x24, true, 1);
	hyp_access(cpu, 1, DEV1 + 0x20, true, (uint32_t)(F_DEV >> 32));
	hyp_access(cpu, 1, DEV1 + 0x70, true, 0xb);
}

/* Linux's vm_reset writes Status 0 and does not read it back: the next
 * write (ACKNOWLEDGE, re-probing) must find the device reset, however long
 * the device takes. The write's answer waits for the reset (300 ms here);
 * zone 2's vCPU and zone 1's other vCPU are answered meanwhile. A bridge
 * going away with an answer kept still answers it. */
/* Two zones of one hvisor, a vhost-vdpa device each (the fake), the
 * whole bridge on a thread; hyp plays hvisor's request page. */
struct two_zones {
	volatile sig_atomic_t stop;
	struct hvb_bridge b;
	struct hvisor_bridge *mine;
	pthread_t th;
};

static void two_zones_up(struct two_zones *tz)
{
	struct hvb_device_cfg cfg = {.size = 0x200, .irq = 78, .vhost = "/dev/null"};
	char err[256];
	int fd = memfd_create("hvisor-page", 0);

	memset(tz, 0, sizeof(*tz));
	tz->b = (struct hvb_bridge){.stop = &tz->stop, .hvisor_fd = -1, .control = {.fd = -1}};
	hvb_vhost_ioctl = fake_ioctl;
	dev.refuse = 0;
	dev.reset_ms = dev.status_ms = 0;
	CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
	hyp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tz->mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(hyp != MAP_FAILED && tz->mine != MAP_FAILED);
	hyp_efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(hvb_trap_hvisor_attach(tz->mine, -1, hyp_efd, &tz->b.hvisor), 0);
	tz->b.n_zones = 2;
	tz->b.zones = calloc(2, sizeof(*tz->b.zones));
	for (unsigned int i = 0; i < 2; i++) {
		struct hvb_zone *z = calloc(1, sizeof(*z));

		z->id = i + 1;
		z->trap = tz->b.hvisor;
		tz->b.zones[i] = z;
		cfg.name = i ? "v2" : "v1";
		cfg.base = i ? DEV2 : DEV1;
		CHECK_EQ(hvb_zone_add_device(z, &cfg, err, sizeof(err)), 0);
	}
	CHECK_EQ(pthread_create(&tz->th, NULL, bridge_thread, &tz->b), 0);
}

static void two_zones_down(struct two_zones *tz)
{
	uint64_t one = 1;

	tz->stop = 1;
	CHECK_EQ(write(hyp_efd, &one, sizeof(one)), 8);
	pthread_join(tz->th, NULL);
	hvb_bridge_free(&tz->b); /* closes hyp_efd */
	dev.reset_ms = dev.status_ms = 0;
	munmap(tz->mine, 4096); /* hyp stays, for the caller to look at */
}

/* Meanwhile zone 2's vCPU 1 reads its MagicValue every 2 ms for ms: the
 * worst answer, in ms. */
static uint64_t zone2_worst(uint64_t ms, unsigned int *reads)
{
	uint64_t t0 = now_ms(), worst = 0;

	*reads = 0;
	while (now_ms() - t0 < ms) {
		uint64_t a = now_ms();

		CHECK_EQ(hyp_access(1, 2, DEV2 + 0x00, false, 0), 0x74726976);
		if (now_ms() - a > worst)
			worst = now_ms() - a;
		(*reads)++;
		usleep(2000);
	}
	return worst;
}

/* FEATURES_OK and DRIVER_OK go to the device's driver (VDUSE: hvdpad,
 * which may be slow or restarting; vhost-vdpa holds the device's lock
 * meanwhile): here each SET_STATUS takes 300 ms. The writing vCPU is
 * answered when its device is done, with Status then as it should be;
 * zone 2 is answered throughout. */
static void test_slow_status_off_the_bridge_thread(void)
{
	struct two_zones tz;
	uint64_t t0, flag0, v = ~0ull, worst;
	unsigned int reads;

	two_zones_up(&tz);
	hyp_access(0, 1, DEV1 + 0x70, true, 1);
	hyp_access(0, 1, DEV1 + 0x70, true, 3);
	hyp_access(0, 1, DEV1 + 0x24, true, 1);
	hyp_access(0, 1, DEV1 + 0x20, true, (uint32_t)(F_DEV >> 32));
	dev.status_ms = 300;
	for (uint32_t want = 0xb; want <= 0xf; want += 4) {
		flag0 = hyp->cfg_flags[0];
		t0 = now_ms();
		hyp_push(0, 1, DEV1 + 0x70, true, want); /* vCPU 0 now waits */
		worst = zone2_worst(100, &reads);
		printf("# Status 0x%x being written: %u reads of zone 2, worst %llu ms\n", want,
		       reads, (unsigned long long)worst);
		CHECK(reads > 0);
		CHECK(worst < 60);
		/* Another vCPU of zone 1 meanwhile: Status as it was. */
		CHECK_EQ(hyp_access(2, 1, DEV1 + 0x70, false, 0), want == 0xb ? 3 : 0xb);
		CHECK(hyp_wait(0, flag0, &v));
		printf("# vCPU 0's write answered after %llu ms\n",
		       (unsigned long long)(now_ms() - t0));
		CHECK(now_ms() - t0 >= 250);
		CHECK_EQ(v, 0);
		CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, false, 0), want);
		CHECK_EQ(dev.status, want);
	}
	two_zones_down(&tz);
	munmap(hyp, 4096);
}

static void test_status0_answered_when_reset(void)
{
	struct two_zones tz;
	uint64_t t0, waited, worst = 0, flag0, v = ~0ull;
	unsigned int reads = 0;

	two_zones_up(&tz);

	hyp_negotiate(0);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, false, 0), 0xb);
	dev.reset_ms = 300;
	flag0 = hyp->cfg_flags[0];
	t0 = now_ms();
	hyp_push(0, 1, DEV1 + 0x70, true, 0); /* vCPU 0 now waits */
	while (now_ms() - t0 < 150) {
		uint64_t a = now_ms();

		CHECK_EQ(hyp_access(1, 2, DEV2 + 0x00, false, 0), 0x74726976);
		if (now_ms() - a > worst)
			worst = now_ms() - a;
		/* The device's other accesses meanwhile: Status as it was. */
		CHECK_EQ(hyp_access(2, 1, DEV1 + 0x70, false, 0), 0xb);
		reads++;
		usleep(2000);
	}
	printf("# during the reset: %u reads of zone 2 answered, worst %llu ms\n", reads,
	       (unsigned long long)worst);
	CHECK(reads > 0);
	CHECK(worst < 100);
	if (now_ms() - t0 < 250)
		CHECK_EQ(hyp->cfg_flags[0], flag0); /* still waiting */
	CHECK(hyp_wait(0, flag0, &v));
	waited = now_ms() - t0;
	printf("# vCPU 0's Status 0 write answered after %llu ms\n", (unsigned long long)waited);
	CHECK(waited >= 250);
	CHECK_EQ(v, 0);
	/* Straight on, as vm_probe after vm_reset: no read of Status. */
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, true, 1), 0);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, true, 3), 0);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, false, 0), 3);

	/* A reset under way and its answer kept when the bridge stops: the
	 * vCPU is answered, nothing leaks (ASan). */
	hyp_access(0, 1, DEV1 + 0x24, true, 1);
	hyp_access(0, 1, DEV1 + 0x20, true, (uint32_t)(F_DEV >> 32));
	hyp_access(0, 1, DEV1 + 0x70, true, 0xb);
	flag0 = hyp->cfg_flags[0];
	hyp_push(0, 1, DEV1 + 0x70, true, 0);
	usleep(20000);
	two_zones_down(&tz);
	CHECK_EQ(hyp->cfg_flags[0], flag0 + 1);
	munmap(hyp, 4096);
}

/* Zone interrupts the hypervisor has been handed since the last call,
 * for zone (and irq 78), taken off the result ring as hvisor would. */
static unsigned int hyp_irqs(uint32_t zone)
{
	uint32_t front = hyp->res_front, rear = __atomic_load_n(&hyp->res_rear, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	for (; front != rear; front = (front + 1) & 31)
		n += hyp->res_list[front].target_zone == zone && hyp->res_list[front].irq_id == 78;
	__atomic_store_n(&hyp->res_front, front, __ATOMIC_RELEASE);
	return n;
}

static volatile bool storming;

/* The device's config changes as fast as the kernel can signal it. */
static void *config_storm(void *arg)
{
	uint64_t one = 1, n = 0;

	(void)arg;
	while (storming)
		if (write(dev.config_fd, &one, sizeof(one)) == sizeof(one))
			n++;
	printf("# the device signalled %llu config changes\n", (unsigned long long)n);
	return NULL;
}

/* The device's config changes (vhost-vdpa signals the eventfd of
 * VHOST_VDPA_SET_CONFIG_CALL): the zone's driver, once at DRIVER_OK, gets
 * a config interrupt, InterruptStatus says so and ConfigGeneration moves.
 * A device changing config without end costs the bridge one call per
 * HVB_CONTROL_GAP_MS and zone 2 nothing noticeable; a reset takes the
 * eventfd back. */
static void test_config_change_reaches_the_zone(void)
{
	struct two_zones tz;
	uint64_t one = 1, t0, worst, flag0, v = ~0ull;
	uint32_t gen0, gen1;
	unsigned int reads, irqs = 0;
	pthread_t th;

	dev.config_fd = -1;
	dev.config_at_driver_ok = false;
	two_zones_up(&tz);
	hyp_negotiate(0);
	CHECK_EQ(dev.config_fd, -1); /* nobody to tell before DRIVER_OK */
	/* DRIVER_OK takes the device 200 ms (run ahead on the job's thread),
	 * and the config changes meanwhile: the zone hears of it once its
	 * write is taken. */
	dev.status_ms = 200;
	hyp_irqs(1);
	flag0 = hyp->cfg_flags[0];
	hyp_push(0, 1, DEV1 + 0x70, true, 0xf);
	usleep(100000);
	CHECK(dev.config_fd >= 0);
	if (dev.config_fd < 0) {
		two_zones_down(&tz);
		munmap(hyp, 4096);
		return;
	}
	CHECK_EQ(write(dev.config_fd, &one, sizeof(one)), 8);
	CHECK(hyp_wait(0, flag0, &v));
	dev.status_ms = 0;
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, false, 0), 0xf);
	CHECK(dev.config_at_driver_ok);
	t0 = now_ms();
	while (!(irqs = hyp_irqs(1)) && now_ms() - t0 < 2000)
		usleep(1000);
	printf("# a change while DRIVER_OK was under way: %u interrupt(s)\n", irqs);
	CHECK_EQ(irqs, 1);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x60, false, 0), VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x64, true, VIRTIO_MMIO_INT_CONFIG), 0);
	hyp_irqs(1);
	gen0 = (uint32_t)hyp_access(0, 1, DEV1 + 0xfc, false, 0);
	CHECK_EQ(write(dev.config_fd, &one, sizeof(one)), 8);
	t0 = now_ms();
	while (!(irqs = hyp_irqs(1)) && now_ms() - t0 < 2000)
		usleep(1000);
	printf("# one change: %u interrupt(s) after %llu ms\n", irqs,
	       (unsigned long long)(now_ms() - t0));
	CHECK_EQ(irqs, 1);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x60, false, 0), VIRTIO_MMIO_INT_CONFIG);
	gen1 = (uint32_t)hyp_access(0, 1, DEV1 + 0xfc, false, 0);
	CHECK(gen1 != gen0);
	/* Not acknowledged: a second change moves the generation, no second
	 * interrupt (the driver reads config after its acknowledgement). */
	CHECK_EQ(write(dev.config_fd, &one, sizeof(one)), 8);
	usleep(50000);
	CHECK_EQ(hyp_irqs(1), 0);
	CHECK((uint32_t)hyp_access(0, 1, DEV1 + 0xfc, false, 0) != gen1);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x64, true, VIRTIO_MMIO_INT_CONFIG), 0);
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x60, false, 0), 0);

	/* A storm, acknowledged by zone 1's vCPU 0 as fast as it comes. */
	gen0 = (uint32_t)hyp_access(0, 1, DEV1 + 0xfc, false, 0);
	storming = true;
	CHECK_EQ(pthread_create(&th, NULL, config_storm, NULL), 0);
	t0 = now_ms();
	irqs = 0;
	while (now_ms() - t0 < 500) {
		irqs += hyp_irqs(1);
		hyp_access(0, 1, DEV1 + 0x64, true, VIRTIO_MMIO_INT_CONFIG);
		usleep(500);
	}
	worst = zone2_worst(300, &reads);
	storming = false;
	pthread_join(th, NULL);
	gen1 = (uint32_t)hyp_access(0, 1, DEV1 + 0xfc, false, 0);
	irqs += hyp_irqs(1);
	printf("# storm of 800 ms: %u interrupts, %u config generations; zone 2's worst "
	       "read %llu ms (%u reads)\n",
	       irqs, gen1 - gen0, (unsigned long long)worst, reads);
	/* One per 10 ms at most, with room for a slow machine's timer. */
	CHECK(irqs >= 2);
	CHECK(gen1 - gen0 <= 800 / HVB_CONTROL_GAP_MS + 10);
	CHECK(worst < 60);

	/* A reset takes the eventfd back; a change then raises nothing. */
	CHECK_EQ(hyp_access(0, 1, DEV1 + 0x70, true, 0), 0);
	CHECK_EQ(dev.config_fd, -1);
	hyp_irqs(1);
	hyp_negotiate(0);
	CHECK(dev.config_fd == -1);
	two_zones_down(&tz);
	munmap(hyp, 4096);
}

int main(void)
{
	RUN(test_reset_loop_logs_bounded);
	RUN(test_regions_in_the_iotlb);
	RUN(test_slow_reset_off_the_bridge_thread);
	RUN(test_status0_answered_when_reset);
	RUN(test_slow_status_off_the_bridge_thread);
	RUN(test_config_change_reaches_the_zone);
	return check_done();
}
