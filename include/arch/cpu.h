/*
 * The CPU hooks generic code may call: the interrupt flag, spin-wait
 * hints, time stamps, halting, leaving the emulator. The ones on fast
 * paths are static inline, declared here and defined by the arch in
 * <asm/cpu.h> (x86: arch/x86/include/asm/cpu.h); the rest are
 * ordinary functions under arch/x86/.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kernel/compiler.h>

/*
 * Turn this CPU's interrupts off and return a token saying whether
 * they were on, for arch_irq_restore(). Context: any.
 */
static inline unsigned long arch_irq_save(void);

/* Turn interrupts back on if flags (from arch_irq_save) says they were. */
static inline void arch_irq_restore(unsigned long flags);

/* Turn this CPU's interrupts on, or off, unconditionally. */
static inline void arch_irq_enable(void);
static inline void arch_irq_disable(void);

/* Are this CPU's interrupts off? Context: any. */
static inline bool arch_irqs_disabled(void);

/*
 * The body of a loop that waits for another CPU to write memory: a
 * hint to the CPU that it spins, and a compiler barrier. Which hint is
 * chosen at boot (cpu_relax=), by arch_relax_select().
 */
static inline void arch_cpu_relax(void);

/*
 * A free-running per-CPU counter for measuring: under QEMU -icount,
 * one tick per instruction. arch_timestamp_per_ms() (<arch/timer.h>)
 * says how fast it runs. Context: any.
 */
static inline uint64_t arch_timestamp(void);

/*
 * Turn interrupts on and wait for one, with no window between the two
 * in which an interrupt could arrive unseen (the idle loop's halt).
 */
static inline void arch_wait_for_interrupt(void);

/* Stop this CPU for good: interrupts off, halt, forever. */
void arch_halt_forever(void) __noreturn;

/*
 * Leave QEMU through its isa-debug-exit device: QEMU exits with
 * status (code << 1) | 1. Returns if there is no such device.
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

/* Do we run under a hypervisor (QEMU says so to the CPU's queries)? */
bool arch_hypervisor_present(void);

/* Choose arch_cpu_relax()'s body (cpu_relax=); before other CPUs start. */
void arch_relax_select(void);

/* Early architecture set-up: descriptor tables, exceptions. Boot CPU. */
void arch_cpu_init_boot(void);

#include <asm/cpu.h>

#endif
