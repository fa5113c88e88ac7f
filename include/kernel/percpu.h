/*
 * Per-CPU data. Each CPU has one struct percpu, which the arch can
 * find in one instruction (<arch/percpu.h>), so this_cpu() is a
 * single load.
 *
 * Fields are owned by their CPU: only that CPU writes them, with
 * interrupts off where an interrupt handler could race (noted per
 * field). Other CPUs may read them for reports.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <kernel/compiler.h>
#include <mm/kmap_types.h>

#define NR_CPUS 8

struct task;

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads it */
	unsigned int cpu;    /* logical number, 0 = the boot CPU */
	bool online;

	/* Changed by this CPU only; read by interrupt handlers on it. */
	int preempt_count;
	struct task *current;
	/*
	 * This CPU should reschedule soon: set by any CPU under this CPU's
	 * run queue lock, cleared by schedule() here. Here rather than in
	 * the run queue so that preempt_enable() tests it in one
	 * instruction (kernel/sched.c).
	 */
	unsigned int need_resched; /* 0 or 1 */

	/*
	 * Counters, written only by this CPU with interrupts off (in its
	 * interrupt handlers, or in the IPI send path); other CPUs read
	 * them for tests and reports.
	 */
	unsigned long timer_ticks;	 /* timer interrupts taken */
	unsigned long ipi_sent;		 /* call and reschedule IPIs sent */
	unsigned long ipi_received;	 /* and handled (TLB ones: neither) */
	unsigned long ipi_broadcasts;	 /* sends that reached all others */
	unsigned long calls_run;	 /* cross-CPU calls run here */
	unsigned long tlb_shootdowns;	 /* shootdowns started here */
	unsigned long tlb_range_flushes; /* page-range flushes done here */
	unsigned long tlb_full_flushes;	 /* full flushes done here */

	/*
	 * kmap_local_page() and kmap_atomic() on this CPU, counted by
	 * this_cpu_inc() (one instruction, so safe in any context);
	 * kmap_stats() sums them over the CPUs.
	 */
	struct kmap_stats kmap;
	/*
	 * Where this CPU's kmap_local slots are, filled once at boot
	 * (kmap_local_init) and only read after: so a map finds its
	 * slot's address and page-table entry in two loads.
	 */
	struct kmap_slots kmap_slots;
};

extern struct percpu percpu_areas[NR_CPUS];

#include <arch/percpu.h>

static inline struct percpu *this_cpu(void)
{
	return arch_this_cpu();
}

/*
 * Read, write, add to or increment one 32-bit field of this CPU's struct
 * percpu in a single instruction: interrupt- and migration-safe
 * (arch/percpu.h says why). No compiler barrier: add one where order
 * matters.
 */
#define this_cpu_read(field) arch_this_cpu_read(field)
/* Element i of an array field of 32-bit words. */
#define this_cpu_read_elem(field, i) arch_this_cpu_read_elem(field, i)
#define this_cpu_write(field, val)   arch_this_cpu_write(field, val)
#define this_cpu_add(field, val)     arch_this_cpu_add(field, val)
#define this_cpu_inc(field)	     arch_this_cpu_add(field, 1)
/* Decrement; true if the field reached zero. */
#define this_cpu_dec_and_test(field) arch_this_cpu_sub_and_test(field, 1)

/* Stable only while the task cannot migrate, or in an interrupt. */
static inline unsigned int smp_processor_id(void)
{
	return arch_this_cpu_read(cpu);
}

#endif
