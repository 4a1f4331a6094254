/* SPDX-License-Identifier: MIT */
#ifndef HVBRIDGE_TRAP_HVISOR_H
#define HVBRIDGE_TRAP_HVISOR_H

#include <stddef.h>

#include "trap.h"

/* Opens hvisor's module (normally /dev/hvisor) and maps its request page.
 * *dev_fd is the module's fd, which also maps zone RAM (offset = zone0_ipa). */
int hvb_trap_hvisor_open(const char *path, struct hvb_trap **out, int *dev_fd, char *err,
			 size_t errlen);
/* The same over a page already mapped: for tests, with dev_fd -1. */
int hvb_trap_hvisor_attach(struct hvisor_bridge *b, int dev_fd, int efd, struct hvb_trap **out);
/* Tells the hypervisor where the devices are, once they are ready. */
void hvb_trap_hvisor_publish(struct hvb_trap *t, const uint64_t *addrs, unsigned int n);

#endif
