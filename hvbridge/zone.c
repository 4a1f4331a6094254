// SPDX-License-Identifier: MIT
/*
 * A zone's RAM and the devices in its MMIO space. RAM comes and goes (a
 * simulator connects and leaves; a real zone is mapped once) and devices
 * can be added to and removed from a running bridge, so both are kept
 * apart from the config that first described them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"
#include "hvdpa/log.h"
#include "local.h"
#include "range.h"
#include "vhost_vdpa.h"

static void device_irq(struct hv_mmio_dev *m)
{
	struct hvb_device *d = m->irq_arg;
	struct hvb_trap *t = d->zone->trap;

	if (t)
		t->ops->irq(t, d->zone->id, d->cfg.irq);
}

static const struct hvb_zone_ram *region_at(const struct hvb_zone *z, uint64_t addr)
{
	for (unsigned int i = 0; i < z->n_ram; i++)
		if (addr >= z->ram[i].base && addr - z->ram[i].base < z->ram[i].size)
			return &z->ram[i];
	return NULL;
}

/* Regions are mapped apart: a range that runs into the next region is
 * given up to the end of its own, and the caller translates the rest (or,
 * needing it contiguous, refuses it). */
static void *zone_translate(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write,
			    uint64_t *avail)
{
	struct hvb_zone *z = ((struct hvb_zone_mem *)mem)->zone;
	const struct hvb_zone_ram *r;
	uint64_t off;

	(void)write;
	if (!z->has_ram || !(r = region_at(z, addr)))
		return NULL;
	off = addr - r->base;
	*avail = len < r->size - off ? len : r->size - off;
	return (uint8_t *)r->host + off;
}

const struct hvb_zone_ram *hvb_zone_ram_overlap(const struct hvb_zone *z, uint64_t base,
						uint64_t size)
{
	for (unsigned int i = 0; i < z->n_ram; i++)
		if (hvb_range_overlap(base, size, z->ram[i].base, z->ram[i].size))
			return &z->ram[i];
	return NULL;
}

static int device_map(struct hvb_device *d)
{
	struct hvb_zone *z = d->zone;
	struct hvb_ram ram = {.n = z->n_ram};

	for (unsigned int i = 0; i < z->n_ram; i++)
		ram.r[i] = (struct hvb_ram_region){
			.base = z->ram[i].base, .size = z->ram[i].size, .host = z->ram[i].host};
	return d->be->ops->set_ram(d->be, z->has_ram ? &ram : NULL, &z->mem.mem, z->shadow);
}

/*
 * vhost-vdpa maps VDUSE devices by virtual address and silently skips
 * whatever is not a shared file mapping (drivers/vhost/vdpa.c,
 * vhost_vdpa_va_map): a regular file (memfd, tmpfs, hugetlbfs) works,
 * hvisor's PFN-mapped /dev/hvisor does not and needs shadow rings.
 */
static int check_mode(struct hvb_zone *z, struct hvb_zone_ram *r, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	r->direct_ok = S_ISREG(st.st_mode);
	if (z->data == HVB_DATA_DIRECT && !r->direct_ok) {
		hv_err_ratelimited(
			&z->rl,
			"zone %u: data \"direct\" needs RAM that is a shared file mapping "
			"(memfd, tmpfs, hugetlbfs), which vhost-vdpa can map; use "
			"\"shadow\"",
			z->id);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Direct only if the device can map every region. */
static bool choose_shadow(const struct hvb_zone *z)
{
	for (unsigned int i = 0; i < z->n_ram; i++)
		if (!z->ram[i].direct_ok)
			return true;
	return z->data == HVB_DATA_SHADOW;
}

/*
 * Zone RAM is mapped shared: if its file shrank, the next touch of a page
 * past the new end would be SIGBUS in whichever thread made it, and
 * hvbridge would die with every zone. So the file must be one that cannot
 * shrink under us: a memfd sealed with F_SEAL_SHRINK (seals are never
 * lifted, so what is checked here holds for good), or a file only root or
 * our own user may write. Growing does no harm and is not required to be
 * sealed. hvisor's device memory is not a file and cannot shrink.
 */
static int check_ram_fd(struct hvb_zone *z, const struct hvb_zone_ram *r, int fd)
{
	struct stat st;
	int seals;

	if (r->backing == HVB_RAM_HVISOR)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_SHRINK))
		return 0;
	if (r->backing == HVB_RAM_SIM) {
		hv_err_ratelimited(&z->rl,
				   "zone %u: RAM refused: a memfd without F_SEAL_SHRINK could be "
				   "truncated under hvbridge (seal it: fcntl(fd, F_ADD_SEALS, "
				   "F_SEAL_SHRINK | F_SEAL_GROW))",
				   z->id);
		return -EPERM;
	}
	if (!S_ISREG(st.st_mode))
		return 0; /* a device node: nothing to truncate */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		hv_err_ratelimited(
			&z->rl,
			"zone %u: RAM file %s refused: owned by uid %u, who could truncate "
			"it under hvbridge (make it root's, mode 0600, or hand over a memfd "
			"sealed with F_SEAL_SHRINK)",
			z->id, r->path ? r->path : "(unnamed)", (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		hv_err_ratelimited(
			&z->rl,
			"zone %u: RAM file %s refused: writable by group or others, who "
			"could truncate it under hvbridge (chmod 0600, or hand over a memfd "
			"sealed with F_SEAL_SHRINK)",
			z->id, r->path ? r->path : "(unnamed)");
		return -EPERM;
	}
	return 0;
}

/* "0x80000000+0x4000000, 0x90000000+0x1000" */
static const char *regions_str(const struct hvb_zone *z, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < z->n_ram && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s0x%llx+0x%llx", i ? ", " : "",
				      (unsigned long long)z->ram[i].base,
				      (unsigned long long)z->ram[i].size);
	return buf;
}

/* The region the config names [base, base+size), if it may be taken now. */
static int region_offered(struct hvb_zone *z, uint64_t base, uint64_t size,
			  struct hvb_zone_ram **out)
{
	char names[HVB_RAM_MAX * 40];

	if (z->has_ram || z->ram_dropping) {
		hv_err_ratelimited(&z->rl, "zone %u: RAM offered while %s", z->id,
				   z->ram_dropping ? "its devices are still resetting"
						   : "it has RAM mapped");
		return -EBUSY;
	}
	for (unsigned int i = 0; i < z->n_ram; i++) {
		struct hvb_zone_ram *r = &z->ram[i];

		if (r->base != base || r->size != size)
			continue;
		if (!r->host) {
			*out = r;
			return 0;
		}
		hv_err_ratelimited(&z->rl, "zone %u: RAM 0x%llx+0x%llx offered twice", z->id,
				   (unsigned long long)base, (unsigned long long)size);
		return -EBUSY;
	}
	hv_err_ratelimited(&z->rl, "zone %u: RAM offered at 0x%llx+0x%llx, but the config says %s",
			   z->id, (unsigned long long)base, (unsigned long long)size,
			   regions_str(z, names, sizeof(names)));
	return -EINVAL;
}

static int map_region(struct hvb_zone *z, struct hvb_zone_ram *r, int fd)
{
	struct stat st;
	uint64_t off;
	void *p;
	int ret;

	/* The simulator's memfd is the region alone; hvisor's device and a
	 * file hold it at an offset. */
	off = r->backing == HVB_RAM_SIM ? 0 : r->offset;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < off + r->size) {
		hv_err_ratelimited(
			&z->rl,
			"zone %u: its RAM file holds %lld bytes, short of 0x%llx+0x%llx: "
			"the zone would fault on what is missing",
			z->id, (long long)st.st_size, (unsigned long long)off,
			(unsigned long long)r->size);
		return -EINVAL;
	}
	p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED) {
		ret = -errno;
		hv_err_ratelimited(&z->rl, "zone %u: mapping its RAM: %s", z->id, strerror(-ret));
		return ret;
	}
	r->host = p;
	return 0;
}

static bool all_mapped(const struct hvb_zone *z)
{
	for (unsigned int i = 0; i < z->n_ram; i++)
		if (!z->ram[i].host)
			return false;
	return true;
}

/* Every region is mapped: the devices reach them now. */
static int ram_up(struct hvb_zone *z)
{
	char names[HVB_RAM_MAX * 40];
	int r;

	z->shadow = choose_shadow(z);
	z->has_ram = true;
	z->mem.mem.translate = zone_translate;
	z->mem.zone = z;
	for (unsigned int i = 0; i < z->n_devs; i++) {
		if (z->devs[i]->be && (r = device_map(z->devs[i])) < 0) {
			hv_err_ratelimited(&z->rl,
					   "zone %u: %s: cannot map zone RAM for the device: %s",
					   z->id, z->devs[i]->cfg.name, strerror(-r));
			hvb_zone_drop_ram(z);
			return r;
		}
	}
	hv_info_ratelimited(&z->rl, "zone %u: RAM %s mapped; data mode %s", z->id,
			    regions_str(z, names, sizeof(names)),
			    z->shadow ? "shadow: requests are copied through rings of ours"
				      : "direct: devices use zone RAM in place");
	return 0;
}

int hvb_zone_set_ram(struct hvb_zone *z, int fd, uint64_t base, uint64_t size)
{
	struct hvb_zone_ram *r = NULL;
	int ret;

	if ((ret = region_offered(z, base, size, &r)) < 0 || (ret = check_ram_fd(z, r, fd)) < 0 ||
	    (ret = check_mode(z, r, fd)) < 0 || (ret = map_region(z, r, fd)) < 0)
		return ret;
	return all_mapped(z) ? ram_up(z) : 0;
}

/* Unmaps what is mapped: no device reaches it (any more). */
static void unmap_regions(struct hvb_zone *z)
{
	for (unsigned int i = 0; i < z->n_ram; i++) {
		if (z->ram[i].host)
			munmap(z->ram[i].host, z->ram[i].size);
		z->ram[i].host = NULL;
	}
	z->has_ram = false;
}

/* The last device's reset is done: nothing reaches zone RAM any more. */
static void finish_drop(struct hvb_zone *z)
{
	unmap_regions(z);
	z->ram_dropping = false;
	hv_info_ratelimited(&z->rl, "zone %u: RAM unmapped; its devices are reset", z->id);
}

static bool zone_busy(struct hvb_zone *z)
{
	for (unsigned int i = 0; i < z->n_devs; i++)
		if (hvb_device_resetting(z->devs[i]))
			return true;
	return z->n_retiring > 0;
}

/* A reset that was quick (or the bridge's to wait for): the register file
 * resets, the reset fd is no longer watched, and a vCPU that waits for the
 * device's answer has it. */
static void reset_now(struct hvb_device *d)
{
	hv_mmio_reset(&d->mmio);
	hvb_device_watch(d);
	hvb_device_answer_due(d);
}

/* A device of a zone whose RAM goes: reset now, or in the background. */
static void drop_device_ram(struct hvb_device *d)
{
	if (!d->be || hvb_device_resetting(d) || hvb_device_reset_begin(d))
		return;
	reset_now(d);
	d->be->ops->set_ram(d->be, NULL, NULL, false);
}

/*
 * The zone went (its simulator left; hvisor stopped it): every device is
 * reset before the RAM it reaches is unmapped. A reset that takes time
 * (requests in flight on a slow disk, a vhost-vdpa device waiting for its
 * VDUSE daemon) goes on in the background, and the unmapping waits for the
 * last one (hvb_zone_reset_done), not the bridge thread: other zones are
 * served meanwhile.
 */
void hvb_zone_drop_ram(struct hvb_zone *z)
{
	if (z->ram_dropping)
		return;
	if (!z->has_ram) {
		unmap_regions(z); /* some handed over: no device has them yet */
		return;
	}
	z->ram_dropping = true;
	for (unsigned int i = 0; i < z->n_devs; i++)
		drop_device_ram(z->devs[i]);
	if (!zone_busy(z))
		finish_drop(z);
}

static void device_free(struct hvb_device *d);

void hvb_zone_reset_done(struct hvb_zone *z, struct hvb_device *d)
{
	/* What was done may have been a Status write run ahead: a device
	 * that is going needs its reset still. */
	if ((d->retiring || z->ram_dropping) && d->be && d->mmio.status) {
		if (hvb_device_reset_begin(d))
			return; /* back here when it is done */
		reset_now(d);
	}
	if (d->retiring) {
		for (unsigned int i = 0; i < z->n_retiring; i++)
			if (z->retiring[i] == d)
				z->retiring[i] = z->retiring[--z->n_retiring];
		hv_info("zone %u: %s: reset, and closed", z->id, d->cfg.name);
		device_free(d);
	} else if (z->ram_dropping && d->be) {
		d->be->ops->set_ram(d->be, NULL, NULL, false);
	}
	if (z->ram_dropping && !zone_busy(z))
		finish_drop(z);
}

static int device_open(struct hvb_device *d, char *err, size_t errlen)
{
	int r;

	if (d->cfg.vhost)
		r = hvb_vhost_open(d->cfg.vhost, &d->mmio, &d->be, err, errlen);
	else
		r = hvb_local_open(d->cfg.local, d->cfg.name, &d->mmio, &d->be, err, errlen);
	if (r < 0)
		return r;
	if (VIRTIO_MMIO_CONFIG + d->mmio.config_size > d->cfg.size) {
		snprintf(err, errlen,
			 "%s: a window of 0x%llx bytes is too small for %u config bytes",
			 d->cfg.name, (unsigned long long)d->cfg.size, d->mmio.config_size);
		r = -EINVAL;
		goto fail;
	}
	r = hv_mmio_init(&d->mmio, d->be->ops->mmio, d->be, d->cfg.name);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", d->cfg.name, strerror(-r));
		goto fail;
	}
	d->mmio.irq = device_irq;
	d->mmio.irq_arg = d;
	if (d->zone->has_ram && !d->zone->ram_dropping && (r = device_map(d)) < 0) {
		snprintf(err, errlen, "%s: cannot map zone RAM for the device: %s", d->cfg.name,
			 strerror(-r));
		hv_mmio_fini(&d->mmio);
		goto fail;
	}
	r = hvb_device_watch(d);
	if (r < 0) {
		snprintf(err, errlen, "%s: watching its fds: %s", d->cfg.name, strerror(-r));
		hv_mmio_fini(&d->mmio);
		goto fail;
	}
	hv_info("zone %u: %s: virtio device %u at 0x%llx (irq %u) from %s%s, %u queues of %u",
		d->zone->id, d->cfg.name, d->mmio.device_id, (unsigned long long)d->cfg.base,
		d->cfg.irq, d->cfg.vhost ? "" : "local ",
		d->cfg.vhost ? d->cfg.vhost : d->cfg.local, d->mmio.num_queues,
		d->mmio.queue_num_max);
	return 0;
fail:
	d->be->ops->close(d->be);
	d->be = NULL;
	return r;
}

static void device_free(struct hvb_device *d)
{
	hvb_device_unwatch(d);
	if (d->be) {
		hv_mmio_fini(&d->mmio);
		d->be->ops->close(d->be); /* waits for a reset under way */
	}
	hvb_device_answer_due(d); /* a vCPU waits no longer than its device */
	hvb_device_cfg_free(&d->cfg);
	free(d);
}

int hvb_zone_open_devices(struct hvb_zone *z, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < z->n_devs; i++) {
		int r = device_open(z->devs[i], err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}

struct hvb_device *hvb_zone_find(struct hvb_zone *z, uint64_t addr)
{
	for (unsigned int i = 0; i < z->n_devs; i++) {
		struct hvb_device *d = z->devs[i];

		if (addr >= d->cfg.base && addr - d->cfg.base < d->cfg.size)
			return d->be ? d : NULL;
	}
	return NULL;
}

int hvb_zone_add_device(struct hvb_zone *z, const struct hvb_device_cfg *cfg, char *err,
			size_t errlen)
{
	const struct hvb_zone_ram *ram;
	struct hvb_device **devs, *d;
	int r;

	for (unsigned int i = 0; i < z->n_devs; i++) {
		const struct hvb_device_cfg *e = &z->devs[i]->cfg;

		if (strcmp(e->name, cfg->name) == 0) {
			snprintf(err, errlen, "%s: zone %u already has a device of that name",
				 cfg->name, z->id);
			return -EEXIST;
		}
		if (hvb_range_overlap(cfg->base, cfg->size, e->base, e->size)) {
			snprintf(err, errlen, "%s: window 0x%llx+0x%llx overlaps %s", cfg->name,
				 (unsigned long long)cfg->base, (unsigned long long)cfg->size,
				 e->name);
			return -EEXIST;
		}
	}
	if ((ram = hvb_zone_ram_overlap(z, cfg->base, cfg->size))) {
		snprintf(err, errlen, "%s: window overlaps zone %u's RAM at 0x%llx+0x%llx",
			 cfg->name, z->id, (unsigned long long)ram->base,
			 (unsigned long long)ram->size);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	devs = realloc(z->devs, (z->n_devs + 1) * sizeof(*devs));
	if (!d || !devs) {
		free(d);
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -ENOMEM;
	}
	z->devs = devs;
	d->cfg = *cfg;
	d->cfg.name = strdup(cfg->name);
	d->cfg.vhost = cfg->vhost ? strdup(cfg->vhost) : NULL;
	d->cfg.local = cfg->local ? strdup(cfg->local) : NULL;
	d->zone = z;
	if (!d->cfg.name || (!d->cfg.vhost && !d->cfg.local)) {
		device_free(d);
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -ENOMEM;
	}
	r = device_open(d, err, errlen);
	if (r < 0) {
		device_free(d);
		return r;
	}
	z->devs[z->n_devs++] = d;
	return 0;
}

int hvb_zone_remove_device(struct hvb_zone *z, const char *name)
{
	for (unsigned int i = 0; i < z->n_devs; i++) {
		struct hvb_device *d = z->devs[i];
		struct hvb_device **r;

		if (strcmp(d->cfg.name, name))
			continue;
		memmove(&z->devs[i], &z->devs[i + 1], (z->n_devs - i - 1) * sizeof(*z->devs));
		z->n_devs--;
		/* A reset that takes time finishes in the background, and the
		 * device is closed then (hvb_zone_reset_done). */
		r = realloc(z->retiring, (z->n_retiring + 1) * sizeof(*r));
		if (r)
			z->retiring = r;
		if (r && d->be && (hvb_device_resetting(d) || hvb_device_reset_begin(d))) {
			d->retiring = true;
			z->retiring[z->n_retiring++] = d;
			hv_info("zone %u: %s removed; it closes when its reset is done", z->id,
				name);
			return 0;
		}
		if (d->be)
			reset_now(d);
		hv_info("zone %u: %s removed", z->id, name);
		device_free(d);
		return 0;
	}
	return -ENOENT;
}

void hvb_zone_free(struct hvb_zone *z)
{
	if (!z)
		return;
	/* Going away: the resets are waited for here (close waits). */
	for (unsigned int i = 0; i < z->n_retiring; i++)
		device_free(z->retiring[i]);
	for (unsigned int i = 0; z->devs && i < z->n_devs; i++) {
		struct hvb_device *d = z->devs[i];

		if (d && d->be && z->has_ram) {
			hv_mmio_reset(&d->mmio);
			d->be->ops->set_ram(d->be, NULL, NULL, false);
		}
	}
	unmap_regions(z);
	for (unsigned int i = 0; z->devs && i < z->n_devs; i++)
		if (z->devs[i])
			device_free(z->devs[i]);
	free(z->devs);
	free(z->retiring);
	for (unsigned int i = 0; i < z->n_ram; i++)
		free(z->ram[i].path);
	free(z->sim_socket);
	free(z);
}
