/*
 * Per-CPU data. Each CPU has one struct percpu; its %fs segment starts
 * at it, so this_cpu() is a single load (DESIGN section 6).
 *
 * Fields are owned by their CPU: only that CPU writes them, with
 * interrupts off where an interrupt handler could race (noted per
 * field). Other CPUs may read them for reports.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <kernel/compiler.h>

#define NR_CPUS 8

struct task;

struct percpu {
	struct percpu *self;	/* must stay first: this_cpu() reads it */
	unsigned int cpu;	/* logical number, 0 = the boot CPU */
	unsigned int apic_id;
	bool online;

	/* Changed by this CPU only; read by interrupt handlers on it. */
	int preempt_count;
	struct task *current;

	/*
	 * Counters, written only by this CPU with interrupts off (in its
	 * interrupt handlers, or in the IPI send path); other CPUs read
	 * them for tests and reports.
	 */
	unsigned long timer_ticks;	/* LAPIC timer interrupts taken */
	unsigned long ipi_sent;		/* IPIs this CPU sent (any kind) */
	unsigned long ipi_received;	/* IPIs this CPU handled */
	unsigned long calls_run;	/* cross-CPU calls run here */
	unsigned long tlb_shootdowns;	/* shootdowns started here */
	unsigned long tlb_range_flushes; /* page-range flushes done here */
	unsigned long tlb_full_flushes;	/* full flushes done here */
};

extern struct percpu percpu_areas[NR_CPUS];

#include <arch/percpu.h>

static inline struct percpu *this_cpu(void)
{
	return arch_this_cpu();
}

static inline unsigned int smp_processor_id(void)
{
	return arch_this_cpu()->cpu;
}

#endif
