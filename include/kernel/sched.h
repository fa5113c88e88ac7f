/*
 * The scheduler: per-CPU run queues, time slices, preemption on the
 * tick and on wake-up, idle CPUs pulling work, migrate_disable.
 *
 * Context rules, said once:
 *   schedule()          may sleep: preemptible context only (asserted)
 *   wake_up_task()      any context, interrupts included
 *   scheduler_tick()    the timer interrupt, on every CPU
 *   migrate_disable()   any context; pins the task to its CPU until the
 *                       matching migrate_enable(); preemption stays on
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/preempt.h>
#include <kernel/task.h>
#include <kernel/time.h>

#define TIME_SLICE_TICKS (20 * HZ / 1000) /* 20 ms */

/* Give up the CPU. Context: preemptible, may sleep. */
void schedule(void);
/* Let another runnable task of this CPU run, if there is one. */
void yield(void);
/* Make a sleeping task runnable. Returns true if it was asleep. */
bool wake_up_task(struct task *t);
/*
 * Mark the current task as going to sleep (before testing a condition),
 * or as running again. A full barrier after the store: the condition
 * the caller tests next must not be read before the state is visible,
 * or a waker could miss us (x86 lets loads pass earlier stores).
 */
static inline void set_current_state(enum task_state state)
{
	__atomic_store_n(&current_task()->state, state, __ATOMIC_SEQ_CST);
}

/*
 * The same store without the barrier, for a task marking itself
 * running again under a lock: only TASK_RUNNING is stored, which no
 * waker tests afterwards (wake_up_task leaves a running task alone),
 * and the unlock orders the store.
 */
static inline void __set_current_state(enum task_state state)
{
	WRITE_ONCE(current_task()->state, state);
}

/* Ask cpu to reschedule at its next preemption point. Context: any. */
void resched_cpu(unsigned int cpu);

/* Sleep at least ms milliseconds (rounded up to ticks). May sleep. */
void msleep(unsigned int ms);

/*
 * migrate_disable() / migrate_enable(): pin the running task to its
 * CPU, nesting. Inline, because kmap_local_page() calls them on every
 * map: each is one add to the task's own field. Only the task and the
 * interrupts on top of it change the field, and an interrupt gives back
 * what it took before it returns, so neither a lock nor an interrupt
 * disable is needed, even where the add is a load and a store. An
 * enable without a disable drives the count below zero: the
 * out-of-line helper reports it and puts the count back to zero.
 *
 * The _self forms are for a caller that already has current_task() in
 * hand (kmap_local's fast path): self must be the running task.
 */
void migrate_enable_unbalanced(struct task *self);

static inline void migrate_disable_self(struct task *self)
{
	self->migrate_disable++;
	barrier(); /* pinned before anything that relies on it */
}

static inline void migrate_enable_self(struct task *self)
{
	barrier(); /* done with whatever needed the pin */
	if (unlikely(--self->migrate_disable < 0))
		migrate_enable_unbalanced(self);
}

static inline void migrate_disable(void)
{
	migrate_disable_self(current_task());
}

static inline void migrate_enable(void)
{
	migrate_enable_self(current_task());
}

/*
 * Warn (once per call site, with a backtrace) and count if called where
 * sleeping is forbidden: preemption or interrupts disabled.
 */
#define might_sleep()                                      \
	do {                                               \
		if (unlikely(might_sleep_suspect()))       \
			__might_sleep(__FILE__, __LINE__); \
	} while (0)
void __might_sleep(const char *file, int line);

/*
 * The inline half of might_sleep(): only when this is true can
 * __might_sleep() find anything to report (preemption or interrupts
 * off), so the common case costs two tests and no call. A spinlock
 * lockdep holds for this CPU is no third case: spin_lock() raises the
 * preempt count, and raw_spin_lock() is taken with interrupts off, so
 * while one is held the test is true already.
 */
static inline bool might_sleep_suspect(void)
{
	return preempt_count() != 0 || arch_irqs_disabled();
}
unsigned long might_sleep_violations(void);

/*
 * Hooks the architecture calls. scheduler_tick and scheduler_ipi run in
 * hard interrupt context (interrupts off, HARDIRQ count raised; the
 * interrupt controller's end-of-interrupt is sent after they return).
 * preempt_schedule_irq runs at the very end of an interrupt, once the HARDIRQ
 * count is dropped. cpu_idle_loop is where each CPU goes when it has nothing
 * else to do; an AP enters it at the end of its start-up and never returns.
 */
void scheduler_tick(void);
void scheduler_ipi(void);
void preempt_schedule_irq(void);
void cpu_idle_loop(void) __noreturn;

/* Boot: the boot CPU's idle task and run queues. */
void sched_init(void);
/* Boot: make this CPU's running context its idle task. */
void sched_init_cpu(unsigned int cpu);

/* Per-CPU figures, for tests and the monitor. */
uint64_t sched_clock_ticks(unsigned int cpu);
unsigned int sched_nr_queued(unsigned int cpu);
/*
 * How often an idle CPU's pull passed over a task queued on cpu because
 * it was inside migrate_disable() (kernel/sched_balance.c). Context: any.
 */
unsigned long sched_balance_pinned_refusals(unsigned int cpu);

#endif
