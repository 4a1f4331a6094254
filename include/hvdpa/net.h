/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_NET_H
#define HVDPA_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvdpa/device.h"

/*
 * virtio-net over a tap device: one queue pair (VDUSE refuses the control
 * queue, and with it multiqueue), the virtio-net header passed through as
 * the tap's vnet header, offloads negotiated and mirrored to the tap, and
 * link status following the tap's.
 */
struct hv_net_options {
	char name[64];
	char tap[16]; /* IFNAMSIZ */
	uint8_t mac[6];
	bool mac_given;
	uint16_t mtu;
	uint16_t queue_size;
	bool packed;	/* offer the packed ring; the driver picks */
	cpu_set_t cpus; /* the queue threads' CPUs; empty: any */
};

void hv_net_options_init(struct hv_net_options *o);
/* "name=NAME,tap=TAP[,mac=XX:XX:XX:XX:XX:XX][,mtu=N][,queue-size=N]
 * [,packed=on|off][,cpus=LIST]". */
int hv_net_options_parse(struct hv_net_options *o, const char *spec, char *err, size_t errlen);

/* Opens (or creates) the tap and builds the device. */
int hv_net_create(const struct hv_net_options *o, struct hv_device **out, char *err, size_t errlen);
/* The same over fd, anything that reads and writes one packet with its
 * 12-byte virtio-net header per call (a SOCK_SEQPACKET socket in tests).
 * Takes fd. */
int hv_net_create_fd(const struct hv_net_options *o, int fd, struct hv_device **out, char *err,
		     size_t errlen);

/* The admin's word on the link (set-link): down holds it down whatever
 * the tap does; up gives it back to the tap. On the device's control
 * thread (it may change config space). */
void hv_net_set_link(struct hv_device *dev, bool up);
/* What the driver is told; any thread. */
bool hv_net_link_up(const struct hv_device *dev);

struct hv_net_stats {
	uint64_t rx_packets, rx_dropped, tx_packets, tx_errors, rx_waits;
};
void hv_net_stats(const struct hv_device *dev, struct hv_net_stats *s);

#endif
