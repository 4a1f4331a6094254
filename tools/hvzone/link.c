// SPDX-License-Identifier: MIT
/*
 * The zone's side of hvbridge's "sim" trap (hvbridge/sim_proto.h): RAM
 * once, a HELLO per region with the memfd KVM runs it on (sealed against
 * shrinking, which hvbridge requires; hvbridge takes the zone's RAM up when
 * every region its config names has come), then one HVB_SIM_ACCESS per
 * trapped MMIO access.
 *
 * Every access but a QueueNotify write waits for its answer, writes too
 * (need_interrupt is 0): hvisor holds a vCPU until the access is done, and
 * so do we, so that a Status 0 write is not followed by the next register
 * access before the device has reset. A notify hvisor lets go at once
 * (need_interrupt is 1: the interrupt comes later), and so do we.
 *
 * One reader thread takes everything hvbridge sends: an answer goes to the
 * vCPU it names (src_cpu), an interrupt to the irq callback at once, even
 * while the vCPU runs zone code.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../hvbridge/sim_proto.h"
#include "hvzone.h"

#define ANSWER_TIMEOUT_S 60 /* a reset of a busy device takes seconds */

struct hvzone_link {
	int fd;
	uint32_t zone;
	void (*irq)(void *, uint32_t);
	void *arg;
	pthread_t reader;
	pthread_mutex_t lock;
	pthread_cond_t answered;
	bool gone;
	struct hvzone_rtt rtt[2]; /* reads, writes: send to answer seen */
	struct {
		bool waiting, done;
		uint64_t address, value;
	} vcpu[HVZONE_MAX_VCPUS];
};

static void *reader(void *arg)
{
	struct hvzone_link *l = arg;

	for (;;) {
		struct hvb_sim_msg m;
		ssize_t n = recv(l->fd, &m, sizeof(m), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m)) {
			fprintf(stderr, "hvzone: hvbridge %s\n",
				n == 0 ? "closed the connection" : "sent a short message");
			break;
		}
		if (m.type == HVB_SIM_IRQ) {
			l->irq(l->arg, m.irq.irq);
			continue;
		}
		if (m.type != HVB_SIM_ANSWER || m.answer.src_cpu >= HVZONE_MAX_VCPUS) {
			fprintf(stderr, "hvzone: unexpected message %u from hvbridge\n", m.type);
			continue;
		}
		pthread_mutex_lock(&l->lock);
		if (!l->vcpu[m.answer.src_cpu].waiting ||
		    l->vcpu[m.answer.src_cpu].address != m.answer.address)
			fprintf(stderr, "hvzone: answer for vCPU %llu at 0x%llx nobody waits for\n",
				(unsigned long long)m.answer.src_cpu,
				(unsigned long long)m.answer.address);
		l->vcpu[m.answer.src_cpu].done = true;
		l->vcpu[m.answer.src_cpu].value = m.answer.value;
		pthread_cond_broadcast(&l->answered);
		pthread_mutex_unlock(&l->lock);
	}
	pthread_mutex_lock(&l->lock);
	l->gone = true;
	pthread_cond_broadcast(&l->answered);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

static int hello(struct hvzone_link *l, const struct hvzone_ram *ram, unsigned int n_ram)
{
	for (unsigned int i = 0; i < n_ram; i++)
		if (hvb_sim_send_hello(l->fd, l->zone, ram[i].base, ram[i].size, ram[i].fd) < 0)
			return -1;
	return 0;
}

struct hvzone_link *hvzone_link_open(const char *path, uint32_t zone, const struct hvzone_ram *ram,
				     unsigned int n_ram, void (*irq)(void *, uint32_t), void *arg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct hvzone_link *l = calloc(1, sizeof(*l));

	if (!l || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hvzone: %s: %s\n", path, l ? "path too long" : "out of memory");
		free(l);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	l->zone = zone;
	l->irq = irq;
	l->arg = arg;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->answered, NULL);
	l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    hello(l, ram, n_ram) < 0) {
		fprintf(stderr, "hvzone: hvbridge at %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if ((errno = pthread_create(&l->reader, NULL, reader, l)) != 0) {
		fprintf(stderr, "hvzone: reader thread: %s\n", strerror(errno));
		goto fail;
	}
	return l;
fail:
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return NULL;
}

/* One access to hvbridge; need_interrupt: a notify, not answered. A send
 * that fails ends the zone. */
static void send_access(struct hvzone_link *l, unsigned int vcpu, uint64_t addr, unsigned int size,
			bool write, uint64_t val, bool need_interrupt)
{
	struct hvb_sim_msg m = {
		.type = HVB_SIM_ACCESS,
		.zone = l->zone,
		.access = {.src_cpu = vcpu,
			   .address = addr,
			   .size = size,
			   .value = val,
			   .src_zone = l->zone,
			   .is_write = write,
			   .need_interrupt = need_interrupt},
	};

	if (send(l->fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
		fprintf(stderr, "hvzone: send to hvbridge: %s\n", strerror(errno));
		exit(HVZONE_ST_ERROR);
	}
}

uint64_t hvzone_link_access(struct hvzone_link *l, unsigned int vcpu, uint64_t addr,
			    unsigned int size, bool write, uint64_t val)
{
	struct timespec until, t0, t1;
	struct hvzone_rtt *rt = &l->rtt[write];
	uint64_t v, ns;
	int r = 0;

	pthread_mutex_lock(&l->lock);
	l->vcpu[vcpu].waiting = true;
	l->vcpu[vcpu].done = false;
	l->vcpu[vcpu].address = addr;
	pthread_mutex_unlock(&l->lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_access(l, vcpu, addr, size, write, val, false);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ANSWER_TIMEOUT_S;
	pthread_mutex_lock(&l->lock);
	while (!l->vcpu[vcpu].done && !l->gone && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&l->answered, &l->lock, &until);
	l->vcpu[vcpu].waiting = false;
	v = l->vcpu[vcpu].value;
	if (!l->vcpu[vcpu].done) {
		fprintf(stderr, "hvzone: %s of 0x%llx: %s\n", write ? "write" : "read",
			(unsigned long long)addr,
			l->gone ? "hvbridge is gone" : "no answer from hvbridge in 60 s");
		exit(HVZONE_ST_ERROR);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
	     (uint64_t)t0.tv_nsec;
	if (!rt->n || ns < rt->min_ns)
		rt->min_ns = ns;
	if (ns > rt->max_ns)
		rt->max_ns = ns;
	rt->n++;
	rt->sum_ns += ns;
	pthread_mutex_unlock(&l->lock);
	return v;
}

void hvzone_link_notify(struct hvzone_link *l, unsigned int vcpu, uint64_t addr, unsigned int size,
			uint64_t val)
{
	send_access(l, vcpu, addr, size, true, val, true);
}

struct hvzone_rtt hvzone_link_rtt(struct hvzone_link *l, bool write)
{
	struct hvzone_rtt rt;

	pthread_mutex_lock(&l->lock);
	rt = l->rtt[write];
	pthread_mutex_unlock(&l->lock);
	return rt;
}
