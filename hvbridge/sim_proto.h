/* SPDX-License-Identifier: MIT */
/*
 * What the zone simulator (tests/zonesim) and hvbridge's "sim" trap source
 * say to each other over a SOCK_SEQPACKET UNIX socket: the zone's RAM once,
 * one HELLO per region the config names (each a memfd of its own, sealed
 * with F_SEAL_SHRINK, passed with SCM_RIGHTS; the zone's devices reach its
 * RAM once the last one is there), then MMIO
 * accesses in hvisor's own request format, answers to the accesses a vCPU
 * waits for, and interrupts. One message per packet.
 */
#ifndef HVBRIDGE_SIM_PROTO_H
#define HVBRIDGE_SIM_PROTO_H

#include <stdint.h>

#include "hvisor_abi.h"

enum hvb_sim_type {
	HVB_SIM_HELLO = 1,  /* zone -> bridge, with a RAM region's fd */
	HVB_SIM_ACCESS = 2, /* zone -> bridge */
	HVB_SIM_ANSWER = 3, /* bridge -> zone */
	HVB_SIM_IRQ = 4,    /* bridge -> zone */
};

struct hvb_sim_msg {
	uint32_t type;
	uint32_t zone;
	union {
		struct {
			uint64_t ram_base, ram_size;
		} hello;
		struct hvisor_device_req access;
		struct {
			uint64_t src_cpu, address, value;
		} answer;
		struct {
			uint32_t irq;
		} irq;
	};
};

/* sim_hello.c, the zone's side: 0, or -1 with errno. */
int hvb_sim_send_hello(int sock, uint32_t zone, uint64_t base, uint64_t size, int ram_fd);

#endif
