/* SPDX-License-Identifier: MIT */
/*
 * The interface of hvisor-tool's kernel module (/dev/hvisor), as its
 * include/hvisor.h defines it. The layout is the hypervisor's ABI: the
 * static assertions below pin every offset.
 */
#ifndef HVBRIDGE_HVISOR_ABI_H
#define HVBRIDGE_HVISOR_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define HVISOR_RING_SIZE 32u
#define HVISOR_MAX_CPUS	 32u
#define HVISOR_MAX_DEVS	 8u

struct hvisor_device_req {
	uint64_t src_cpu;
	uint64_t address; /* zone IPA */
	uint64_t size;
	uint64_t value;
	uint32_t src_zone;
	uint8_t is_write;
	uint8_t need_interrupt;
	uint16_t padding;
};

struct hvisor_device_res {
	uint32_t target_zone;
	uint32_t irq_id;
};

struct hvisor_bridge {
	uint32_t req_front, req_rear; /* hypervisor produces rear, we consume front */
	uint32_t res_front, res_rear; /* we produce rear */
	struct hvisor_device_req req_list[HVISOR_RING_SIZE];
	struct hvisor_device_res res_list[HVISOR_RING_SIZE];
	uint64_t cfg_flags[HVISOR_MAX_CPUS];
	uint64_t cfg_values[HVISOR_MAX_CPUS];
	uint64_t mmio_addrs[HVISOR_MAX_DEVS];
	uint8_t mmio_avail;
	uint8_t need_wakeup;
};

_Static_assert(sizeof(struct hvisor_device_req) == 40, "device_req layout");
_Static_assert(offsetof(struct hvisor_bridge, req_list) == 16, "req_list");
_Static_assert(offsetof(struct hvisor_bridge, res_list) == 1296, "res_list");
_Static_assert(offsetof(struct hvisor_bridge, cfg_flags) == 1552, "cfg_flags");
_Static_assert(offsetof(struct hvisor_bridge, cfg_values) == 1808, "cfg_values");
_Static_assert(offsetof(struct hvisor_bridge, mmio_addrs) == 2064, "mmio_addrs");
_Static_assert(offsetof(struct hvisor_bridge, mmio_avail) == 2128, "mmio_avail");
_Static_assert(offsetof(struct hvisor_bridge, need_wakeup) == 2129, "need_wakeup");
_Static_assert(sizeof(struct hvisor_bridge) == 2136, "virtio_bridge size");

#define HVISOR_INIT_VIRTIO _IO(1, 0)
#define HVISOR_FINISH_REQ  _IO(1, 2)
#define HVISOR_SET_EVENTFD _IOW(1, 7, int)

#endif
