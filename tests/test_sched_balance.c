/*
 * Suite "sched", the cases about moving tasks between CPUs
 * (kernel/sched_balance.c): that migrate_disable() holds a task where
 * it is while idle CPUs try to pull it, and that a pull takes its two
 * run-queue locks in the one order. They are registered with the rest
 * of the suite in test_sched.c (declared in sched_cases.h).
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <lib/string.h>
#include "../kernel/sched_internal.h"
#include "sched_cases.h"
#include "test_util.h"

/*
 * The pinned task shares its CPU with PIN_CROWD yielders bound there,
 * so it spends most of its time queued behind them: only a queued task
 * can be pulled, and an idle CPU pulls from the longest queue. It stays
 * pinned until it has been preempted PIN_PREEMPTIONS times and idle
 * CPUs' pulls have passed it over PIN_REFUSALS times
 * (sched_balance_pinned_refusals counts them), or for twenty seconds
 * of ticks. Both counts are facts the case then checks. With one
 * yielder and no refusal count, two 20-second runs saw 8 and 3 pulls
 * refused in some 180,000 preemptions each, and a balancer that
 * ignored migrate_disable() passed two runs in three.
 */
#define PIN_CROWD	3
#define PIN_PREEMPTIONS 100
#define PIN_REFUSALS	8

struct pin_run {
	volatile unsigned int stop;
	volatile unsigned int phase; /* 0: pinned, 1: free, 2: done */
	unsigned int home;
	unsigned int moved_while_pinned;
	unsigned long preemptions_pinned, refusals_pinned;
	bool moved_after;
};

/* Yield until told to stop: the crowd on the pinned task's CPU. */
static int yielder(void *arg)
{
	struct pin_run *pr = arg;

	while (!pr->stop) {
		udelay(50); /* hold the CPU a while: the pinned task waits */
		yield();
	}
	return 0;
}

/* Keep asking the pinned task's CPU to reschedule: many preemptions. */
static int kicker(void *arg)
{
	struct pin_run *pr = arg;

	/* Not flat out: the home CPU's run-queue lock must stay usable. */
	while (!pr->stop) {
		resched_cpu(pr->home);
		udelay(100);
	}
	return 0;
}

static int pinned_worker(void *arg)
{
	struct pin_run *pr = arg;
	struct task *self = current_task();
	unsigned long start, refused0;
	uint64_t deadline;

	migrate_disable();
	pr->home = smp_processor_id();
	WRITE_ONCE(pr->phase, 0);
	start = self->preemptions;
	refused0 = sched_balance_pinned_refusals(pr->home);
	deadline = sched_clock_ticks(pr->home) + 20 * HZ;
	while ((READ_ONCE(self->preemptions) - start < PIN_PREEMPTIONS ||
		sched_balance_pinned_refusals(pr->home) - refused0 <
			PIN_REFUSALS) &&
	       sched_clock_ticks(pr->home) < deadline)
		if (smp_processor_id() != pr->home)
			pr->moved_while_pinned++;
	pr->preemptions_pinned = self->preemptions - start;
	pr->refusals_pinned =
		sched_balance_pinned_refusals(pr->home) - refused0;
	migrate_enable();
	WRITE_ONCE(pr->phase, 1);
	deadline = sched_clock_ticks(pr->home) + 10 * HZ;
	/*
	 * Free to move now. Each wake-up from a short sleep is a chance:
	 * the home CPU is busy with the yielders, so the wake-up places the
	 * task on an idle CPU (and idle CPUs pull it when it is preempted).
	 */
	while (smp_processor_id() == pr->home &&
	       sched_clock_ticks(pr->home) < deadline)
		msleep(1);
	pr->moved_after = smp_processor_id() != pr->home;
	WRITE_ONCE(pr->phase, 2);
	return 0;
}

/*
 * A task inside migrate_disable() stays on its CPU across preemptions
 * while idle CPUs try to pull it (PIN_PREEMPTIONS, PIN_REFUSALS), then
 * moves once it calls migrate_enable().
 */
void sched_migrate_disable_pins_task(struct ktest *t)
{
	static struct pin_run pr;
	unsigned int home = kt_other_cpu();
	struct task *w, *y[PIN_CROWD], *k;

	if (num_online_cpus() < 3) {
		kt_skip(t, "needs three CPUs (a home, a kicker, a puller)");
		return;
	}
	pr = (struct pin_run){ .home = home, .phase = 3 };
	w = kthread_create(pinned_worker, &pr, "pinned");
	KT_ASSERT_NOT_NULL(t, w);
	kthread_bind(w, home); /* start there, then unbind: only the */
	kthread_start(w);      /* migrate_disable() holds it */
	KT_WAIT_UNTIL(t, READ_ONCE(pr.phase) != 3);
	w->bound_cpu = -1;
	for (unsigned int i = 0; i < PIN_CROWD; i++) {
		y[i] = kthread_create(yielder, &pr, "yielder");
		KT_ASSERT_NOT_NULL(t, y[i]);
		kthread_bind(y[i], home);
		kthread_start(y[i]);
	}
	k = kthread_run(kicker, &pr, "kicker");
	KT_ASSERT_NOT_NULL(t, k);
	kthread_join(w);
	pr.stop = 1;
	for (unsigned int i = 0; i < PIN_CROWD; i++)
		kthread_join(y[i]);
	kthread_join(k);
	kt_diag(t, "pinned on CPU %u: %lu preemptions, %lu pulls refused",
		pr.home, pr.preemptions_pinned, pr.refusals_pinned);
	KT_EXPECT_GE(t, pr.preemptions_pinned, PIN_PREEMPTIONS);
	KT_EXPECT_GE(t, pr.refusals_pinned, PIN_REFUSALS);
	KT_EXPECT_EQ(t, pr.moved_while_pinned, 0);
	KT_EXPECT_TRUE(t, pr.moved_after);
}

/*
 * An idle CPU's pull holds two run-queue locks, its own and the
 * busiest CPU's, and takes them lower CPU first, as cpu_offline() does
 * (cpu_hotplug_offline_takes_rq_locks_in_order): else a pull and an
 * offline pushing the other way could each hold one and wait for the
 * other. lockdep cannot see it (the run queues' locks are one class),
 * so the case watches. One CPU, low, holds queued threads (the
 * busiest); a guard on a higher CPU, high, holds low's lock, interrupts
 * off; the case, on a third CPU, pulls for high. In order, the pull
 * waits for low's lock holding nothing; out of order, it holds high's
 * lock while it waits, and the guard sees that lock taken.
 *
 * The guard holds a run-queue lock with interrupts off while it waits
 * for the case's CPU to start the pull, and every idle CPU spins on
 * that lock meanwhile: on a host that runs the vCPUs by turns, that
 * wait must not be open-ended. The guard gives up after GUARD_WAIT_MS
 * by the clock, lets go and says what the case's CPU was running;
 * such an attempt proves nothing and the case makes another, up to
 * ORDER_ATTEMPTS.
 */
#define ORDER_CROWD    3
#define GUARD_MS       5   /* how long the guard watches the pull */
#define GUARD_WAIT_MS  100 /* how long it waits for the pull to start */
#define ORDER_ATTEMPTS 5

struct rq_order {
	unsigned int low, high, case_cpu;
	volatile bool stop, guarding, pulling, done;
	bool high_held; /* seen by the guard: the pull took it first */
	bool gave_up;	/* the pull had not started after GUARD_WAIT_MS */
	char case_cpu_ran[TASK_NAME_MAX]; /* ... what that CPU ran then */
};

static int order_spinner(void *arg)
{
	struct rq_order *o = arg;

	while (!READ_ONCE(o->stop))
		arch_cpu_relax();
	return 0;
}

static bool pull_started(const void *arg)
{
	const struct rq_order *o = arg;

	return READ_ONCE(o->pulling);
}

/* Is high's lock taken: did the pull take its own lock first? */
static bool high_lock_taken(const void *arg)
{
	const struct rq_order *o = arg;

	return spin_is_locked(&runqueues[o->high].lock);
}

static int order_guard(void *arg)
{
	struct rq_order *o = arg;
	spinlock_t *low = &runqueues[o->low].lock;
	unsigned long flags = arch_irq_save();

	raw_spin_lock(low);
	WRITE_ONCE(o->guarding, true);
	if (!kt_spin_until(pull_started, o, GUARD_WAIT_MS)) {
		const struct task *there =
			READ_ONCE(percpu_areas[o->case_cpu].current);

		o->gave_up = true;
		strlcpy(o->case_cpu_ran, there ? there->name : "?",
			sizeof(o->case_cpu_ran));
	} else {
		/* By the clock: idle CPUs spin on this lock meanwhile. */
		o->high_held = kt_spin_until(high_lock_taken, o, GUARD_MS);
	}
	/*
	 * Before the unlock, which publishes it: a pull that waited for
	 * this lock finds the watch over. Set after it, a pull could get
	 * the lock and look before this CPU wrote it.
	 */
	WRITE_ONCE(o->done, true);
	raw_spin_unlock(low);
	arch_irq_restore(flags);
	return 0;
}

/* Two online CPUs other than me, the lower first (three are online). */
static void two_other_cpus(unsigned int me, unsigned int *low,
			   unsigned int *high)
{
	unsigned int cpu, found = 0;

	for_each_online_cpu(cpu) {
		if (cpu == me)
			continue;
		if (found++ == 0)
			*low = cpu;
		else
			*high = cpu;
	}
}

/*
 * One attempt: a guard on o->high holds o->low's lock while this CPU
 * pulls for o->high. True if the guard watched the pull (did not give
 * up); false, the case failed, if the guard never came or never ended.
 */
static bool order_attempt(struct ktest *t, struct rq_order *o)
{
	struct task *guard = kthread_create(order_guard, o, "guard");
	int code;

	KT_EXPECT_NOT_NULL(t, guard);
	if (!guard)
		return false;
	o->guarding = o->pulling = o->done = false;
	o->high_held = o->gave_up = false;
	kthread_bind(guard, o->high);
	kthread_start(guard);
	KT_WAIT_UNTIL_SPIN(t, READ_ONCE(o->guarding));
	WRITE_ONCE(o->pulling, true);
	balance_pull(o->high); /* the crowd is bound: nothing moves */
	if (!kt_join_bounded(t, guard, &code))
		return false;
	KT_EXPECT_TRUE(t, READ_ONCE(o->done));
	if (o->gave_up)
		kt_diag(t,
			"the guard gave up after %u ms: CPU %u was running "
			"%s",
			GUARD_WAIT_MS, o->case_cpu, o->case_cpu_ran);
	return !o->gave_up;
}

void sched_pull_takes_rq_locks_in_order(struct ktest *t)
{
	static struct rq_order o;
	struct task *crowd[ORDER_CROWD];
	unsigned int attempt = 0;
	bool watched = false;
	int code;

	if (num_online_cpus() < 3) {
		kt_skip(t, "needs three CPUs (the case, a crowd, a guard)");
		return;
	}
	o = (struct rq_order){ .stop = false };
	for (unsigned int i = 0; i < ORDER_CROWD; i++) {
		crowd[i] = kthread_create(order_spinner, &o, "crowd");
		KT_ASSERT_NOT_NULL(t, crowd[i]);
	}
	migrate_disable(); /* the case's CPU is neither low nor high */
	o.case_cpu = smp_processor_id();
	two_other_cpus(o.case_cpu, &o.low, &o.high);
	for (unsigned int i = 0; i < ORDER_CROWD; i++) {
		kthread_bind(crowd[i], o.low);
		kthread_start(crowd[i]);
	}
	KT_WAIT_UNTIL(t, sched_nr_queued(o.low) >= ORDER_CROWD - 1);
	while (!watched && attempt++ < ORDER_ATTEMPTS && !t->failed)
		watched = order_attempt(t, &o);
	migrate_enable();
	KT_EXPECT_TRUE(t, watched);
	kt_diag(t,
		"crowd on CPU %u, guard on CPU %u: pull for CPU %u %s "
		"(attempt %u)",
		o.low, o.high, o.high,
		o.high_held ? "took its own lock first" : "waited holding none",
		attempt);
	KT_EXPECT_FALSE(t, o.high_held);
	WRITE_ONCE(o.stop, true);
	for (unsigned int i = 0; i < ORDER_CROWD; i++)
		kt_join_bounded(t, crowd[i], &code);
}
