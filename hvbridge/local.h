/* SPDX-License-Identifier: MIT */
/*
 * A device served inside hvbridge, on zone RAM, with a backend from
 * devices/ (the very code hvdpad serves over VDUSE): for hosts without
 * vDPA, as hvisor-tool does it. Each running queue has a thread of its own;
 * completions reach the bridge loop through an eventfd per queue, so that
 * interrupts are raised on the bridge's thread only.
 */
#ifndef HVBRIDGE_LOCAL_H
#define HVBRIDGE_LOCAL_H

#include <stddef.h>

#include "backend.h"

/* spec: "blk:path=IMG[,readonly=on,...]" or "net:tap=TAP[,mac=...]": the
 * same keys as hvdpad's --blk and --net, without name=. */
int hvb_local_open(const char *spec, const char *name, struct hv_mmio_dev *m,
		   struct hvb_backend **out, char *err, size_t errlen);

#endif
