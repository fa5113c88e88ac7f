/*
 * Tasks: kernel threads, the things the scheduler runs.
 *
 * Every task has its own kernel stack; its registers live on that stack
 * while it is switched out, and saved_sp says where. The fields are
 * grouped by who may change them.
 */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include <kernel/list.h>
#include <kernel/lockdep.h>
#include <kernel/percpu.h>
#include <mm/kmap_types.h>

#define TASK_NAME_MAX 24
#define TASK_MAGIC    0x7a5c0de5u /* at the bottom of every stack */

enum task_state {
	TASK_RUNNING,  /* running, or queued to run */
	TASK_SLEEPING, /* waiting for a wake_up_task() */
	TASK_DEAD,     /* exited; waiting to be joined */
};

struct task {
	char name[TASK_NAME_MAX];

	/* Owned by the task itself (only it changes them): */
	uintptr_t saved_sp;  /* while switched out */
	int migrate_disable; /* > 0: must stay on this CPU */
	int (*fn)(void *arg);
	void *arg;
	int exit_code;
	/*
	 * Local mappings (mm/kmap_local.c) and the pagefault_disable()
	 * nesting (include/mm/fault.h). Interrupt handlers running on top
	 * of the task use these too, and always leave them as they found
	 * them.
	 */
	struct kmap_ctrl kmap_ctrl;
	int pagefault_disabled;
	struct lockdep_task lockdep; /* the mutexes it holds */

	/*
	 * Protected by the lock of the run queue of `cpu`. A task moves
	 * between CPUs only with both run queues locked.
	 */
	volatile enum task_state state;
	unsigned int cpu; /* the CPU it runs or is queued on */
	int bound_cpu;	  /* -1, or the only CPU it may use */
	bool on_cpu;	  /* running right now (it is `current`) */
	bool queued;	  /* on cpu's run queue list */
	struct list_head run_list;
	unsigned int slice_left;     /* ticks before preemption */
	uint64_t wake_tick;	     /* msleep: the rq clock to wake at */
	struct list_head timer_list; /* on the rq's sleepers list */

	/* Statistics, written by the scheduler of `cpu`: */
	unsigned long switches_in;
	unsigned long preemptions;
	unsigned long migrations;

	/* Set by its creator, before and when it calls kthread_start(): */
	bool started; /* too late for kthread_bind() */

	/* Set at creation, freed at join: */
	void *stack;		   /* lowest address; vmalloc area */
	struct list_head all_list; /* protected by task_list_lock */
	struct wait_queue_head *exit_wait;
};

static inline struct task *current_task(void)
{
	return arch_this_cpu_read_stable(current);
}

/* The running thread's name, or "boot" before threads exist. */
const char *current_task_name(void);

/* The word at the lowest address of the stack (a canary). */
static inline uint32_t *task_stack_magic(struct task *t)
{
	return (uint32_t *)t->stack;
}

#endif
