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
 *
 * Onlining must give back a CPU whose TLB holds nothing stale. While it
 * was offline it took no shootdowns, so its TLB may still translate
 * vmalloc, pkmap or fixmap addresses that were unmapped and reused
 * meanwhile. See cpu_online() for how the flush is ordered before
 * anyone can see the CPU online.
 */
#include <kernel/hotplug.h>
#include <kernel/mutex.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <mm/layout.h>
#include <mm/tlbflush.h>
#include "sched_internal.h"

/* How long cpu_online waits for the CPU to flush and come back. */
#define ONLINE_ANSWER_TIMEOUT_MS 5000

/* Serialises cpu_offline and cpu_online; protects last_pinned_name. */
static DEFINE_MUTEX(hotplug_lock);
static unsigned long pinned_waits;
static char last_pinned_name[TASK_NAME_MAX];
void (*hotplug_report_window)(void);
void (*hotplug_lock_window)(struct spinlock *src_lock,
			    struct spinlock *dst_lock);
void (*hotplug_online_window)(void);

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
 * What cpu_offline() learns of a task that holds it back. The pointer
 * only tells one task from the next and is never followed: once the run
 * queue lock is dropped the task may exit and be freed, so its name is
 * copied while the lock still keeps it alive.
 */
struct pinned_report {
	const struct task *who;
	char name[TASK_NAME_MAX];
};

/*
 * Move what can move off cpu. Fills *pinned with the first task that
 * could not (migration disabled; who is NULL if none); *empty says
 * whether cpu is now idle with nothing queued.
 *
 * Why the name copy below is safe: a task found here has t->cpu == cpu
 * and we hold that run queue's lock. A task leaves a run queue only
 * with its lock held, and task_exit() takes it to become TASK_DEAD;
 * kthread_join() frees nothing before that. So the task is alive until
 * src->lock is dropped.
 */
static void push_tasks_away(unsigned int cpu, bool *empty,
			    struct pinned_report *pinned)
{
	struct runqueue *src = &runqueues[cpu];
	struct runqueue *dst = &runqueues[least_loaded_online(cpu)];
	struct task *found = NULL;
	struct list_head *pos, *tmp;
	unsigned long flags = arch_irq_save();

	raw_spin_lock(src < dst ? &src->lock : &dst->lock);
	if (hotplug_lock_window)
		hotplug_lock_window(&src->lock, &dst->lock);
	raw_spin_lock(src < dst ? &dst->lock : &src->lock);
	list_for_each_safe(pos, tmp, &src->queue)
	{
		struct task *t = list_entry(pos, struct task, run_list);

		if (READ_ONCE(t->migrate_disable)) {
			found = found ? found : t;
			continue;
		}
		if (t->bound_cpu == (int)cpu) {
			pr_warn("cpu_offline(%u): thread %s was bound to it; "
				"unbinding\n",
				cpu, t->name);
			t->bound_cpu = -1;
		}
		move_queued_task(src, dst, t);
	}
	/* Running, queued or asleep: a pinned task must come back here. */
	if (!found)
		found = find_pinned_task(cpu);
	pinned->who = found;
	if (found)
		strlcpy(pinned->name, found->name, sizeof(pinned->name));
	*empty = src->nr_queued == 0 && percpu_areas[cpu].current == src->idle;
	raw_spin_unlock(&dst->lock);
	raw_spin_unlock(&src->lock);
	arch_irq_restore(flags);
	if (dst != src)
		resched_cpu(dst - runqueues);
}

/*
 * Would the caller wait for itself? cpu_offline() waits until no task
 * on cpu has migration disabled, and a caller bound to cpu, or pinned
 * there by migrate_disable() (a kmap_local_page() map, say), is such a
 * task: it can never leave. Migration disabled makes smp_processor_id()
 * stable; a caller with neither pin may be anywhere, and is moved away
 * like any other task.
 */
static bool caller_pinned_to(unsigned int cpu)
{
	struct task *self = current_task();

	return self->bound_cpu == (int)cpu ||
	       (READ_ONCE(self->migrate_disable) && smp_processor_id() == cpu);
}

/* The reason cpu cannot be offlined or onlined by number, or NULL. */
static const char *bad_cpu_number(unsigned int cpu)
{
	if (cpu >= NR_CPUS || !runqueues[cpu].idle)
		return "no such CPU";
	return NULL;
}

int cpu_offline(unsigned int cpu)
{
	struct runqueue *rq = &runqueues[cpu];
	struct pinned_report pinned;
	const struct task *reported = NULL;
	const char *bad = bad_cpu_number(cpu);
	bool empty;

	might_sleep();
	if (bad) {
		pr_warn("cpu_offline(%u): %s\n", cpu, bad);
		return HOTPLUG_EINVAL;
	}
	if (cpu == 0) {
		pr_warn("cpu_offline(0): the boot CPU stays online\n");
		return HOTPLUG_EINVAL;
	}
	if (WARN(caller_pinned_to(cpu),
		 "cpu_offline(%u): the caller, thread %s, is pinned "
		 "to CPU %u (bound, or migration disabled) and would wait "
		 "for itself forever",
		 cpu, current_task()->name, cpu))
		return HOTPLUG_ESELF;
	mutex_lock(&hotplug_lock);
	if (rq->offline) {
		mutex_unlock(&hotplug_lock);
		pr_warn("cpu_offline(%u): already offline\n", cpu);
		return HOTPLUG_EBUSY;
	}
	WRITE_ONCE(rq->offline, true);
	for (;;) {
		resched_cpu(cpu);
		push_tasks_away(cpu, &empty, &pinned);
		if (!pinned.who && empty)
			break;
		if (pinned.who && pinned.who != reported) {
			if (hotplug_report_window)
				hotplug_report_window();
			strlcpy(last_pinned_name, pinned.name,
				sizeof(last_pinned_name));
			pr_info("cpu_offline(%u): waiting for thread %s "
				"(migration disabled)\n",
				cpu, pinned.name);
			reported = pinned.who;
			__sync_fetch_and_add(&pinned_waits, 1);
		}
		msleep(1);
	}
	set_cpu_online_state(cpu, false);
	pr_info("CPU %u offline\n", cpu);
	mutex_unlock(&hotplug_lock);
	return 0;
}

/*
 * Runs on the CPU coming back, in its call-function interrupt (so with
 * interrupts off): drop every translation, then join the online mask.
 *
 * Why the CPU does both itself, in this order. Anything that reaches a
 * CPU through the online mask (a cross-CPU call, whose csd sits on the
 * caller's vmalloc stack; a shootdown) trusts its TLB to be current.
 * If the mask came first, a caller could slip a call in before the
 * flush and have it read or write through a translation purged while
 * the CPU was away. Flushing first leaves one question: what if a
 * purge happens between the flush and the publish, and its shootdown
 * reads the mask too early to include us? Then its page-table write
 * came before our publish, so every translation we load after the
 * publish sees it; and between the flush and the publish this CPU
 * touches nothing but its own permanent stack, with interrupts off.
 * What brings us here must not go through a stale translation either:
 * the request is the sender's static asynchronous csd, in the kernel
 * image, never a stack (kernel/smp.c: smp_call_function_offline).
 */
static void flush_and_come_online(void *arg)
{
	/* The whole kernel half: far above the ceiling, one full flush. */
	flush_tlb_local_range(PAGE_OFFSET, 0u - PAGE_SIZE);
	if (hotplug_online_window)
		hotplug_online_window();
	set_cpu_online_state(smp_processor_id(), true);
}

/* Wait for cpu to answer flush_and_come_online. May sleep. */
static void wait_until_online(unsigned int cpu)
{
	unsigned long start = jiffies;

	while (!cpu_is_online(cpu)) {
		if (jiffies - start > ONLINE_ANSWER_TIMEOUT_MS * HZ / 1000)
			panic("cpu_online(%u): the CPU did not run its flush "
			      "request in %u ms (not taking interrupts?)",
			      cpu, ONLINE_ANSWER_TIMEOUT_MS);
		msleep(1);
	}
}

int cpu_online(unsigned int cpu)
{
	struct runqueue *rq = &runqueues[cpu];
	const char *bad = bad_cpu_number(cpu);

	might_sleep();
	if (bad) {
		pr_warn("cpu_online(%u): %s\n", cpu, bad);
		return HOTPLUG_EINVAL;
	}
	mutex_lock(&hotplug_lock);
	if (!rq->offline) {
		mutex_unlock(&hotplug_lock);
		pr_warn("cpu_online(%u): already online\n", cpu);
		return HOTPLUG_EBUSY;
	}
	smp_call_function_offline(cpu, flush_and_come_online, NULL);
	wait_until_online(cpu);
	/* Online and flushed; only now may it take work. */
	WRITE_ONCE(rq->offline, false);
	pr_info("CPU %u online again\n", cpu);
	mutex_unlock(&hotplug_lock);
	return 0;
}

unsigned long hotplug_pinned_waits(void)
{
	return READ_ONCE(pinned_waits);
}

const char *hotplug_last_pinned_name(void)
{
	return last_pinned_name;
}
