/*
 * Suite "sched": threads, preemption, migration and sleeping. The
 * cases about wake-ups are in test_sched_wake.c.
 */
#include <arch/cpu.h>
#include <arch/switch.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/mutex.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include "../kernel/sched_internal.h"
#include "sched_cases.h"
#include "test_util.h"

static int return_arg(void *arg)
{
	return (int)(uintptr_t)arg;
}

static void sched_threads_run_and_join(struct ktest *t)
{
	struct task *th[8];

	for (unsigned int i = 0; i < ARRAY_SIZE(th); i++) {
		th[i] = kthread_run(return_arg, (void *)(uintptr_t)(100 + i),
				    "joinee");
		KT_ASSERT_NOT_NULL(t, th[i]);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(th); i++) {
		int code;

		if (kt_join_bounded(t, th[i], &code))
			KT_EXPECT_EQ(t, code, 100 + i);
	}
}

struct pingpong {
	struct completion ping, pong;
	unsigned int rounds;
	unsigned int seen_cpu_mismatch;
	unsigned int cpu;
	unsigned long pinger_switches; /* read by the pinger at its end */
};

static int ponger(void *arg)
{
	struct pingpong *pp = arg;

	for (unsigned int i = 0; i < pp->rounds; i++) {
		wait_for_completion(&pp->ping);
		if (smp_processor_id() != pp->cpu)
			pp->seen_cpu_mismatch++;
		complete(&pp->pong);
	}
	return 0;
}

static int pinger(void *arg)
{
	struct pingpong *pp = arg;

	for (unsigned int i = 0; i < pp->rounds; i++) {
		complete(&pp->ping);
		wait_for_completion(&pp->pong);
		if (smp_processor_id() != pp->cpu)
			pp->seen_cpu_mismatch++;
	}
	/* Here, not after kthread_join(): the join frees the task. */
	pp->pinger_switches = current_task()->switches_in;
	return 0;
}

/*
 * Two threads bound to one CPU hand a completion back and forth. Each
 * round the ponger must run between the pinger's complete() and its
 * return from the wait, on the same CPU: the pinger is switched out
 * and back in at least once a round.
 */
static void sched_completion_pingpong_bound(struct ktest *t)
{
	/* Static: a thread left behind by a lost wake-up still uses it. */
	static struct pingpong pp;
	struct task *a, *b;
	int code = 0;

	pp = (struct pingpong){ .rounds = 2000, .cpu = kt_other_cpu() };
	completion_init(&pp.ping);
	completion_init(&pp.pong);
	a = kthread_create(pinger, &pp, "pinger");
	b = kthread_create(ponger, &pp, "ponger");
	KT_ASSERT_NOT_NULL(t, a);
	KT_ASSERT_NOT_NULL(t, b);
	kthread_bind(a, pp.cpu);
	kthread_bind(b, pp.cpu);
	kthread_start(a);
	kthread_start(b);
	if (kt_join_bounded(t, a, &code))
		KT_EXPECT_EQ(t, code, 0);
	if (kt_join_bounded(t, b, &code))
		KT_EXPECT_EQ(t, code, 0);
	KT_EXPECT_EQ(t, pp.seen_cpu_mismatch, 0);
	kt_diag(t, "%u rounds, the pinger switched in %lu times", pp.rounds,
		pp.pinger_switches);
	KT_EXPECT_GE(t, pp.pinger_switches, pp.rounds);
}

static void sched_might_sleep_in_atomic_is_caught(struct ktest *t)
{
	unsigned long before = might_sleep_violations();

	might_sleep(); /* fine here */
	KT_EXPECT_EQ(t, might_sleep_violations(), before);
	preempt_disable();
	might_sleep();
	preempt_enable();
	KT_EXPECT_EQ(t, might_sleep_violations(), before + 1);
	arch_irq_disable();
	might_sleep();
	arch_irq_enable();
	KT_EXPECT_EQ(t, might_sleep_violations(), before + 2);
}

/* Spin until *flag is set or `ticks` scheduler ticks pass on this CPU. */
static bool spin_until(const volatile unsigned int *flag, uint64_t ticks)
{
	unsigned int cpu = smp_processor_id();
	uint64_t end = sched_clock_ticks(cpu) + ticks;

	while (!*flag && sched_clock_ticks(cpu) < end)
		arch_cpu_relax();
	return *flag;
}

struct spin_pair {
	volatile unsigned int spinning; /* the spinner is in position */
	volatile unsigned int other_ran;
	volatile unsigned int stop;
	bool disable_preemption;
	bool ran_while_disabled;
	bool ran_after;
};

static int spin_other(void *arg)
{
	struct spin_pair *sp = arg;

	sp->other_ran = 1;
	return 0;
}

/*
 * How long the spinner holds preemption off. Preemptible, it would lose
 * the CPU as soon as the other thread is woken there: the wake-up asks
 * for a reschedule, and the interrupt that carries it preempts on its
 * way out. The case starts that thread a tick or two after the spinner
 * is in position; three slices (fifteen ticks) leave the wake-up no
 * room to miss the window.
 */
#define DISABLED_WINDOW_TICKS (3 * TIME_SLICE_TICKS)

static int spin_self(void *arg)
{
	struct spin_pair *sp = arg;

	if (sp->disable_preemption) {
		preempt_disable();
		sp->spinning = 1;
		sp->ran_while_disabled =
			spin_until(&sp->other_ran, DISABLED_WINDOW_TICKS);
		preempt_enable(); /* the other thread runs here */
	}
	sp->spinning = 1;
	sp->ran_after = spin_until(&sp->other_ran, 5 * HZ);
	return 0;
}

/*
 * Two threads bound to one CPU: the first spins (never sleeps), the
 * second only has to run once. With preemption on, the tick preempts
 * the spinner and the second runs; with it off, it cannot run until
 * preempt_enable().
 */
static void run_spin_pair(struct ktest *t, bool disable_preemption)
{
	struct spin_pair sp = { .disable_preemption = disable_preemption };
	unsigned int cpu = kt_other_cpu();
	struct task *a = kthread_create(spin_self, &sp, "spinner");
	struct task *b = kthread_create(spin_other, &sp, "other");

	KT_ASSERT_NOT_NULL(t, a);
	KT_ASSERT_NOT_NULL(t, b);
	kthread_bind(a, cpu);
	kthread_bind(b, cpu);
	kthread_start(a);
	KT_WAIT_UNTIL(t, sp.spinning); /* failed: still start b, join */
	kthread_start(b);
	kthread_join(a);
	kthread_join(b);
	if (disable_preemption)
		KT_EXPECT_FALSE(t, sp.ran_while_disabled);
	KT_EXPECT_TRUE(t, sp.ran_after);
}

static void sched_spinner_is_preempted(struct ktest *t)
{
	run_spin_pair(t, false);
}

static void sched_no_preemption_when_disabled(struct ktest *t)
{
	run_spin_pair(t, true);
}

/*
 * kthread_join() frees a thread's task and stack only once the thread
 * is off its CPU for good: after it is marked dead it still runs, on
 * that stack, into its last switch, which writes to the task
 * (finish_switch clears on_cpu). JOIN_ROUNDS times, a thread on
 * another CPU exits at once while the case spins until it is marked
 * dead, joins it, and at once takes the freed task's memory back from
 * kmalloc and fills it: a switch finishing after the free would write
 * into the fill. The object kmalloc hands out next is the one last
 * freed, so each round is a chance to see it.
 */
#define JOIN_ROUNDS 200
#define JOIN_FILL   0x5a

static int exit_at_once(void *arg)
{
	(void)arg;
	return 7;
}

/*
 * Start a thread on cpu that returns at once, spin until it is marked
 * dead, and join it. The join sleeps if the thread is not yet off its
 * CPU, and that CPU's switch away from it wakes the joiner. Returns the
 * (freed) thread's address, only to compare, or NULL if it failed.
 */
static void *run_quick_thread_on(struct ktest *t, unsigned int cpu)
{
	struct task *th = kthread_create(exit_at_once, NULL, "quick");

	KT_EXPECT_NOT_NULL(t, th);
	if (!th)
		return NULL;
	kthread_bind(th, cpu);
	kthread_start(th);
	if (!KT_WAIT_UNTIL_SPIN(t, READ_ONCE(th->state) == TASK_DEAD))
		return NULL;
	KT_EXPECT_EQ(t, kthread_join(th), 7);
	return th;
}

/* Did anything write into the fill? */
static bool fill_intact(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != JOIN_FILL)
			return false;
	return true;
}

static void sched_join_frees_after_the_last_switch(struct ktest *t)
{
	unsigned int other = kt_other_cpu(), reused = 0, written = 0;

	if (other == smp_processor_id()) {
		kt_skip(t, "needs a second CPU for the thread that exits");
		return;
	}
	for (unsigned int round = 0; round < JOIN_ROUNDS; round++) {
		void *th = run_quick_thread_on(t, other);
		uint8_t *again;

		if (!th)
			return;
		again = kmalloc(sizeof(struct task));
		KT_ASSERT_NOT_NULL(t, again);
		reused += again == (uint8_t *)th;
		memset(again, JOIN_FILL, sizeof(struct task));
		udelay(20); /* a late switch has long finished by now */
		written += !fill_intact(again, sizeof(struct task));
		kfree(again);
	}
	kt_diag(t,
		"%u rounds, the task's memory handed out again in %u, "
		"written after the join in %u",
		JOIN_ROUNDS, reused, written);
	KT_EXPECT_GT(t, reused, 0);
	KT_EXPECT_EQ(t, written, 0);
}

/*
 * The task that runs the cases stays on the boot CPU (kernel/sched.c:
 * boot_task is bound there). Cases name "another CPU" as one that is
 * not smp_processor_id(), start threads there and spin for them; a
 * runner moved onto that CPU meanwhile would hold the very CPU its
 * thread waits for, until a tick preempted it. The likeliest move is
 * this case's: a thread on another CPU wakes the joining runner as it
 * switches away, and its CPU, awake and now idle, pulls the runner off
 * the boot CPU's queue before the boot CPU is out of its halt. Unbound,
 * the runner moved within a few of these rounds on most boots.
 */
#define HOME_ROUNDS 100

static void sched_runner_stays_on_the_boot_cpu(struct ktest *t)
{
	unsigned int other = kt_other_cpu(), away = 0;

	KT_ASSERT_EQ(t, smp_processor_id(), 0);
	if (other == 0) {
		kt_skip(t, "needs a second CPU to wake the runner");
		return;
	}
	for (unsigned int round = 0; round < HOME_ROUNDS; round++) {
		if (!run_quick_thread_on(t, other))
			return;
		away += smp_processor_id() != 0;
	}
	kt_diag(t, "%u rounds, on another CPU than the boot CPU after %u",
		HOME_ROUNDS, away);
	KT_EXPECT_EQ(t, away, 0);
}

/*
 * The switch gives a task back its callee-saved registers, each in its
 * own place. No scheduling test can see a switch that mixes them up:
 * the scheduler saves them itself around the switch and holds nothing
 * live in them across it. So this case calls the switch directly, from
 * a function keeping three values live across the call (where the C
 * convention says a call preserves them), onto a side stack whose
 * entry switches straight back. Interrupts stay off: nothing else may
 * run on the side stack.
 */
static const volatile unsigned int switch_seeds[3] = { 0x1111aaaa, 0x2222bbbb,
						       0x3333cccc };
static unsigned int switch_seen[3];
static uintptr_t switch_caller_sp;
static uint8_t switch_side_stack[1024] __aligned(16);

static void switch_side_entry(void)
{
	uintptr_t side_sp; /* never resumed: the case switches here once */

	arch_switch_to(&side_sp, switch_caller_sp);
}

static noinline void switch_there_and_back(uintptr_t side_sp)
{
	unsigned int a = switch_seeds[0], b = switch_seeds[1];
	unsigned int c = switch_seeds[2];

	arch_switch_to(&switch_caller_sp, side_sp);
	switch_seen[0] = a;
	switch_seen[1] = b;
	switch_seen[2] = c;
}

static void sched_switch_keeps_callers_live_values(struct ktest *t)
{
	uintptr_t side_sp =
		arch_task_initial_sp(switch_side_stack +
					     sizeof(switch_side_stack),
				     switch_side_entry);
	unsigned long flags = arch_irq_save();

	switch_there_and_back(side_sp);
	arch_irq_restore(flags);
	for (unsigned int i = 0; i < ARRAY_SIZE(switch_seen); i++)
		KT_EXPECT_EQ(t, switch_seen[i], switch_seeds[i]);
}

/*
 * Two threads that never sleep share one CPU: the tick ends each one's
 * slice while the other waits, so both keep running. Starting the
 * second preempts the first on its own (a wake-up), so only slices can
 * bring the first back: the case waits, bounded, for it to count on.
 */
struct slice_pair {
	volatile unsigned long count[2];
	volatile unsigned int stop;
};

static int slice_spinner(void *arg)
{
	struct slice_pair *sp = arg;
	unsigned int me = sp->count[0] ? 1 : 0; /* the first counts first */

	while (!sp->stop)
		sp->count[me]++;
	return 0;
}

static void sched_slices_share_a_cpu_between_spinners(struct ktest *t)
{
	static struct slice_pair sp; /* static: see kt_join_bounded */
	unsigned int cpu = kt_other_cpu();
	struct task *a, *b;
	unsigned long a_then;
	int code;

	sp = (struct slice_pair){ 0 };
	a = kthread_create(slice_spinner, &sp, "slice_a");
	b = kthread_create(slice_spinner, &sp, "slice_b");
	KT_ASSERT_NOT_NULL(t, a);
	KT_ASSERT_NOT_NULL(t, b);
	kthread_bind(a, cpu);
	kthread_bind(b, cpu);
	kthread_start(a);
	KT_WAIT_UNTIL(t, sp.count[0]);
	kthread_start(b);
	KT_WAIT_UNTIL(t, sp.count[1]);
	a_then = sp.count[0];
	if (!KT_WAIT_UNTIL(t, sp.count[0] != a_then))
		kt_diag(t, "slice_a never ran again: no tick ended slice_b's "
			   "slice");
	sp.stop = 1;
	kt_join_bounded(t, a, &code);
	kt_join_bounded(t, b, &code);
}

/*
 * msleep() starts part way through a tick, so it waits for one tick
 * boundary more than the ticks it asks: it never returns before the
 * time asked has passed. Counted on this CPU's own tick clock.
 */
static void sched_msleep_waits_its_ticks_and_one(struct ktest *t)
{
	unsigned int short_wakes = 0, me;

	migrate_disable();
	me = smp_processor_id();
	for (unsigned int i = 0; i < 5; i++) {
		uint64_t t0 = sched_clock_ticks(me);

		msleep(1000 / HZ); /* one tick */
		short_wakes += sched_clock_ticks(me) - t0 < 2;
	}
	migrate_enable();
	KT_EXPECT_EQ(t, short_wakes, 0);
}

/*
 * task_rq_lock follows a task that moves. A waker reads its task's CPU,
 * then locks that CPU's run queue; if the task moved in between, the
 * lock it holds protects nothing of the task's, so it must look again
 * once it has the lock. The gap is a few instructions, unless the lock
 * is contended: then the waker waits there, and anything may happen to
 * the task meanwhile. The case makes that happen, with four CPUs:
 *
 *   home   a spinner keeps it busy; the sleeper first sleeps here
 *   away   idle, so the sleeper's wake-up sends it here (or to another
 *          idle CPU, on a bigger machine)
 *   waker  a thread that wakes the sleeper while the test holds home's
 *          run-queue lock; spin_contended_window holds it back there
 *          until the sleeper has moved away, disabled migration and
 *          gone back to sleep
 *   ours   the test thread, holding home's lock, then waking the
 *          sleeper for real
 *
 * The waker's (spurious) wake-up must find the sleeper where it now is,
 * and leave it there: a waker that went on under home's lock would
 * queue it on home, migration disabled or not. Test-and-set locks only:
 * a ticket waiter holds its place in line, and holding it back in that
 * line would block the wake-up it waits for.
 */
#define RQ_WINDOW_MS 10000 /* bound on each spin with interrupts off */

struct rq_race {
	struct ktest *t;
	unsigned int home, away, waker_cpu;
	struct task *sleeper, *spinner, *waker;
	struct completion go1, go2;
	bool started;		 /* the spinner and the waker */
	volatile int stop;	 /* ends the spinner */
	volatile int locked;	 /* the test holds home's run-queue lock */
	volatile int armed;	 /* the window waits for the waker */
	volatile int in_window;	 /* the waker is held there */
	volatile int waker_done; /* its wake_up_task() returned */
	volatile int pinned_on;	 /* where the sleeper disabled migration */
	volatile int woke_on;	 /* where it ran after its last wake-up */
};

static struct rq_race rr; /* the window reads it: no argument there */

static bool sleeper_pinned_asleep(const void *unused)
{
	return READ_ONCE(rr.pinned_on) >= 0 && asleep_off_cpu(rr.sleeper);
}

static bool waker_in_window(const void *unused)
{
	return READ_ONCE(rr.in_window);
}

/* spin_contended_window: hold the waker until the sleeper has moved. */
static void hold_waker_in_window(const spinlock_t *lock)
{
	if (lock != &runqueues[rr.home].lock ||
	    smp_processor_id() != rr.waker_cpu ||
	    !__sync_bool_compare_and_swap(&rr.armed, 1, 0))
		return;
	WRITE_ONCE(rr.in_window, 1);
	kt_spin_until(sleeper_pinned_asleep, NULL, RQ_WINDOW_MS);
}

static int rq_sleeper(void *arg)
{
	wait_for_completion(&rr.go1);
	migrate_disable();
	WRITE_ONCE(rr.pinned_on, smp_processor_id());
	wait_for_completion(&rr.go2);
	WRITE_ONCE(rr.woke_on, smp_processor_id());
	migrate_enable();
	return 0;
}

static int rq_spinner(void *arg)
{
	while (!READ_ONCE(rr.stop))
		arch_cpu_relax();
	return 0;
}

static int rq_waker(void *arg)
{
	if (KT_WAIT_UNTIL_SPIN(rr.t, READ_ONCE(rr.locked)))
		wake_up_task(rr.sleeper);
	WRITE_ONCE(rr.waker_done, 1);
	return 0;
}

/* Hold home's run-queue lock until the waker waits for it. */
static bool hold_home_until_waker_waits(void)
{
	unsigned long flags = arch_irq_save();
	bool held;

	raw_spin_lock(&runqueues[rr.home].lock);
	WRITE_ONCE(rr.locked, 1);
	held = kt_spin_until(waker_in_window, NULL, RQ_WINDOW_MS);
	raw_spin_unlock(&runqueues[rr.home].lock);
	arch_irq_restore(flags);
	return held;
}

/* Start the three threads, each bound where the scenario wants it. */
static bool rq_race_start(struct ktest *t)
{
	rr.sleeper = kthread_create(rq_sleeper, NULL, "rq_sleeper");
	rr.spinner = kthread_create(rq_spinner, NULL, "rq_spinner");
	rr.waker = kthread_create(rq_waker, NULL, "rq_waker");
	KT_EXPECT_TRUE(t, rr.sleeper && rr.spinner && rr.waker);
	if (!rr.sleeper || !rr.spinner || !rr.waker)
		return false; /* out of memory: the case has failed */
	kthread_bind(rr.spinner, rr.home);
	kthread_start(rr.spinner);
	kthread_bind(rr.waker, rr.waker_cpu);
	kthread_start(rr.waker);
	rr.started = true;
	kthread_bind(rr.sleeper, rr.home); /* start there, then unbind */
	kthread_start(rr.sleeper);
	if (!KT_WAIT_UNTIL(t, asleep_off_cpu(rr.sleeper)))
		return false;
	rr.sleeper->bound_cpu = -1;
	return KT_WAIT_UNTIL(t, READ_ONCE(percpu_areas[rr.home].current) ==
					rr.spinner);
}

static void sched_rq_lock_follows_a_moving_task(struct ktest *t)
{
	unsigned int cpu, n = 0, cpus[3];
	int code;

	if (num_online_cpus() < 4 || !spinlock_test_and_set) {
		kt_skip(t, "needs four CPUs and test-and-set spinlocks");
		return;
	}
	migrate_disable(); /* ours stays ours */
	for_each_online_cpu(cpu)
		if (cpu != smp_processor_id() && n < 3)
			cpus[n++] = cpu;
	rr = (struct rq_race){ .t = t,
			       .home = cpus[0],
			       .away = cpus[1],
			       .waker_cpu = cpus[2],
			       .pinned_on = -1,
			       .woke_on = -1 };
	completion_init(&rr.go1);
	completion_init(&rr.go2);
	if (!rq_race_start(t))
		goto out; /* the threads are left behind: rr is static */
	rr.armed = 1;
	spin_contended_window = hold_waker_in_window;
	KT_EXPECT_TRUE(t, hold_home_until_waker_waits());
	/*
	 * Home is busy, away idle: the wake-up sends the sleeper there.
	 * Spin, not sleep, until it has pinned itself: an idle CPU here
	 * could pull it from away's queue first.
	 */
	complete(&rr.go1);
	if (!KT_WAIT_UNTIL_SPIN(t, READ_ONCE(rr.pinned_on) >= 0) ||
	    !KT_WAIT_UNTIL(t, READ_ONCE(rr.waker_done)) ||
	    !KT_WAIT_UNTIL(t, sleeper_pinned_asleep(NULL)))
		goto out;
	complete(&rr.go2);
	if (!kt_join_bounded(t, rr.sleeper, &code))
		goto out;
	kt_diag(t,
		"home CPU %u, away CPU %u: pinned on CPU %d, ran on "
		"CPU %d after the waker's wake-up and the last",
		rr.home, rr.away, rr.pinned_on, rr.woke_on);
	KT_EXPECT_NE(t, rr.pinned_on, rr.home); /* the scenario happened */
	KT_EXPECT_EQ(t, rr.woke_on, rr.pinned_on);
out:
	spin_contended_window = NULL;
	WRITE_ONCE(rr.stop, 1);
	migrate_enable();
	if (rr.started && kt_join_bounded(t, rr.spinner, &code))
		kt_join_bounded(t, rr.waker, &code);
}

static const struct ktest_case sched_cases[] = {
	KTEST_CASE(sched_threads_run_and_join),
	KTEST_CASE(sched_join_frees_after_the_last_switch),
	KTEST_CASE(sched_runner_stays_on_the_boot_cpu),
	KTEST_CASE(sched_completion_pingpong_bound),
	KTEST_CASE(sched_might_sleep_in_atomic_is_caught),
	KTEST_CASE(sched_spinner_is_preempted),
	KTEST_CASE(sched_no_preemption_when_disabled),
	KTEST_CASE(sched_migrate_disable_pins_task),
	KTEST_CASE(sched_completion_wakes_sleeper_not_taker),
	KTEST_CASE(sched_switch_keeps_callers_live_values),
	KTEST_CASE(sched_slices_share_a_cpu_between_spinners),
	KTEST_CASE(sched_msleep_waits_its_ticks_and_one),
	KTEST_CASE(sched_wake_kicks_the_idle_target),
	KTEST_CASE(sched_wake_leaves_pinned_task_home),
	KTEST_CASE(sched_rq_lock_follows_a_moving_task),
	KTEST_CASE(sched_pull_takes_rq_locks_in_order),
};
KTEST_SUITE(sched, sched_cases);
