/*
 * Suite "sched_stress": wait queues, mutexes, completions and msleep
 * under contention, in a seeded random mix: ktest.stress_ops rounds per
 * thread.
 *
 * Every thread, each round, produces before it consumes (a token, a
 * completion), so the totals always allow every waiter to go on: a
 * thread left asleep at the end is a lost wake-up, and the wait for
 * all of them to finish fails by name. Inside the mutex, an occupancy
 * flag catches two owners at once.
 */
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/mutex.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "test_util.h"

#define MAX_STRESS_THREADS 8

struct stress {
	struct mutex lock;
	unsigned long protected_count; /* protected by lock */
	volatile unsigned int inside;  /* threads inside lock: 0 or 1 */
	unsigned int overlaps;

	struct wait_queue_head token_wq;
	spinlock_t token_lock;
	unsigned long tokens; /* protected by token_lock */

	struct completion baton;
	unsigned int rounds;		/* each thread's */
	volatile unsigned int finished; /* threads done with their rounds */
};

struct stress_thread {
	struct stress *s;
	struct rng rng;
	unsigned long mutex_ops, token_ops, baton_ops, sleeps;
};

static bool take_token(struct stress *s)
{
	unsigned long flags = spin_lock_irqsave(&s->token_lock);
	bool got = s->tokens > 0;

	if (got)
		s->tokens--;
	spin_unlock_irqrestore(&s->token_lock, flags);
	return got;
}

static void mutex_round(struct stress_thread *st)
{
	struct stress *s = st->s;

	mutex_lock(&s->lock);
	if (__sync_lock_test_and_set(&s->inside, 1))
		s->overlaps++;
	s->protected_count++;
	if (rng_below(&st->rng, 8) == 0)
		yield(); /* hold it across a switch */
	__sync_lock_release(&s->inside);
	mutex_unlock(&s->lock);
	st->mutex_ops++;
}

static int stress_thread(void *arg)
{
	struct stress_thread *st = arg;
	struct stress *s = st->s;

	for (unsigned int round = 0; round < s->rounds; round++) {
		unsigned long flags;

		/* Mostly contention; now and then a real sleep. */
		switch (rng_below(&st->rng, 16) / 5) {
		case 0:
			mutex_round(st);
			break;
		case 1:
			flags = spin_lock_irqsave(&s->token_lock);
			s->tokens++;
			spin_unlock_irqrestore(&s->token_lock, flags);
			/*
			 * All, not one: a thread that has just taken a
			 * token is still queued on its way out, and a
			 * wake_up() that picked it would be lost for a
			 * sleeper behind it (include/kernel/wait.h).
			 */
			wake_up_all(&s->token_wq);
			wait_event(&s->token_wq, take_token(s));
			st->token_ops++;
			break;
		case 2:
			complete(&s->baton);
			wait_for_completion(&s->baton);
			st->baton_ops++;
			break;
		default:
			msleep(rng_below(&st->rng, 3));
			st->sleeps++;
			break;
		}
	}
	__sync_fetch_and_add(&s->finished, 1);
	return 0;
}

static void sched_stress_waitqueue_mutex_completion(struct ktest *t)
{
	static struct stress s;
	static struct stress_thread st[MAX_STRESS_THREADS];
	struct kt_workers ws;
	unsigned int n = 2 * num_online_cpus();
	unsigned long mutex_ops = 0, token_ops = 0, baton_ops = 0, sleeps = 0;

	if (n > MAX_STRESS_THREADS)
		n = MAX_STRESS_THREADS;
	mutex_init(&s.lock, "stress_mutex");
	s.protected_count = 0;
	s.inside = 0;
	s.overlaps = 0;
	wait_queue_init(&s.token_wq);
	spin_lock_init(&s.token_lock, "stress_tokens");
	s.tokens = 0;
	completion_init(&s.baton);
	s.rounds = ktest_config.stress_ops;
	s.finished = 0;
	for (unsigned int i = 0; i < n; i++) {
		st[i] = (struct stress_thread){ .s = &s };
		rng_seed(&st[i].rng, rng_next(&t->rng));
	}
	KT_ASSERT_EQ(t,
		     kt_workers_create(&ws, stress_thread, st, sizeof(st[0]), n,
				       "stress", false),
		     n);
	kt_workers_start(&ws);
	/* A thread asleep for good: report it, leave it (s is static). */
	if (!KT_WAIT_UNTIL(t, s.finished == n)) {
		kt_diag(t, "%u of %u threads finished: a lost wake-up?",
			s.finished, n);
		return;
	}
	kt_workers_join(&ws);
	for (unsigned int i = 0; i < n; i++) {
		mutex_ops += st[i].mutex_ops;
		token_ops += st[i].token_ops;
		baton_ops += st[i].baton_ops;
		sleeps += st[i].sleeps;
	}
	kt_diag(t,
		"%u threads, %u rounds each: %lu mutex, %lu token, %lu "
		"baton rounds, %lu sleeps",
		n, s.rounds, mutex_ops, token_ops, baton_ops, sleeps);
	KT_EXPECT_EQ(t, mutex_ops + token_ops + baton_ops + sleeps,
		     (unsigned long)n * s.rounds);
	KT_EXPECT_EQ(t, s.protected_count, mutex_ops);
	KT_EXPECT_EQ(t, s.overlaps, 0);
	KT_EXPECT_EQ(t, s.tokens, 0);
	KT_EXPECT_EQ(t, s.baton.done, 0);
	KT_EXPECT_GT(t, mutex_ops, 0);
	KT_EXPECT_GT(t, token_ops + baton_ops, 0);
}

/*
 * msleep() counts on the clock of the CPU the sleeper is queued on, so
 * the case measures on that clock, pinned to it. jiffies is CPU 0's
 * clock: on a loaded host CPU 0's vCPU may take fewer ticks meanwhile
 * (smp8 under two test runs saw 4 jiffies for a 6-tick sleep).
 */
static void sched_msleep_sleeps_at_least(struct ktest *t)
{
	unsigned long waited;
	unsigned int cpu;
	uint64_t start;

	migrate_disable();
	cpu = smp_processor_id();
	start = sched_clock_ticks(cpu);
	msleep(50);
	waited = (unsigned long)(sched_clock_ticks(cpu) - start);
	migrate_enable();
	kt_diag(t, "msleep(50) took %lu ticks of %u ms on CPU %u", waited,
		MS_PER_TICK, cpu);
	KT_EXPECT_GE(t, waited * MS_PER_TICK, 50);
	KT_EXPECT_LE(t, waited * MS_PER_TICK, 500);
}

static const struct ktest_case sched_stress_cases[] = {
	KTEST_CASE(sched_msleep_sleeps_at_least),
	KTEST_CASE(sched_stress_waitqueue_mutex_completion),
};
KTEST_SUITE(sched_stress, sched_stress_cases);
