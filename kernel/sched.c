/*
 * The scheduler: one run queue per CPU, round robin with time slices.
 *
 * A CPU runs `current`; the other runnable tasks that belong to it wait
 * on its run queue. The timer tick counts down the running task's
 * slice and asks for a reschedule when it runs out; a wake-up asks the
 * woken task's CPU to reschedule. Either way the switch happens at the
 * next preemption point: the end of an interrupt, or preempt_enable(),
 * whenever preempt_count is zero.
 *
 * Locking: each run queue has a lock, taken with interrupts off.
 * schedule() holds its CPU's lock across the switch; the task switched
 * to releases it (finish_switch). Two run queues are locked in CPU
 * order (lower number first), to move a task between them.
 *
 * A task is in one of three places: running (on_cpu), queued (on a run
 * queue) or sleeping (neither). A task that sets TASK_SLEEPING and is
 * woken before it calls schedule() simply stays running: schedule() sees
 * TASK_RUNNING and puts it back on the queue, so no wake-up is lost.
 */
#include <arch/cpu.h>
#include <arch/switch.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/trace.h>
#include <lib/string.h>
#include "sched_internal.h"

struct runqueue runqueues[NR_CPUS];
/*
 * Running from the first instruction, as if started. Bound to the boot
 * CPU, which never goes offline: this task goes on to run the tests,
 * and a case that starts a thread on "another CPU" (one that is not
 * smp_processor_id()) then spins for it must not end up on that very
 * CPU. Unbound, it did: a thread there woke it, and that CPU, idle
 * next, pulled it off CPU 0's queue before CPU 0 was out of its halt.
 * There it held the CPU its next thread waited for, until a tick
 * preempted it. (Bound, a wake-up never places it elsewhere either: it
 * waits for CPU 0, at most a slice.)
 */
static struct task boot_task = { .name = "boot",
				 .bound_cpu = 0,
				 .started = true };

static inline struct runqueue *this_rq(void)
{
	return &runqueues[smp_processor_id()];
}

const char *current_task_name(void)
{
	struct task *t = current_task();

	return t ? t->name : "boot";
}

/* Run queue lock held. */
void rq_enqueue(struct runqueue *rq, struct task *t)
{
	BUG_ON(t->queued);
	t->cpu = rq - runqueues;
	t->queued = true;
	t->slice_left = TIME_SLICE_TICKS;
	list_add_tail(&t->run_list, &rq->queue);
	rq->nr_queued++;
}

/* Run queue lock held. */
void rq_dequeue(struct runqueue *rq, struct task *t)
{
	BUG_ON(!t->queued);
	list_del(&t->run_list);
	t->queued = false;
	rq->nr_queued--;
}

/*
 * Ask rq's CPU to reschedule soon. Its run queue lock held, on CPU
 * here. Returns true if rq's CPU is another one, which the caller must
 * then kick with rq_kick() once it has dropped the lock: the kicked
 * CPU's first act is to take that very lock, so sending the IPI under
 * it only makes the target spin (under QEMU, for milliseconds).
 */
static bool rq_resched(struct runqueue *rq, unsigned int here)
{
	*rq_need_resched(rq) = true;
	return (unsigned int)(rq - runqueues) != here;
}

static void rq_kick(const struct runqueue *rq)
{
	smp_send_reschedule(rq - runqueues);
}

/*
 * The next task to run: the head of the queue, or the idle task. A CPU
 * going offline runs only tasks that must stay (migration disabled),
 * so they can reach their migrate_enable(); the rest are left for
 * cpu_offline() or the idle loop to move away.
 */
static struct task *pick_next(struct runqueue *rq)
{
	struct list_head *pos;

	list_for_each(pos, &rq->queue) {
		struct task *t = list_entry(pos, struct task, run_list);

		if (!rq->offline || READ_ONCE(t->migrate_disable)) {
			rq_dequeue(rq, t);
			return t;
		}
	}
	return rq->idle;
}

/*
 * The second half of a switch, run by the task switched to, on its own
 * stack: the task switched from is off its stack now, so it may move
 * to another CPU or be freed. Then drop the lock schedule() took.
 */
static struct task *finish_switch(struct runqueue *rq)
{
	struct task *last = rq->switched_from;
	/*
	 * Read its state first: once on_cpu drops, a joiner may free it.
	 * Its joiner is told once our lock is dropped (it may need it).
	 */
	bool dead = last->state == TASK_DEAD;

	barrier();
	WRITE_ONCE(last->on_cpu, false);
	return dead ? last : NULL;
}

/*
 * Switch from prev to next on this CPU, cpu, whose run queue rq is
 * locked. Back in prev, on whichever CPU switched to it: finish that
 * switch and unlock that CPU's run queue. Returns the task switched
 * from there if it has exited, for the caller to report once
 * interrupts are back on.
 */
static struct task *context_switch(struct runqueue *rq, unsigned int cpu,
				   struct task *prev, struct task *next)
{
	struct task *dead;

	next->on_cpu = true;
	next->cpu = cpu;
	next->switches_in++;
	rq->switched_from = prev;
	rq->nr_switches++;
	trace_event(TR_SCHED_SWITCH, prev->kmap_ctrl.idx, (uintptr_t)next,
		    next->kmap_ctrl.idx);
	this_cpu_write(current, next);
	sched_switch_hook(prev, next);
	arch_switch_to(&prev->saved_sp, next->saved_sp);
	/* Interrupts are still off: the number stays true until the unlock. */
	cpu = smp_processor_id();
	dead = finish_switch(&runqueues[cpu]);
	raw_spin_unlock_on(&runqueues[cpu].lock, cpu);
	return dead;
}

/*
 * preempt: the task did not ask to stop (a tick or wake-up preempted
 * it), so it stays runnable even if it had set TASK_SLEEPING on its way
 * to sleep: it gets to finish testing its condition when it runs again.
 *
 * The CPU's number is read once on each side of the switch: with
 * interrupts off it cannot change, except across the switch itself.
 */
static void __schedule(bool preempt)
{
	struct task *prev = current_task(), *next, *dead = NULL;
	struct runqueue *rq;
	unsigned long flags;
	unsigned int cpu;

	if (unlikely(preempt_count() != 0))
		panic("schedule() in atomic context (preempt_count %#x) "
		      "by thread %s",
		      preempt_count(), prev->name);
	if (unlikely(prev->stack && *task_stack_magic(prev) != TASK_MAGIC))
		panic("stack canary of thread %s overwritten (%08x)",
		      prev->name, *task_stack_magic(prev));
	flags = arch_irq_save();
	cpu = smp_processor_id();
	rq = &runqueues[cpu];
	raw_spin_lock_on(&rq->lock, cpu);
	preempt_count_add(PREEMPT_OFFSET);
	if (prev != rq->idle && (prev->state == TASK_RUNNING ||
				 (preempt && prev->state == TASK_SLEEPING)))
		rq_enqueue(rq, prev);
	next = pick_next(rq);
	/* Our own CPU's flag: one store, interrupts are off. */
	this_cpu_write(need_resched, false);
	if (next != prev) {
		dead = context_switch(rq, cpu, prev, next);
	} else {
		prev->slice_left = TIME_SLICE_TICKS;
		raw_spin_unlock_on(&rq->lock, cpu);
	}
	preempt_count_sub(PREEMPT_OFFSET);
	arch_irq_restore(flags);
	if (dead)
		task_dead_notify(dead);
}

void schedule(void)
{
	__schedule(false);
}

/* Where every new task starts (arch_task_initial_sp points here). */
static void task_first_run(void)
{
	struct task *self = current_task();
	unsigned int cpu = smp_processor_id();
	struct task *dead = finish_switch(&runqueues[cpu]);

	raw_spin_unlock_on(&runqueues[cpu].lock, cpu);
	preempt_count_sub(PREEMPT_OFFSET);
	arch_irq_enable();
	if (dead)
		task_dead_notify(dead);
	task_exit(self->fn(self->arg));
}

void sched_prepare_stack(struct task *t, void *stack_top)
{
	t->saved_sp = arch_task_initial_sp(stack_top, task_first_run);
}

void yield(void)
{
	schedule();
}

/*
 * Lock t's run queue, following t if it moves meanwhile, on CPU here,
 * this one (interrupts off). Inline for wake_up_task(), which every
 * wake-up runs; task_rq_lock() is the same out of line, for the rest of
 * the scheduler.
 */
static __always_inline struct runqueue *task_rq_lock_on(struct task *t,
							unsigned int here)
{
	for (;;) {
		unsigned int cpu = READ_ONCE(t->cpu);
		struct runqueue *rq = &runqueues[cpu];

		raw_spin_lock_on(&rq->lock, here);
		if (READ_ONCE(t->cpu) == cpu)
			return rq;
		raw_spin_unlock_on(&rq->lock, here);
	}
}

struct runqueue *task_rq_lock(struct task *t, unsigned long *flags)
{
	*flags = arch_irq_save();
	return task_rq_lock_on(t, smp_processor_id());
}

void task_rq_unlock(struct runqueue *rq, unsigned long flags)
{
	raw_spin_unlock(&rq->lock);
	arch_irq_restore(flags);
}

/*
 * Where a woken task should run: its own CPU if that CPU is idle, or
 * the task may not move; otherwise an idle online CPU, if there is one,
 * so the task runs at once instead of waiting for a busy CPU's queue.
 * A hint read without locks: at worst the task lands on a CPU that
 * just became busy, and balancing sorts that out. Run queue of t held.
 */
static unsigned int wake_target_cpu(const struct task *t)
{
	unsigned int home = t->cpu;

	if (t->bound_cpu >= 0 || READ_ONCE(t->migrate_disable) ||
	    (READ_ONCE(percpu_areas[home].current) == runqueues[home].idle &&
	     !READ_ONCE(runqueues[home].offline)))
		return home;
	for (unsigned int c = 0; c < NR_CPUS; c++) {
		const struct runqueue *rq = &runqueues[c];

		if (c != home && cpu_is_online(c) && !READ_ONCE(rq->offline) &&
		    READ_ONCE(percpu_areas[c].current) == rq->idle &&
		    !READ_ONCE(rq->nr_queued))
			return c;
	}
	return home;
}

/*
 * A sleeping task is on no run queue, so sending it elsewhere is two
 * steps: under its old queue's lock, mark it running and point it at
 * the new CPU; then lock the new queue and enqueue it there. In
 * between it is runnable but queued nowhere, which nothing else acts
 * on: another waker sees TASK_RUNNING and leaves it, balancing only
 * moves queued tasks, and the task itself is not running.
 *
 * The second step, out of line: the common wake-up stays where it is.
 * Called with t's old run queue rq locked on CPU here, interrupts off;
 * returns t's new run queue, locked, with *kick set if its CPU must be
 * kicked once the lock is dropped.
 */
static noinline struct runqueue *
wake_up_elsewhere(struct runqueue *rq, struct task *t, unsigned int target,
		  unsigned int here, bool *kick)
{
	assert_spin_locked(&rq->lock);
	t->cpu = target;
	t->migrations++;
	raw_spin_unlock_on(&rq->lock, here);
	rq = task_rq_lock_on(t, here);
	if (t->state == TASK_RUNNING && !t->on_cpu && !t->queued) {
		rq_enqueue(rq, t);
		*kick = rq_resched(rq, here);
	}
	return rq;
}

bool wake_up_task(struct task *t)
{
	unsigned long flags = arch_irq_save();
	/* Read once: with interrupts off it holds until they are back on. */
	unsigned int here = smp_processor_id();
	struct runqueue *rq = task_rq_lock_on(t, here);
	bool was_asleep = t->state == TASK_SLEEPING, kick = false;

	if (was_asleep) {
		t->state = TASK_RUNNING;
		if (!t->on_cpu && !t->queued) {
			unsigned int target = wake_target_cpu(t);

			if (target != t->cpu) {
				rq = wake_up_elsewhere(rq, t, target, here,
						       &kick);
			} else {
				rq_enqueue(rq, t);
				kick = rq_resched(rq, here);
			}
		}
		/* Under the lock: recorded before the task can run. */
		trace_event(TR_SCHED_WAKEUP, (uintptr_t)t, t->cpu, 0);
	}
	raw_spin_unlock_on(&rq->lock, here);
	arch_irq_restore(flags);
	if (kick)
		rq_kick(rq);
	return was_asleep;
}

void scheduler_tick(void)
{
	struct runqueue *rq = this_rq();
	struct task *cur = current_task();
	struct list_head *pos, *tmp;
	LIST_HEAD(expired);

	raw_spin_lock(&rq->lock);
	rq->clock++;
	list_for_each_safe(pos, tmp, &rq->sleepers)
	{
		struct task *t = list_entry(pos, struct task, timer_list);

		if (t->wake_tick <= rq->clock) {
			list_del(&t->timer_list);
			list_add_tail(&t->timer_list, &expired);
		}
	}
	if (cur == rq->idle) {
		if (rq->nr_queued)
			*rq_need_resched(rq) = true;
	} else {
		if (cur->slice_left)
			cur->slice_left--;
		/* An expired slice is preempted as soon as anyone waits. */
		if (!cur->slice_left && rq->nr_queued)
			*rq_need_resched(rq) = true;
	}
	raw_spin_unlock(&rq->lock);
	/*
	 * Wake the sleepers whose time has come through wake_up_task(),
	 * which locks the run queue each one is on now: a task preempted
	 * on its way into msleep() may have moved since it queued here.
	 */
	list_for_each_safe(pos, tmp, &expired)
	{
		struct task *t = list_entry(pos, struct task, timer_list);

		list_del_init(&t->timer_list);
		wake_up_task(t);
	}
}

void resched_cpu(unsigned int cpu)
{
	struct runqueue *rq = &runqueues[cpu];
	unsigned long flags = arch_irq_save();
	unsigned int here = smp_processor_id();
	bool kick;

	raw_spin_lock_on(&rq->lock, here);
	kick = rq_resched(rq, here);
	raw_spin_unlock_on(&rq->lock, here);
	if (kick)
		rq_kick(rq);
	arch_irq_restore(flags);
}

void scheduler_ipi(void)
{
	/* The sender set need_resched; the interrupt's exit acts on it. */
}

void preempt_schedule_irq(void)
{
	struct runqueue *rq = this_rq();

	if (preempt_count() == 0 && READ_ONCE(*rq_need_resched(rq)) &&
	    current_task()) {
		current_task()->preemptions++;
		__schedule(true);
	}
}

void preempt_schedule_if_needed(void)
{
	if (current_task() && this_cpu_read(need_resched) &&
	    !arch_irqs_disabled()) {
		current_task()->preemptions++;
		__schedule(true);
	}
}

void msleep(unsigned int ms)
{
	uint64_t ticks = ((uint64_t)ms * HZ + 999) / 1000;
	struct task *self = current_task();
	unsigned long flags;
	struct runqueue *rq;

	might_sleep();
	rq = task_rq_lock(self, &flags);
	self->wake_tick = rq->clock + (ticks ? ticks : 1) + 1;
	list_add_tail(&self->timer_list, &rq->sleepers);
	self->state = TASK_SLEEPING;
	task_rq_unlock(rq, flags);
	schedule();
}

/* The count went below zero: undo the extra enable, then report it. */
void migrate_enable_unbalanced(struct task *self)
{
	self->migrate_disable = 0;
	WARN(1, "migrate_enable() without migrate_disable() in thread %s",
	     self->name);
}

uint64_t sched_clock_ticks(unsigned int cpu)
{
	return READ_ONCE(runqueues[cpu].clock);
}

unsigned int sched_nr_queued(unsigned int cpu)
{
	return READ_ONCE(runqueues[cpu].nr_queued);
}

static void rq_init(unsigned int cpu)
{
	struct runqueue *rq = &runqueues[cpu];

	spin_lock_init(&rq->lock, "runqueue");
	rq->need_resched = &percpu_areas[cpu].need_resched;
	list_init(&rq->queue);
	list_init(&rq->sleepers);
}

/*
 * The boot CPU's context becomes the task "boot" (it goes on to run
 * the tests); its idle task is a new thread. Boot CPU only.
 */
void sched_init(void)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		rq_init(cpu);
	boot_task.state = TASK_RUNNING;
	boot_task.on_cpu = true;
	task_register(&boot_task);
	this_cpu()->current = &boot_task;
	runqueues[0].idle = idle_task_create(0);
}

/* An AP's start-up context becomes its idle task. */
void sched_init_cpu(unsigned int cpu)
{
	struct task *idle = idle_task_adopt(cpu);

	runqueues[cpu].idle = idle;
	this_cpu()->current = idle;
}

void cpu_idle_loop(void)
{
	struct runqueue *rq = this_rq();

	for (;;) {
		/*
		 * Check for work with interrupts off, then wait with
		 * arch_wait_for_interrupt(), which turns them on with no
		 * window before the wait: a wake-up IPI cannot slip in
		 * between the check and the halt.
		 */
		arch_irq_disable();
		if (READ_ONCE(rq->offline) && rq->nr_queued)
			balance_push_away(smp_processor_id());
		if (READ_ONCE(*rq_need_resched(rq)) ||
		    (rq->nr_queued && !READ_ONCE(rq->offline)) ||
		    balance_pull(smp_processor_id())) {
			arch_irq_enable();
			schedule();
		} else {
			arch_wait_for_interrupt();
		}
	}
}

static unsigned long might_sleep_count;

void __might_sleep(const char *file, int line)
{
	if (!current_task())
		return;
	/* Holding a spinlock: lockdep's report names it, instead of ours. */
	if (lockdep_sleep_check(file, line)) {
		__sync_fetch_and_add(&might_sleep_count, 1);
		return;
	}
	if (!in_atomic())
		return;
	__sync_fetch_and_add(&might_sleep_count, 1);
	warn_at(file, line, "might_sleep",
		"sleeping function called from atomic context "
		"(preempt_count %#x, interrupts %s) in thread %s",
		preempt_count(), arch_irqs_disabled() ? "off" : "on",
		current_task()->name);
}

unsigned long might_sleep_violations(void)
{
	return READ_ONCE(might_sleep_count);
}
