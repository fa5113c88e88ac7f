/*
 * CPU offline and online (see include/kernel/hotplug.h).
 *
 * Offlining is a loop run by the caller, on another CPU: mark the run
 * queue offline (balancing and new threads avoid it), kick its current
 * task off with a reschedule, move every queued task that may move to
 * another CPU, and repeat until the CPU runs only its idle task with an
 * empty queue. A task with migration disabled stays put and the loop
 * sleeps a tick and looks again: that wait is the guarantee kmap_local
 * relies on.
 */
#include <kernel/hotplug.h>
#include <kernel/mutex.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <mm/tlbflush.h>
#include "sched_internal.h"

/* Serialises cpu_offline and cpu_online. */
static DEFINE_MUTEX(hotplug_lock);
static unsigned long pinned_waits;

static unsigned int least_loaded_online(unsigned int except)
{
	unsigned int best = 0;

	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (c != except && cpu_is_online(c) && !runqueues[c].offline &&
		    sched_nr_queued(c) < sched_nr_queued(best))
			best = c;
	return best;
}

/*
 * Move what can move off cpu. Returns the first task that could not
 * (migration disabled), or NULL; *empty says whether cpu is now idle
 * with nothing queued.
 */
static struct task *push_tasks_away(unsigned int cpu, bool *empty)
{
	struct runqueue *src = &runqueues[cpu];
	struct runqueue *dst = &runqueues[least_loaded_online(cpu)];
	struct task *pinned = NULL;
	struct list_head *pos, *tmp;
	unsigned long flags = arch_irq_save();

	raw_spin_lock(src < dst ? &src->lock : &dst->lock);
	raw_spin_lock(src < dst ? &dst->lock : &src->lock);
	list_for_each_safe(pos, tmp, &src->queue) {
		struct task *t = list_entry(pos, struct task, run_list);

		if (READ_ONCE(t->migrate_disable)) {
			pinned = pinned ? pinned : t;
			continue;
		}
		if (t->bound_cpu == (int)cpu) {
			pr_warn("cpu_offline(%u): thread %s was bound to it; "
				"unbinding\n", cpu, t->name);
			t->bound_cpu = -1;
		}
		move_queued_task(src, dst, t);
	}
	/* Running, queued or asleep: a pinned task must come back here. */
	if (!pinned)
		pinned = find_pinned_task(cpu);
	*empty = src->nr_queued == 0 &&
		 percpu_areas[cpu].current == src->idle;
	raw_spin_unlock(&dst->lock);
	raw_spin_unlock(&src->lock);
	arch_irq_restore(flags);
	if (dst != src)
		resched_cpu(dst - runqueues);
	return pinned;
}

int cpu_offline(unsigned int cpu)
{
	struct runqueue *rq = &runqueues[cpu];
	struct task *pinned, *reported = NULL;
	bool empty;

	might_sleep();
	if (cpu == 0 || cpu >= NR_CPUS || !cpu_is_online(cpu)) {
		pr_warn("cpu_offline(%u): no such online CPU, or the boot "
			"CPU\n", cpu);
		return HOTPLUG_EINVAL;
	}
	mutex_lock(&hotplug_lock);
	if (rq->offline) {
		mutex_unlock(&hotplug_lock);
		pr_warn("cpu_offline(%u): already offline\n", cpu);
		return HOTPLUG_EBUSY;
	}
	WRITE_ONCE(rq->offline, true);
	for (;;) {
		resched_cpu(cpu);
		pinned = push_tasks_away(cpu, &empty);
		if (!pinned && empty)
			break;
		if (pinned && pinned != reported) {
			pr_info("cpu_offline(%u): waiting for thread %s "
				"(migration disabled)\n", cpu, pinned->name);
			reported = pinned;
			__sync_fetch_and_add(&pinned_waits, 1);
		}
		msleep(1);
	}
	set_cpu_online_state(cpu, false);
	pr_info("CPU %u offline\n", cpu);
	mutex_unlock(&hotplug_lock);
	return 0;
}

int cpu_online(unsigned int cpu)
{
	struct runqueue *rq = &runqueues[cpu];

	might_sleep();
	if (cpu >= NR_CPUS || !rq->idle) {
		pr_warn("cpu_online(%u): no such CPU\n", cpu);
		return HOTPLUG_EINVAL;
	}
	mutex_lock(&hotplug_lock);
	if (!rq->offline) {
		mutex_unlock(&hotplug_lock);
		pr_warn("cpu_online(%u): already online\n", cpu);
		return HOTPLUG_EBUSY;
	}
	set_cpu_online_state(cpu, true);
	/*
	 * While offline the CPU got no shootdowns, so its TLB may hold
	 * translations of since-reused vmalloc ranges. It is online again
	 * (so this reaches it) but has no work yet: flush before it gets any.
	 */
	flush_tlb_all();
	WRITE_ONCE(rq->offline, false);
	pr_info("CPU %u online again\n", cpu);
	mutex_unlock(&hotplug_lock);
	return 0;
}

unsigned long hotplug_pinned_waits(void)
{
	return READ_ONCE(pinned_waits);
}
