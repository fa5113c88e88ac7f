/*
 * Kernel threads: create, bind to a CPU, start, join. A thread ends by
 * returning from its function; kthread_join() gets the value.
 *
 *	struct task *t = kthread_create(worker, &arg, "worker");
 *	kthread_bind(t, 2);		// optional, before start
 *	kthread_start(t);
 *	...
 *	int code = kthread_join(t);	// waits, then frees it
 *
 * Context: kthread_create and kthread_join may sleep.
 */
#ifndef KERNEL_KTHREAD_H
#define KERNEL_KTHREAD_H

#include <kernel/task.h>

/* Each thread's stack, in the vmalloc area with a guard page below. */
#define KTHREAD_STACK_SIZE (16 * 1024)

struct task *kthread_create(int (*fn)(void *arg), void *arg, const char *name);
/*
 * Run t only on cpu. Before kthread_start, to an online CPU; otherwise
 * it warns naming the reason, leaves t unbound and returns -EINVAL.
 */
int kthread_bind(struct task *t, unsigned int cpu);
void kthread_start(struct task *t);
struct task *kthread_run(int (*fn)(void *arg), void *arg, const char *name);
int kthread_join(struct task *t);

#endif
