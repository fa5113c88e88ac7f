/*
 * Wait queues and completions (see include/kernel/wait.h).
 *
 * The sleeper queues itself and sets TASK_SLEEPING *before* testing its
 * condition; the waker sets the condition *before* waking. Whatever the
 * interleaving, either the sleeper sees the condition, or the waker
 * finds it on the queue and makes it runnable again: no lost wake-up
 * for a waiter that is woken. Which waiters are woken is the waker's
 * choice (wake_up or wake_up_all), and include/kernel/wait.h says when
 * waking only the first is not enough.
 */
#include <kernel/wait.h>

void wait_queue_init(struct wait_queue_head *wq)
{
	spin_lock_init(&wq->lock, "wait_queue");
	list_init(&wq->waiters);
}

/*
 * Put w on wq unless it is there already. The first call queues it;
 * a wake-up takes it off (wake_some), and the next call requeues it.
 * wq->lock held.
 */
static void waiter_queue(struct wait_queue_head *wq, struct waiter *w)
{
	if (!w->link.next || list_empty(&w->link))
		list_add_tail(&w->link, &wq->waiters);
}

/* Take w off its queue if it is still on it. The queue's lock held. */
static void waiter_unqueue(struct waiter *w)
{
	if (w->link.next && !list_empty(&w->link))
		list_del_init(&w->link);
}

void prepare_to_wait(struct wait_queue_head *wq, struct waiter *w)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	w->task = current_task();
	waiter_queue(wq, w);
	set_current_state(TASK_SLEEPING);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void finish_wait(struct wait_queue_head *wq, struct waiter *w)
{
	unsigned long flags;

	set_current_state(TASK_RUNNING);
	flags = spin_lock_irqsave(&wq->lock);
	waiter_unqueue(w);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Wake the first waiter, or all of them. wq->lock held. */
static void wake_locked(struct wait_queue_head *wq, bool all)
{
	while (!list_empty(&wq->waiters)) {
		struct waiter *w =
			list_first_entry(&wq->waiters, struct waiter, link);

		/* Off the queue: it requeues itself if it sleeps again. */
		list_del_init(&w->link);
		wake_up_task(w->task);
		if (!all)
			break;
	}
}

static void wake_some(struct wait_queue_head *wq, bool all)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	wake_locked(wq, all);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void wake_up(struct wait_queue_head *wq)
{
	wake_some(wq, false);
}

void wake_up_all(struct wait_queue_head *wq)
{
	wake_some(wq, true);
}

void completion_init(struct completion *c)
{
	wait_queue_init(&c->wq);
	c->done = 0;
}

/*
 * Not wait_event(): there the waiter tests its condition while queued,
 * and stays queued until finish_wait() even when the test succeeded.
 * complete() wakes only the first waiter; if that is one which has just
 * taken a "done" on its way out, the wake-up is spent on it and a
 * waiter asleep behind it sleeps on with done > 0. So the test and the
 * queueing happen under the queue's lock, and a waiter is on the queue
 * only while it has taken nothing: every one complete() wakes takes
 * the "done" it was woken for, unless a newcomer took it first.
 */
void wait_for_completion(struct completion *c)
{
	struct waiter w = { .task = current_task() };
	unsigned long flags;
	bool slept = false;
	int cpu; /* this CPU while the lock is held; maybe another after */

	might_sleep();
	flags = spin_lock_irqsave_cpu(&c->wq.lock, &cpu);
	while (!c->done) {
		waiter_queue(&c->wq, &w);
		set_current_state(TASK_SLEEPING);
		spin_unlock_irqrestore_on(&c->wq.lock, flags, cpu);
		schedule();
		slept = true;
		flags = spin_lock_irqsave_cpu(&c->wq.lock, &cpu);
	}
	/*
	 * A waiter that never slept was never queued and is still
	 * TASK_RUNNING: only one that slept has anything to undo.
	 */
	if (slept) {
		waiter_unqueue(&w);
		__set_current_state(TASK_RUNNING);
	}
	if (c->done != UINT32_MAX)
		c->done--;
	spin_unlock_irqrestore_on(&c->wq.lock, flags, cpu);
}

/*
 * The count and the wake-up under one hold of the queue's lock (lock
 * order: a wait queue's lock, then a run queue's, as in wake_some).
 */
void complete(struct completion *c)
{
	int cpu;
	unsigned long flags = spin_lock_irqsave_cpu(&c->wq.lock, &cpu);

	if (c->done != UINT32_MAX)
		c->done++;
	wake_locked(&c->wq, false);
	spin_unlock_irqrestore_on(&c->wq.lock, flags, cpu);
}

void complete_all(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->wq.lock);

	c->done = UINT32_MAX; /* every present and future waiter passes */
	wake_locked(&c->wq, true);
	spin_unlock_irqrestore(&c->wq.lock, flags);
}
