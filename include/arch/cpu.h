/*
 * The CPU hooks generic code may call: interrupt flag, halting, time
 * stamps, leaving the emulator. Tiny, so they are inline here; every
 * other x86 detail stays in arch/x86/.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kernel/compiler.h>

#define ARCH_EFLAGS_IF (1u << 9)

static inline unsigned long arch_irq_save(void)
{
	unsigned long flags;
	asm volatile("pushfl; popl %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & ARCH_EFLAGS_IF)
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
	return !(flags & ARCH_EFLAGS_IF);
}

/*
 * The body of a loop that waits for another CPU to write memory. On
 * hardware that is PAUSE; under QEMU's TCG it is nothing at all, because
 * there PAUSE costs a trip through QEMU's global lock (arch/x86/relax.c
 * says why, and how the choice is made at boot: cpu_relax=).
 */
extern bool arch_relax_with_pause;

static inline void arch_cpu_relax(void)
{
	if (arch_relax_with_pause)
		asm volatile("pause" ::: "memory");
	else
		barrier();
}

/* The time stamp counter: under QEMU -icount, one tick per instruction. */
static inline uint64_t arch_timestamp(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Wait for an interrupt with interrupts enabled (the idle loop's halt). */
static inline void arch_wait_for_interrupt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

/* Stop this CPU for good: interrupts off, halt, forever. */
void arch_halt_forever(void) __noreturn;

/*
 * Leave QEMU through its isa-debug-exit device (port 0xf4): QEMU exits
 * with status (code << 1) | 1. Returns if there is no such device.
 */
void arch_emulator_exit(uint8_t code);

/*
 * Are this CPU's caches on, in write-back mode? A CPU that is not
 * told otherwise may start with caching disabled: it works, but every
 * memory access goes to RAM. Context: any; reads only this CPU.
 */
bool arch_cpu_caches_enabled(void);

/*
 * Turn the machine off (on a PC: the ACPI S5 state). If that is not
 * possible, or the machine still runs a moment later, say why on the
 * console, then stop every CPU for good, with interrupts off: a
 * machine that was told to end must not go on. Never returns.
 * Context: any, panic included.
 */
void arch_power_off(void) __noreturn;

/* Does CPUID say we run under a hypervisor (QEMU sets that bit)? */
bool arch_hypervisor_present(void);

/* Choose arch_cpu_relax()'s body (cpu_relax=); before other CPUs start. */
void arch_relax_select(void);

/* Early architecture set-up: descriptor tables, exceptions (arch/x86). */
void arch_cpu_init_boot(void);

#endif
