/*
 * The multiprocessor hooks generic code calls: discovering and
 * starting the CPUs, setting up interrupt controllers, sending IPIs
 * (arch/x86/acpi.c, apic.c, smpboot.c, ipi.c).
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <kernel/compiler.h>
#include <kernel/smp.h>

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

/*
 * How many CPUs the firmware listed that this kernel never starts,
 * because NR_CPUS (the size of the per-CPU areas and CPU masks) has
 * no room for them; arch_smp_boot_cpus names them at boot.
 * Context: any, after arch_irq_init().
 */
unsigned int arch_smp_cpus_ignored(void);

/*
 * The id the hardware and the firmware's tables give CPU cpu (x86:
 * its local APIC id), which need not be its logical number; 0 for a
 * CPU that was never started. Context: any.
 */
unsigned int arch_cpu_hw_id(unsigned int cpu);

/*
 * Send every other online CPU a non-maskable interrupt, which reaches it
 * even with interrupts off; its handler panics, and as another CPU is
 * already panicking, it halts (kernel/panic.c). For panic() only.
 */
void arch_stop_other_cpus(void);

/*
 * Send the reschedule IPI to a CPU that has come up, online or not (an
 * offline CPU still takes interrupts). Context: any.
 */
void arch_send_reschedule_ipi(unsigned int cpu);

/*
 * Send the call-function IPI, or the TLB-flush IPI (whose handler calls
 * tlb_flush_interrupt(), include/mm/tlbflush.h), to every CPU in mask:
 * CPUs that were online when the caller looked (one may have gone
 * offline since; it still takes interrupts), never this one. One IPI
 * each, however it is sent; when mask is every other CPU the arch may
 * reach them all with one broadcast, counted in percpu.ipi_broadcasts.
 * Preemption off.
 */
void arch_send_call_function_ipi_mask(cpumask_t mask);
void arch_send_tlb_flush_ipi_mask(cpumask_t mask);

#endif
