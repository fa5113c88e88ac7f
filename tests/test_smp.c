/*
 * Tests for the SMP bring-up: the CPUs the runner asked for are online
 * with distinct identities, every CPU ticks, cross-CPU calls land on
 * the CPU named (in interrupt context), exactly once, and IPIs are
 * counted as sent and received one for one.
 *
 * They run on the boot CPU with interrupts on (after SMP start-up), and
 * pass on one CPU too: the cross-CPU cases then call only themselves.
 */
#include <arch/cpu.h>
#include <arch/smp.h>
#include <arch/timer.h>
#include <kernel/ktest.h>
#include <kernel/kthread.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <mm/tlbflush.h>
#include "smp_cases.h"
#include "test_util.h"

/*
 * The CPUs the runner gave QEMU are online, as many as NR_CPUS allows;
 * the rest must have been counted (and named, at boot) as ignored.
 */
static void smp_expected_cpus_online(struct ktest *t)
{
	unsigned int given = ktest_config.expect_cpus;
	unsigned int want = MIN(given, NR_CPUS), cpu;

	if (!given) {
		kt_skip(t, "ktest.expect_cpus not given");
		return;
	}
	if (given > NR_CPUS)
		kt_diag(t,
			"QEMU has %u CPUs, NR_CPUS is %d: %u expected "
			"online, %u ignored at boot",
			given, NR_CPUS, want, given - want);
	KT_EXPECT_EQ(t, num_online_cpus(), want);
	KT_EXPECT_EQ(t, arch_smp_cpus_ignored(), given - want);
	for (cpu = 0; cpu < want; cpu++)
		KT_EXPECT_TRUE(t, cpu_is_online(cpu));
	KT_EXPECT_FALSE(t, cpu_is_online(NR_CPUS));
}

/* Two online CPUs never share a hardware id (x86: an APIC id). */
static void smp_hw_ids_distinct(struct ktest *t)
{
	unsigned int a, b;

	for_each_online_cpu(a)
		for_each_online_cpu(b)
			if (a < b)
				KT_EXPECT_NE(t, arch_cpu_hw_id(a),
					     arch_cpu_hw_id(b));
}

static struct percpu *seen_self[NR_CPUS];

static void record_this_cpu(void *arg)
{
	seen_self[smp_processor_id()] = this_cpu();
}

static void smp_percpu_areas_distinct(struct ktest *t)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		seen_self[cpu] = NULL;
	on_each_cpu(record_this_cpu, NULL, true);
	for_each_online_cpu(cpu) {
		struct percpu *p = &percpu_areas[cpu];

		KT_EXPECT_EQ(t, (uintptr_t)p->self, (uintptr_t)p);
		KT_EXPECT_EQ(t, p->cpu, cpu);
		KT_EXPECT_TRUE(t, p->online);
		/* this_cpu() on that CPU is its own area, not another's. */
		KT_EXPECT_EQ(t, (uintptr_t)seen_self[cpu], (uintptr_t)p);
	}
}

/* Has every online CPU ticked since before[], and CPU 0's jiffies too? */
static bool all_cpus_ticked(const unsigned long *before, unsigned long j0)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (READ_ONCE(percpu_areas[cpu].timer_ticks) == before[cpu])
			return false;
	return jiffies != j0;
}

/*
 * Every CPU's timer ticks, and CPU 0's advances jiffies. A tick is due
 * every 1000 / HZ ms; the wait for one is bounded on this CPU's own
 * clock (mdelay, not a tick, which is what is in question), at
 * ktest.wait_s seconds: on a host busy enough, QEMU's timers can fall
 * behind by tens of milliseconds.
 */
static void smp_ticks_advance(struct ktest *t)
{
	unsigned long before[NR_CPUS], j0 = jiffies, ms = 0;
	unsigned int cpu;

	KT_ASSERT_FALSE(t, arch_irqs_disabled());
	for_each_online_cpu(cpu)
		before[cpu] = READ_ONCE(percpu_areas[cpu].timer_ticks);
	while (!all_cpus_ticked(before, j0) &&
	       ms < ktest_config.wait_s * 1000ul) {
		mdelay(1);
		ms++;
	}
	KT_EXPECT_GT(t, jiffies - j0, 0);
	for_each_online_cpu(cpu) {
		unsigned long d =
			READ_ONCE(percpu_areas[cpu].timer_ticks) - before[cpu];

		if (!d)
			kt_diag(t, "CPU %u did not tick in %lu ms", cpu, ms);
		KT_EXPECT_GT(t, d, 0);
	}
}

/*
 * The tick comes HZ times a second by the timestamp clock, the clock
 * the timer was calibrated against at boot (arch/x86/timer.c):
 * TICK_CHECK ticks of this CPU take at least five eighths of their
 * nominal time. A timer twice as fast as calibrated (started at
 * another divider, or with half the count) takes half. The slack is
 * for a busy host: the tick the count starts from may come late (the
 * vCPU was not running), and the ticks after it keep to the timer's own
 * schedule, so the span comes out short by that lateness (73 ms for a
 * nominal 100 beside a second make test). No upper bound: late ticks
 * make it long, and QEMU drops the ones it missed.
 */
#define TICK_CHECK 25

static void smp_tick_keeps_time_with_the_clock(struct ktest *t)
{
	unsigned int cpu = smp_processor_id();
	uint64_t tick0 = sched_clock_ticks(cpu);
	unsigned long long start, ms;

	/* Start on a tick, so that the count spans whole ticks. */
	KT_ASSERT_TRUE(t, KT_WAIT_UNTIL(t, sched_clock_ticks(cpu) != tick0));
	start = arch_timestamp();
	tick0 = sched_clock_ticks(cpu);
	KT_ASSERT_TRUE(t, KT_WAIT_UNTIL(t, sched_clock_ticks(cpu) - tick0 >=
						   TICK_CHECK));
	ms = (arch_timestamp() - start) / arch_timestamp_per_ms();
	kt_diag(t, "%u ticks of CPU %u took %llu ms by the clock (%u nominal)",
		TICK_CHECK, cpu, ms, TICK_CHECK * 1000 / HZ);
	KT_EXPECT_GE(t, ms, TICK_CHECK * 1000 / HZ * 5 / 8);
}

struct where_ran {
	volatile int cpu;
	volatile int hardirq; /* in_interrupt() or the caller's CPU */
	volatile int irqs_off;
};

static void record_where(void *arg)
{
	struct where_ran *w = arg;

	w->hardirq = in_interrupt();
	w->irqs_off = arch_irqs_disabled();
	w->cpu = smp_processor_id();
}

static void smp_call_single_runs_on_target(struct ktest *t)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct where_ran w = { .cpu = -1 };

		smp_call_function_single(cpu, record_where, &w, true);
		KT_EXPECT_EQ(t, w.cpu, cpu);
		KT_EXPECT_TRUE(t, w.irqs_off);
		/* On another CPU, fn runs in its IPI handler. */
		if (cpu != smp_processor_id())
			KT_EXPECT_TRUE(t, w.hardirq);
	}
}

static volatile int hits[NR_CPUS];

static void count_hit(void *arg)
{
	__sync_fetch_and_add(&hits[smp_processor_id()], 1);
}

static void smp_on_each_cpu_once(struct ktest *t)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		hits[cpu] = 0;
	on_each_cpu(count_hit, NULL, true);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		KT_EXPECT_EQ(t, hits[cpu], cpu_is_online(cpu) ? 1 : 0);
}

static void smp_call_many_skips_self(struct ktest *t)
{
	unsigned int cpu, me = smp_processor_id();

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		hits[cpu] = 0;
	smp_call_function_many(cpu_online_mask(), count_hit, NULL, true);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		KT_EXPECT_EQ(t, hits[cpu],
			     cpu_is_online(cpu) && cpu != me ? 1 : 0);
}

static void set_flag(void *arg)
{
	*(volatile int *)arg = 1;
}

static void smp_call_async_completes(struct ktest *t)
{
	static volatile int done[NR_CPUS];
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		done[cpu] = 0;
		smp_call_function_single(cpu, set_flag, (void *)&done[cpu],
					 false);
	}
	for_each_online_cpu(cpu)
		KT_EXPECT_TRUE(t, kt_spin_until_set(&done[cpu], 1000));
}

/*
 * Do the IPIs sent since (sent0, recv0) and those handled since match?
 * A sender counts its IPI just after sending it, so for a moment one
 * may be handled before it is sent; waited for until they match, the
 * counts agree once every IPI has landed, and only an IPI lost or
 * merged with another (or one nobody counted as sent) keeps them apart.
 */
static bool ipis_balance(unsigned long sent0, unsigned long recv0)
{
	unsigned long sent, recv;

	sum_ipis(&sent, &recv);
	return recv - recv0 == sent - sent0;
}

static void smp_ipi_counters_match(struct ktest *t)
{
	unsigned long sent0, recv0, sent1, recv1;
	unsigned int cpu, others = num_online_cpus() - 1;

	/* Since boot, every IPI sent has been handled, and no more. */
	if (!KT_WAIT_UNTIL(t, ipis_balance(0, 0)))
		return;
	sum_ipis(&sent0, &recv0);
	for (int round = 0; round < 20; round++) {
		on_each_cpu(count_hit, NULL, round & 1);
		for_each_online_cpu(cpu)
			smp_send_reschedule(cpu);
	}
	/*
	 * The asynchronous calls and reschedules land when their CPUs run,
	 * which on a loaded host may be many milliseconds away: wait for
	 * them by count. One never handled fails the wait by name.
	 */
	if (!KT_WAIT_UNTIL(t, ipis_balance(sent0, recv0)))
		return;
	sum_ipis(&sent1, &recv1);
	/*
	 * Each asynchronous round finds every queue empty (the waiting
	 * round before it has been run), so it sends each other CPU an
	 * IPI; a waiting round may find the last one's call still queued,
	 * and a reschedule one still pending, and send nothing.
	 */
	if (others)
		KT_EXPECT_GE(t, sent1 - sent0, 10 * others);
	else
		KT_EXPECT_GE(t, sent1 - sent0, 1); /* resched to self */
}

/*
 * With every CPU QEMU was given online (and at least two others),
 * on_each_cpu and flush_tlb_all reach the others with one broadcast IPI
 * each. With one missing (the smp4-deaf row: it never answered its
 * start-up) they must send one IPI per online CPU: the broadcast would
 * reach that CPU too, an IPI nobody counted as sent. Either way each
 * online CPU runs fn once, and the counts balance.
 */
static void smp_broadcast_only_when_all_online(struct ktest *t)
{
	unsigned long b0, b1, sent0, recv0, sent1, recv1;
	unsigned int cpu, me;
	bool expect_broadcast;

	if (!ktest_config.expect_cpus || num_online_cpus() < 2) {
		kt_skip(t, "needs ktest.expect_cpus and two CPUs");
		return;
	}
	expect_broadcast = num_online_cpus() == ktest_config.expect_cpus &&
			   num_online_cpus() >= 3;
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		hits[cpu] = 0;
	preempt_disable(); /* no other task here adds a broadcast */
	me = smp_processor_id();
	b0 = percpu_areas[me].ipi_broadcasts;
	sum_ipis(&sent0, &recv0);
	on_each_cpu(count_hit, NULL, true);
	flush_tlb_all();
	b1 = percpu_areas[me].ipi_broadcasts;
	preempt_enable();
	mdelay(20);
	sum_ipis(&sent1, &recv1);
	kt_diag(t, "%u of %u CPUs online: %lu broadcasts", num_online_cpus(),
		ktest_config.expect_cpus, b1 - b0);
	KT_EXPECT_EQ(t, b1 - b0, expect_broadcast ? 2 : 0);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		KT_EXPECT_EQ(t, hits[cpu], cpu_is_online(cpu) ? 1 : 0);
	KT_EXPECT_EQ(t, sent1 - sent0, recv1 - recv0);
}

static void smp_reschedule_ipi_arrives(struct ktest *t)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		unsigned long before =
			READ_ONCE(percpu_areas[cpu].ipi_received);
		unsigned int ms;

		smp_send_reschedule(cpu);
		for (ms = 0; ms < 1000; ms++) {
			if (READ_ONCE(percpu_areas[cpu].ipi_received) != before)
				break;
			udelay(1000);
		}
		KT_EXPECT_LT(t, ms, 1000);
	}
}

static void smp_wait_with_irqs_off_warns(struct ktest *t)
{
	unsigned long warnings = warn_count();
	unsigned long flags = arch_irq_save();
	struct where_ran w = { .cpu = -1 };

	/* To this CPU: the call itself is safe; the rule still warns. */
	smp_call_function_single(smp_processor_id(), record_where, &w, true);
	arch_irq_restore(flags);
	KT_EXPECT_EQ(t, w.cpu, smp_processor_id());
	KT_EXPECT_EQ(t, warn_count(), warnings + 1);
}

static void smp_legacy_timer_irq_routed(struct ktest *t)
{
	if (!arch_timer_has_legacy_irq()) {
		kt_skip(t, "the firmware named no interrupt controller for "
			   "the legacy timer (no ACPI MADT or no IOAPIC)");
		return;
	}
	KT_EXPECT_TRUE(t, arch_timer_check_legacy_irq());
}

/*
 * Two CPUs each send the other two asynchronous calls with interrupts
 * off. The contract allows it (only a waiting call needs interrupts on)
 * and says an asynchronous call returns at once; but the second call
 * must claim the csd the first still holds at a CPU that, interrupts
 * off too, cannot run it.
 */
struct async_pair {
	unsigned int cpu[2];
	volatile int arrived, left;
};

static void do_nothing(void *arg)
{
}

static int async_twice_irqs_off(void *arg)
{
	struct async_pair *p = arg;
	unsigned int me = smp_processor_id();
	unsigned int other = p->cpu[0] == me ? p->cpu[1] : p->cpu[0];
	unsigned long flags = arch_irq_save();

	__sync_fetch_and_add(&p->arrived, 1);
	while (READ_ONCE(p->arrived) < 2)
		arch_cpu_relax();
	smp_call_function_single(other, do_nothing, NULL, false);
	smp_call_function_single(other, do_nothing, NULL, false);
	__sync_fetch_and_add(&p->left, 1);
	arch_irq_restore(flags);
	return 0;
}

static void smp_async_calls_with_irqs_off_both_ways(struct ktest *t)
{
	struct async_pair p = { .cpu = { smp_processor_id(), 0 } };
	unsigned long sent0, recv0;
	struct task *a, *b;
	unsigned int c;

	for (c = 0; c < NR_CPUS; c++)
		if (c != p.cpu[0] && cpu_is_online(c))
			break;
	if (c == NR_CPUS) {
		kt_skip(t, "one CPU online");
		return;
	}
	p.cpu[1] = c;
	sum_ipis(&sent0, &recv0);
	a = kthread_create(async_twice_irqs_off, &p, "async_a");
	b = kthread_create(async_twice_irqs_off, &p, "async_b");
	KT_ASSERT_NOT_NULL(t, a);
	KT_ASSERT_NOT_NULL(t, b);
	kthread_bind(a, p.cpu[0]);
	kthread_bind(b, p.cpu[1]);
	/*
	 * b first: a shares this CPU with the case, which stays on it
	 * (the boot task is bound to CPU 0). Started first, a could take
	 * the CPU at once and spin there, interrupts off, for a b the case
	 * could then never start: a hang in one make test of ten.
	 */
	kthread_start(b);
	kthread_start(a);
	kthread_join(a);
	kthread_join(b);
	KT_EXPECT_EQ(t, p.left, 2);
	/*
	 * Each CPU ran the other's first call by hand while its IPI for
	 * that call was still pending there; the second call must not send
	 * another (the APIC would merge the two, one IPI handled for two
	 * sent): the counts must still balance.
	 */
	(void)KT_WAIT_UNTIL(t, ipis_balance(sent0, recv0));
}

/*
 * A waiting call returns only once fn has finished on the target. fn
 * here takes SLOW_CALL_MS, and stops early if it sees the caller back:
 * a caller released when fn starts (not when it ends) either finds fn
 * unfinished or is seen back by fn. Only a caller stalled by the host
 * for the whole SLOW_CALL_MS could miss it, so the bound is generous.
 */
#define SLOW_CALL_MS 50

struct slow_call {
	volatile int returned; /* the caller is back from its call */
	volatile int done;     /* fn has finished */
	volatile int saw_return;
};

static void slow_fn(void *arg)
{
	struct slow_call *s = arg;

	for (unsigned int i = 0; i < SLOW_CALL_MS * 10; i++) {
		if (READ_ONCE(s->returned))
			break;
		udelay(100);
	}
	s->saw_return = READ_ONCE(s->returned);
	WRITE_ONCE(s->done, 1);
}

static void smp_call_wait_returns_after_fn(struct ktest *t)
{
	static struct slow_call s;
	unsigned int cpu = kt_other_cpu();
	int done_at_return;

	if (cpu == smp_processor_id()) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	s = (struct slow_call){ 0 };
	smp_call_function_single(cpu, slow_fn, &s, true);
	done_at_return = READ_ONCE(s.done);
	WRITE_ONCE(s.returned, 1);
	/*
	 * If the wait let go early, fn is still running, and the target
	 * will still release the csd: a write into the call's stack frame,
	 * dead now, below ours. Until then make no call, which would put a
	 * frame there: spin, bounded by a count, not a clock.
	 */
	for (unsigned long i = 0; i < (1ul << 30) && !READ_ONCE(s.done); i++)
		arch_cpu_relax();
	for (unsigned int i = 0; i < (1u << 16); i++)
		arch_cpu_relax();
	KT_EXPECT_TRUE(t, done_at_return);
	KT_EXPECT_FALSE(t, s.saw_return);
}

/*
 * A call to some of the other CPUs, not all, must not be sent as the
 * all-but-self broadcast: that would interrupt the CPUs left out, with
 * an IPI nobody counted as sent. Needs three other CPUs, all online,
 * so that the broadcast would be used for all of them.
 */
static void smp_call_many_subset_sends_no_broadcast(struct ktest *t)
{
	unsigned long b0, b1, sent0, recv0, sent1, recv1;
	unsigned int cpu, me, picked = 0;
	cpumask_t mask = 0;

	if (num_online_cpus() < 4 ||
	    num_online_cpus() != ktest_config.expect_cpus) {
		kt_skip(t, "needs ktest.expect_cpus and four CPUs, all online");
		return;
	}
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		hits[cpu] = 0;
	preempt_disable(); /* me stays me; no other task here sends */
	me = smp_processor_id();
	for_each_online_cpu(cpu)
		if (cpu != me && picked < 2) {
			mask |= CPU_MASK(cpu);
			picked++;
		}
	b0 = percpu_areas[me].ipi_broadcasts;
	sum_ipis(&sent0, &recv0);
	smp_call_function_many(mask, count_hit, NULL, true);
	b1 = percpu_areas[me].ipi_broadcasts;
	preempt_enable();
	mdelay(20); /* let a stray IPI land, so the counts show it */
	sum_ipis(&sent1, &recv1);
	kt_diag(t,
		"mask %#x from CPU %u: %lu broadcasts, %lu IPIs sent, "
		"%lu received",
		mask, me, b1 - b0, sent1 - sent0, recv1 - recv0);
	KT_EXPECT_EQ(t, b1 - b0, 0);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		KT_EXPECT_EQ(t, hits[cpu], (mask & CPU_MASK(cpu)) ? 1 : 0);
	KT_EXPECT_EQ(t, sent1 - sent0, recv1 - recv0);
}

static const struct ktest_case smp_cases[] = {
	KTEST_CASE(smp_expected_cpus_online),
	KTEST_CASE(smp_hw_ids_distinct),
	KTEST_CASE(smp_percpu_areas_distinct),
	KTEST_CASE(smp_ticks_advance),
	KTEST_CASE(smp_tick_keeps_time_with_the_clock),
	KTEST_CASE(smp_call_single_runs_on_target),
	KTEST_CASE(smp_on_each_cpu_once),
	KTEST_CASE(smp_call_many_skips_self),
	KTEST_CASE(smp_call_async_completes),
	KTEST_CASE(smp_ipi_counters_match),
	KTEST_CASE(smp_broadcast_only_when_all_online),
	KTEST_CASE(smp_reschedule_ipi_arrives),
	KTEST_CASE(smp_wait_with_irqs_off_warns),
	KTEST_CASE(smp_async_calls_with_irqs_off_both_ways),
	KTEST_CASE(smp_legacy_timer_irq_routed),
	KTEST_CASE(smp_call_wait_returns_after_fn),
	KTEST_CASE(smp_async_call_waits_for_its_csd),
	KTEST_CASE(smp_async_csd_reused_while_its_function_runs),
	KTEST_CASE(smp_call_many_subset_sends_no_broadcast),
};
KTEST_SUITE(smp, smp_cases);
