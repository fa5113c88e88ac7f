/*
 * Suite "locking": spinlocks under real contention. The racy twin of
 * the counting test proves the test can fail: without the lock,
 * concurrent increments on several CPUs lose updates.
 */
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>

#define INCREMENTS 1000000
#define MAX_WORKERS 4

struct counter_run {
	spinlock_t lock;
	volatile unsigned long value;
	bool locked;
	volatile unsigned int ready, go;
};

static int count_worker(void *arg)
{
	struct counter_run *run = arg;

	__sync_fetch_and_add(&run->ready, 1);
	while (!READ_ONCE(run->go))
		yield();
	for (unsigned int i = 0; i < INCREMENTS; i++) {
		if (run->locked) {
			spin_lock(&run->lock);
			run->value++;
			spin_unlock(&run->lock);
		} else {
			/* Deliberately racy: load, then store, not atomic. */
			unsigned long v = run->value;

			arch_cpu_relax();
			run->value = v + 1;
		}
	}
	return 0;
}

/* One worker per online CPU (up to 4), all released at once. */
static unsigned long run_counters(struct ktest *t, bool locked,
				  unsigned int *workers)
{
	static struct counter_run run;
	struct task *th[MAX_WORKERS];
	unsigned int n = 0;

	spin_lock_init(&run.lock, "test_counter");
	run.value = 0;
	run.locked = locked;
	run.ready = run.go = 0;
	for (unsigned int cpu = 0; cpu < NR_CPUS && n < MAX_WORKERS; cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		th[n] = kthread_create(count_worker, &run, "counter");
		if (!th[n])
			break;
		kthread_bind(th[n], cpu);
		kthread_start(th[n++]);
	}
	while (READ_ONCE(run.ready) < n)
		yield();
	WRITE_ONCE(run.go, 1);
	for (unsigned int i = 0; i < n; i++)
		kthread_join(th[i]);
	*workers = n;
	kt_diag(t, "%u workers, %lu increments counted of %lu", n, run.value,
		(unsigned long)n * INCREMENTS);
	return run.value;
}

static void locking_spinlock_counts_exactly(struct ktest *t)
{
	unsigned int n;
	unsigned long total = run_counters(t, true, &n);

	KT_EXPECT_EQ(t, total, (unsigned long)n * INCREMENTS);
}

static void locking_racy_increment_loses_updates(struct ktest *t)
{
	unsigned int n;
	unsigned long total;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs two CPUs to race");
		return;
	}
	total = run_counters(t, false, &n);
	KT_EXPECT_LT(t, total, (unsigned long)n * INCREMENTS);
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
