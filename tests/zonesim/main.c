// SPDX-License-Identifier: MIT
/*
 *   zonesim [options] ACTION...        play a zone against hvbridge
 *   zonesim gen-pattern SEED OFF LEN   print the pattern bytes
 *
 * Options: --socket PATH --zone N --ram-base A --ram-size S --dev A
 *          --mib N --seed N --offset BYTES --count N --seconds N
 *          --bound-us N --segs N --threads N
 *          --ram2-base A --ram2-size S   a second RAM region (a memfd of
 *                                        its own, handed over after the first)
 *          --blk-bufs A   the blk driver's data buffers (32 x 64 KiB) at A:
 *                         in region 2, or across the two if they touch
 * Actions, run in order on one connection:
 *   blk        init, write --mib of pattern at --offset, flush, read back
 *   resets     reset and re-initialise twice, reading back each time
 *   hostile    --count random accesses and targeted garbage, then checks
 *              that the device can still be reset and used
 *   latency    --count register reads: round trip of one trapped access
 *   iops       4 KiB random reads at queue depth 32 for --seconds
 *   verify     init, read back --mib of pattern --seed at --offset (no writes)
 *   net        (a NIC at --dev) sends a broadcast frame, then waits --seconds
 *              for frames from the other side
 *   net-link   (a NIC at --dev) waits --seconds for its link status to
 *              change, announced by a config interrupt
 *   blk-resize (a blk at --dev) waits --seconds for its capacity to change,
 *              announced by a config interrupt
 *   console-write  (a console at --dev) writes --text
 *   console-read   reads --count bytes with 4 RX buffers of 256 bytes,
 *                  1 ms per buffer (a slow zone), into the file --out
 *   watch      register reads for --seconds: mean and worst round trip;
 *              fails if the worst is above --bound-us (if given)
 *   reset-storm    (hostile, a blk at --dev) for --seconds, one thread keeps
 *                  the queue full of reads of --segs x size_max bytes while
 *                  this one writes Status 0 and waits for it to read 0
 *   notify-flood   (hostile) --threads vCPUs write QueueNotify for --seconds
 *   fill           (hostile, a blk at --dev) keeps the queue full of reads
 *                  as reset-storm does for --seconds, without resets
 *   leave-storm    (hostile, a blk at --dev) for --seconds: fills the queue
 *                  as reset-storm does, then disconnects without a reset
 *                  and connects again at once
 * ACTION@ADDR runs an action on the device at ADDR instead of --dev, so
 * that one zone can drive several devices in one run.
 * Each prints "ok - ..." or "not ok - ..."; the exit status is 1 if any
 * failed.
 */
#include <getopt.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zonesim.h"

static struct {
	const char *socket;
	struct zs_link link;
	uint64_t mib, seed, offset, count, seconds;
	uint64_t bound_us, segs, threads;
	const char *text, *out;
	bool console_up;
} o = {.mib = 16,
       .seed = 1,
       .offset = 1 << 20,
       .count = 100000,
       .seconds = 5,
       .segs = 126,
       .threads = 3};
static int failures;

static void result(bool good, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(bool good, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", good ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !good;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned int slots(struct zs_blk *b)
{
	return b->qsize / 3 < ZS_SLOTS ? b->qsize / 3 : ZS_SLOTS;
}

/* Writes or checks len bytes of pattern at byte offset off, 64 KiB a
 * request, as many in flight as there are slots. Returns mismatches or
 * failed requests. */
static int stream(struct zs_blk *b, bool write, uint64_t off, uint64_t len)
{
	uint64_t next = 0, done = 0, slot_off[ZS_SLOTS];
	unsigned int free_slots[ZS_SLOTS], nfree = slots(b), got[ZS_SLOTS];
	uint8_t st[ZS_SLOTS], *expect = malloc(ZS_BUF_MAX);
	int bad = 0;

	for (unsigned int i = 0; i < nfree; i++)
		free_slots[i] = i;
	while (done < len) {
		int n;

		while (nfree && next < len) {
			unsigned int s = free_slots[--nfree];
			uint32_t chunk =
				(uint32_t)(len - next < ZS_BUF_MAX ? len - next : ZS_BUF_MAX);

			if (write)
				zs_pattern(o.seed, off + next, zs_blk_buf(b, s), chunk);
			slot_off[s] = next;
			zs_blk_submit(b, s, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				      (off + next) / 512, chunk);
			next += chunk;
		}
		n = zs_blk_complete(b, got, st, ZS_SLOTS, 5000);
		if (n == 0) {
			free(expect);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			unsigned int s = got[i];
			uint32_t chunk =
				(uint32_t)(len - slot_off[s] < ZS_BUF_MAX ? len - slot_off[s]
									  : ZS_BUF_MAX);

			bad += st[i] != VIRTIO_BLK_S_OK;
			if (!write) {
				zs_pattern(o.seed, off + slot_off[s], expect, chunk);
				bad += memcmp(expect, zs_blk_buf(b, s), chunk) != 0;
			}
			done += chunk;
			free_slots[nfree++] = s;
		}
	}
	free(expect);
	return bad;
}

static bool init(struct zs_blk *b)
{
	if (zs_blk_init(b, &o.link) < 0) {
		result(false, "driver initialisation");
		return false;
	}
	return true;
}

static void act_blk(struct zs_blk *b)
{
	uint64_t len = o.mib << 20;
	int w, r, f;

	if (!init(b))
		return;
	result(b->capacity * 512 >= o.offset + len, "negotiated 0x%llx, capacity %llu sectors",
	       (unsigned long long)b->features, (unsigned long long)b->capacity);
	w = stream(b, true, o.offset, len);
	result(w == 0, "wrote %llu MiB of pattern at byte %llu (%d bad)", (unsigned long long)o.mib,
	       (unsigned long long)o.offset, w);
	f = zs_blk_rw(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	result(f == VIRTIO_BLK_S_OK, "flush: status %d", f);
	r = stream(b, false, o.offset, len);
	result(r == 0, "read back %llu MiB identical (%d bad)", (unsigned long long)o.mib, r);
}

static void act_resets(struct zs_blk *b)
{
	for (int i = 1; i <= 2; i++) {
		int r;

		zs_blk_reset(b);
		if (!init(b))
			return;
		r = stream(b, false, o.offset, ZS_BUF_MAX * 4);
		result(r == 0, "reset %d: re-initialised, first 256 KiB read back (%d bad)", i, r);
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void act_hostile(struct zs_blk *b)
{
	static const unsigned int widths[] = {1, 2, 3, 4, 8, 16, 0};
	struct zs_link *l = &o.link;
	uint64_t s = o.seed * 0x9e3779b97f4a7c15ull | 1, t0 = now_ns();
	unsigned int slot;
	uint8_t st;
	uint32_t v;

	b->l = l;
	/* Random accesses anywhere in and around the window. */
	for (uint64_t i = 0; i < o.count; i++) {
		uint64_t off = rnd(&s) % 0x240, val = rnd(&s);
		unsigned int w = widths[rnd(&s) % 7];
		bool wr = rnd(&s) & 1;

		/* Random status writes would mostly reset the device; keep
		 * them rare so that the rest reaches queue set-up too. */
		if (wr && off >= VIRTIO_MMIO_STATUS && off < VIRTIO_MMIO_STATUS + 4 && rnd(&s) % 16)
			continue;
		zs_access(l, l->dev + off, w, wr, val);
	}
	result(true, "%llu random accesses answered in %.1f s", (unsigned long long)o.count,
	       (double)(now_ns() - t0) / 1e9);

	/* Rings outside zone RAM. */
	zs_blk_reset(b);
	zs_write(l, VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
	zs_write(l, VIRTIO_MMIO_DRIVER_FEATURES, 4,
		 (1u << (VIRTIO_F_VERSION_1 - 32)) | (1u << (VIRTIO_F_ACCESS_PLATFORM - 32)));
	zs_write(l, VIRTIO_MMIO_STATUS, 4,
		 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK);
	zs_write(l, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
	zs_write(l, VIRTIO_MMIO_QUEUE_NUM, 4, 0x10000);	    /* above QueueNumMax: ignored */
	zs_write(l, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, 0x1000); /* descriptors below zone RAM */
	zs_write(l, VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, 0);
	zs_write(l, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, (uint32_t)(l->ram_base + l->ram_size - 2));
	zs_write(l, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 4, (uint32_t)((l->ram_base + l->ram_size) >> 32));
	zs_write(l, VIRTIO_MMIO_QUEUE_USED_LOW, 4, 0xfffffffc);
	zs_write(l, VIRTIO_MMIO_QUEUE_USED_HIGH, 4, 0xffffffff);
	zs_write(l, VIRTIO_MMIO_QUEUE_READY, 4, 1);
	v = zs_read(l, VIRTIO_MMIO_STATUS, 4);
	result(zs_read(l, VIRTIO_MMIO_QUEUE_READY, 4) == 0 && (v & VIRTIO_CONFIG_S_NEEDS_RESET),
	       "rings outside zone RAM: queue not ready, status 0x%x has NEEDS_RESET", v);

	/* Odd widths and offsets read as 0. */
	v = zs_read(l, VIRTIO_MMIO_MAGIC_VALUE + 1, 2) |
	    zs_read(l, VIRTIO_MMIO_MAGIC_VALUE + 2, 4) | zs_read(l, VIRTIO_MMIO_MAGIC_VALUE, 1);
	result(v == 0, "unaligned and odd-width register reads give 0 (got 0x%x)", v);

	/* Descriptors outside zone RAM: the request must not complete with
	 * data from anywhere; the device stops or fails it. */
	zs_blk_reset(b);
	if (!init(b))
		return;
	{
		struct vring_desc *d = zs_blk_prepare(b, 1, VIRTIO_BLK_T_IN, 0, 4096);
		int n;

		d[1].addr = 0x1000;    /* below zone RAM */
		d[2].addr = ~0ull - 8; /* wraps */
		d[2].len = 64;
		zs_blk_publish(b, 1);
		n = zs_blk_complete(b, &slot, &st, 1, 2000);
		result(n == 0 || st != VIRTIO_BLK_S_OK, "descriptors outside zone RAM: %s",
		       n ? "request failed" : "queue stopped");
	}
	result(zs_read(l, VIRTIO_MMIO_MAGIC_VALUE, 4) == ZS_MMIO_MAGIC, "hvbridge still answers");
}

static void act_latency(void)
{
	uint64_t n = o.count < 100000 ? o.count : 100000, t0 = now_ns();

	for (uint64_t i = 0; i < n; i++)
		zs_read(&o.link, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	result(true, "latency: %.1f us per trapped register read (%llu reads)",
	       (double)(now_ns() - t0) / 1000.0 / (double)n, (unsigned long long)n);
}

static void act_watch(void)
{
	uint64_t end, n = 0, sum = 0, worst = 0;

	/* Answered, so hvbridge has taken the zone's RAM (HELLO came first on
	 * the socket): a test may now stop what mapping it would wait for. */
	zs_read(&o.link, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	printf("# watch: started, zone RAM taken\n");
	fflush(stdout);
	end = now_ns() + o.seconds * 1000000000ull;
	while (now_ns() < end) {
		uint64_t t0 = now_ns(), dt;

		zs_read(&o.link, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
		dt = now_ns() - t0;
		sum += dt;
		worst = dt > worst ? dt : worst;
		n++;
	}
	result(!o.bound_us || worst <= o.bound_us * 1000,
	       "watch: %llu register reads in %llu s: mean %.1f us, worst %.1f us (bound %llu us)",
	       (unsigned long long)n, (unsigned long long)o.seconds,
	       n ? (double)sum / 1000.0 / (double)n : 0.0, (double)worst / 1000.0,
	       (unsigned long long)o.bound_us);
}

static void act_reset_storm(void)
{
	struct zs_storm_stats st;
	int r = zs_reset_storm(&o.link, (unsigned int)o.segs, (unsigned int)o.seconds, &st);

	/* Linux does not read Status back after writing 0: the answer must
	 * come when the device is reset, not before (late). */
	result(r == 0 && st.resets > 0 && st.late == 0,
	       "reset-storm: %llu resets while feeding %llu reads of %u x %u bytes; Status 0 "
	       "answered in %.1f ms at worst, read 0 after %.1f ms at worst; %llu answered "
	       "before the reset was done",
	       (unsigned long long)st.resets, (unsigned long long)st.posted, st.segs, st.seg_len,
	       (double)st.worst_answer_ns / 1e6, (double)st.worst_reset_ns / 1e6,
	       (unsigned long long)st.late);
}

static void act_leave_storm(void)
{
	struct zs_leave_stats st;
	int r = zs_leave_storm(&o.link, o.socket, (unsigned int)o.segs, (unsigned int)o.seconds,
			       &st);

	result(r == 0 && st.leaves > 0,
	       "leave-storm: %llu times gone and back while %llu reads of %u x %u bytes were "
	       "posted; back after %.1f ms at worst",
	       (unsigned long long)st.leaves, (unsigned long long)st.posted, st.segs, st.seg_len,
	       (double)st.worst_back_ns / 1e6);
}

static void act_fill(void)
{
	uint64_t posted = 0;
	int r = zs_fill(&o.link, (unsigned int)o.segs, (unsigned int)o.seconds, &posted);

	result(r == 0 && posted > 0, "fill: %llu reads posted in %llu s",
	       (unsigned long long)posted, (unsigned long long)o.seconds);
}

static void act_notify_flood(struct zs_blk *b)
{
	uint64_t sent;

	if (!init(b))
		return;
	sent = zs_notify_flood(&o.link, (unsigned int)o.threads, (unsigned int)o.seconds);
	result(sent > 0, "notify-flood: %llu notifies from %llu vCPUs in %llu s",
	       (unsigned long long)sent, (unsigned long long)o.threads,
	       (unsigned long long)o.seconds);
	result(zs_read(&o.link, VIRTIO_MMIO_MAGIC_VALUE, 4) == ZS_MMIO_MAGIC,
	       "hvbridge still answers");
}

static void act_iops(struct zs_blk *b)
{
	uint64_t s = 12345, end, t0, done = 0, span;
	unsigned int got[ZS_SLOTS], ns;
	uint8_t st[ZS_SLOTS];
	int bad = 0;

	if (!init(b))
		return;
	span = b->capacity / 8;
	ns = slots(b);
	t0 = now_ns();
	end = t0 + o.seconds * 1000000000ull;
	for (unsigned int i = 0; i < ns; i++)
		zs_blk_submit(b, i, VIRTIO_BLK_T_IN, rnd(&s) % span * 8, 4096);
	while (b->inflight) {
		int n = zs_blk_complete(b, got, st, ZS_SLOTS, 5000);

		if (n == 0) {
			bad++;
			break;
		}
		for (int i = 0; i < n; i++) {
			bad += st[i] != VIRTIO_BLK_S_OK;
			done++;
			if (now_ns() < end)
				zs_blk_submit(b, got[i], VIRTIO_BLK_T_IN, rnd(&s) % span * 8, 4096);
		}
	}
	result(bad == 0, "iops: %.0f 4 KiB random reads/s at queue depth %u (%llu done, %d bad)",
	       (double)done * 1e9 / (double)(now_ns() - t0), ns, (unsigned long long)done, bad);
}

static void act_verify(struct zs_blk *b)
{
	int r;

	if (!init(b))
		return;
	r = stream(b, false, o.offset, o.mib << 20);
	result(r == 0, "verify: %llu MiB at byte %llu read back as pattern %llu (%d bad)",
	       (unsigned long long)o.mib, (unsigned long long)o.offset, (unsigned long long)o.seed,
	       r);
}

static void act_net(void)
{
	uint8_t mac[6], frame[1514] = {0};
	int n, got = 0, first = -1;
	uint64_t end;

	if (zs_net_init(&o.link, mac) < 0) {
		result(false, "net: driver initialisation");
		return;
	}
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5; /* local experimental ethertype */
	memcpy(frame + 14, "hvdpa zone frame", 16);
	result(zs_net_send(&o.link, frame, 60) == 0,
	       "net: mac %02x:%02x:%02x:%02x:%02x:%02x, sent a broadcast frame", mac[0], mac[1],
	       mac[2], mac[3], mac[4], mac[5]);
	end = now_ns() + o.seconds * 1000000000ull;
	while (now_ns() < end && (n = zs_net_recv(&o.link, frame, sizeof(frame), 500)) != -2) {
		if (n < 14)
			continue;
		if (first < 0)
			first = frame[12] << 8 | frame[13];
		got++;
	}
	result(got > 0, "net: received %d frames (the first of ethertype 0x%04x)", got,
	       first < 0 ? 0 : first);
}

/* The NIC's link as config space says, then a change of it announced by a
 * config interrupt (InterruptStatus bit and a new ConfigGeneration) within
 * --seconds: the test turns the tap's carrier off meanwhile. */
static void act_net_link(void)
{
	uint8_t mac[6];
	uint32_t gen, irq = 0;
	int up, now;
	uint64_t end;

	if (zs_net_init(&o.link, mac) < 0) {
		result(false, "net-link: driver initialisation");
		return;
	}
	gen = zs_read(&o.link, VIRTIO_MMIO_CONFIG_GENERATION, 4);
	up = zs_net_link_up(&o.link);
	printf("# net-link: link %s\n", up ? "up" : "down");
	fflush(stdout);
	end = now_ns() + o.seconds * 1000000000ull;
	do {
		irq |= zs_read(&o.link, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
		now = zs_net_link_up(&o.link);
		if (now != up && (irq & VIRTIO_MMIO_INT_CONFIG))
			break;
		usleep(20000);
	} while (now_ns() < end);
	zs_write(&o.link, VIRTIO_MMIO_INTERRUPT_ACK, 4, irq);
	result(now != up && (irq & VIRTIO_MMIO_INT_CONFIG) &&
		       zs_read(&o.link, VIRTIO_MMIO_CONFIG_GENERATION, 4) != gen,
	       "net-link: link %s at the end (%s), config interrupt %s", now ? "up" : "down",
	       now != up ? "changed" : "unchanged",
	       irq & VIRTIO_MMIO_INT_CONFIG ? "raised" : "never raised");
}

/* The disk's capacity, then a change of it announced by a config
 * interrupt within --seconds: the test resizes the disk meanwhile. */
static void act_blk_resize(struct zs_blk *b)
{
	uint32_t gen, irq = 0;
	uint64_t cap, now, end;

	if (!init(b))
		return;
	cap = now = b->capacity;
	gen = zs_read(&o.link, VIRTIO_MMIO_CONFIG_GENERATION, 4);
	printf("# blk-resize: capacity %llu\n", (unsigned long long)cap);
	fflush(stdout);
	end = now_ns() + o.seconds * 1000000000ull;
	do {
		irq |= zs_read(&o.link, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
		/* hvisor traps 4-byte accesses: the capacity in two halves. */
		now = zs_read(&o.link, VIRTIO_MMIO_CONFIG, 4) |
		      (uint64_t)zs_read(&o.link, VIRTIO_MMIO_CONFIG + 4, 4) << 32;
		if (now != cap && (irq & VIRTIO_MMIO_INT_CONFIG))
			break;
		usleep(20000);
	} while (now_ns() < end);
	zs_write(&o.link, VIRTIO_MMIO_INTERRUPT_ACK, 4, irq);
	result(now != cap && (irq & VIRTIO_MMIO_INT_CONFIG) &&
		       zs_read(&o.link, VIRTIO_MMIO_CONFIG_GENERATION, 4) != gen,
	       "blk-resize: capacity %llu at the end (%s), config interrupt %s",
	       (unsigned long long)now, now != cap ? "changed" : "unchanged",
	       irq & VIRTIO_MMIO_INT_CONFIG ? "raised" : "never raised");
	zs_blk_reset(b);
}

static bool console_up(void)
{
	uint16_t cols = 0, rows = 0;

	if (o.console_up)
		return true;
	o.console_up = zs_console_init(&o.link, &cols, &rows) == 0;
	result(o.console_up, "console: negotiated, %ux%u", cols, rows);
	return o.console_up;
}

static void act_console_write(void)
{
	const char *t = o.text ? o.text : "hello from the zone\n";

	if (console_up())
		result(zs_console_write(&o.link, t, (uint32_t)strlen(t)) == 0,
		       "console: wrote %zu bytes", strlen(t));
}

static void act_console_read(void)
{
	uint8_t *buf = malloc(o.count);
	FILE *f;
	int got;

	if (!buf || !console_up())
		return;
	got = zs_console_read(&o.link, buf, (uint32_t)o.count, 4, 256, 1000);
	result((uint64_t)got == o.count, "console: read %d of %llu bytes", got,
	       (unsigned long long)o.count);
	f = o.out ? fopen(o.out, "w") : NULL;
	if (f) {
		fwrite(buf, 1, (size_t)(got > 0 ? got : 0), f);
		fclose(f);
	}
	free(buf);
}

static int gen_pattern(char **argv)
{
	uint64_t seed = strtoull(argv[0], NULL, 0), off = strtoull(argv[1], NULL, 0);
	uint64_t len = strtoull(argv[2], NULL, 0);
	uint8_t buf[65536];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		zs_pattern(seed, off, buf, n);
		if (fwrite(buf, 1, n, stdout) != n)
			return 1;
		off += n;
		len -= n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 'S'},
		{"zone", required_argument, NULL, 'z'},
		{"ram-base", required_argument, NULL, 'b'},
		{"ram-size", required_argument, NULL, 's'},
		{"dev", required_argument, NULL, 'd'},
		{"mib", required_argument, NULL, 'm'},
		{"seed", required_argument, NULL, 'r'},
		{"offset", required_argument, NULL, 'o'},
		{"count", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 't'},
		{"text", required_argument, NULL, 'T'},
		{"out", required_argument, NULL, 'O'},
		{"bound-us", required_argument, NULL, 'B'},
		{"segs", required_argument, NULL, 'g'},
		{"threads", required_argument, NULL, 'j'},
		{"ram2-base", required_argument, NULL, '2'},
		{"ram2-size", required_argument, NULL, '3'},
		{"blk-bufs", required_argument, NULL, 'k'},
		{0},
	};
	struct zs_blk blk = {0};
	int c;

	if (argc == 5 && strcmp(argv[1], "gen-pattern") == 0)
		return gen_pattern(argv + 2);
	o.link.zone = 1;
	o.link.ram_base = 0x80000000;
	o.link.ram_size = 64 << 20;
	o.link.dev = 0xa0000000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t v = optarg ? strtoull(optarg, NULL, 0) : 0;

		switch (c) {
		case 'S':
			o.socket = optarg;
			break;
		case 'z':
			o.link.zone = (uint32_t)v;
			break;
		case 'b':
			o.link.ram_base = v;
			break;
		case 's':
			o.link.ram_size = v;
			break;
		case 'd':
			o.link.dev = v;
			break;
		case 'm':
			o.mib = v;
			break;
		case 'r':
			o.seed = v;
			break;
		case 'o':
			o.offset = v;
			break;
		case 'c':
			o.count = v;
			break;
		case 't':
			o.seconds = v;
			break;
		case 'T':
			o.text = optarg;
			break;
		case 'O':
			o.out = optarg;
			break;
		case 'B':
			o.bound_us = v;
			break;
		case 'g':
			o.segs = v;
			break;
		case 'j':
			o.threads = v;
			break;
		case '2':
			o.link.ram2_base = v;
			break;
		case '3':
			o.link.ram2_size = v;
			break;
		case 'k':
			o.link.blk_bufs = v;
			break;
		default:
			return 2;
		}
	}
	if (!o.socket || optind == argc || (o.mib << 20) > 1ull << 40) {
		fprintf(stderr, "usage: zonesim --socket PATH [options] ACTION...\n");
		return 2;
	}
	zs_connect(&o.link, o.socket);
	for (int i = optind; i < argc; i++) {
		char *at = strchr(argv[i], '@');

		if (at) {
			*at = '\0';
			o.link.dev = strtoull(at + 1, NULL, 0);
		}
		if (strcmp(argv[i], "blk") == 0)
			act_blk(&blk);
		else if (strcmp(argv[i], "resets") == 0)
			act_resets(&blk);
		else if (strcmp(argv[i], "hostile") == 0)
			act_hostile(&blk);
		else if (strcmp(argv[i], "latency") == 0)
			act_latency();
		else if (strcmp(argv[i], "iops") == 0)
			act_iops(&blk);
		else if (strcmp(argv[i], "verify") == 0)
			act_verify(&blk);
		else if (strcmp(argv[i], "net") == 0)
			act_net();
		else if (strcmp(argv[i], "net-link") == 0)
			act_net_link();
		else if (strcmp(argv[i], "blk-resize") == 0)
			act_blk_resize(&blk);
		else if (strcmp(argv[i], "console-write") == 0)
			act_console_write();
		else if (strcmp(argv[i], "console-read") == 0)
			act_console_read();
		else if (strcmp(argv[i], "watch") == 0)
			act_watch();
		else if (strcmp(argv[i], "reset-storm") == 0)
			act_reset_storm();
		else if (strcmp(argv[i], "fill") == 0)
			act_fill();
		else if (strcmp(argv[i], "leave-storm") == 0)
			act_leave_storm();
		else if (strcmp(argv[i], "notify-flood") == 0)
			act_notify_flood(&blk);
		else {
			fprintf(stderr, "zonesim: unknown action '%s'\n", argv[i]);
			return 2;
		}
	}
	return failures ? 1 : 0;
}
