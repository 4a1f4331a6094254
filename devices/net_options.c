// SPDX-License-Identifier: MIT
/* The --net option string. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/net.h"
#include "options.h"

#define DEFAULT_QUEUE_SIZE 256

void hv_net_options_init(struct hv_net_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mtu = 1500;
	o->queue_size = DEFAULT_QUEUE_SIZE;
}

static int parse_mac(const char *v, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strlen(v) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* Multicast addresses cannot be a NIC's. */
	return (mac[0] & 1) ? -EINVAL : 0;
}

/* A stable address per name, locally administered, so that a restarted
 * daemon gives the driver the same one. */
static void default_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x68; /* 'h' */
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

static int net_key(void *ctx, const char *tok, const char *v, char *err, size_t errlen)
{
	struct hv_net_options *o = ctx;
	unsigned long x = 0;
	int r = 0;

	if (!strcmp(tok, "name")) {
		r = hv_opt_name(v, o->name, sizeof(o->name), err, errlen);
	} else if (!strcmp(tok, "tap")) {
		if (!*v || strlen(v) >= sizeof(o->tap) || strchr(v, '/'))
			r = hv_opt_fail(err, errlen, "tap '%s' is not an interface name", v);
		else
			snprintf(o->tap, sizeof(o->tap), "%s", v);
	} else if (!strcmp(tok, "mac")) {
		if (parse_mac(v, o->mac))
			r = hv_opt_fail(err, errlen,
					"mac must be a unicast XX:XX:XX:XX:XX:XX, not '%s'", v);
		o->mac_given = true;
	} else if (!strcmp(tok, "mtu")) {
		r = hv_opt_ranged(tok, v, 68, 65535, &x, err, errlen);
		o->mtu = r ? o->mtu : (uint16_t)x;
	} else if (!strcmp(tok, "queue-size")) {
		r = hv_opt_queue_size(v, &o->queue_size, err, errlen);
	} else if (!strcmp(tok, "packed")) {
		r = hv_opt_switch(tok, v, &o->packed, err, errlen);
	} else if (!strcmp(tok, "cpus")) {
		r = hv_opt_cpus(tok, v, &o->cpus, err, errlen);
	} else {
		r = hv_opt_fail(err, errlen,
				"unknown key '%s' (keys: name, tap, mac, mtu, queue-size, "
				"packed, cpus, attach)",
				tok);
	}
	return r;
}

int hv_net_options_parse(struct hv_net_options *o, const char *spec, char *err, size_t errlen)
{
	int r;

	hv_net_options_init(o);
	r = hv_opt_each(spec, net_key, o, err, errlen);
	if (!r && !o->name[0])
		r = hv_opt_fail(err, errlen, "name= is required");
	else if (!r && !o->tap[0])
		r = hv_opt_fail(err, errlen, "tap= is required");
	if (!r && !o->mac_given)
		default_mac(o->name, o->mac);
	return r;
}
