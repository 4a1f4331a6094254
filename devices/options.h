/* SPDX-License-Identifier: MIT */
/* Pieces of the key=value option strings every device shares. */
#ifndef HVDPA_DEVICES_OPTIONS_H
#define HVDPA_DEVICES_OPTIONS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*hv_opt_key_fn)(void *ctx, const char *key, const char *val, char *err, size_t errlen);
/* Splits "key=value,key=value" and calls fn for each pair in order until
 * one fails. */
int hv_opt_each(const char *spec, hv_opt_key_fn fn, void *ctx, char *err, size_t errlen);
int hv_opt_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int hv_opt_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out);
int hv_opt_ranged(const char *key, const char *v, unsigned long min, unsigned long max,
		  unsigned long *out, char *err, size_t errlen);
int hv_opt_switch(const char *key, const char *v, bool *out, char *err, size_t errlen);
/* A power of two from 2 to 32768. */
int hv_opt_queue_size(const char *v, uint16_t *out, char *err, size_t errlen);
/* A name becomes /dev/vduse/NAME and a vdpa device name: 1 to max-1
 * characters of A-Z a-z 0-9 . _ -, not starting with a dot. */
int hv_opt_name(const char *v, char *out, size_t max, char *err, size_t errlen);
/* A CPU list into set: CPUs and ranges joined by ':' ("1", "2-3",
 * "0:2-3"), since ',' already separates the options. */
int hv_opt_cpus(const char *key, const char *v, cpu_set_t *set, char *err, size_t errlen);
/* Fails, naming the CPU, if set (non-empty) holds one this process may not
 * run on: the admin hears it when the device is made, not later from a
 * queue thread. */
int hv_opt_cpus_usable(const cpu_set_t *set, char *err, size_t errlen);

#endif
