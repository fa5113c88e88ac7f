/*
 * Scheduler internals shared by kernel/sched.c, kernel/kthread.c and
 * kernel/sched_balance.c. Not for use outside the scheduler.
 */
#ifndef KERNEL_SCHED_INTERNAL_H
#define KERNEL_SCHED_INTERNAL_H

#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <mm/highmem.h>

struct runqueue {
	/* Lock order: by CPU number when two are held. IRQs off. */
	spinlock_t lock;
	/* protected by lock: */
	struct list_head queue; /* runnable, not running */
	unsigned int nr_queued;
	struct list_head sleepers; /* msleep()ing tasks */
	struct task *idle;
	struct task *switched_from; /* for finish_switch() */
	uint64_t clock;		    /* ticks on this CPU */
	unsigned long nr_switches;
	bool offline; /* cpu_offline(): take no work */
	/* Set once by rq_init(): this CPU's need_resched (see below). */
	unsigned int *need_resched;
} __aligned(64);
/*
 * Aligned to a cache line: each CPU locks its own run queue without
 * bouncing a line another CPU's queue shares, and with a power-of-two
 * size, finding runqueues[cpu] (or a queue's CPU) is a shift, not a
 * multiplication on every lock.
 */

extern struct runqueue runqueues[NR_CPUS];

/*
 * rq's CPU should reschedule: the flag lives in that CPU's struct
 * percpu (include/kernel/percpu.h says why). Written under rq's lock.
 */
static inline unsigned int *rq_need_resched(const struct runqueue *rq)
{
	return rq->need_resched;
}

void rq_enqueue(struct runqueue *rq, struct task *t);
void rq_dequeue(struct runqueue *rq, struct task *t);
struct runqueue *task_rq_lock(struct task *t, unsigned long *flags);
void task_rq_unlock(struct runqueue *rq, unsigned long flags);
void sched_prepare_stack(struct task *t, void *stack_top);

/* kernel/kthread.c */
void task_register(struct task *t);
void task_exit(int code) __noreturn;
void task_dead_notify(struct task *t);
struct task *idle_task_create(unsigned int cpu);
struct task *idle_task_adopt(unsigned int cpu);
/* A live task on cpu with migration disabled, or NULL. */
struct task *find_pinned_task(unsigned int cpu);

/* kernel/sched_balance.c: pull one task to an idle cpu; true if moved. */
bool balance_pull(unsigned int cpu);
/* An offline cpu hands its queued movable tasks to the others. */
void balance_push_away(unsigned int cpu);
/* Move t (queued, movable) from src to dst; both locks held. */
void move_queued_task(struct runqueue *src, struct runqueue *dst,
		      struct task *t);

/*
 * The context-switch hook for kmap_local (mm/kmap_local.c): the
 * outgoing task's local maps leave this CPU's slots and the incoming
 * task's come back. Most switches have none on either side, so the
 * test is inline and the work is out of line.
 */
static inline void sched_switch_hook(struct task *prev, struct task *next)
{
	if (unlikely(prev->kmap_ctrl.idx | next->kmap_ctrl.idx))
		kmap_local_switch(prev, next);
}

#endif
