/* SPDX-License-Identifier: MIT */
#ifndef HVBRIDGE_TRAP_SIM_H
#define HVBRIDGE_TRAP_SIM_H

#include <stddef.h>

#include "trap.h"

/* Listens on a UNIX socket for the simulator playing zone `zone`. */
int hvb_trap_sim_listen(const char *path, uint32_t zone, struct hvb_trap **out, char *err,
			size_t errlen);

#endif
