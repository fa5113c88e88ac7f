/*
 * Moving tasks between CPUs: idle CPUs pull work from busy ones.
 *
 * Only a queued task can move (a running one is using its CPU's
 * registers and stack), and only if it may: not bound to its CPU, not
 * inside migrate_disable(). That second rule is what kmap_local_page
 * relies on: a task holding local mappings is never moved.
 */
#include <kernel/smp.h>
#include "sched_internal.h"

/* Lock two run queues in CPU order, so two CPUs never deadlock. */
static void double_rq_lock(struct runqueue *a, struct runqueue *b)
{
	if (a < b) {
		raw_spin_lock(&a->lock);
		raw_spin_lock(&b->lock);
	} else {
		raw_spin_lock(&b->lock);
		raw_spin_lock(&a->lock);
	}
}

static void double_rq_unlock(struct runqueue *a, struct runqueue *b)
{
	raw_spin_unlock(&a->lock);
	raw_spin_unlock(&b->lock);
}

/*
 * How many times a pull from each CPU passed over a task it would have
 * taken, but for migrate_disable(): the proof a test can read that the
 * balancer did try to move a task holding local maps, and was refused.
 * pinned_refusals[c] is protected by runqueues[c].lock (pull_one holds
 * it); sched_balance_pinned_refusals() reads it without the lock.
 */
static unsigned long pinned_refusals[NR_CPUS];

/* Could t go to dst_cpu, migrate_disable() aside? Its run queue held. */
static bool task_may_go(const struct task *t, unsigned int dst_cpu)
{
	return t->queued && !t->on_cpu &&
	       (t->bound_cpu < 0 || t->bound_cpu == (int)dst_cpu);
}

static bool task_movable(const struct task *t, unsigned int dst_cpu)
{
	return task_may_go(t, dst_cpu) && !READ_ONCE(t->migrate_disable);
}

void move_queued_task(struct runqueue *src, struct runqueue *dst,
		      struct task *t)
{
	rq_dequeue(src, t);
	rq_enqueue(dst, t);
	t->migrations++;
}

/* Pull the first movable task of src to dst. Both locks held. */
static bool pull_one(struct runqueue *src, struct runqueue *dst)
{
	struct list_head *pos;

	list_for_each(pos, &src->queue) {
		struct task *t = list_entry(pos, struct task, run_list);

		if (task_movable(t, dst - runqueues)) {
			move_queued_task(src, dst, t);
			return true;
		}
		if (task_may_go(t, dst - runqueues)) /* pinned */
			pinned_refusals[src - runqueues]++;
	}
	return false;
}

unsigned long sched_balance_pinned_refusals(unsigned int cpu)
{
	return cpu < NR_CPUS ? READ_ONCE(pinned_refusals[cpu]) : 0;
}

bool balance_pull(unsigned int cpu)
{
	struct runqueue *dst = &runqueues[cpu];
	unsigned int busiest = cpu, most = 0;
	unsigned long flags;
	bool moved = false;

	if (READ_ONCE(dst->offline))
		return false;
	for (unsigned int c = 0; c < NR_CPUS; c++) {
		unsigned int n = READ_ONCE(runqueues[c].nr_queued);

		if (c != cpu && cpu_is_online(c) && n > most) {
			most = n;
			busiest = c;
		}
	}
	if (busiest == cpu)
		return false;
	flags = arch_irq_save();
	double_rq_lock(dst, &runqueues[busiest]);
	moved = pull_one(&runqueues[busiest], dst);
	double_rq_unlock(dst, &runqueues[busiest]);
	arch_irq_restore(flags);
	return moved;
}

/*
 * A task woken onto an offline CPU (it last ran there before it went
 * to sleep) is moved on by that CPU's idle loop. Interrupts off.
 */
void balance_push_away(unsigned int cpu)
{
	struct runqueue *src = &runqueues[cpu];

	for (unsigned int c = 0; c < NR_CPUS; c++) {
		struct runqueue *dst = &runqueues[c];
		struct list_head *pos, *tmp;

		if (c == cpu || !cpu_is_online(c) || READ_ONCE(dst->offline))
			continue;
		double_rq_lock(src, dst);
		list_for_each_safe(pos, tmp, &src->queue)
		{
			struct task *t = list_entry(pos, struct task, run_list);

			if (!READ_ONCE(t->migrate_disable)) {
				t->bound_cpu = t->bound_cpu == (int)cpu
						       ? -1
						       : t->bound_cpu;
				move_queued_task(src, dst, t);
			}
		}
		double_rq_unlock(src, dst);
		resched_cpu(c);
		return;
	}
}
