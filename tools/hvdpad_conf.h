/* SPDX-License-Identifier: MIT */
/*
 * hvdpad's configuration files: one option per line, exactly as on the
 * command line without its dashes, so a file is the command line an admin
 * would otherwise type:
 *
 *   # /etc/hvdpa/disks.conf
 *   state-dir /var/lib/hvdpa
 *   blk name=disk0,path=/srv/disk0.img,attach=virtio
 *   net name=nic0,tap=tap0
 *   verbose
 *
 * Blank lines and lines starting with '#' are skipped; leading and
 * trailing blanks go. A directory stands for its "*.conf" files in name
 * order (as /etc/hvdpa/ would hold one per device or per tenant).
 */
#ifndef HVDPAD_CONF_H
#define HVDPAD_CONF_H

#include <stddef.h>

/* Bounds on what a file may make hvdpad do. */
#define HVDPAD_CONF_MAX_BYTES (1u << 20)
#define HVDPAD_CONF_MAX_LINE  4096
#define HVDPAD_CONF_MAX_FILES 1024

/* One option: its long name ("blk"), its value (NULL for "verbose") and
 * where it is ("FILE:LINE"). Returns 0, or fails with a message in err,
 * which the parser prefixes with where. */
typedef int (*hvdpad_conf_fn)(void *ctx, const char *opt, const char *val, const char *where,
			      char *err, size_t errlen);

/* Parses the text of one file named name. Returns 0, or -EINVAL with
 * "NAME:LINE: what is wrong" in err. */
int hvdpad_conf_parse(const char *name, const char *text, size_t len, hvdpad_conf_fn fn, void *ctx,
		      char *err, size_t errlen);

/* Reads path (a file, or a directory of *.conf files) and parses each.
 * Returns 0, or a negative errno with the message in err. */
int hvdpad_conf_load(const char *path, hvdpad_conf_fn fn, void *ctx, char *err, size_t errlen);

#endif
