/*
 * Suite "locking": spinlocks under real contention. The racy twin of
 * the counting test proves the test can fail: without the lock,
 * concurrent increments on several CPUs lose updates.
 *
 * Each worker stops after INCREMENTS, or when its time is up, and says
 * how many it did: the shared counter must equal the sum exactly. In
 * test-and-set mode (the default under QEMU) every worker must also
 * finish all INCREMENTS. In ticket mode the time limit may cut them
 * short when there are more virtual CPUs than host cores: each
 * hand-over then waits for the host to run one particular vCPU
 * (kernel/spinlock.c explains, with the figures).
 */
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>

#define INCREMENTS 1000000
#define MAX_WORKERS 4
#define RACE_WINDOW 8	/* idle loop rounds between load and store */

struct counter_run {
	spinlock_t lock;
	volatile unsigned long value;
	bool locked;
	volatile unsigned int ready, go;
	unsigned int ms;			/* time limit per worker */
	unsigned long done[MAX_WORKERS];	/* increments each made */
};

struct counter_worker {
	struct counter_run *run;
	unsigned int id;
};

static int count_worker(void *arg)
{
	struct counter_worker *w = arg;
	struct counter_run *run = w->run;
	unsigned int cpu = smp_processor_id();
	uint64_t end;
	unsigned int i;

	__sync_fetch_and_add(&run->ready, 1);
	while (!READ_ONCE(run->go))
		yield();
	end = sched_clock_ticks(cpu) + (uint64_t)run->ms * HZ / 1000;
	for (i = 0; i < INCREMENTS; i++) {
		/* Checking the clock every 1024 rounds keeps it cheap. */
		if (!(i & 1023) && sched_clock_ticks(cpu) >= end)
			break;
		if (run->locked) {
			spin_lock(&run->lock);
			run->value++;
			spin_unlock(&run->lock);
		} else {
			/*
			 * Deliberately racy: load, then store, not atomic,
			 * with a window between them that does not depend
			 * on what arch_cpu_relax() is (under QEMU it is
			 * nothing, and two CPUs then rarely met in a window
			 * of one instruction: a 2-CPU run once lost none).
			 */
			unsigned long v = run->value;

			for (volatile int k = 0; k < RACE_WINDOW; k++)
				;
			run->value = v + 1;
		}
	}
	run->done[w->id] = i;
	return 0;
}

/* One worker per online CPU (up to 4), all released at once. */
static unsigned long run_counters(struct ktest *t, bool locked,
				  unsigned long *expected)
{
	static struct counter_run run;
	static struct counter_worker workers[MAX_WORKERS];
	struct task *th[MAX_WORKERS];
	unsigned int n = 0;

	spin_lock_init(&run.lock, "test_counter");
	run.value = 0;
	run.locked = locked;
	run.ready = run.go = 0;
	run.ms = MAX(ktest_config.stress_ms, 10000u);
	for (unsigned int cpu = 0; cpu < NR_CPUS && n < MAX_WORKERS; cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		workers[n] = (struct counter_worker){ &run, n };
		th[n] = kthread_create(count_worker, &workers[n], "counter");
		if (!th[n])
			break;
		kthread_bind(th[n], cpu);
		kthread_start(th[n++]);
	}
	while (READ_ONCE(run.ready) < n)
		yield();
	WRITE_ONCE(run.go, 1);
	*expected = 0;
	for (unsigned int i = 0; i < n; i++) {
		kthread_join(th[i]);
		*expected += run.done[i];
		kt_diag(t, "worker %u on CPU %u: %lu increments", i, i,
			run.done[i]);
	}
	kt_diag(t, "counter %lu, increments made %lu", run.value, *expected);
	return run.value;
}

static void locking_spinlock_counts_exactly(struct ktest *t)
{
	unsigned long expected;
	unsigned long total = run_counters(t, true, &expected);

	KT_EXPECT_EQ(t, total, expected);
	if (spinlock_test_and_set)
		KT_EXPECT_EQ(t, expected, (unsigned long)MIN(
			num_online_cpus(), MAX_WORKERS) * INCREMENTS);
	kt_diag(t, "spinlock mode: %s", spinlock_test_and_set ?
			"test-and-set" : "ticket order");
}

static void locking_racy_increment_loses_updates(struct ktest *t)
{
	unsigned long expected, total;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs two CPUs to race");
		return;
	}
	total = run_counters(t, false, &expected);
	KT_EXPECT_LT(t, total, expected);
}

static void locking_trylock_and_holder(struct ktest *t)
{
	static DEFINE_SPINLOCK(lock);

	KT_EXPECT_TRUE(t, spin_trylock(&lock));
	KT_EXPECT_TRUE(t, spin_held_here(&lock));
	KT_EXPECT_EQ(t, lock.holder_cpu, smp_processor_id());
	KT_EXPECT_GE(t, preempt_count(), 1);
	spin_unlock(&lock);
	KT_EXPECT_FALSE(t, spin_is_locked(&lock));
	KT_EXPECT_EQ(t, lock.holder_cpu, -1);
}

KTEST_SUITE(locking,
	    KTEST_CASE(locking_spinlock_counts_exactly),
	    KTEST_CASE(locking_racy_increment_loses_updates),
	    KTEST_CASE(locking_trylock_and_holder));
