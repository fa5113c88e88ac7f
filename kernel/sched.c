/*
 * The scheduler. For now there is one CPU and one thread of control
 * (the boot thread), so nothing can be switched to: the functions here
 * answer for that single thread. The SMP scheduler replaces them.
 */
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/task.h>

void preempt_schedule_if_needed(void)
{
	/* No other thread exists yet: nothing to switch to. */
}

const char *current_task_name(void)
{
	struct task *t = current_task();

	return t ? t->name : "boot";
}

void scheduler_tick(void)
{
	/* The scheduler fills this in. */
}

void scheduler_ipi(void)
{
	/* The scheduler fills this in. */
}

void cpu_idle_loop(void)
{
	/* The scheduler fills this in (with an idle thread per CPU). */
	for (;;)
		arch_wait_for_interrupt();
}
