/*
 * Mutexes (see include/kernel/mutex.h). Built on a wait queue: the
 * queue's lock protects the owner field, and waiters sleep on the
 * queue until an unlock wakes one of them to try again.
 */
#include <kernel/mutex.h>
#include <kernel/panic.h>

void mutex_init(struct mutex *m, const char *name)
{
	wait_queue_init(&m->wq);
	m->owner = NULL;
	m->name = name;
}

bool mutex_trylock(struct mutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->wq.lock);
	bool taken = !m->owner;

	if (taken)
		m->owner = current_task();
	spin_unlock_irqrestore(&m->wq.lock, flags);
	return taken;
}

void mutex_lock(struct mutex *m)
{
	might_sleep();
	if (unlikely(m->owner == current_task()))
		panic("mutex %s: recursive lock by thread %s", m->name,
		      current_task()->name);
	wait_event(&m->wq, mutex_trylock(m));
}

void mutex_unlock(struct mutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->wq.lock);

	if (unlikely(m->owner != current_task()))
		panic("mutex %s: unlocked by thread %s, owner is %s", m->name,
		      current_task()->name,
		      m->owner ? m->owner->name : "nobody");
	m->owner = NULL;
	spin_unlock_irqrestore(&m->wq.lock, flags);
	wake_up(&m->wq);
}
