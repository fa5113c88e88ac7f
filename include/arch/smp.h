/*
 * The multiprocessor hooks generic code calls: discovering and
 * starting the CPUs, setting up interrupt controllers, sending IPIs
 * (arch/x86/acpi.c, apic.c, smpboot.c, ipi.c).
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <kernel/compiler.h>

/*
 * Find the CPUs and interrupt controllers in the firmware tables, turn
 * off the legacy interrupt controller, enable the boot CPU's own and
 * route device interrupts. Panics if the tables are unusable.
 * Boot CPU, interrupts off, after the page allocator is up.
 */
void arch_irq_init(void);

/*
 * Start every other CPU the firmware listed; each comes up with its own
 * descriptor tables and timer, marks itself online and idles. Returns
 * when all have answered or timed out (those are reported and left
 * out). Boot CPU, after arch_timer_init().
 */
void arch_smp_boot_cpus(void);

/* Send one IPI of each kind to an online CPU. Context: any. */
void arch_send_call_function_ipi(unsigned int cpu);
void arch_send_reschedule_ipi(unsigned int cpu);
/*
 * Send the TLB-flush IPI to an online CPU; its handler calls
 * tlb_flush_interrupt() (include/mm/tlbflush.h). Context: any.
 */
void arch_send_tlb_flush_ipi(unsigned int cpu);

#endif
