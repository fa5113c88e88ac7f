/*
 * Kernel threads: their creation, their stacks and their end.
 *
 * A thread's stack comes from the vmalloc area (vmalloc_stack): its
 * pages may be highmem, and an unmapped guard page sits below it, so a
 * thread that runs off its stack faults on the spot (the double-fault
 * task reports it by name). The magic word at the stack's lowest
 * address stays as a second line of defence: schedule() checks it, and
 * catches a write that skipped over the guard page into the stack.
 */
#include <arch/mmu.h>
#include <kernel/errno.h>
#include <kernel/kthread.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/wait.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/vmalloc.h>
#include "sched_internal.h"

/*
 * task_list_lock protects task_list, every task's all_list link: the
 * list of every task, for reports (the monitor's ps, hotplug's search
 * for pinned tasks). Taken with interrupts off. Lock order: after the
 * run-queue locks (cpu_offline searches it holding them), before
 * console_lock (ps prints under it).
 */
static DEFINE_SPINLOCK(task_list_lock);
static LIST_HEAD(task_list);
/* Joiners wait here for any task to die; few joins, one queue is enough. */
static struct wait_queue_head exit_wq = WAIT_QUEUE_HEAD_INIT(exit_wq);

void task_register(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_list_lock);

	list_add_tail(&t->all_list, &task_list);
	spin_unlock_irqrestore(&task_list_lock, flags);
}

struct task *find_pinned_task(unsigned int cpu)
{
	unsigned long flags = spin_lock_irqsave(&task_list_lock);
	struct task *found = NULL;
	struct list_head *pos;

	list_for_each(pos, &task_list) {
		struct task *t = list_entry(pos, struct task, all_list);

		if (READ_ONCE(t->cpu) == cpu && READ_ONCE(t->migrate_disable) &&
		    t->state != TASK_DEAD) {
			found = t;
			break;
		}
	}
	spin_unlock_irqrestore(&task_list_lock, flags);
	return found;
}

static struct task *task_alloc(const char *name)
{
	struct task *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	strlcpy(t->name, name, sizeof(t->name));
	t->bound_cpu = -1;
	t->state = TASK_SLEEPING; /* until kthread_start() */
	list_init(&t->timer_list);
	return t;
}

struct task *kthread_create(int (*fn)(void *arg), void *arg, const char *name)
{
	struct task *t = task_alloc(name);

	if (!t)
		return NULL;
	t->stack = vmalloc_stack(KTHREAD_STACK_SIZE, t->name);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	*task_stack_magic(t) = TASK_MAGIC;
	t->fn = fn;
	t->arg = arg;
	sched_prepare_stack(t, (char *)t->stack + KTHREAD_STACK_SIZE);
	task_register(t);
	return t;
}

/* Can a thread be bound to cpu now? Names the reason it cannot. */
static const char *bind_refusal(const struct task *t, unsigned int cpu)
{
	if (cpu >= NR_CPUS)
		return "there is no such CPU (CPU numbers stop below "
		       "NR_CPUS)";
	if (!runqueues[cpu].idle)
		return "that CPU did not come up at boot";
	if (!cpu_is_online(cpu) || READ_ONCE(runqueues[cpu].offline))
		return "that CPU is offline";
	/*
	 * Not on_cpu, queued or switches_in: another CPU's schedule() takes
	 * a new thread off its queue before it marks it running, and a
	 * look in between would see none of the three.
	 */
	if (t->started)
		return "the thread has already started (bind before "
		       "kthread_start)";
	return NULL;
}

int kthread_bind(struct task *t, unsigned int cpu)
{
	const char *why = bind_refusal(t, cpu);

	if (why) {
		WARN(1, "kthread_bind(%s, CPU %u) refused: %s", t->name, cpu,
		     why);
		return -EINVAL;
	}
	t->bound_cpu = cpu;
	t->cpu = cpu;
	return 0;
}

/* The online CPU with the shortest queue: where a new thread starts. */
static unsigned int pick_start_cpu(void)
{
	unsigned int best = smp_processor_id();

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (cpu_is_online(cpu) && !runqueues[cpu].offline &&
		    sched_nr_queued(cpu) < sched_nr_queued(best))
			best = cpu;
	return best;
}

void kthread_start(struct task *t)
{
	/* Bound to a CPU that went offline since: start it elsewhere. */
	if (t->bound_cpu >= 0 &&
	    WARN(READ_ONCE(runqueues[t->bound_cpu].offline),
		 "kthread_start(%s): bound CPU %d went offline; unbinding",
		 t->name, t->bound_cpu))
		t->bound_cpu = -1;
	if (t->bound_cpu < 0)
		t->cpu = pick_start_cpu();
	t->started = true;
	wake_up_task(t);
}

struct task *kthread_run(int (*fn)(void *arg), void *arg, const char *name)
{
	struct task *t = kthread_create(fn, arg, name);

	if (t)
		kthread_start(t);
	return t;
}

void task_exit(int code)
{
	struct task *self = current_task();
	unsigned long flags;
	struct runqueue *rq;

	BUG_ON(self->migrate_disable);
	self->exit_code = code;
	rq = task_rq_lock(self, &flags);
	self->state = TASK_DEAD;
	task_rq_unlock(rq, flags);
	schedule();
	panic("dead thread %s was scheduled again", self->name);
}

/* Called once t is off its stack for good (see finish_switch). */
void task_dead_notify(struct task *t)
{
	wake_up_all(&exit_wq);
}

int kthread_join(struct task *t)
{
	unsigned long flags;
	int code;

	wait_event(&exit_wq,
		   READ_ONCE(t->state) == TASK_DEAD && !READ_ONCE(t->on_cpu));
	flags = spin_lock_irqsave(&task_list_lock);
	list_del(&t->all_list);
	spin_unlock_irqrestore(&task_list_lock, flags);
	code = t->exit_code;
	vfree(t->stack);
	kfree(t);
	return code;
}

static int idle_entry(void *arg)
{
	cpu_idle_loop();
}

struct task *idle_task_create(unsigned int cpu)
{
	struct task *t = kthread_create(idle_entry, NULL, "idle/0");

	BUG_ON(!t);
	t->bound_cpu = cpu;
	t->cpu = cpu;
	t->state = TASK_RUNNING; /* never queued: picked when none is */
	t->started = true;	 /* never kthread_start()ed, nor bound again */
	return t;
}

struct task *idle_task_adopt(unsigned int cpu)
{
	struct task *t = task_alloc("idle/");

	BUG_ON(!t);
	t->name[5] = '0' + cpu;
	t->bound_cpu = cpu;
	t->cpu = cpu;
	t->state = TASK_RUNNING;
	t->on_cpu = true;
	t->started = true;
	task_register(t);
	return t;
}

static const char *state_name(const struct task *t)
{
	if (t->on_cpu)
		return "running";
	if (t->state == TASK_RUNNING)
		return t->queued ? "queued" : "runnable";
	return t->state == TASK_SLEEPING ? "sleeping" : "dead";
}

/*
 * The monitor's ps: every task, where it is, what pins it, and its live
 * kmap_local slots. preempt_count belongs to a CPU, not a task: it is
 * shown for the tasks that are running, as their CPU's count.
 */
static void cmd_ps(const char *args)
{
	unsigned long flags = spin_lock_irqsave(&task_list_lock);
	struct list_head *pos;

	printk("%-16s %-8s cpu bound migr-off preempt kmap-local switches "
	       "preempted\n",
	       "name", "state");
	list_for_each(pos, &task_list) {
		const struct task *t = list_entry(pos, struct task, all_list);
		char preempt[12] = "-";

		if (t->on_cpu)
			snprintf(preempt, sizeof(preempt), "%#x",
				 READ_ONCE(percpu_areas[t->cpu].preempt_count));
		printk("%-16s %-8s %3u %5d %8d %7s %10d %8lu %9lu\n", t->name,
		       state_name(t), t->cpu, t->bound_cpu, t->migrate_disable,
		       preempt, t->kmap_ctrl.idx, t->switches_in,
		       t->preemptions);
		for (int i = 0; i < t->kmap_ctrl.idx; i++)
			printk("    kmap_local[%d]: pte %016llx (phys %#llx)\n",
			       i, (unsigned long long)t->kmap_ctrl.pteval[i],
			       (unsigned long long)arch_pte_phys(
				       t->kmap_ctrl.pteval[i]));
	}
	spin_unlock_irqrestore(&task_list_lock, flags);
}
DEFINE_MONITOR_CMD(
	"ps", cmd_ps, "ps",
	"threads: state, CPU, pins, preempt count, kmap_local slots");
