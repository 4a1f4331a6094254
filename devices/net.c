// SPDX-License-Identifier: MIT
/*
 * virtio-net over a tap. Queue 0 (RX) runs on its thread with the tap fd
 * in its loop; queue 1 (TX) writes to the same fd from its own thread.
 *
 * The virtio-net header (12 bytes with VERSION_1) is the tap's vnet header,
 * so packets pass unchanged: TX chains go to writev() as they are. RX
 * buffers are taken before the read (with MRG_RXBUF as many as a 64 KiB GSO
 * packet needs) and readv() lands the packet in them, with no copy; what
 * they cannot take goes to an overflow buffer and is copied in once more
 * buffers come (num_buffers says how many it took). When the driver has no
 * RX buffers the packet waits, the tap is left unread (it queues, then
 * drops by its own policy, as a NIC's ring does) and the next RX kick
 * carries on: no drop of what was read, and no spinning.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hvdpa/log.h"
#include "hvdpa/net.h"
#include "options.h"

#define HDR_LEN	  12u		  /* struct virtio_net_hdr_v1 */
#define PKT_MAX	  (65536u + 256u) /* a GSO packet and its header */
#define MAX_HELD  64u		  /* RX buffers held at once, and one packet may take */
#define HELD_IOV  8u
#define TX_IOV	  64u
#define TX_BATCH  64u
#define STATUS_AT 6u /* offsetof(struct virtio_net_config, status) */

struct held {
	struct hv_vq_elem e;
	struct iovec iov[HELD_IOV];
};

struct net_dev {
	struct hv_device dev;
	struct hv_net_options opt;
	int fd;
	bool is_tap;
	int nl_fd;    /* link changes, tap only */
	int ctl_sock; /* for SIOCGIFFLAGS */
	uint64_t features;
	bool link_up;
	bool admin_down;       /* set-link down: the driver sees no link */
	unsigned int offloads; /* TUN_F_* for the driver's features */
	bool offloads_set;

	/* RX state, touched on the RX queue's thread only. Buffers are taken
	 * before the read, which lands in them; pkt takes what they cannot. */
	struct hv_queue *rxq;
	uint8_t *pkt;		    /* overflow: a packet's bytes from split on */
	size_t pkt_len;		    /* the pending packet's, header included */
	size_t split;		    /* bytes of it read straight into held buffers */
	bool pkt_pending;	    /* read, waiting for buffers */
	struct held held[MAX_HELD]; /* a ring, oldest at first */
	unsigned int first, nheld;
	size_t cap; /* bytes the held buffers take */
	struct iovec rx_iov[MAX_HELD * HELD_IOV + 1];

	/* TX state, the TX queue's thread's. */
	struct hv_queue *txq;
	struct iovec tx_iov[TX_IOV];
	/* A pass stopped on its budget comes back through these. */
	struct hv_defer rx_more, tx_more;
	struct hv_net_stats stats;
	struct hv_ratelimit rl;
};

static struct net_dev *to_nd(struct hv_device *d)
{
	return (struct net_dev *)d;
}

/* The i-th held buffer, oldest first. */
static struct held *held_at(struct net_dev *nd, unsigned int i)
{
	return &nd->held[(nd->first + i) % MAX_HELD];
}

/* Takes one more RX buffer into the ring of held ones. 1: taken; 0: the
 * ring is empty (with `wait`, after asking for a kick, so the caller may
 * sleep); -EAGAIN: this pass is spent; -EIO: the queue is broken. */
static int rx_take(struct net_dev *nd, struct hv_vq *vq, bool wait)
{
	for (;;) {
		struct held *h = held_at(nd, nd->nheld);
		int r;

		h->e = (struct hv_vq_elem){.iov = h->iov, .max_iov = HELD_IOV};
		r = hv_vq_pop(vq, &h->e);
		if (r < 0)
			return r;
		if (r == 0) {
			if (wait && hv_vq_enable_notify(vq))
				continue;
			return 0;
		}
		/* Every RX buffer holds at least a header (virtio 1.2,
		 * 5.1.6.3.1): a packet may begin in any of them. */
		if (h->e.out_num || h->e.in_len < HDR_LEN) {
			hv_warn_ratelimited(&nd->rl,
					    "%s: RX buffer of %llu bytes (%u readable) "
					    "returned unused",
					    nd->dev.name, (unsigned long long)h->e.in_len,
					    h->e.out_num);
			hv_vq_push(vq, h->e.head, 0);
			continue;
		}
		nd->cap += h->e.in_len;
		nd->nheld++;
		return 1;
	}
}

/* Whether one packet may take one more buffer. */
static bool may_hold_more(const struct net_dev *nd)
{
	bool mrg = nd->features & (1ull << VIRTIO_NET_F_MRG_RXBUF);

	return nd->nheld < MAX_HELD && (mrg || nd->nheld == 0);
}

/* Before a read: holds buffers for the largest packet the tap may hand
 * over (without MRG_RXBUF one, which must fit it), as many as are posted,
 * without asking for kicks. 0 or -EAGAIN/-EIO as rx_take(). */
static int rx_prefill(struct net_dev *nd, struct hv_vq *vq)
{
	while (nd->cap < PKT_MAX && may_hold_more(nd)) {
		int r = rx_take(nd, vq, false);

		if (r <= 0)
			return r;
	}
	return 0;
}

/* A packet read beyond the held buffers waits for more. 1: it fits now,
 * or never will (rx_place() drops it); 0: none left, wait for a kick;
 * -EAGAIN: this pass is spent. */
static int rx_gather(struct net_dev *nd, struct hv_vq *vq)
{
	while (nd->cap < nd->pkt_len && may_hold_more(nd)) {
		int r = rx_take(nd, vq, true);

		if (r == -EAGAIN || r == 0)
			return r;
		if (r < 0)
			return 1; /* broken: the packet goes, see rx_place() */
	}
	return 1;
}

/* The iovecs of one read: the held buffers in order, as far as PKT_MAX,
 * then the overflow buffer for the rest of it. Sets nd->split, the bytes
 * that land in place. Returns the iovec count. */
static unsigned int rx_read_iov(struct net_dev *nd)
{
	size_t left = PKT_MAX;
	unsigned int n = 0;

	for (unsigned int i = 0; i < nd->nheld && left; i++) {
		const struct held *h = held_at(nd, i);

		for (unsigned int j = 0; j < h->e.in_num && left; j++) {
			size_t l = h->iov[j].iov_len < left ? h->iov[j].iov_len : left;

			nd->rx_iov[n++] = (struct iovec){h->iov[j].iov_base, l};
			left -= l;
		}
	}
	nd->split = PKT_MAX - left;
	if (left)
		nd->rx_iov[n++] = (struct iovec){nd->pkt, left};
	return n;
}

static void rx_drop(struct net_dev *nd)
{
	nd->stats.rx_dropped++;
	hv_stat_add(&nd->rxq->stats.errors, 1);
}

/* Hands the pending packet to the driver: the held buffers it takes, in
 * order, the part read beyond them copied in from the overflow buffer,
 * num_buffers in the first one's header. The rest stay held. */
static void rx_place(struct net_dev *nd, struct hv_vq *vq)
{
	size_t off = 0;
	uint16_t nbufs = 0;

	nd->pkt_pending = false;
	if (nd->cap < nd->pkt_len || vq->broken) {
		/* Without MRG_RXBUF the driver must post buffers big enough for
		 * any packet, and with it no packet takes more than MAX_HELD;
		 * one that did not fit is lost, and its buffers go back. */
		for (unsigned int i = 0; i < nd->nheld; i++)
			hv_vq_push(vq, held_at(nd, i)->e.head, 0);
		nd->first = nd->nheld = 0;
		nd->cap = 0;
		hv_warn_ratelimited(&nd->rl, "%s: RX packet of %zu bytes dropped: %s", nd->dev.name,
				    nd->pkt_len,
				    vq->broken ? "the queue is broken"
					       : "the posted buffers cannot take it");
		rx_drop(nd);
		return;
	}
	for (size_t o = 0; o < nd->pkt_len; nbufs++)
		o += held_at(nd, nbufs)->e.in_len;
	for (unsigned int i = 0; i < nbufs; i++) {
		struct held *h = held_at(nd, 0);
		size_t n = nd->pkt_len - off < h->e.in_len ? nd->pkt_len - off : h->e.in_len;

		if (off + n > nd->split) {
			size_t from = off > nd->split ? off : nd->split;

			hv_iov_from_buf(h->e.iov, h->e.in_num, from - off,
					nd->pkt + (from - nd->split), off + n - from);
		}
		off += n;
		if (i == 0) {
			uint16_t le = htole16(nbufs);

			hv_iov_from_buf(h->e.iov, h->e.in_num,
					offsetof(struct virtio_net_hdr_v1, num_buffers), &le, 2);
		}
		hv_vq_push(vq, h->e.head, (uint32_t)n);
		nd->cap -= h->e.in_len;
		nd->first = (nd->first + 1) % MAX_HELD;
		nd->nheld--;
	}
	nd->stats.rx_packets++;
	hv_stat_add(&nd->rxq->stats.requests, 1);
	hv_stat_add(&nd->rxq->stats.bytes, nd->pkt_len - HDR_LEN);
}

static void rx_run(struct net_dev *nd)
{
	struct hv_queue *q = nd->rxq;
	unsigned int done = 0;

	if (!q)
		return;
	hv_vq_begin_pass(&q->vq);
	while (!q->vq.broken) {
		int r;

		if (!nd->pkt_pending) {
			ssize_t n;

			r = rx_prefill(nd, &q->vq);
			if (r == -EAGAIN) {
				hv_defer_arm(&nd->rx_more);
				break;
			}
			n = readv(nd->fd, nd->rx_iov, (int)rx_read_iov(nd));
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					hv_warn_ratelimited(&nd->rl, "%s: read from %s: %s",
							    nd->dev.name, nd->opt.tap,
							    strerror(errno));
				break;
			}
			/* Shorter than a header, or cut short (larger than
			 * any packet can be): lost, and counted. The held
			 * buffers it touched stay held, to be written again. */
			if ((size_t)n < HDR_LEN || (size_t)n > PKT_MAX) {
				hv_warn_ratelimited(&nd->rl, "%s: %zd-byte packet from %s dropped",
						    nd->dev.name, n, nd->opt.tap);
				rx_drop(nd);
				continue;
			}
			nd->pkt_len = (size_t)n;
			nd->pkt_pending = true;
		}
		r = rx_gather(nd, &q->vq);
		if (r == -EAGAIN) {
			hv_defer_arm(&nd->rx_more);
			break;
		}
		if (r == 0) {
			nd->stats.rx_waits++;
			break;
		}
		rx_place(nd, &q->vq);
		if (++done % TX_BATCH == 0)
			hv_queue_publish(q);
	}
	hv_queue_publish(q);
}

static void on_tap(void *opaque, uint32_t events)
{
	(void)events;
	rx_run(opaque);
}

static void tx_run(struct net_dev *nd, struct hv_queue *q)
{
	unsigned int done = 0;

	hv_vq_begin_pass(&q->vq);
	for (;;) {
		struct hv_vq_elem e = {.iov = nd->tx_iov, .max_iov = TX_IOV};
		int r = hv_vq_pop(&q->vq, &e);

		if (r == -EAGAIN)
			hv_defer_arm(&nd->tx_more);
		if (r < 0)
			break;
		if (r == 0) {
			if (hv_vq_enable_notify(&q->vq))
				continue;
			break;
		}
		if (e.in_num || e.out_len <= HDR_LEN ||
		    writev(nd->fd, e.iov, e.out_num) != (ssize_t)e.out_len) {
			/* A full or downed tap drops, as a wire would. */
			nd->stats.tx_errors++;
			hv_stat_add(&q->stats.errors, 1);
			if (e.out_len > HDR_LEN && e.in_num == 0)
				hv_warn_ratelimited(&nd->rl, "%s: write to %s: %s", nd->dev.name,
						    nd->opt.tap, strerror(errno));
		} else {
			nd->stats.tx_packets++;
			hv_stat_add(&q->stats.requests, 1);
			hv_stat_add(&q->stats.bytes, e.out_len - HDR_LEN);
		}
		hv_vq_push(&q->vq, e.head, 0);
		if (++done % TX_BATCH == 0)
			hv_queue_publish(q);
	}
	hv_queue_publish(q);
}

/*
 * TUNSETOFFLOAD takes the RTNL lock, which the kernel's virtio_net holds
 * while it waits for our answer to DRIVER_OK (virtnet_probe): so it is done
 * on the RX queue's thread, not while answering. Until then the tap, opened
 * with no offloads, hands out plain packets, which any driver takes.
 */
static void apply_offloads(struct net_dev *nd)
{
	unsigned int off = nd->offloads;

	nd->offloads_set = true;
	if (!nd->is_tap)
		return;
	/* Once per DRIVER_OK, which a driver can repeat at will: limited. */
	if (ioctl(nd->fd, TUNSETOFFLOAD, off) < 0) {
		hv_err_ratelimited(&nd->rl,
				   "%s: TUNSETOFFLOAD 0x%x on %s: %s; the tap keeps no offloads",
				   nd->dev.name, off, nd->opt.tap, strerror(errno));
		return;
	}
	hv_info_ratelimited(&nd->rl, "%s: %s offloads 0x%x (csum %s, tso4 %s, tso6 %s), %s",
			    nd->dev.name, nd->opt.tap, off, off & TUN_F_CSUM ? "on" : "off",
			    off & TUN_F_TSO4 ? "on" : "off", off & TUN_F_TSO6 ? "on" : "off",
			    nd->features & (1ull << VIRTIO_NET_F_MRG_RXBUF)
				    ? "mergeable RX buffers"
				    : "whole-packet RX buffers");
}

static int net_start(struct hv_device *d, uint64_t features)
{
	struct net_dev *nd = to_nd(d);
	unsigned int off = 0;

	nd->features = features;
	nd->offloads_set = false;
	/* What the tap may hand us is what the driver can take. */
	if (features & (1ull << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (features & (1ull << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (features & (1ull << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (features & (1ull << VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	nd->offloads = off;
	return 0;
}

static void rx_more(void *opaque)
{
	rx_run(opaque);
}

static void tx_more(void *opaque)
{
	struct net_dev *nd = opaque;

	if (nd->txq)
		tx_run(nd, nd->txq);
}

static int net_queue_start(struct hv_device *d, struct hv_queue *q)
{
	struct net_dev *nd = to_nd(d);
	int r;

	q->backend = nd;
	if (q->index != 0) {
		nd->txq = q;
		return hv_defer_init(&nd->tx_more, q->loop, tx_more, nd);
	}
	nd->rxq = q;
	nd->pkt_pending = false;
	nd->first = nd->nheld = 0;
	nd->cap = 0;
	r = hv_defer_init(&nd->rx_more, q->loop, rx_more, nd);
	if (r < 0)
		return r;
	/* Edge-triggered: rx_run() reads until EAGAIN, or stops for want of
	 * buffers and is called again by the next RX kick, or stops at the end
	 * of a pass and comes back through rx_more. */
	r = hv_loop_add(q->loop, nd->fd, EPOLLIN | EPOLLET, on_tap, nd);
	if (r < 0)
		hv_defer_fini(&nd->rx_more);
	return r;
}

static void net_queue_kick(struct hv_queue *q)
{
	struct net_dev *nd = q->backend;

	if (q->index == 0) {
		if (!nd->offloads_set)
			apply_offloads(nd);
		rx_run(nd);
	} else {
		tx_run(nd, q);
	}
}

static void net_queue_stop(struct hv_queue *q)
{
	struct net_dev *nd = q->backend;

	if (q->index != 0) {
		hv_defer_fini(&nd->tx_more);
		nd->txq = NULL;
		return;
	}
	hv_defer_fini(&nd->rx_more);
	/* Held RX buffers are left unanswered: after a reset they are void,
	 * after a restart the in-flight log hands them to the successor. A
	 * packet read but not placed is lost, as on a NIC reset. */
	hv_loop_del(q->loop, nd->fd);
	nd->rxq = NULL;
	nd->pkt_pending = false;
	nd->first = nd->nheld = 0;
	nd->cap = 0;
}

static bool tap_link_up(struct net_dev *nd)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nd->opt.tap);
	if (ioctl(nd->ctl_sock, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

static int net_control_fd(struct hv_device *d)
{
	return to_nd(d)->nl_fd;
}

/* The link the driver sees: the tap's, unless the admin set it down. */
static void link_update(struct net_dev *nd)
{
	struct hv_device *d = &nd->dev;
	bool up = !nd->admin_down && (nd->ctl_sock < 0 || tap_link_up(nd));
	uint16_t status;

	if (up == __atomic_load_n(&nd->link_up, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&nd->link_up, up, __ATOMIC_RELAXED);
	status = htole16(up ? VIRTIO_NET_S_LINK_UP : 0);
	memcpy(d->config + STATUS_AT, &status, 2);
	hv_info("%s: link %s (%s)", d->name, up ? "up" : "down",
		nd->admin_down ? "set down" : nd->opt.tap);
	if (d->config_changed)
		d->config_changed(d, STATUS_AT, 2);
}

static void net_control_event(struct hv_device *d)
{
	struct net_dev *nd = to_nd(d);
	char buf[8192];

	while (nd->nl_fd >= 0 && recv(nd->nl_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	link_update(nd);
}

void hv_net_set_link(struct hv_device *dev, bool up)
{
	struct net_dev *nd = to_nd(dev);

	nd->admin_down = !up;
	link_update(nd);
}

bool hv_net_link_up(const struct hv_device *dev)
{
	return __atomic_load_n(&((const struct net_dev *)dev)->link_up, __ATOMIC_RELAXED);
}

static void net_destroy(struct hv_device *d)
{
	struct net_dev *nd = to_nd(d);

	close(nd->fd);
	if (nd->nl_fd >= 0)
		close(nd->nl_fd);
	if (nd->ctl_sock >= 0)
		close(nd->ctl_sock);
	free(nd->pkt);
	free(nd);
}

static const struct hv_device_ops net_ops = {
	.start = net_start,
	.queue_start = net_queue_start,
	.queue_kick = net_queue_kick,
	.queue_stop = net_queue_stop,
	.control_fd = net_control_fd,
	.control_event = net_control_event,
	.destroy = net_destroy,
};

void hv_net_stats(const struct hv_device *dev, struct hv_net_stats *s)
{
	*s = ((const struct net_dev *)dev)->stats;
}

static uint64_t net_features(void)
{
	return hv_device_common_features() | (1ull << VIRTIO_NET_F_CSUM) |
	       (1ull << VIRTIO_NET_F_GUEST_CSUM) | (1ull << VIRTIO_NET_F_MTU) |
	       (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_GUEST_TSO4) |
	       (1ull << VIRTIO_NET_F_GUEST_TSO6) | (1ull << VIRTIO_NET_F_GUEST_ECN) |
	       (1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) |
	       (1ull << VIRTIO_NET_F_HOST_ECN) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
	       (1ull << VIRTIO_NET_F_STATUS);
}

int hv_net_create_fd(const struct hv_net_options *o, int fd, struct hv_device **out, char *err,
		     size_t errlen)
{
	struct net_dev *nd;
	struct virtio_net_config c = {0};
	int r = hv_opt_cpus_usable(&o->cpus, err, errlen);

	if (r < 0) {
		close(fd);
		return r;
	}
	nd = calloc(1, sizeof(*nd));
	if (!nd || !(nd->pkt = malloc(PKT_MAX))) {
		free(nd);
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	nd->opt = *o;
	nd->fd = fd;
	nd->nl_fd = nd->ctl_sock = -1;
	nd->dev.ops = &net_ops;
	snprintf(nd->dev.name, sizeof(nd->dev.name), "%s", o->name);
	nd->dev.device_id = VIRTIO_ID_NET;
	nd->dev.features = net_features() | (o->packed ? 1ull << VIRTIO_F_RING_PACKED : 0);
	nd->dev.num_queues = 2;
	nd->dev.queue_size = o->queue_size;
	nd->dev.cpus = o->cpus;
	memcpy(c.mac, o->mac, 6);
	/* Created up; the real state follows at once through control_event,
	 * which keeps the recorded config stable across restarts. */
	c.status = htole16(VIRTIO_NET_S_LINK_UP);
	c.max_virtqueue_pairs = htole16(1);
	c.mtu = htole16(o->mtu);
	nd->dev.config_size = offsetof(struct virtio_net_config, mtu) + 2;
	memcpy(nd->dev.config, &c, nd->dev.config_size);
	nd->link_up = true;
	*out = &nd->dev;
	return 0;
}

static int watch_link(struct net_dev *nd)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};

	nd->ctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	nd->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (nd->ctl_sock < 0 || nd->nl_fd < 0 ||
	    bind(nd->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

int hv_net_create(const struct hv_net_options *o, struct hv_device **out, char *err, size_t errlen)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	int hdr = HDR_LEN, fd, r;
	struct net_dev *nd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "/dev/net/tun: %s%s", strerror(-r),
			 r == -ENOENT ? " (is the tun module loaded?)" : "");
		return r;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->tap);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		r = -errno;
		snprintf(err, errlen, "tap %s: %s%s", o->tap, strerror(-r),
			 r == -EBUSY	? " (another program has it open)"
			 : r == -EINVAL ? " (is it a tun device, or a tap of another owner?)"
					: "");
		close(fd);
		return r;
	}
	r = hv_net_create_fd(o, fd, out, err, errlen);
	if (r < 0)
		return r;
	nd = to_nd(*out);
	nd->is_tap = true;
	r = watch_link(nd);
	if (r < 0) {
		snprintf(err, errlen, "%s: watching %s's link: %s", o->name, o->tap, strerror(-r));
		net_destroy(*out);
		*out = NULL;
		return r;
	}
	return 0;
}
