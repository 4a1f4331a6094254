// SPDX-License-Identifier: MIT
/*
 * IOVA -> host translation for a VDUSE device. A miss asks the kernel for
 * the region's fd (VDUSE_IOTLB_GET_FD) and maps it shared with the region's
 * own permissions; VDUSE_UPDATE_IOTLB retires overlapping regions.
 *
 * A retired region stays mapped while a queue thread may still use a
 * pointer into it: a stale access then lands in the old pages instead of
 * faulting the daemon, or landing in whatever is mapped there next. Queue
 * threads get host pointers in two ways only: a queue's rings, mapped at
 * its start, and the buffers of a chain, translated in hv_vq_pop() and used
 * until the chain is pushed back. The in-flight log (include/hvdpa/
 * inflight.h) marks each chain with its pop order before it is walked, and
 * clears the mark when it is published, so a retired region is unmapped
 * once, in every queue running when it was retired, no ring lies in it and
 * every chain taken by then has been given back. A driver that keeps
 * mapping and unmapping (a guest behind a vIOMMU) thus keeps a bounded
 * number of mappings, not one per unmap until vm.max_map_count.
 */
#include <errno.h>
#include <linux/vduse.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "vduse_int.h"

/* Retired maps are looked at once this many wait: the scan reads every
 * queue's log, so it is not done for each one. */
#define RECLAIM_BATCH 16
/* Past this, a driver is pinning retired maps with chains it never lets
 * complete: said (rate-limited), and they wait for the reset. */
#define DEAD_WARN 1024

static int ioctl_get_fd(struct vduse_iotlb *t, struct vduse_iotlb_entry *e)
{
	return ioctl(t->dev_fd, VDUSE_IOTLB_GET_FD, e);
}

static struct hv_vduse *to_v(struct vduse_iotlb *t)
{
	return (struct hv_vduse *)((char *)t - offsetof(struct hv_vduse, iotlb));
}

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

	fd = t->get_fd(t, &e);
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
	m.wait = NULL;
	m.mmap_len = e.last - e.start + 1 + skew;
	m.mmap_base = mmap(NULL, m.mmap_len, prot, MAP_SHARED, fd, (off_t)(e.offset - skew));
	close(fd);
	if (m.mmap_base == MAP_FAILED) {
		hv_err_ratelimited(&t->rl, "IOTLB: mmap of IOVA 0x%llx-0x%llx failed: %s",
				   (unsigned long long)e.start, (unsigned long long)e.last,
				   strerror(errno));
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
	t->get_fd = ioctl_get_fd;
	pthread_rwlock_init(&t->lock, NULL);
}

/* Queue threads run between vduse_queue_start and vduse_queue_stop, both
 * on the control thread, as we are. */
static bool running(const struct vduse_queue *vq)
{
	return vq->kick_fd >= 0;
}

/*
 * What queue vq has in flight, read while its thread runs: *oldest is the
 * pop order of the oldest chain still marked (UINT64_MAX: none). False
 * when the marks do not account for every chain taken and not published:
 * a driver that put one head in the ring twice overwrites its mark, and
 * the log then cannot say when the first chain is done.
 */
static bool in_flight(struct vduse_queue *vq, uint64_t *oldest)
{
	struct hv_inflight *log = vq->run.q.vq.log;
	uint16_t published, taken, marked = 0;
	uint64_t *desc;

	*oldest = UINT64_MAX;
	if (!log)
		return false;
	desc = log->data;
	/* Published first: a mark cleared before it is not counted below. A
	 * mark seen set was made after its chain's last_avail++ (release),
	 * so that chain is counted in taken, read last. */
	published = __atomic_load_n(&log->used_idx, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < vq->run.q.vq.size; i++) {
		uint64_t o = __atomic_load_n(&desc[i], __ATOMIC_ACQUIRE);

		if (o) {
			marked++;
			*oldest = o < *oldest ? o : *oldest;
		}
	}
	taken = __atomic_load_n(&vq->run.q.vq.last_avail, __ATOMIC_ACQUIRE);
	return (uint16_t)(taken - published) == marked;
}

static bool holds(const struct vduse_queue *vq, const struct iotlb_map *m)
{
	const uint8_t *lo = m->mmap_base, *hi = lo + m->mmap_len;
	const struct hv_vq *q = &vq->run.q.vq;
	const void *split[] = {q->desc, q->avail, q->used};
	const void *packed[] = {q->pk.desc, q->pk.driver_event, q->pk.device_event};
	const void *const *rings = q->packed ? packed : split;

	for (unsigned int i = 0; i < 3; i++)
		if ((const uint8_t *)rings[i] >= lo && (const uint8_t *)rings[i] < hi)
			return true;
	return false;
}

static void reclaim(struct vduse_iotlb *t)
{
	struct hv_vduse *v = to_v(t);
	unsigned int nq = v->dev->num_queues;
	uint64_t *oldest = calloc(nq ? nq : 1, sizeof(*oldest));
	bool *known = calloc(nq ? nq : 1, sizeof(*known));

	if (!oldest || !known) {
		free(oldest);
		free(known);
		return; /* another time */
	}
	for (unsigned int q = 0; q < nq; q++)
		known[q] = running(&v->queues[q]) && in_flight(&v->queues[q], &oldest[q]);
	for (unsigned int i = 0; i < t->ndead;) {
		struct iotlb_map *m = &t->dead[i];
		bool busy = !m->wait;

		for (unsigned int q = 0; q < nq && !busy; q++) {
			struct vduse_queue *vq = &v->queues[q];

			if (!running(vq))
				continue;
			busy = holds(vq, m) ||
			       (m->wait[q] && (!known[q] || oldest[q] <= m->wait[q]));
		}
		if (busy) {
			i++;
			continue;
		}
		munmap(m->mmap_base, m->mmap_len);
		free(m->wait);
		t->dead[i] = t->dead[--t->ndead];
	}
	free(oldest);
	free(known);
	if (t->ndead >= DEAD_WARN)
		hv_warn_ratelimited(&t->rl,
				    "%s: %u invalidated IOTLB mappings kept: requests in flight "
				    "still use them; they go at the next reset",
				    v->dev->name, t->ndead);
}

void vduse_iotlb_invalidate(struct vduse_iotlb *t, uint64_t start, uint64_t last)
{
	struct hv_vduse *v = to_v(t);
	unsigned int nq = v->dev->num_queues;

	pthread_rwlock_wrlock(&t->lock);
	for (unsigned int i = 0; i < t->nmaps;) {
		struct iotlb_map *m = &t->maps[i];

		if (m->last < start || m->start > last) {
			i++;
			continue;
		}
		/* Keep it mapped: a queue thread may be copying into it right
		 * now. Which chains may be doing so is read under the write
		 * lock: a thread that translated into m before it is marked
		 * its chain before. If even that bookkeeping fails, leak rather
		 * than risk a use after unmap. */
		m->wait = calloc(nq ? nq : 1, sizeof(*m->wait));
		for (unsigned int q = 0; m->wait && q < nq; q++) {
			struct vduse_queue *vq = &v->queues[q];

			if (running(vq))
				m->wait[q] = vq->run.q.vq.log
						     ? __atomic_load_n(&vq->run.q.vq.log->counter,
								       __ATOMIC_ACQUIRE)
						     : UINT64_MAX;
		}
		if (push(&t->dead, &t->ndead, &t->dead_cap, m) < 0)
			free(m->wait);
		t->maps[i] = t->maps[--t->nmaps];
	}
	pthread_rwlock_unlock(&t->lock);
	if (t->ndead >= RECLAIM_BATCH)
		reclaim(t);
}

void vduse_iotlb_reset(struct vduse_iotlb *t)
{
	pthread_rwlock_wrlock(&t->lock);
	for (unsigned int i = 0; i < t->nmaps; i++)
		munmap(t->maps[i].mmap_base, t->maps[i].mmap_len);
	for (unsigned int i = 0; i < t->ndead; i++) {
		munmap(t->dead[i].mmap_base, t->dead[i].mmap_len);
		free(t->dead[i].wait);
	}
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
