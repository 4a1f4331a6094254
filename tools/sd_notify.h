/* SPDX-License-Identifier: MIT */
/*
 * systemd's service notification (sd_notify(3)): "READY=1" once the
 * devices are usable, "STATUS=..." lines, "STOPPING=1", each one datagram
 * to the socket $NOTIFY_SOCKET names, when it is set (Type=notify units).
 * The protocol is a datagram of newline-separated assignments; written
 * here rather than linking libsystemd for it.
 */
#ifndef HVDPA_SD_NOTIFY_H
#define HVDPA_SD_NOTIFY_H

/* Sends the formatted message. 0 when sent or when no NOTIFY_SOCKET is
 * set; a negative errno when it could not be sent (callers log it once:
 * the service goes on either way). */
int hv_sd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
