/*
 * Cases of suite "sched" that live in test_sched_wake.c and
 * test_sched_balance.c; test_sched.c registers them with the rest of
 * the suite, in the order they run.
 */
#ifndef TESTS_SCHED_CASES_H
#define TESTS_SCHED_CASES_H

#include <kernel/sched.h>

struct ktest;

/* Asleep and off its CPU, so a wake-up must queue it and kick. */
static inline bool asleep_off_cpu(const struct task *th)
{
	return READ_ONCE(th->state) == TASK_SLEEPING && !READ_ONCE(th->on_cpu);
}

void sched_completion_wakes_sleeper_not_taker(struct ktest *t);
void sched_wake_kicks_the_idle_target(struct ktest *t);
void sched_wake_leaves_pinned_task_home(struct ktest *t);
void sched_migrate_disable_pins_task(struct ktest *t);
void sched_pull_takes_rq_locks_in_order(struct ktest *t);

#endif
