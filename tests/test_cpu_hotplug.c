/*
 * Suite "cpu_hotplug": taking a CPU away from running tasks, and the
 * promise kmap_local_page() relies on: a CPU cannot go offline while a
 * task on it has migration disabled.
 */
#include <arch/cpu.h>
#include <kernel/hotplug.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include <mm/tlbflush.h>
#include "../kernel/sched_internal.h"
#include "test_util.h"

/*
 * Two more busy threads than CPUs, so every CPU is wanted; no more, so
 * that a turn of every thread on one CPU stays a few ticks long.
 */
#define BUSY_MAX (NR_CPUS + 2)

struct busy {
	unsigned int n; /* busy threads: CPUs online + 2 */
	volatile unsigned int stop;
	volatile unsigned int victim; /* the CPU being taken away */
	volatile unsigned long rounds[BUSY_MAX];
	volatile unsigned long on_victim[BUSY_MAX]; /* rounds seen there */
	volatile unsigned int last_cpu[BUSY_MAX];
};

/*
 * A thread function takes one pointer, so each worker gets this pair:
 * the state all share, and which worker it is. Other suites with
 * workers have a pair of the same shape for their own state; a generic
 * one would trade the type of the state for a cast in every worker.
 */
struct busy_arg {
	struct busy *b;
	unsigned int id;
};

static int busy_thread(void *arg)
{
	struct busy_arg *a = arg;
	struct busy *b = a->b;

	while (!b->stop) {
		unsigned int cpu;

		/*
		 * Pinned while it reads its CPU and counts, so a round
		 * counted on the victim really ran there: no move can fall
		 * between the read and the count.
		 */
		migrate_disable();
		cpu = smp_processor_id();
		b->last_cpu[a->id] = cpu;
		if (cpu == b->victim)
			b->on_victim[a->id]++;
		migrate_enable();
		b->rounds[a->id]++;
		/*
		 * A spin loop, so it says so: under QEMU -icount, which
		 * runs every vCPU on one host thread, PAUSE is where the
		 * turn passes to the next vCPU; a CPU full of busy threads
		 * that never pause would starve the others for good.
		 */
		arch_cpu_relax();
	}
	return 0;
}

static unsigned long sum(const struct busy *b, const volatile unsigned long *v)
{
	unsigned long total = 0;

	for (unsigned int i = 0; i < b->n; i++)
		total += v[i];
	return total;
}

/* Has every busy thread counted a round since `since` was taken? */
static bool all_ran_since(const struct busy *b, const unsigned long *since)
{
	for (unsigned int i = 0; i < b->n; i++)
		if (b->rounds[i] <= since[i])
			return false;
	return true;
}

/* The CPUs the busy threads were last seen on, once all have run. */
static bool busy_on_every_online_cpu(const struct busy *b)
{
	static const unsigned long none[BUSY_MAX];
	cpumask_t seen = 0;

	if (!all_ran_since(b, none))
		return false;
	for (unsigned int i = 0; i < b->n; i++)
		seen |= CPU_MASK(b->last_cpu[i]);
	return (seen & cpu_online_mask()) == cpu_online_mask();
}

/*
 * Set the busy threads up to take work from victim: clear the counts,
 * give each its id, and make (but not start) the threads.
 * Return: how many threads were made (b->n unless out of memory).
 */
static unsigned int busy_create(struct busy *b, struct busy_arg *args,
				struct kt_workers *ws, unsigned int victim)
{
	*b = (struct busy){ .n = num_online_cpus() + 2, .victim = victim };
	for (unsigned int i = 0; i < b->n; i++)
		args[i] = (struct busy_arg){ b, i };
	return kt_workers_create(ws, busy_thread, args, sizeof(args[0]), b->n,
				 "busy", false);
}

/*
 * Offline a CPU that is running busy threads: they keep running, and
 * none runs there while it is offline; online it again and, with more
 * threads than CPUs, some come back to it.
 */
static void cpu_hotplug_offline_moves_running_tasks(struct ktest *t)
{
	static struct busy b;
	static struct busy_arg args[BUSY_MAX];
	struct kt_workers ws;
	unsigned int victim = kt_highest_online_cpu();
	unsigned long before, seen_there, rounds[BUSY_MAX];
	unsigned int made;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	made = busy_create(&b, args, &ws, victim);
	KT_ASSERT_EQ(t, made, b.n);
	kt_workers_start(&ws);
	/* Work is running on the victim before it goes. */
	KT_WAIT_UNTIL(t, sum(&b, b.on_victim) > 0);
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	KT_EXPECT_FALSE(t, cpu_is_online(victim));
	seen_there = sum(&b, b.on_victim);
	before = sum(&b, b.rounds);
	for (unsigned int i = 0; i < b.n; i++)
		rounds[i] = b.rounds[i];
	/* Every thread, those that ran there too, runs on elsewhere. */
	KT_WAIT_UNTIL(t, all_ran_since(&b, rounds));
	KT_EXPECT_EQ(t, sum(&b, b.on_victim), seen_there);
	KT_EXPECT_GT(t, sum(&b, b.rounds), before); /* still running */
	KT_ASSERT_EQ(t, cpu_online(victim), 0);
	KT_WAIT_UNTIL(t, sum(&b, b.on_victim) > seen_there);
	kt_diag(t, "after online: %lu rounds on CPU %u",
		sum(&b, b.on_victim) - seen_there, victim);
	KT_EXPECT_GT(t, sum(&b, b.on_victim), seen_there); /* it takes work */
	b.stop = 1;
	kt_workers_join(&ws);
}

struct pinned_holder {
	struct ktest *t;
	unsigned long waits; /* hotplug_pinned_waits() at the start */
	unsigned int cpu;
	volatile unsigned int pinned;	    /* migrate_disable() done */
	volatile unsigned long released_at; /* jiffies at migrate_enable */
	bool stayed;
};

/* Still on its CPU? Has cpu_offline() started waiting for it? */
static bool offline_is_waiting(struct pinned_holder *ph)
{
	if (smp_processor_id() != ph->cpu)
		ph->stayed = false;
	return hotplug_pinned_waits() > ph->waits;
}

static int pinned_holder(void *arg)
{
	struct pinned_holder *ph = arg;

	migrate_disable();
	ph->cpu = smp_processor_id();
	ph->pinned = 1;
	/* Hold the pin across sleeps, as a kmap_local user may. */
	KT_WAIT_UNTIL(ph->t, offline_is_waiting(ph));
	ph->released_at = jiffies + 1; /* never 0 */
	migrate_enable();
	return 0;
}

static void cpu_hotplug_waits_for_migrate_disabled_task(struct ktest *t)
{
	static struct pinned_holder ph;
	unsigned int victim = kt_highest_online_cpu();
	unsigned long waits = hotplug_pinned_waits();
	struct task *th;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	ph = (struct pinned_holder){ .t = t, .waits = waits, .stayed = true };
	th = kthread_create(pinned_holder, &ph, "pinned");
	KT_ASSERT_NOT_NULL(t, th);
	kthread_bind(th, victim);
	kthread_start(th);
	KT_WAIT_UNTIL(t, ph.pinned);
	th->bound_cpu = -1; /* only migrate_disable() holds it now */
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	/* cpu_offline returned only after the holder let go. */
	KT_EXPECT_NE(t, ph.released_at, 0);
	KT_EXPECT_TRUE(t, ph.stayed);
	KT_EXPECT_EQ(t, ph.cpu, victim);
	KT_EXPECT_GT(t, hotplug_pinned_waits(), waits);
	kthread_join(th);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
}

/*
 * A pinned task that is runnable but not running sits in its CPU's run
 * queue, where cpu_offline() moves tasks from; the sleeping holder
 * above never does. Two holders pinned to the victim that yield, never
 * sleep, make sure one of them is queued whenever cpu_offline() looks
 * (the other is the one running). Both must stay on the victim until
 * they let go of their pin.
 */
struct queued_pinned {
	struct ktest *t;
	unsigned long waits;	      /* hotplug_pinned_waits() at the start */
	volatile unsigned int pinned; /* holders past migrate_disable() */
	volatile unsigned int moved;  /* holders that found another CPU */
	volatile unsigned int cpu[2]; /* where each pinned itself */
};

struct queued_pinned_arg {
	struct queued_pinned *q;
	unsigned int id;
};

/* Did this holder leave its CPU? Has cpu_offline() begun to wait? */
static bool moved_or_waited_for(struct queued_pinned_arg *a)
{
	if (smp_processor_id() != a->q->cpu[a->id]) {
		__sync_fetch_and_add(&a->q->moved, 1);
		return true;
	}
	return hotplug_pinned_waits() > a->q->waits;
}

static int yielding_holder(void *arg)
{
	struct queued_pinned_arg *a = arg;

	migrate_disable();
	a->q->cpu[a->id] = smp_processor_id();
	__sync_fetch_and_add(&a->q->pinned, 1);
	/* Runnable all along: each poll yields the CPU to the other. */
	KT_WAIT_UNTIL_YIELD(a->q->t, moved_or_waited_for(a));
	migrate_enable();
	return 0;
}

static void cpu_hotplug_queued_pinned_task_stays(struct ktest *t)
{
	static struct queued_pinned q;
	static struct queued_pinned_arg args[2];
	unsigned int victim = kt_highest_online_cpu();
	struct task *th[2];
	int code;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	q = (struct queued_pinned){ .t = t, .waits = hotplug_pinned_waits() };
	for (unsigned int i = 0; i < 2; i++) {
		args[i] = (struct queued_pinned_arg){ &q, i };
		th[i] = kthread_create(yielding_holder, &args[i],
				       "yield_pinned");
		KT_ASSERT_NOT_NULL(t, th[i]);
		kthread_bind(th[i], victim);
	}
	kthread_start(th[0]);
	kthread_start(th[1]);
	KT_ASSERT_TRUE(t, KT_WAIT_UNTIL(t, q.pinned == 2));
	th[0]->bound_cpu = th[1]->bound_cpu = -1; /* only the pins hold */
	KT_EXPECT_EQ(t, cpu_offline(victim), 0);
	for (unsigned int i = 0; i < 2; i++)
		KT_EXPECT_TRUE(t, kt_join_bounded(t, th[i], &code));
	kt_diag(t, "pinned on CPU %u and %u; %u moved while pinned", q.cpu[0],
		q.cpu[1], q.moved);
	KT_EXPECT_EQ(t, q.cpu[0], victim);
	KT_EXPECT_EQ(t, q.cpu[1], victim);
	KT_EXPECT_EQ(t, q.moved, 0);
	KT_EXPECT_GT(t, hotplug_pinned_waits(), q.waits);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
}

/*
 * cpu_offline() moves tasks holding two run queue locks, and every CPU
 * that takes such a pair must take it in one order, the lower CPU's
 * (lower address) first, as double_rq_lock() does. Otherwise one CPU
 * holds the lower and waits for the higher while the other holds the
 * higher and waits for the lower, for ever: an idle CPU pulling work
 * from the CPU being emptied takes exactly that pair. lockdep cannot
 * see this order: the run queue locks are all one class. So the hook
 * looks, between cpu_offline()'s two acquisitions, at which of the two
 * this CPU holds.
 */
static struct {
	unsigned int victim;
	int offline_result;
	bool called;		      /* the hook ran */
	bool held_lower, held_higher; /* what this CPU held in it */
} lw;

/* Runs in cpu_offline(): interrupts off, one run queue lock held. */
static void see_which_lock_came_first(spinlock_t *src_lock,
				      spinlock_t *dst_lock)
{
	spinlock_t *lower = src_lock < dst_lock ? src_lock : dst_lock;
	spinlock_t *higher = src_lock < dst_lock ? dst_lock : src_lock;

	hotplug_lock_window = NULL; /* the first pass is enough */
	lw.called = true;
	lw.held_lower = spin_held_here(lower);
	lw.held_higher = spin_held_here(higher);
}

static void cpu_hotplug_offline_takes_rq_locks_in_order(struct ktest *t)
{
	lw = (typeof(lw)){ .victim = kt_highest_online_cpu() };
	if (lw.victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	hotplug_lock_window = see_which_lock_came_first;
	lw.offline_result = cpu_offline(lw.victim);
	hotplug_lock_window = NULL;
	kt_diag(t,
		"between its two run queue locks, cpu_offline() held "
		"the lower: %s, the higher: %s",
		lw.held_lower ? "yes" : "no", lw.held_higher ? "yes" : "no");
	KT_EXPECT_EQ(t, lw.offline_result, 0);
	KT_ASSERT_TRUE(t, lw.called);
	KT_EXPECT_TRUE(t, lw.held_lower);
	KT_EXPECT_FALSE(t, lw.held_higher);
	KT_EXPECT_EQ(t, cpu_online(lw.victim), 0);
}

struct sleeper {
	struct completion go;
	volatile unsigned int asleep; /* about to wait for go */
	volatile int ran_on;	      /* the CPU it woke up on */
};

static int sleeper_thread(void *arg)
{
	struct sleeper *s = arg;

	s->asleep = 1;
	wait_for_completion(&s->go);
	s->ran_on = smp_processor_id();
	return 0;
}

/*
 * A task asleep on a CPU that then goes offline keeps that CPU as its
 * home. Woken while every online CPU is busy, it is queued there and
 * the waker sends that offline CPU a reschedule IPI; its idle loop
 * passes the task on (kernel/sched_balance.c: balance_push_away).
 */
static void cpu_hotplug_wake_task_homed_offline(struct ktest *t)
{
	static struct busy b;
	static struct busy_arg args[BUSY_MAX];
	static struct sleeper s;
	struct task *sleeper;
	struct kt_workers ws;
	unsigned int victim = kt_highest_online_cpu(), made;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	s = (struct sleeper){ .ran_on = -1 };
	completion_init(&s.go);
	sleeper = kthread_create(sleeper_thread, &s, "sleeper");
	KT_ASSERT_NOT_NULL(t, sleeper);
	kthread_bind(sleeper, victim);
	kthread_start(sleeper);
	KT_WAIT_UNTIL(t, s.asleep &&
				 READ_ONCE(sleeper->state) == TASK_SLEEPING &&
				 !READ_ONCE(sleeper->on_cpu) &&
				 !READ_ONCE(sleeper->queued));
	sleeper->bound_cpu = -1; /* free to move, but asleep */
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	made = busy_create(&b, args, &ws, victim);
	KT_ASSERT_EQ(t, made, b.n);
	kt_workers_start(&ws);
	KT_WAIT_UNTIL(t, busy_on_every_online_cpu(&b));
	complete(&s.go);
	kthread_join(sleeper);
	KT_EXPECT_NE(t, s.ran_on, (int)victim);
	b.stop = 1;
	kt_workers_join(&ws);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
}

static volatile int calls_ran[NR_CPUS];

static void count_call(void *arg)
{
	__sync_fetch_and_add(&calls_ran[smp_processor_id()], 1);
}

/*
 * An offline CPU is out of every cross-CPU call and shootdown: neither
 * runs there. With a CPU missing, the sender may not use the APIC's
 * broadcast (it would reach the offline CPU too); it must send one IPI
 * per online CPU. (The offline CPU may still get a reschedule IPI, for
 * a task woken there that its idle loop then moves on, or the last of
 * those cpu_offline() sent it, landing late on a busy host: so the
 * test counts the broadcasts sent and the calls and flushes the offline
 * CPU ran, not all its IPIs.)
 */
static void cpu_hotplug_offline_cpu_gets_no_ipis(struct ktest *t)
{
	unsigned int victim = kt_highest_online_cpu(), me, cpu;
	unsigned long calls, flushes, broadcasts;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		calls_ran[cpu] = 0;
	preempt_disable();
	me = smp_processor_id();
	calls = READ_ONCE(percpu_areas[victim].calls_run);
	flushes = READ_ONCE(percpu_areas[victim].tlb_full_flushes);
	broadcasts = percpu_areas[me].ipi_broadcasts;
	for (int round = 0; round < 10; round++) {
		on_each_cpu(count_call, NULL, true);
		flush_tlb_all();
	}
	/* No broadcast: it would have reached the offline CPU too. */
	KT_EXPECT_EQ(t, percpu_areas[me].ipi_broadcasts, broadcasts);
	preempt_enable();
	mdelay(20); /* a call sent there by mistake would have run */
	KT_EXPECT_EQ(t, READ_ONCE(percpu_areas[victim].calls_run), calls);
	KT_EXPECT_EQ(t, READ_ONCE(percpu_areas[victim].tlb_full_flushes),
		     flushes);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		KT_EXPECT_EQ(t, calls_ran[cpu], cpu_is_online(cpu) ? 10 : 0);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
}

/*
 * cpu_offline() returns only once the CPU runs nothing but its idle
 * task: a thread still running there, though free to move, is waited
 * for. The thread here holds the CPU with interrupts off for
 * HOG_IRQS_OFF_MS when the offline begins, so that the reschedule IPI
 * that would move it waits too; the case then looks, the moment
 * cpu_offline() returns, at what the CPU runs and holds queued.
 */
#define HOG_IRQS_OFF_MS 20

struct irq_hog {
	volatile bool in; /* interrupts off, on the victim */
	volatile bool stop;
};

static int irq_hog_thread(void *arg)
{
	struct irq_hog *h = arg;

	arch_irq_disable();
	WRITE_ONCE(h->in, true);
	mdelay(HOG_IRQS_OFF_MS);
	arch_irq_enable();
	while (!READ_ONCE(h->stop))
		arch_cpu_relax();
	return 0;
}

static void cpu_hotplug_offline_returns_once_cpu_is_idle(struct ktest *t)
{
	static struct irq_hog h;
	unsigned int victim = kt_highest_online_cpu();
	const struct percpu *pc = &percpu_areas[victim];
	const char *running;
	struct task *hog;
	int code;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	h = (struct irq_hog){ .in = false };
	hog = kthread_create(irq_hog_thread, &h, "irq_hog");
	KT_ASSERT_NOT_NULL(t, hog);
	kthread_bind(hog, victim); /* starts there, then free to move */
	kthread_start(hog);
	KT_WAIT_UNTIL(t, READ_ONCE(h.in));
	hog->bound_cpu = -1;
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	running = READ_ONCE(pc->current)->name;
	kt_diag(t, "CPU %u runs %s as cpu_offline() returns", victim, running);
	KT_EXPECT_TRUE(t, READ_ONCE(pc->current) == runqueues[victim].idle);
	KT_EXPECT_EQ(t, sched_nr_queued(victim), 0);
	WRITE_ONCE(h.stop, true);
	KT_EXPECT_TRUE(t, kt_join_bounded(t, hog, &code));
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
}

/*
 * An offline CPU takes no work, not even to hand it back: its idle
 * loop pulls nothing. With every online CPU busy (two busy threads more
 * than online CPUs, so that no online CPU idles and pulls), the busy
 * threads stay where they are while the offline CPU takes
 * OFFLINE_TICKS ticks, each of which runs its idle loop: their
 * migration counts do not move. An idle loop that pulled anyway moved
 * them 8,000 to 13,000 times in those ten ticks, each pull pushed
 * straight back to an online CPU.
 */
#define OFFLINE_TICKS 10

static unsigned long busy_migrations(const struct kt_workers *ws,
				     unsigned int n)
{
	unsigned long total = 0;

	for (unsigned int i = 0; i < n; i++)
		total += READ_ONCE(ws->th[i]->migrations);
	return total;
}

static void cpu_hotplug_offline_cpu_pulls_nothing(struct ktest *t)
{
	static struct busy b;
	static struct busy_arg args[BUSY_MAX];
	static const unsigned long none[BUSY_MAX];
	unsigned int victim = kt_highest_online_cpu();
	unsigned long moves;
	uint64_t ticks;
	struct kt_workers ws;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	KT_ASSERT_EQ(t, busy_create(&b, args, &ws, victim), b.n);
	kt_workers_start(&ws);
	KT_WAIT_UNTIL(t, all_ran_since(&b, none));
	moves = busy_migrations(&ws, b.n);
	ticks = sched_clock_ticks(victim);
	KT_WAIT_UNTIL(t, sched_clock_ticks(victim) - ticks >= OFFLINE_TICKS);
	kt_diag(t, "%u busy threads, %lu moves in %u ticks of offline CPU %u",
		b.n, busy_migrations(&ws, b.n) - moves, OFFLINE_TICKS, victim);
	KT_EXPECT_EQ(t, busy_migrations(&ws, b.n), moves);
	KT_EXPECT_EQ(t, sum(&b, b.on_victim), 0);
	b.stop = 1;
	kt_workers_join(&ws);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
}

static void cpu_hotplug_bad_requests_refused(struct ktest *t)
{
	unsigned int victim = kt_highest_online_cpu();

	KT_EXPECT_EQ(t, cpu_offline(0), HOTPLUG_EINVAL);
	KT_EXPECT_EQ(t, cpu_offline(NR_CPUS), HOTPLUG_EINVAL);
	/* Already online (CPU 0 on a uniprocessor, too). */
	KT_EXPECT_EQ(t, cpu_online(victim), HOTPLUG_EBUSY);
}

static const struct ktest_case cpu_hotplug_cases[] = {
	KTEST_CASE(cpu_hotplug_offline_moves_running_tasks),
	KTEST_CASE(cpu_hotplug_waits_for_migrate_disabled_task),
	KTEST_CASE(cpu_hotplug_queued_pinned_task_stays),
	KTEST_CASE(cpu_hotplug_offline_takes_rq_locks_in_order),
	KTEST_CASE(cpu_hotplug_offline_cpu_gets_no_ipis),
	KTEST_CASE(cpu_hotplug_wake_task_homed_offline),
	KTEST_CASE(cpu_hotplug_offline_returns_once_cpu_is_idle),
	KTEST_CASE(cpu_hotplug_offline_cpu_pulls_nothing),
	KTEST_CASE(cpu_hotplug_bad_requests_refused),
};
KTEST_SUITE(cpu_hotplug, cpu_hotplug_cases);
