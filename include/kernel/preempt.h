/*
 * The preemption count: a per-CPU number that says whether the running
 * task may be switched out. Zero means preemptible. Spinlocks,
 * kmap_atomic and interrupt handlers raise it.
 *
 * Layout of preempt_count (as in Linux, simplified):
 *   bits  0-7   preempt_disable() nesting
 *   bits  8-15  pagefault_disable()-free: kept in the task instead
 *   bits 16-23  hard interrupt nesting
 */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include <arch/cpu.h>
#include <kernel/percpu.h>

#define PREEMPT_OFFSET 1
#define HARDIRQ_OFFSET (1 << 16)
#define PREEMPT_MASK   0x000000FF
#define HARDIRQ_MASK   0x00FF0000

static inline int preempt_count(void)
{
	return this_cpu_read(preempt_count);
}

/* One instruction each (kernel/percpu.h), fenced for the compiler. */
static inline void preempt_count_add(int val)
{
	this_cpu_add(preempt_count, val);
	barrier();
}

static inline void preempt_count_sub(int val)
{
	barrier();
	this_cpu_add(preempt_count, -val);
}

/*
 * The scheduler's part: reschedule if something asked for it while
 * preemption was off. Defined in kernel/sched.c.
 */
void preempt_schedule_if_needed(void);

static inline void preempt_disable(void)
{
	preempt_count_add(PREEMPT_OFFSET);
}

static inline void preempt_enable_no_resched(void)
{
	preempt_count_sub(PREEMPT_OFFSET);
}

/*
 * The decrement's own zero flag says whether preemption is back on; only
 * then, and only if a reschedule is wanted, is the scheduler called.
 */
static inline void preempt_enable(void)
{
	barrier();
	if (this_cpu_dec_and_test(preempt_count) &&
	    unlikely(this_cpu_read(need_resched)))
		preempt_schedule_if_needed();
}

static inline bool in_interrupt(void)
{
	return preempt_count() & HARDIRQ_MASK;
}

/* True where sleeping is forbidden: preemption or interrupts off. */
static inline bool in_atomic(void)
{
	return preempt_count() != 0 || arch_irqs_disabled();
}

#endif
