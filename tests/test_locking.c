/*
 * Suite "locking": spinlocks under real contention, and the race they
 * prevent.
 *
 * One worker per CPU adds to a shared counter under the lock, a fixed
 * number of times: the counter must equal the sum exactly. The work is
 * fixed, not the time, so a loaded host makes the case slower, never
 * shorter. In ticket mode each hand-over waits for the host to run one
 * particular vCPU, a few thousand a second with more vCPUs than host
 * cores (kernel/spinlock.c explains, with the figures), so that mode
 * does fewer increments.
 *
 * The racy twin proves the kind of failure the lock prevents, for
 * certain rather than by luck: in every round each worker loads the
 * counter, then waits until every worker has loaded it, then stores
 * its value plus one. All of them store the same number, so each
 * round adds one, whatever the number of CPUs: n - 1 updates lost.
 * The workers wait for each other asleep: the proof needs the loads
 * before the stores, not the workers running at the same moment, and
 * on a host with fewer cores than vCPUs a worker spinning at the
 * barrier would hold the core its last peer needs to arrive.
 */
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/wait.h>
#include "test_util.h"

#define INCREMENTS	  200000 /* per worker, test-and-set lock */
#define TICKET_INCREMENTS 20000	 /* per worker, ticket lock */
#define RACY_ROUNDS	  32
#define MAX_WORKERS	  4

struct counter_run {
	struct ktest *t;
	spinlock_t lock;
	volatile unsigned long value;
	bool locked;			      /* else the racy twin */
	unsigned long each;		      /* increments per worker */
	unsigned int n;			      /* workers */
	volatile unsigned int go;	      /* all started: count */
	volatile unsigned int loaded, stored; /* racy rounds' handshake */
	struct wait_queue_head arrivals;      /* sleepers at the handshake */
	volatile bool stop; /* the case's watchdog gave up: leave */
	volatile unsigned int finished;
};

static void count_locked(struct counter_run *run)
{
	for (unsigned long i = 0; i < run->each; i++) {
		spin_lock(&run->lock);
		run->value++;
		spin_unlock(&run->lock);
	}
}

/*
 * Count this worker in at a handshake, then sleep until all have come
 * (the last to come wakes the others). False if the case stopped the
 * run instead.
 */
static bool racy_arrive(struct counter_run *run, volatile unsigned int *count,
			unsigned int all)
{
	if (__sync_add_and_fetch(count, 1) == all)
		wake_up_all(&run->arrivals);
	else
		wait_event(&run->arrivals, *count >= all || run->stop);
	return !run->stop;
}

/* Deliberately racy, with both loads before either store, each round. */
static void count_racy(struct counter_run *run)
{
	for (unsigned int r = 1; r <= run->each; r++) {
		unsigned long v = run->value;

		if (!racy_arrive(run, &run->loaded, r * run->n))
			return;
		run->value = v + 1;
		if (!racy_arrive(run, &run->stored, r * run->n))
			return;
	}
}

static int count_worker(void *arg)
{
	struct counter_run *run = arg;

	if (!KT_WAIT_UNTIL_YIELD(run->t, READ_ONCE(run->go)))
		return 0;
	if (run->locked)
		count_locked(run);
	else
		count_racy(run);
	__sync_fetch_and_add(&run->finished, 1);
	return 0;
}

/*
 * One worker per online CPU (up to 4), all released at once. Returns
 * the counter, or ~0 if the workers never finished. Each case passes
 * its own static run: workers left behind by a timed-out case keep
 * using theirs, and never a later case's.
 */
static unsigned long run_counters(struct ktest *t, struct counter_run *run,
				  bool locked, unsigned long each)
{
	struct kt_workers ws;
	unsigned int n;

	*run = (struct counter_run){ .t = t, .locked = locked, .each = each };
	spin_lock_init(&run->lock, "test_counter");
	wait_queue_init(&run->arrivals);
	n = kt_workers_create(&ws, count_worker, run, 0,
			      MIN(num_online_cpus(), MAX_WORKERS), "counter",
			      true);
	run->n = n; /* before any worker runs and reads it */
	kt_workers_start(&ws);
	WRITE_ONCE(run->go, 1);
	if (!KT_WAIT_UNTIL(t, run->finished == n)) {
		run->stop = true; /* wake the sleepers, then leave them */
		wake_up_all(&run->arrivals);
		return ~0ul; /* run is the caller's static */
	}
	kt_workers_join(&ws);
	kt_diag(t, "%u workers, %lu %s each: counter %lu", n, each,
		locked ? "increments" : "racy rounds", run->value);
	return run->value;
}

static void locking_spinlock_counts_exactly(struct ktest *t)
{
	static struct counter_run run;
	unsigned long each =
		spinlock_test_and_set ? INCREMENTS : TICKET_INCREMENTS;
	unsigned int n = MIN(num_online_cpus(), MAX_WORKERS);

	kt_diag(t, "spinlock mode: %s",
		spinlock_test_and_set ? "test-and-set" : "ticket order");
	KT_EXPECT_EQ(t, run_counters(t, &run, true, each), n * each);
}

static void locking_racy_increment_loses_updates(struct ktest *t)
{
	static struct counter_run run;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs two CPUs to race");
		return;
	}
	/* Each round adds one, not n: (n - 1) * RACY_ROUNDS are lost. */
	KT_EXPECT_EQ(t, run_counters(t, &run, false, RACY_ROUNDS), RACY_ROUNDS);
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

/*
 * A trylock that finds the lock free can still lose it to another CPU
 * before it takes it (in ticket mode: between reading the free ticket
 * and claiming it), and must then fail. The workers meet in lock-step
 * rounds: all arrive, all try once at the same moment, all wait until
 * every one has tried, and the winner lets go. Exactly one wins each
 * round; a loser that went on anyway makes two. Each worker waits a
 * few more loop turns than the others in some rounds, sweeping the
 * offset between their tries so some rounds meet in that window. Two
 * workers: a round waits for the slowest, and with more vCPUs than host
 * cores rounds become slow, not more telling.
 */
#define TRY_ROUNDS  2000
#define TRY_WORKERS 2

struct try_run {
	struct ktest *t;
	spinlock_t lock;
	unsigned int n;		       /* workers */
	volatile unsigned int go;      /* all started */
	volatile unsigned int ids;     /* hands out worker numbers */
	volatile unsigned int arrived; /* n per round */
	volatile unsigned int tried;   /* n per round */
	volatile unsigned long wins;
	unsigned long bad_rounds; /* rounds with wins != 1 (worker 0 counts) */
	unsigned int first_bad, bad_wins;
	volatile unsigned int finished;
};

/* Worker 0, between the rounds: did round r have exactly one winner? */
static void trylock_round_check(struct try_run *run, unsigned int r,
				unsigned long *wins_before)
{
	unsigned long wins = READ_ONCE(run->wins);

	if (wins - *wins_before != 1 && !run->bad_rounds++) {
		run->first_bad = r;
		run->bad_wins = wins - *wins_before;
	}
	*wins_before = wins;
}

static int trylock_worker(void *arg)
{
	struct try_run *run = arg;
	unsigned int me = __sync_fetch_and_add(&run->ids, 1), r;
	unsigned long wins_before = 0;

	if (!KT_WAIT_UNTIL_YIELD(run->t, READ_ONCE(run->go)))
		return 0;
	for (r = 1; r <= TRY_ROUNDS; r++) {
		bool won;

		__sync_fetch_and_add(&run->arrived, 1);
		if (!KT_WAIT_UNTIL_SPIN(run->t, run->arrived >= r * run->n))
			return 0;
		for (unsigned int d = (r * (me + 1) * 7) % 32; d; d--)
			barrier();
		won = spin_trylock(&run->lock);
		if (won)
			__sync_fetch_and_add(&run->wins, 1);
		__sync_fetch_and_add(&run->tried, 1);
		if (!KT_WAIT_UNTIL_SPIN(run->t, run->tried >= r * run->n)) {
			if (won)
				spin_unlock(&run->lock);
			return 0;
		}
		if (me == 0)
			trylock_round_check(run, r, &wins_before);
		if (won)
			spin_unlock(&run->lock);
	}
	__sync_fetch_and_add(&run->finished, 1);
	return 0;
}

static void locking_trylock_race_has_one_winner(struct ktest *t)
{
	static struct try_run run;
	struct kt_workers ws;
	unsigned int n;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs two CPUs to race");
		return;
	}
	run = (struct try_run){ .t = t };
	spin_lock_init(&run.lock, "test_trylock");
	n = kt_workers_create(&ws, trylock_worker, &run, 0, TRY_WORKERS,
			      "trier", true);
	run.n = n;
	kt_workers_start(&ws);
	WRITE_ONCE(run.go, 1);
	if (!KT_WAIT_UNTIL(t, run.finished == n))
		return; /* leave them: run is static */
	kt_workers_join(&ws);
	kt_diag(t, "%s: %u workers, %u rounds, %lu wins",
		spinlock_test_and_set ? "test-and-set" : "ticket order", n,
		TRY_ROUNDS, run.wins);
	if (run.bad_rounds)
		kt_diag(t,
			"%lu rounds without exactly one winner, the first "
			"round %u with %u",
			run.bad_rounds, run.first_bad, run.bad_wins);
	KT_EXPECT_EQ(t, run.bad_rounds, 0);
	KT_EXPECT_FALSE(t, spin_is_locked(&run.lock));
}

static const struct ktest_case locking_cases[] = {
	KTEST_CASE(locking_spinlock_counts_exactly),
	KTEST_CASE(locking_racy_increment_loses_updates),
	KTEST_CASE(locking_trylock_and_holder),
	KTEST_CASE(locking_trylock_race_has_one_winner),
};
KTEST_SUITE(locking, locking_cases);
