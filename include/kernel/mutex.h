/*
 * Mutexes: sleeping locks. A task that finds the mutex held sleeps
 * until the owner unlocks, instead of spinning, so a mutex may be held
 * across operations that themselves sleep (a kmap(), a vmalloc()).
 *
 * Context: mutex_lock may sleep (preemptible context only, asserted
 * with might_sleep); only the owner may unlock (checked). Each mutex is
 * a lockdep class of its own definition site (include/kernel/lockdep.h);
 * the taking macros pass their call site for its reports.
 */
#ifndef KERNEL_MUTEX_H
#define KERNEL_MUTEX_H

#include <kernel/wait.h>

struct mutex {
	struct wait_queue_head wq; /* wq.lock also protects owner */
	struct task *owner;
	struct lockdep_map dep; /* its name and lockdep class */
};

#define MUTEX_INIT(m)                                            \
	{                                                        \
		.wq = WAIT_QUEUE_HEAD_INIT(m.wq), .owner = NULL, \
		.dep = LOCKDEP_MAP_INIT(#m)                      \
	}
#define DEFINE_MUTEX(m) struct mutex m = MUTEX_INIT(m)

#define mutex_init(m, name) mutex_init_at(m, name, __FILE__, __LINE__)
void mutex_init_at(struct mutex *m, const char *name, const char *file,
		   int line);

#define mutex_lock(m)	 mutex_lock_at(m, LOCKDEP_SITE())
#define mutex_trylock(m) mutex_trylock_at(m, LOCKDEP_SITE())
void mutex_lock_at(struct mutex *m, const struct lockdep_site *site);
bool mutex_trylock_at(struct mutex *m, const struct lockdep_site *site);
void mutex_unlock(struct mutex *m);

#endif
