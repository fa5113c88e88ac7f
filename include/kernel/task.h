/*
 * Tasks (kernel threads). The scheduler (kernel/sched.c) fills this in;
 * here is only what the rest of the kernel needs to name the running
 * thread in reports.
 */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include <kernel/percpu.h>

#define TASK_NAME_MAX 24

struct task {
	char name[TASK_NAME_MAX];
};

static inline struct task *current_task(void)
{
	return this_cpu()->current;
}

/* The running thread's name, or "boot" before threads exist. */
const char *current_task_name(void);

#endif
