// SPDX-License-Identifier: MIT
/*
 * IOVA -> host translation for a VDUSE device. A miss asks the kernel for
 * the region's fd (VDUSE_IOTLB_GET_FD) and maps it shared with the region's
 * own permissions; VDUSE_UPDATE_IOTLB retires overlapping regions.
 */
#include <errno.h>
#include <linux/vduse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "vduse_int.h"

static bool perm_ok(uint8_t perm, bool write)
{
	return write ? (perm & VDUSE_ACCESS_WO) : (perm & VDUSE_ACCESS_RO);
}

static const struct iotlb_map *lookup(const struct vduse_iotlb *t, uint64_t addr)
{
	for (unsigned int i = 0; i < t->nmaps; i++)
		if (addr >= t->maps[i].start && addr <= t->maps[i].last)
			return &t->maps[i];
	return NULL;
}

static int push(struct iotlb_map **arr, unsigned int *n, unsigned int *cap,
		const struct iotlb_map *m)
{
	if (*n == *cap) {
		unsigned int c = *cap ? *cap * 2 : 16;
		struct iotlb_map *a = realloc(*arr, c * sizeof(*a));

		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = c;
	}
	(*arr)[(*n)++] = *m;
	return 0;
}

/* Called with the write lock held. */
static const struct iotlb_map *fetch(struct vduse_iotlb *t, uint64_t addr)
{
	struct vduse_iotlb_entry e = {.start = addr, .last = addr};
	struct iotlb_map m;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t skew;
	int prot = 0, fd;

	/* Another thread may have fetched it while we waited for the lock. */
	const struct iotlb_map *hit = lookup(t, addr);
	if (hit)
		return hit;

	fd = ioctl(t->dev_fd, VDUSE_IOTLB_GET_FD, &e);
	if (fd < 0)
		return NULL;
	if (e.start > addr || e.last < addr || e.last < e.start) {
		close(fd);
		return NULL;
	}
	if (e.perm & VDUSE_ACCESS_RO)
		prot |= PROT_READ;
	if (e.perm & VDUSE_ACCESS_WO)
		prot |= PROT_WRITE;
	skew = e.offset % (uint64_t)page;
	m.start = e.start;
	m.last = e.last;
	m.perm = e.perm;
	m.mmap_len = e.last - e.start + 1 + skew;
	m.mmap_base = mmap(NULL, m.mmap_len, prot, MAP_SHARED, fd, (off_t)(e.offset - skew));
	close(fd);
	if (m.mmap_base == MAP_FAILED) {
		hv_err("IOTLB: mmap of IOVA 0x%llx-0x%llx failed: %s", (unsigned long long)e.start,
		       (unsigned long long)e.last, strerror(errno));
		return NULL;
	}
	m.host = (uint8_t *)m.mmap_base + skew;
	if (push(&t->maps, &t->nmaps, &t->cap, &m) < 0) {
		munmap(m.mmap_base, m.mmap_len);
		return NULL;
	}
	return &t->maps[t->nmaps - 1];
}

static void *iotlb_translate(struct hv_mem *mem, uint64_t addr, uint64_t len, bool write,
			     uint64_t *avail)
{
	struct vduse_iotlb *t = (struct vduse_iotlb *)mem;
	const struct iotlb_map *m;
	void *p = NULL;

	pthread_rwlock_rdlock(&t->lock);
	m = lookup(t, addr);
	if (!m) {
		pthread_rwlock_unlock(&t->lock);
		pthread_rwlock_wrlock(&t->lock);
		m = fetch(t, addr);
	}
	if (m && perm_ok(m->perm, write)) {
		uint64_t room = m->last - addr + 1; /* never 0: addr <= last */

		*avail = room < len ? room : len;
		p = m->host + (addr - m->start);
	}
	pthread_rwlock_unlock(&t->lock);
	return p;
}

void vduse_iotlb_init(struct vduse_iotlb *t, int dev_fd)
{
	memset(t, 0, sizeof(*t));
	t->mem.translate = iotlb_translate;
	t->dev_fd = dev_fd;
	pthread_rwlock_init(&t->lock, NULL);
}

void vduse_iotlb_invalidate(struct vduse_iotlb *t, uint64_t start, uint64_t last)
{
	pthread_rwlock_wrlock(&t->lock);
	for (unsigned int i = 0; i < t->nmaps;) {
		struct iotlb_map *m = &t->maps[i];

		if (m->last < start || m->start > last) {
			i++;
			continue;
		}
		/* Keep it mapped: a queue thread may be copying into it right
		 * now. If even that bookkeeping fails, leak rather than risk a
		 * use after unmap. */
		push(&t->dead, &t->ndead, &t->dead_cap, m);
		t->maps[i] = t->maps[--t->nmaps];
	}
	pthread_rwlock_unlock(&t->lock);
}

void vduse_iotlb_reset(struct vduse_iotlb *t)
{
	pthread_rwlock_wrlock(&t->lock);
	for (unsigned int i = 0; i < t->nmaps; i++)
		munmap(t->maps[i].mmap_base, t->maps[i].mmap_len);
	for (unsigned int i = 0; i < t->ndead; i++)
		munmap(t->dead[i].mmap_base, t->dead[i].mmap_len);
	t->nmaps = 0;
	t->ndead = 0;
	pthread_rwlock_unlock(&t->lock);
}

void vduse_iotlb_fini(struct vduse_iotlb *t)
{
	vduse_iotlb_reset(t);
	free(t->maps);
	free(t->dead);
	pthread_rwlock_destroy(&t->lock);
}
