/*
 * Cases of suite "smp" about asynchronous calls and the csd each one
 * uses: one per sending CPU and target (kernel/smp.c: async_csd), which
 * a second call to the same target must claim once the first has let
 * go of it, never earlier and never later. test_smp.c registers them.
 */
#include <arch/cpu.h>
#include <kernel/ktest.h>
#include <kernel/kthread.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include "smp_cases.h"
#include "test_util.h"

static void set_flag(void *arg)
{
	*(volatile int *)arg = 1;
}

/*
 * Two asynchronous calls in a row to a CPU that has interrupts off:
 * the first is still queued there when the second is made, so the
 * second must wait for the csd the first holds, not refill and requeue
 * it (the first call would then be lost, or run with the second's
 * argument). The target keeps interrupts off until the second call
 * has returned, or for HOLD_MS if it does not return: it cannot while
 * it waits for the target, which is the point.
 */
#define HOLD_MS 100

struct async_twice {
	unsigned int target;
	volatile int ready;	      /* the target has interrupts off */
	volatile int second_started;  /* the caller begins the second call */
	volatile int second_returned; /* ... and is back from it */
	volatile int first, second;   /* set by the two calls */
	volatile int released;	      /* the target has interrupts on again */
};

static int deaf_for_a_while(void *arg)
{
	struct async_twice *a = arg;
	unsigned long flags = arch_irq_save();

	WRITE_ONCE(a->ready, 1);
	(void)kt_spin_until_set(&a->second_started, 10000);
	(void)kt_spin_until_set(&a->second_returned, HOLD_MS);
	arch_irq_restore(flags);
	WRITE_ONCE(a->released, 1);
	return 0;
}

void smp_async_call_waits_for_its_csd(struct ktest *t)
{
	static struct async_twice a;
	struct task *deaf;
	int code;

	a = (struct async_twice){ .target = kt_other_cpu() };
	if (a.target == smp_processor_id()) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	deaf = kthread_create(deaf_for_a_while, &a, "deaf");
	KT_ASSERT_NOT_NULL(t, deaf);
	kthread_bind(deaf, a.target);
	kthread_start(deaf);
	if (!KT_WAIT_UNTIL(t, READ_ONCE(a.ready)))
		return;
	smp_call_function_single(a.target, set_flag, (void *)&a.first, false);
	WRITE_ONCE(a.second_started, 1);
	smp_call_function_single(a.target, set_flag, (void *)&a.second, false);
	WRITE_ONCE(a.second_returned, 1);
	/* The target runs its queue in order: first, then second. */
	if (KT_WAIT_UNTIL(t, READ_ONCE(a.second)))
		KT_EXPECT_TRUE(t, a.first);
	if (kt_join_bounded(t, deaf, &code))
		KT_EXPECT_TRUE(t, a.released);
}

/*
 * The other side of the same rule: an asynchronous call lets go of its
 * csd before its function runs, so a second call made while the first
 * one's function still runs on the target must not wait for it (the
 * target is in its call interrupt, interrupts off: the wait would last
 * as long as the function). The csd is then back in the target's queue
 * while the target is still walking the list it took the first call
 * from, and its link now points into that queue: the target must have
 * read all it needs of the first call, the link included, before it
 * let go. The first call's function holds the target until the caller
 * is back from the second call, and the second runs after it.
 *
 * REUSE_HOLD_MS bounds that hold by the clock, for a caller that never
 * comes back: only a broken kernel reaches it, so it can be long enough
 * that a host busy elsewhere never does (it is far below the cross-CPU
 * answer timeout, include/kernel/cpu_wait.h). Preemption stays off in
 * the caller from the first call to the second, so that nothing on its
 * CPU delays the second call.
 */
#define REUSE_HOLD_MS 1000

struct async_reuse {
	volatile int first_running;    /* the first call's fn has begun */
	volatile int second_returned;  /* the caller is back from the second */
	volatile int first_saw_return; /* ... seen by the first call's fn */
	volatile int first_done;       /* the first call's fn has returned */
	volatile int second_ran;       /* the second call's fn has run */
	volatile int second_after_first; /* ... after the first returned */
};

static void reuse_first(void *arg)
{
	struct async_reuse *r = arg;

	WRITE_ONCE(r->first_running, 1);
	(void)kt_spin_until_set(&r->second_returned, REUSE_HOLD_MS);
	r->first_saw_return = READ_ONCE(r->second_returned);
	WRITE_ONCE(r->first_done, 1);
}

static void reuse_second(void *arg)
{
	struct async_reuse *r = arg;

	r->second_after_first = READ_ONCE(r->first_done);
	WRITE_ONCE(r->second_ran, 1);
}

void smp_async_csd_reused_while_its_function_runs(struct ktest *t)
{
	static struct async_reuse r;
	unsigned int target = kt_other_cpu();
	bool first_ran;

	if (target == smp_processor_id()) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	r = (struct async_reuse){ 0 };
	preempt_disable(); /* both calls from this CPU (one csd), at once */
	smp_call_function_single(target, reuse_first, &r, false);
	first_ran = KT_WAIT_UNTIL_SPIN(t, READ_ONCE(r.first_running));
	if (first_ran)
		smp_call_function_single(target, reuse_second, &r, false);
	WRITE_ONCE(r.second_returned, 1); /* lets the first call go */
	preempt_enable();
	if (!first_ran || !KT_WAIT_UNTIL(t, READ_ONCE(r.second_ran)))
		return;
	KT_EXPECT_TRUE(t, r.first_saw_return);
	KT_EXPECT_TRUE(t, r.second_after_first);
}
