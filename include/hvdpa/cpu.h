/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_CPU_H
#define HVDPA_CPU_H

/* Inside a busy-wait: lets a sibling hyperthread (or the hypervisor) run. */
static inline void hv_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#elif defined(__riscv)
	__asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010" ::: "memory"); /* pause */
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
