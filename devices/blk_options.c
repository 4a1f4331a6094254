// SPDX-License-Identifier: MIT
/* The --blk option string. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvdpa/blk.h"
#include "options.h"

#define DEFAULT_QUEUE_SIZE 256
#define MAX_QUEUES	   64
#define MAX_POLL_US	   1000
/* Off: on a small VM the spin took the CPU the guest's side needed (A/Bs in
 * docs/perf/poll-ab.md); a host with cores to spare may turn it on. */
#define DEFAULT_POLL_US	      0
#define DEFAULT_NBD_TIMEOUT_S 30
#define MAX_NBD_TIMEOUT_S     3600
#define RBD_SPEC_MAX	      511 /* blk_rbd.c's buffers */

void hv_blk_options_init(struct hv_blk_options *o)
{
	memset(o, 0, sizeof(*o));
	o->num_queues = 1;
	o->queue_size = DEFAULT_QUEUE_SIZE;
	/* tests/bench/ab.sh in the test VM: 4k randread qd1 +7% IOPS and
	 * p50 -11% against no polling, no change at depth 32. */
	o->poll_us = DEFAULT_POLL_US;
	/* 0 until given: nbd= and rbd= get the default at the end, and a
	 * timeout= with anything else is refused. */
	o->timeout_s = 0;
}

/* The transports libnbd reaches without TLS or a subprocess: a TCP server
 * or a local socket. */
static bool nbd_uri_ok(const char *v)
{
	return (!strncmp(v, "nbd://", 6) && v[6]) || !strncmp(v, "nbd+unix://", 11);
}

/* A character of a pool, image or snapshot name, or of a client id: what
 * Ceph's own tools take, and nothing that a log line or a path could be
 * confused by. */
static bool rbd_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* POOL/IMAGE[@SNAP], each part non-empty. */
static bool rbd_spec_ok(const char *v)
{
	const char *slash = strchr(v, '/'), *at = strchr(v, '@');

	if (!slash || slash == v || !slash[1] || strlen(v) > RBD_SPEC_MAX)
		return false;
	if (at && (at < slash || at == slash + 1 || !at[1]))
		return false;
	for (const char *p = v; *p; p++)
		if (!rbd_name_char(*p) && p != slash && p != at)
			return false;
	return true;
}

int hv_blk_parse_size(const char *v, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	char *end;
	unsigned long long x;
	const char *p;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v)
		return -EINVAL;
	if (*end) {
		p = strchr(suffixes, *end);
		if (!p || end[1])
			return -EINVAL;
		for (long i = 0; i <= p - suffixes; i++) {
			if (x > (~0ull >> 10))
				return -EINVAL;
			x <<= 10;
		}
	}
	if (x == 0 || x % 512)
		return -EINVAL;
	*out = x;
	return 0;
}

static int blk_key(void *ctx, const char *tok, const char *v, char *err, size_t errlen)
{
	struct hv_blk_options *o = ctx;
	unsigned long x = 0;
	int r = 0;

	if (!strcmp(tok, "name")) {
		r = hv_opt_name(v, o->name, sizeof(o->name), err, errlen);
	} else if ((!strcmp(tok, "path") || !strcmp(tok, "nbd") || !strcmp(tok, "rbd")) &&
		   o->path[0]) {
		r = hv_opt_fail(err, errlen, "one of path=, nbd= or rbd=, once");
	} else if (!strcmp(tok, "path")) {
		if (!*v || strlen(v) >= sizeof(o->path))
			r = hv_opt_fail(err, errlen, "path must not be empty");
		else
			snprintf(o->path, sizeof(o->path), "%s", v);
	} else if (!strcmp(tok, "nbd")) {
		if (!nbd_uri_ok(v) || strlen(v) >= sizeof(o->path))
			r = hv_opt_fail(err, errlen,
					"nbd= takes nbd://HOST[:PORT]/EXPORT or "
					"nbd+unix:///EXPORT?socket=PATH, not '%s'",
					v);
		else
			snprintf(o->path, sizeof(o->path), "%s", v);
		o->nbd = !r;
	} else if (!strcmp(tok, "rbd")) {
		if (!HVDPA_HAVE_RBD)
			r = hv_opt_fail(err, errlen,
					"rbd=: this hvdpad was built without librbd (meson "
					"-Drbd=enabled, with librbd-dev)");
		else if (!rbd_spec_ok(v))
			r = hv_opt_fail(
				err, errlen,
				"rbd= takes POOL/IMAGE or POOL/IMAGE@SNAP (letters, digits, "
				"_ - .; at most %d bytes), not '%s'",
				RBD_SPEC_MAX, v);
		else
			snprintf(o->path, sizeof(o->path), "%s", v);
		o->rbd = !r;
	} else if (!strcmp(tok, "ceph-conf")) {
		if (!*v || strlen(v) >= sizeof(o->ceph_conf))
			r = hv_opt_fail(err, errlen, "ceph-conf is a path of 1 to %zu bytes",
					sizeof(o->ceph_conf) - 1);
		else
			snprintf(o->ceph_conf, sizeof(o->ceph_conf), "%s", v);
	} else if (!strcmp(tok, "ceph-id")) {
		bool good = *v && strlen(v) < sizeof(o->ceph_id);

		for (const char *p = v; good && *p; p++)
			good = rbd_name_char(*p);
		if (!good)
			r = hv_opt_fail(
				err, errlen,
				"ceph-id is the NAME of client.NAME (letters, digits, _ - .; "
				"at most %zu bytes), not '%s'",
				sizeof(o->ceph_id) - 1, v);
		else
			snprintf(o->ceph_id, sizeof(o->ceph_id), "%s", v);
	} else if (!strcmp(tok, "timeout")) {
		r = hv_opt_ranged(tok, v, 1, MAX_NBD_TIMEOUT_S, &x, err, errlen);
		o->timeout_s = r ? o->timeout_s : (uint32_t)x;
	} else if (!strcmp(tok, "readonly")) {
		r = hv_opt_switch(tok, v, &o->readonly, err, errlen);
	} else if (!strcmp(tok, "queues")) {
		r = hv_opt_ranged(tok, v, 1, MAX_QUEUES, &x, err, errlen);
		o->num_queues = r ? o->num_queues : (uint16_t)x;
	} else if (!strcmp(tok, "queue-size")) {
		r = hv_opt_queue_size(v, &o->queue_size, err, errlen);
	} else if (!strcmp(tok, "packed")) {
		r = hv_opt_switch(tok, v, &o->packed, err, errlen);
	} else if (!strcmp(tok, "null")) {
		r = hv_opt_switch(tok, v, &o->null, err, errlen);
	} else if (!strcmp(tok, "size")) {
		if (hv_blk_parse_size(v, &o->size))
			r = hv_opt_fail(err, errlen,
					"size must be a non-zero multiple of 512 bytes, optionally "
					"with K, M, G or T, not '%s'",
					v);
	} else if (!strcmp(tok, "poll-us")) {
		r = hv_opt_ranged(tok, v, 0, MAX_POLL_US, &x, err, errlen);
		o->poll_us = r ? o->poll_us : (uint32_t)x;
	} else if (!strcmp(tok, "cpus")) {
		r = hv_opt_cpus(tok, v, &o->cpus, err, errlen);
	} else if (!strcmp(tok, "serial")) {
		if (strlen(v) > HV_BLK_SERIAL_MAX)
			r = hv_opt_fail(err, errlen, "serial is at most %d bytes",
					HV_BLK_SERIAL_MAX);
		else
			snprintf(o->serial, sizeof(o->serial), "%s", v);
	} else {
		r = hv_opt_fail(
			err, errlen,
			"unknown key '%s' (keys: name, path, nbd, rbd, ceph-conf, ceph-id, "
			"timeout, readonly, queues, queue-size, serial, null, size, poll-us, "
			"cpus, packed, attach)",
			tok);
	}
	return r;
}

int hv_blk_options_parse(struct hv_blk_options *o, const char *spec, char *err, size_t errlen)
{
	int r;

	hv_blk_options_init(o);
	r = hv_opt_each(spec, blk_key, o, err, errlen);
	if (!r && !o->name[0])
		r = hv_opt_fail(err, errlen, "name= is required");
	if (!r && o->null && o->path[0])
		r = hv_opt_fail(err, errlen, "null=on serves no file: drop %s=",
				o->nbd	 ? "nbd"
				: o->rbd ? "rbd"
					 : "path");
	else if (!r && o->null && !o->size)
		r = hv_opt_fail(err, errlen, "null=on needs size=");
	else if (!r && !o->null && o->size)
		r = hv_opt_fail(err, errlen,
				"size= is only for null=on (a file's size is its own)");
	else if (!r && !o->null && !o->path[0])
		r = hv_opt_fail(err, errlen, "path= is required");
	else if (!r && !o->nbd && !o->rbd && o->timeout_s)
		r = hv_opt_fail(err, errlen, "timeout= is only for nbd= and rbd=");
	else if (!r && !o->rbd && (o->ceph_conf[0] || o->ceph_id[0]))
		r = hv_opt_fail(err, errlen,
				"%s= is only for rbd=", o->ceph_conf[0] ? "ceph-conf" : "ceph-id");
	if (!r && (o->nbd || o->rbd) && !o->timeout_s)
		o->timeout_s = DEFAULT_NBD_TIMEOUT_S;
	return r;
}
