/*
 * Suite "sched", the cases about wake-ups: which waiter a completion
 * wakes, how soon a woken task runs on an idle CPU, and that a wake-up
 * never moves a task that disabled migration. They are registered with
 * the rest of the suite in test_sched.c (declared in sched_cases.h).
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "sched_cases.h"
#include "test_util.h"

/*
 * complete() wakes one waiter, the first on the queue. A waiter whose
 * wait_for_completion() has just taken a "done" must not still be on
 * that queue: if complete() picked it, the wake-up would go to a task
 * that will not use it, and a waiter asleep behind it would sleep on
 * with done > 0: a lost wake-up (kernel/wait.c, wait_for_completion).
 *
 * B (on one CPU) takes from a well-stocked completion in a loop, so
 * that a wait_for_completion() which leaves the queue late spends most
 * of B's time in that window. B's CPU's timer tick probes it: in the
 * window (queued, at the head, its "done" taken) the scenario is played
 * at once; a B never found there in LW_TICKS ticks (the fixed code has
 * no such window) gets it played at the next tick that finds B running.
 * The scenario, with B frozen under the interrupt: the stock runs out,
 * A (on another CPU) goes to sleep on the completion, one complete()
 * is made, and A must wake while B is still frozen, so B cannot take
 * that "done" itself. Before the fix B was found in the window within
 * a few ticks and A stayed asleep.
 */
#define LW_STOCK   (1u << 30)
#define LW_TICKS   30	 /* the old code was caught within 1-11 ticks */
#define LW_SPIN_MS 10000 /* the probe's bound on each wait, in ms */

struct lost_wake {
	struct ktest *t;
	struct completion c;
	struct task *a, *b;
	volatile unsigned int a_go, a_waiting, a_done;
	volatile unsigned int b_stop, hit;
	volatile unsigned long b_taken; /* B's returns from the wait */
	unsigned int tries;
	bool in_window; /* B was found with its "done" taken */
	bool a_slept;	/* A asleep on c before the complete() */
	bool a_woke;	/* ... and awake after it, B still frozen */
};

/* In B's CPU's tick, c.wq.lock held. */
static bool lw_b_in_window(struct lost_wake *lw)
{
	struct waiter *first;

	if (current_task() != lw->b || list_empty(&lw->c.wq.waiters))
		return false;
	first = list_first_entry(&lw->c.wq.waiters, struct waiter, link);
	return first->task == lw->b && lw->c.done == LW_STOCK - lw->b_taken - 1;
}

static bool lw_a_asleep(const struct lost_wake *lw)
{
	return lw->a_waiting && READ_ONCE(lw->a->state) == TASK_SLEEPING &&
	       !READ_ONCE(lw->a->on_cpu) && !READ_ONCE(lw->a->queued);
}

/* In the tick: spin on this CPU's clock until A is asleep or awake. */
static bool lw_spin_for_a(struct lost_wake *lw, bool asleep)
{
	for (int ms = 0; ms < LW_SPIN_MS; ms++) {
		if (asleep ? lw_a_asleep(lw) : READ_ONCE(lw->a_done))
			return true;
		mdelay(1);
	}
	return false;
}

static void lw_probe(void *arg)
{
	struct lost_wake *lw = arg;
	unsigned long flags = spin_lock_irqsave(&lw->c.wq.lock);
	bool in_window = lw_b_in_window(lw);
	bool play =
		in_window || (current_task() == lw->b && lw->tries >= LW_TICKS);

	if (play)
		lw->c.done = 0; /* as if B had taken the last one */
	spin_unlock_irqrestore(&lw->c.wq.lock, flags);
	if (!play) {
		lw->tries++;
		tick_call_once(lw_probe, lw);
		return;
	}
	lw->in_window = in_window;
	lw->b_stop = 1;
	lw->a_go = 1;
	lw->a_slept = lw_spin_for_a(lw, true);
	complete(&lw->c);
	lw->a_woke = lw_spin_for_a(lw, false);
	lw->hit = 1;
}

static int lw_b_thread(void *arg)
{
	struct lost_wake *lw = arg;

	tick_call_once(lw_probe, lw); /* bound: this CPU's tick */
	while (!lw->b_stop) {
		wait_for_completion(&lw->c);
		lw->b_taken++;
	}
	return 0;
}

static int lw_a_thread(void *arg)
{
	struct lost_wake *lw = arg;

	if (!KT_WAIT_UNTIL_YIELD(lw->t, READ_ONCE(lw->a_go)))
		return 0;
	lw->a_waiting = 1;
	wait_for_completion(&lw->c);
	lw->a_done = 1;
	return 0;
}

void sched_completion_wakes_sleeper_not_taker(struct ktest *t)
{
	static struct lost_wake lw;
	unsigned int bx = kt_other_cpu(), ay = smp_processor_id();

	if (bx == ay) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	lw = (struct lost_wake){ .t = t };
	completion_init(&lw.c);
	lw.c.done = LW_STOCK;
	lw.a = kthread_create(lw_a_thread, &lw, "lw_a");
	lw.b = kthread_create(lw_b_thread, &lw, "lw_b");
	KT_ASSERT_NOT_NULL(t, lw.a);
	KT_ASSERT_NOT_NULL(t, lw.b);
	kthread_bind(lw.a, ay);
	kthread_bind(lw.b, bx);
	kthread_start(lw.a);
	kthread_start(lw.b);
	if (KT_WAIT_UNTIL(t, READ_ONCE(lw.hit))) {
		kt_diag(t, "played after %u ticks, B %s; A %s, done %u",
			lw.tries,
			lw.in_window ? "in its window" : "never in its window",
			lw.a_woke ? "woke" : "still asleep", lw.c.done);
		KT_EXPECT_TRUE(t, lw.a_slept);
		KT_EXPECT_TRUE(t, lw.a_woke);
	}
	lw.b_stop = 1;
	lw.a_go = 1;
	complete_all(&lw.c);
	kthread_join(lw.a);
	kthread_join(lw.b);
}

/*
 * A task woken onto another CPU's run queue runs at once: the waker
 * kicks that CPU with a reschedule IPI. Without the kick, an idle
 * target would sleep on in its halt until its next tick. Each trial
 * wakes a task bound to an idle CPU and reads, before the wake-up and
 * in the woken task, that CPU's count of IPIs taken and its tick count.
 * Kicked: the IPI count moved before the task ran, in at least half
 * the trials (without the kick, in none but by chance). On time: no
 * tick between the wake-up and the run; shown, not required, as a host
 * too busy to run the target's vCPU promptly delays its IPI past a
 * tick (4 ms at HZ 250): 2 of 40 once, beside a second make test.
 */
#define KICK_TRIALS 40

struct kick_run {
	struct ktest *t;
	struct completion wake;
	unsigned int cpu;	      /* the sleeper's */
	volatile uint64_t clock0;     /* cpu's tick count just before a wake */
	volatile unsigned long ipis0; /* cpu's IPIs taken, the same moment */
	volatile unsigned int woken;
	unsigned int kicked;  /* ran after an IPI to its CPU */
	unsigned int on_time; /* woken in the tick of the wake-up */
};

static int kick_sleeper(void *arg)
{
	struct kick_run *kr = arg;

	for (unsigned int i = 0; i < KICK_TRIALS; i++) {
		wait_for_completion(&kr->wake);
		kr->kicked += READ_ONCE(percpu_areas[kr->cpu].ipi_received) !=
			      kr->ipis0;
		kr->on_time += sched_clock_ticks(kr->cpu) == kr->clock0;
		WRITE_ONCE(kr->woken, i + 1);
	}
	return 0;
}

void sched_wake_kicks_the_idle_target(struct ktest *t)
{
	static struct kick_run kr;
	struct task *th;
	unsigned int i;
	int code;

	migrate_disable(); /* the waker stays off the sleeper's CPU */
	kr = (struct kick_run){ .t = t, .cpu = kt_other_cpu() };
	if (kr.cpu == smp_processor_id()) {
		migrate_enable();
		kt_skip(t, "needs a second CPU");
		return;
	}
	completion_init(&kr.wake);
	th = kthread_create(kick_sleeper, &kr, "kicked");
	KT_ASSERT_NOT_NULL(t, th);
	kthread_bind(th, kr.cpu);
	kthread_start(th);
	for (i = 0; i < KICK_TRIALS; i++) {
		if (!KT_WAIT_UNTIL(t, asleep_off_cpu(th)))
			break;
		udelay(200); /* let its CPU reach the halt of its idle loop */
		kr.clock0 = sched_clock_ticks(kr.cpu);
		kr.ipis0 = READ_ONCE(percpu_areas[kr.cpu].ipi_received);
		complete(&kr.wake);
		if (!KT_WAIT_UNTIL(t, READ_ONCE(kr.woken) == i + 1))
			break;
	}
	migrate_enable();
	if (i < KICK_TRIALS || !kt_join_bounded(t, th, &code))
		return;
	kt_diag(t,
		"%u of %u wake-ups ran after an IPI to their CPU, %u in the "
		"tick they were made in",
		kr.kicked, KICK_TRIALS, kr.on_time);
	KT_EXPECT_GE(t, kr.kicked, KICK_TRIALS / 2);
}

/*
 * A wake-up never moves a task that is inside migrate_disable(), even
 * when its CPU is busy and another is idle: it may hold local maps of
 * this CPU. The sleeper disables migration and sleeps; a waker bound
 * to the sleeper's CPU (so that CPU is busy) wakes it once some other
 * CPU is idle, where a wake-up would otherwise send it.
 */
struct pinned_sleep {
	struct ktest *t;
	struct completion go;
	struct task *main, *sleeper, *waker;
	volatile int home;    /* where the sleeper disabled migration */
	volatile int woke_on; /* where it ran after the wake-up */
	volatile unsigned int idle_seen; /* the waker found an idle CPU */
};

static int pinned_sleeper(void *arg)
{
	struct pinned_sleep *ps = arg;

	migrate_disable();
	WRITE_ONCE(ps->home, smp_processor_id());
	wait_for_completion(&ps->go);
	WRITE_ONCE(ps->woke_on, smp_processor_id());
	migrate_enable();
	return 0;
}

/* Is cpu running its idle task? None of ours there, nothing queued. */
static bool cpu_looks_idle(const struct pinned_sleep *ps, unsigned int cpu)
{
	const struct task *cur = READ_ONCE(percpu_areas[cpu].current);

	return cpu_is_online(cpu) && !sched_nr_queued(cpu) && cur != ps->main &&
	       cur != ps->sleeper && cur != ps->waker;
}

static bool other_cpu_idle(const struct pinned_sleep *ps)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (cpu != (unsigned int)ps->home && cpu_looks_idle(ps, cpu))
			return true;
	return false;
}

static int pinned_waker(void *arg)
{
	struct pinned_sleep *ps = arg;

	ps->idle_seen = KT_WAIT_UNTIL_SPIN(ps->t, other_cpu_idle(ps));
	complete(&ps->go);
	return 0;
}

void sched_wake_leaves_pinned_task_home(struct ktest *t)
{
	static struct pinned_sleep ps;
	int code;

	ps = (struct pinned_sleep){
		.t = t, .home = -1, .woke_on = -1, .main = current_task()
	};
	if (num_online_cpus() < 2) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	completion_init(&ps.go);
	ps.sleeper = kthread_create(pinned_sleeper, &ps, "pinned_sleeper");
	ps.waker = kthread_create(pinned_waker, &ps, "pinned_waker");
	KT_ASSERT_NOT_NULL(t, ps.sleeper);
	KT_ASSERT_NOT_NULL(t, ps.waker);
	kthread_bind(ps.sleeper, kt_other_cpu()); /* start there, then */
	kthread_start(ps.sleeper); /* only migrate_disable() holds it */
	if (!KT_WAIT_UNTIL(t, ps.home >= 0 && asleep_off_cpu(ps.sleeper)))
		return;
	ps.sleeper->bound_cpu = -1;
	kthread_bind(ps.waker, ps.home);
	kthread_start(ps.waker);
	if (!kt_join_bounded(t, ps.sleeper, &code) ||
	    !kt_join_bounded(t, ps.waker, &code))
		return;
	kt_diag(t, "pinned on CPU %d, ran on CPU %d after the wake-up", ps.home,
		ps.woke_on);
	KT_EXPECT_TRUE(t, ps.idle_seen);
	KT_EXPECT_EQ(t, ps.woke_on, ps.home);
}
