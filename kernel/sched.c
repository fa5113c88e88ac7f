/*
 * The scheduler. For now there is one CPU and one thread of control
 * (the boot thread), so nothing can be switched to: the functions here
 * answer for that single thread. The SMP scheduler replaces them.
 */
#include <kernel/preempt.h>
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
