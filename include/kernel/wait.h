/*
 * Wait queues and completions: how a task sleeps until something
 * happens, and how whoever makes it happen wakes it.
 *
 *	wait_event(&wq, READ_ONCE(done));	// sleeper
 *	WRITE_ONCE(done, true); wake_up_all(&wq);	// waker
 *
 * Context: wait_event and wait_for_completion may sleep (preemptible
 * context only); wake_up* and complete* may be called from any
 * context, interrupts included.
 */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include <kernel/sched.h>
#include <kernel/spinlock.h>

struct wait_queue_head {
	spinlock_t lock;
	/* protected by lock: */
	struct list_head waiters; /* of struct waiter */
};

struct waiter {
	struct task *task;
	struct list_head link;
};

#define WAIT_QUEUE_HEAD_INIT(name)                      \
	{                                               \
		.lock = SPINLOCK_INIT(name),            \
		.waiters = LIST_HEAD_INIT(name.waiters) \
	}

void wait_queue_init(struct wait_queue_head *wq);
/*
 * Wake every waiter, or only the first. The first is enough when the
 * waker knows no queued waiter has already got what it waits for: a
 * mutex (only its owner unlocks, and the owner has left the queue). When
 * waiters take something (a token), one that has just taken it is still
 * queued until finish_wait(), and a wake_up() that picks it is lost for
 * the waiter asleep behind it: wake them all, or test and queue under
 * the queue's lock, as wait_for_completion() does.
 */
void wake_up(struct wait_queue_head *wq);
void wake_up_all(struct wait_queue_head *wq);

/* Internals of wait_event: queue ourselves and mark us sleeping. */
void prepare_to_wait(struct wait_queue_head *wq, struct waiter *w);
void finish_wait(struct wait_queue_head *wq, struct waiter *w);

/* Sleep until cond is true. cond is re-tested after every wake-up. */
#define wait_event(wq, cond)                       \
	do {                                       \
		struct waiter __w = { 0 };         \
		might_sleep();                     \
		for (;;) {                         \
			prepare_to_wait(wq, &__w); \
			if (cond)                  \
				break;             \
			schedule();                \
		}                                  \
		finish_wait(wq, &__w);             \
	} while (0)

struct completion {
	struct wait_queue_head wq;
	unsigned int done; /* protected by wq.lock */
};

void completion_init(struct completion *c);
void wait_for_completion(struct completion *c);
void complete(struct completion *c);
void complete_all(struct completion *c);

#endif
