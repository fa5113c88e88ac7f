/*
 * x86 bodies of the inline CPU hooks declared in <arch/cpu.h>: the
 * interrupt flag lives in EFLAGS, PAUSE is the spin-wait hint, RDTSC
 * reads the time stamp counter and STI;HLT idles. Included only
 * through <arch/cpu.h>.
 */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include <kernel/compiler.h>

#define EFLAGS_IF (1u << 9)

static inline unsigned long arch_irq_save(void)
{
	unsigned long flags;
	asm volatile("pushfl; popl %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & EFLAGS_IF)
		asm volatile("sti" ::: "memory");
}

static inline void arch_irq_enable(void)
{
	asm volatile("sti" ::: "memory");
}

static inline void arch_irq_disable(void)
{
	asm volatile("cli" ::: "memory");
}

static inline bool arch_irqs_disabled(void)
{
	unsigned long flags;
	asm volatile("pushfl; popl %0" : "=r"(flags));
	return !(flags & EFLAGS_IF);
}

/*
 * PAUSE on hardware; nothing at all under QEMU's TCG, where PAUSE
 * costs a trip through QEMU's global lock (arch/x86/relax.c says why,
 * and how arch_relax_select() makes the choice at boot: cpu_relax=).
 */
extern bool arch_relax_with_pause;

static inline void arch_cpu_relax(void)
{
	if (arch_relax_with_pause)
		asm volatile("pause" ::: "memory");
	else
		barrier();
}

/* Under QEMU -icount the TSC ticks once per instruction. */
static inline uint64_t arch_timestamp(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * STI takes effect after the next instruction, so no interrupt can
 * slip in between it and HLT: the wake-up cannot be lost.
 */
static inline void arch_wait_for_interrupt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

#endif
