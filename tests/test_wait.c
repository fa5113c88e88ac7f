/*
 * Suite "wait": the wait queue's promise that no wake-up is lost.
 *
 * A waker takes each waiter it wakes off the queue, and wakes its task
 * only if that task is asleep (kernel/sched.c: wake_up_task does
 * nothing to a running one). So prepare_to_wait() must mark its task
 * asleep before the queue's lock lets a waker see the waiter: a
 * wake-up that came between the two would take the waiter off the
 * queue, find its task still running, and be spent; the task would
 * then go to sleep with nobody left to wake it. mm/highmem.c's kmap()
 * sleeps just so, with no condition tested between prepare_to_wait()
 * and schedule().
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/mutex.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/task.h>
#include <kernel/wait.h>
#include "test_util.h"

#define WAKE_ROUNDS	 20
#define WAITER_SPINS_MAX 100000000ul /* the holder's bound, in polls */

struct wake_race {
	struct ktest *t;
	struct wait_queue_head wq;
	struct task *sleeper;
	struct waiter *w;	       /* the sleeper's, while it waits */
	volatile unsigned int round;   /* the sleeper may start this one */
	volatile unsigned int armed;   /* the waker may wake for this one */
	volatile unsigned int handled; /* the waker woke for this one */
	volatile unsigned int done;    /* rounds the sleeper finished */
	volatile bool stop;	       /* no more rounds */
	unsigned int primed;	       /* rounds the preemption was set up */
	unsigned int lost;	       /* wake-ups found lost, then repaired */
};

/* Each round: queue on wq and sleep until woken. */
static int race_sleeper(void *arg)
{
	struct wake_race *r = arg;

	for (unsigned int n = 1;; n++) {
		struct waiter w = { 0 };

		if (!KT_WAIT_UNTIL_SPIN(r->t, r->round == n || r->stop) ||
		    r->round != n)
			break;
		r->w = &w;
		prepare_to_wait(&r->wq, &w);
		schedule();
		finish_wait(&r->wq, &w);
		r->done = n;
	}
	return 0;
}

/* On the sleeper's CPU: runs when the sleeper is preempted or asleep. */
static int race_waker(void *arg)
{
	struct wake_race *r = arg;

	for (unsigned int n = 1;; n++) {
		if (!KT_WAIT_UNTIL_YIELD(r->t, r->armed == n || r->stop) ||
		    r->armed != n)
			break;
		wake_up(&r->wq);
		r->handled = n;
	}
	return 0;
}

/* Is a CPU spinning for this (ticket) lock while it is held? */
static bool lock_has_waiter(const spinlock_t *lock)
{
	return (uint16_t)(READ_ONCE(lock->next) - READ_ONCE(lock->owner)) >= 2;
}

/*
 * Start round n so that the waker runs exactly when prepare_to_wait()
 * turns interrupts back on. Hold the queue's lock until the sleeper
 * spins for it, interrupts off, inside prepare_to_wait(); ask its CPU
 * to reschedule (the IPI waits, pending); let go. The sleeper queues
 * itself, unlocks, and the IPI preempts it in favour of the waker, at
 * the one moment the order of prepare_to_wait()'s last two steps shows.
 */
static void start_round(struct wake_race *r, unsigned int n, unsigned int cpu)
{
	unsigned long flags = spin_lock_irqsave(&r->wq.lock), spins = 0;

	WRITE_ONCE(r->round, n);
	while (!lock_has_waiter(&r->wq.lock) && ++spins < WAITER_SPINS_MAX)
		arch_cpu_relax();
	WRITE_ONCE(r->armed, n);
	if (lock_has_waiter(&r->wq.lock)) {
		r->primed++;
		resched_cpu(cpu);
	}
	spin_unlock_irqrestore(&r->wq.lock, flags);
}

/*
 * The sign of a lost wake-up: the waker woke for this round, yet the
 * sleeper is asleep and off the queue, where no waker can find it. If
 * so, count it and wake the task directly, so the case goes on.
 */
static bool wake_was_lost(struct wake_race *r, unsigned int n)
{
	unsigned long flags = spin_lock_irqsave(&r->wq.lock);
	bool lost = r->handled == n &&
		    READ_ONCE(r->sleeper->state) == TASK_SLEEPING &&
		    list_empty(&r->w->link);

	spin_unlock_irqrestore(&r->wq.lock, flags);
	if (lost) {
		r->lost++;
		wake_up_task(r->sleeper);
	}
	return lost;
}

static void wait_wake_between_queue_and_sleep_not_lost(struct ktest *t)
{
	static struct wake_race r;
	struct task *waker;
	unsigned int cpu, n;
	int code;

	if (spinlock_test_and_set) {
		kt_skip(t, "needs spinlock=ticket: it sees the sleeper spin "
			   "for the queue's lock by its ticket");
		return;
	}
	migrate_disable(); /* stay off the sleeper's CPU */
	cpu = kt_other_cpu();
	if (cpu == smp_processor_id()) {
		migrate_enable();
		kt_skip(t, "needs two CPUs");
		return;
	}
	r = (struct wake_race){ .t = t };
	wait_queue_init(&r.wq);
	r.sleeper = kthread_create(race_sleeper, &r, "wake_sleeper");
	waker = kthread_create(race_waker, &r, "wake_waker");
	KT_ASSERT_TRUE(t, r.sleeper && waker);
	kthread_bind(r.sleeper, cpu);
	kthread_bind(waker, cpu);
	kthread_start(r.sleeper);
	kthread_start(waker);
	for (n = 1; n <= WAKE_ROUNDS; n++) {
		start_round(&r, n, cpu);
		if (!KT_WAIT_UNTIL_SPIN(t, r.done == n || wake_was_lost(&r, n)))
			break;
		if (!KT_WAIT_UNTIL_SPIN(t, r.done == n))
			break;
	}
	WRITE_ONCE(r.stop, true);
	migrate_enable();
	kt_join_bounded(t, r.sleeper, &code);
	kt_join_bounded(t, waker, &code);
	kt_diag(t,
		"%u rounds, %u with the waker set to preempt the sleeper "
		"as prepare_to_wait() ends, %u wake-ups lost",
		r.done, r.primed, r.lost);
	KT_EXPECT_EQ(t, r.done, WAKE_ROUNDS);
	KT_EXPECT_GT(t, r.primed, 0);
	KT_EXPECT_EQ(t, r.lost, 0);
}

/*
 * complete_all() wakes every waiter, where complete() wakes one:
 * ALL_WAITERS threads asleep on one completion all return from
 * wait_for_completion(), and a waiter that comes later passes at once.
 */
#define ALL_WAITERS 4

struct all_waiters {
	struct completion c;
	volatile unsigned int woken;
};

static int all_waiter_thread(void *arg)
{
	struct all_waiters *aw = arg;

	wait_for_completion(&aw->c);
	__atomic_add_fetch(&aw->woken, 1, __ATOMIC_RELEASE);
	return 0;
}

static bool all_asleep(struct task *const *th)
{
	for (unsigned int i = 0; i < ALL_WAITERS; i++)
		if (READ_ONCE(th[i]->state) != TASK_SLEEPING)
			return false;
	return true;
}

static void wait_complete_all_wakes_every_waiter(struct ktest *t)
{
	static struct all_waiters aw;
	struct task *th[ALL_WAITERS];
	int code;

	aw = (struct all_waiters){ .woken = 0 };
	completion_init(&aw.c);
	for (unsigned int i = 0; i < ALL_WAITERS; i++) {
		th[i] = kthread_run(all_waiter_thread, &aw, "all_waiter");
		KT_ASSERT_NOT_NULL(t, th[i]);
	}
	KT_WAIT_UNTIL(t, all_asleep(th));
	complete_all(&aw.c);
	KT_WAIT_UNTIL(t, READ_ONCE(aw.woken) == ALL_WAITERS);
	KT_EXPECT_EQ(t, aw.woken, ALL_WAITERS);
	wait_for_completion(&aw.c); /* a latecomer: passes at once */
	/* Wake, one by one, any that complete_all() left asleep. */
	for (unsigned int i = 0; i < ALL_WAITERS; i++)
		complete(&aw.c);
	for (unsigned int i = 0; i < ALL_WAITERS; i++)
		kt_join_bounded(t, th[i], &code);
}

/*
 * mutex_unlock() lets the mutex go, then wakes a waiter. The order
 * matters most on one CPU: a wake-up there asks for a switch, taken as
 * soon as the waker lets go of the queue's lock, so the waiter runs in
 * the middle of mutex_unlock(). Woken while the mutex was still held,
 * it would find it taken, sleep again, and no one would wake it. So
 * the case holds a mutex, has a thread on its own CPU sleep waiting
 * for it, and unlocks.
 */
struct handoff {
	struct mutex m;
	volatile bool got;
};

static int handoff_waiter(void *arg)
{
	struct handoff *h = arg;

	mutex_lock(&h->m);
	WRITE_ONCE(h->got, true);
	mutex_unlock(&h->m);
	return 0;
}

static void wait_mutex_unlock_wakes_waiter_on_its_cpu(struct ktest *t)
{
	static struct handoff h;
	struct task *w;
	int code;

	mutex_init(&h.m, "handoff");
	h.got = false;
	migrate_disable();
	mutex_lock(&h.m);
	w = kthread_create(handoff_waiter, &h, "handoff");
	if (!w) {
		mutex_unlock(&h.m);
		migrate_enable();
		KT_ASSERT_NOT_NULL(t, w);
	}
	kthread_bind(w, smp_processor_id());
	kthread_start(w);
	KT_WAIT_UNTIL(t, READ_ONCE(w->state) == TASK_SLEEPING);
	mutex_unlock(&h.m);
	KT_WAIT_UNTIL(t, READ_ONCE(h.got));
	migrate_enable();
	if (!READ_ONCE(h.got))
		wake_up(&h.m.wq); /* it slept on with the mutex free */
	kt_join_bounded(t, w, &code);
}

static const struct ktest_case wait_cases[] = {
	KTEST_CASE(wait_wake_between_queue_and_sleep_not_lost),
	KTEST_CASE(wait_complete_all_wakes_every_waiter),
	KTEST_CASE(wait_mutex_unlock_wakes_waiter_on_its_cpu),
};
KTEST_SUITE(wait, wait_cases);
