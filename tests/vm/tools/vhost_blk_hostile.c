// SPDX-License-Identifier: MIT
/*
 * vhost_blk_hostile: drivers a device must survive. Drives a virtio-blk
 * device through /dev/vhost-vdpa-N as a vhost-vdpa user would (features,
 * one IOTLB entry over a shared memfd, queue 0), then:
 *
 *   vhost_blk_hostile /dev/vhost-vdpa-N reset COUNT
 *     the driver that does not wait: posts COUNT reads of 64 KiB, kicks,
 *     and resets the device (status 0) while they are in flight. Prints
 *     "resetting" just before, then "reset took N ms, M of COUNT reads
 *     answered by its end".
 *   vhost_blk_hostile /dev/vhost-vdpa-N break SECONDS
 *     the driver that breaks its ring: the avail index a queue and more
 *     ahead of the device, kicked; prints "broken", keeps the device as it
 *     is for SECONDS (no reset: the queue must stay parked, not polled),
 *     then resets it.
 *   vhost_blk_hostile /dev/vhost-vdpa-N cycle COUNT
 *     the driver that resets in a loop: COUNT times sets DRIVER_OK (with
 *     its ring) and resets; prints "cycled COUNT times in N ms". Whatever
 *     the device logs about it must stay bounded.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define IOVA	  0x10000000ull
#define MEM_SIZE  (8u << 20)
#define QSIZE	  64u
#define DATA_OFF  (64u << 10)
#define DATA_SIZE (64u << 10)

static int fd;

static void die(const char *what)
{
	fprintf(stderr, "vhost_blk_hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_status(uint8_t s)
{
	if (ioctl(fd, VHOST_VDPA_SET_STATUS, &s) < 0)
		die("VHOST_VDPA_SET_STATUS");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const uint8_t negotiated =
	VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;

/* The driver's side of bringing the device up, first half: a reset, then
 * features up to FEATURES_OK. */
static void negotiate(void)
{
	uint64_t feat, want;

	if (ioctl(fd, VHOST_GET_FEATURES, &feat) < 0)
		die("VHOST_GET_FEATURES");
	want = feat & ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM));
	set_status(0);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if (ioctl(fd, VHOST_SET_FEATURES, &want) < 0)
		die("VHOST_SET_FEATURES");
	set_status(negotiated);
}

/* Second half: queue 0 on the ring at IOVA, DRIVER_OK. */
static void go(int kick, int call)
{
	struct vhost_vring_state num = {.index = 0, .num = QSIZE}, base = {.index = 0};
	struct vhost_vring_addr addr = {.index = 0,
					.desc_user_addr = IOVA,
					.avail_user_addr = IOVA + 4096,
					.used_user_addr = IOVA + 8192};
	struct vhost_vring_file k = {.index = 0, .fd = kick}, c = {.index = 0, .fd = call};
	struct vhost_vring_state en = {.index = 0, .num = 1};

	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_ADDR, &addr) < 0 || ioctl(fd, VHOST_SET_VRING_KICK, &k) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &c) < 0 ||
	    ioctl(fd, VHOST_VDPA_SET_VRING_ENABLE, &en) < 0)
		die("vring setup");
	set_status(negotiated | VIRTIO_CONFIG_S_DRIVER_OK);
}

int main(int argc, char **argv)
{
	uint64_t bf = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2;
	struct vhost_msg_v2 msg = {.type = VHOST_IOTLB_MSG_V2};
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	unsigned int count = 0, seconds = 0, cycles = 0, qmax = 0;
	uint64_t one = 1, t0, t1;
	uint8_t *mem;
	int mfd, kick, call;

	if (argc == 4 && strcmp(argv[2], "reset") == 0)
		count = (unsigned int)atoi(argv[3]);
	else if (argc == 4 && strcmp(argv[2], "break") == 0)
		seconds = (unsigned int)atoi(argv[3]);
	else if (argc == 4 && strcmp(argv[2], "cycle") == 0)
		cycles = (unsigned int)atoi(argv[3]);
	if ((count == 0 || count > QSIZE / 3) && seconds == 0 && cycles == 0) {
		fprintf(stderr,
			"usage: vhost_blk_hostile /dev/vhost-vdpa-N reset COUNT (1-%u)\n"
			"       vhost_blk_hostile /dev/vhost-vdpa-N break SECONDS\n"
			"       vhost_blk_hostile /dev/vhost-vdpa-N cycle COUNT\n",
			QSIZE / 3);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1]);
	if (ioctl(fd, VHOST_SET_OWNER) < 0)
		die("VHOST_SET_OWNER");
	if (ioctl(fd, VHOST_SET_BACKEND_FEATURES, &bf) < 0)
		die("VHOST_SET_BACKEND_FEATURES");
	if (ioctl(fd, VHOST_VDPA_GET_VRING_NUM, &qmax) < 0 || qmax < QSIZE)
		die("VHOST_VDPA_GET_VRING_NUM");
	negotiate();

	/* vhost-vdpa maps only shared file-backed memory for VDUSE devices. */
	mfd = memfd_create("vhost-blk-hostile", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, MEM_SIZE) < 0)
		die("memfd");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memset(mem, 0, MEM_SIZE);
	msg.iotlb = (struct vhost_iotlb_msg){.iova = IOVA,
					     .size = MEM_SIZE,
					     .uaddr = (uint64_t)(uintptr_t)mem,
					     .perm = VHOST_ACCESS_RW,
					     .type = VHOST_IOTLB_UPDATE};
	if (write(fd, &msg, sizeof(msg)) != sizeof(msg))
		die("VHOST_IOTLB_UPDATE");

	desc = (struct vring_desc *)mem;
	avail = (struct vring_avail *)(mem + 4096);
	used = (struct vring_used *)(mem + 8192);
	kick = eventfd(0, EFD_CLOEXEC);
	call = eventfd(0, EFD_CLOEXEC);
	t0 = now_ms();
	go(kick, call);

	if (cycles) {
		/* Whether the reset kept the mapping or not is the device's
		 * business: either way it answers, and logs. */
		for (unsigned int i = 1; i < cycles; i++) {
			negotiate();
			go(kick, call);
		}
		set_status(0);
		printf("cycled %u times in %llu ms\n", cycles, (unsigned long long)(now_ms() - t0));
		close(fd);
		return 0;
	}

	if (seconds) {
		/* More than a queue's worth ahead of what the device has
		 * seen: no driver may do that (virtio 1.2, 2.7.13). */
		__atomic_store_n(&avail->idx, htole16(QSIZE + 7), __ATOMIC_RELEASE);
		if (write(kick, &one, sizeof(one)) != sizeof(one))
			die("kick");
		printf("broken\n");
		fflush(stdout);
		sleep(seconds);
		set_status(0);
		close(fd);
		return 0;
	}

	for (unsigned int i = 0; i < count; i++) {
		uint32_t off = DATA_OFF + i * (DATA_SIZE + 4096);
		struct virtio_blk_outhdr *h = (void *)(mem + off);
		uint16_t d = (uint16_t)(3 * i);

		h->type = htole32(VIRTIO_BLK_T_IN);
		h->sector = htole64((uint64_t)i * (DATA_SIZE / 512));
		desc[d] = (struct vring_desc){htole64(IOVA + off), htole32(sizeof(*h)),
					      htole16(VRING_DESC_F_NEXT), htole16(d + 1)};
		desc[d + 1] = (struct vring_desc){htole64(IOVA + off + 4096), htole32(DATA_SIZE),
						  htole16(VRING_DESC_F_NEXT | VRING_DESC_F_WRITE),
						  htole16(d + 2)};
		desc[d + 2] = (struct vring_desc){htole64(IOVA + off + 64), htole32(1),
						  htole16(VRING_DESC_F_WRITE), 0};
		avail->ring[i] = htole16(d);
	}
	__atomic_store_n(&avail->idx, htole16((uint16_t)count), __ATOMIC_RELEASE);
	if (write(kick, &one, sizeof(one)) != sizeof(one))
		die("kick");
	/* Long enough for the device to have taken them, not to finish. */
	usleep(500000);
	printf("resetting\n");
	fflush(stdout);
	t0 = now_ms();
	set_status(0);
	t1 = now_ms();
	printf("reset took %llu ms, %u of %u reads answered by its end\n",
	       (unsigned long long)(t1 - t0),
	       le16toh(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)), count);
	close(fd);
	return 0;
}
