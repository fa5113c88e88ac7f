/*
 * The hooks the rest of the kernel calls into the scheduler. The SMP
 * bring-up (arch/x86, kernel/smp.c, kernel/time.c) calls them; the
 * scheduler (kernel/sched.c) implements them.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/compiler.h>

/*
 * Called from every CPU's timer interrupt, HZ times a second, after the
 * tick is counted. Context: hard interrupt, interrupts off, HARDIRQ
 * count raised; the LAPIC EOI is sent after it returns.
 */
void scheduler_tick(void);

/*
 * Called on a CPU that received a reschedule IPI (smp_send_reschedule).
 * Context: hard interrupt, as scheduler_tick.
 */
void scheduler_ipi(void);

/*
 * What a CPU does once it has nothing else to do: an AP enters it at
 * the end of its start-up and never returns. Context: interrupts may be
 * on or off on entry; it runs with them on.
 */
void cpu_idle_loop(void) __noreturn;

#endif
