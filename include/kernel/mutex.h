/*
 * Mutexes: sleeping locks. A task that finds the mutex held sleeps
 * until the owner unlocks, instead of spinning, so a mutex may be held
 * across operations that themselves sleep (a kmap(), a vmalloc()).
 *
 * Context: mutex_lock may sleep (preemptible context only, asserted
 * with might_sleep); only the owner may unlock (checked).
 */
#ifndef KERNEL_MUTEX_H
#define KERNEL_MUTEX_H

#include <kernel/wait.h>

struct mutex {
	struct wait_queue_head wq;	/* wq.lock also protects owner */
	struct task *owner;
	const char *name;
};

#define MUTEX_INIT(m) { .wq = WAIT_QUEUE_HEAD_INIT(m.wq), .owner = NULL, \
			.name = #m }
#define DEFINE_MUTEX(m) struct mutex m = MUTEX_INIT(m)

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);

#endif
