/*
 * Mutexes (see include/kernel/mutex.h). Built on a wait queue: the
 * queue's lock protects the owner field, and waiters sleep on the
 * queue until an unlock wakes one of them to try again.
 *
 * lockdep sees a mutex twice: before the wait (the order check, so a
 * deadlock is reported before the task sleeps in it) and once it is
 * owned (held on the task's own list, since a mutex is held across
 * sleeps and migrations).
 */
#include <kernel/mutex.h>
#include <kernel/panic.h>

void mutex_init_at(struct mutex *m, const char *name, const char *file,
		   int line)
{
	wait_queue_init(&m->wq);
	m->owner = NULL;
	m->dep = (struct lockdep_map){ .name = name,
				       .file = file,
				       .line = line };
}

/* Take the mutex if it is free; no lockdep bookkeeping. */
static bool mutex_try_take(struct mutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->wq.lock);
	bool taken = !m->owner;

	if (taken)
		m->owner = current_task();
	spin_unlock_irqrestore(&m->wq.lock, flags);
	return taken;
}

bool mutex_trylock_at(struct mutex *m, const struct lockdep_site *site)
{
	bool taken = mutex_try_take(m);

	if (taken)
		lockdep_mutex_acquired(&m->dep, site);
	return taken;
}

void mutex_lock_at(struct mutex *m, const struct lockdep_site *site)
{
	__might_sleep(site->file, site->line); /* the caller's line */
	if (unlikely(m->owner == current_task()))
		panic("mutex %s: recursive lock by thread %s", m->dep.name,
		      current_task()->name);
	lockdep_mutex_wait(&m->dep, site);
	wait_event(&m->wq, mutex_try_take(m));
	lockdep_mutex_acquired(&m->dep, site);
}

void mutex_unlock(struct mutex *m)
{
	unsigned long flags;

	/* Before the queue's lock, which is not taken "inside" the mutex. */
	lockdep_mutex_release(&m->dep);
	flags = spin_lock_irqsave(&m->wq.lock);

	if (unlikely(m->owner != current_task()))
		panic("mutex %s: unlocked by thread %s, owner is %s",
		      m->dep.name, current_task()->name,
		      m->owner ? m->owner->name : "nobody");
	m->owner = NULL;
	spin_unlock_irqrestore(&m->wq.lock, flags);
	wake_up(&m->wq);
}
