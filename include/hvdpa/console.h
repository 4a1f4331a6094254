/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_CONSOLE_H
#define HVDPA_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "hvdpa/device.h"

/*
 * virtio-console with one port (no MULTIPORT) and VIRTIO_CONSOLE_F_SIZE,
 * over a pty, a UNIX socket (one client at a time) or our own stdio.
 * Output the other end does not read yet is kept up to `buffer` bytes; past
 * that the driver's TX waits. Input waits in the pty or socket until the
 * driver posts RX buffers. Nothing is dropped either way.
 */
enum hv_console_backend { HV_CONSOLE_PTY, HV_CONSOLE_SOCKET, HV_CONSOLE_STDIO };

struct hv_console_options {
	char name[64];
	enum hv_console_backend backend;
	char path[256]; /* socket: where to listen; pty: a symlink to make */
	uint16_t cols, rows;
	uint32_t buffer;
	uint16_t queue_size;
};

/* "pty[,link=PATH]" | "socket,path=PATH" | "stdio", then [,cols=N][,rows=N]
 * [,buffer=BYTES]; name=NAME anywhere. */
int hv_console_options_parse(struct hv_console_options *o, const char *spec, char *err,
			     size_t errlen);
int hv_console_create(const struct hv_console_options *o, struct hv_device **out, char *err,
		      size_t errlen);
/* The pty's /dev/pts/N, or the socket path. */
const char *hv_console_where(const struct hv_device *dev);

#endif
