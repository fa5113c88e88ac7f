/*
 * Suite "lockdep": plant each bug the lock validator exists to find,
 * and check it reported exactly that, once (include/kernel/lockdep.h).
 *
 * No planted bug ever deadlocks: the two orders of an inversion are
 * taken one after the other on one CPU, the interrupt handler takes its
 * lock while nobody holds it. That is the point of lockdep: the order
 * alone is the bug. Every planted lock is named planted_* (the runner
 * accepts reports about those only) and is forgotten by lockdep when
 * its case ends, so a second run reports again and the order graph
 * printed at the end holds only the kernel's own locks.
 */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/ktest.h>
#include <kernel/lockdep.h>
#include <kernel/mutex.h>
#include <kernel/panic.h>
#include <kernel/spinlock.h>

#define PLANT_IRQ_VECTOR (FIRST_EXTERNAL_VECTOR + 0x21)
#define IRQ_WAIT_ROUNDS	 10000000u

static bool lockdep_needed(struct ktest *t)
{
	if (lockdep_enabled())
		return true;
	kt_skip(t, "lockdep is off (lockdep=0)");
	return false;
}

/* Take a then b, and let them go. */
static void take_in_order(spinlock_t *a, spinlock_t *b)
{
	spin_lock(a);
	spin_lock(b);
	spin_unlock(b);
	spin_unlock(a);
}

/* A then B, later B then A: reported once, naming both. */
static void lockdep_ab_ba_inversion_reported(struct ktest *t)
{
	static spinlock_t a, b;
	unsigned long warns, reports;

	if (!lockdep_needed(t))
		return;
	spin_lock_init(&a, "planted_ab_a");
	spin_lock_init(&b, "planted_ab_b");
	take_in_order(&a, &b);
	warns = warn_count();
	reports = lockdep_report_count();
	take_in_order(&b, &a);
	KT_EXPECT_WARNED(t, warns,
			 "lockdep: lock order inversion: "
			 "planted_ab_b -> planted_ab_a closes a cycle");
	KT_EXPECT_EQ(t, lockdep_report_count() - reports, 1);
	/* Known now: the same inversion again is not a new report. */
	warns = warn_count();
	take_in_order(&b, &a);
	KT_EXPECT_EQ(t, warn_count(), warns);
	lockdep_forget(&a.dep);
	lockdep_forget(&b.dep);
}

/* A cycle through a third lock: A -> B, B -> C, then C -> A. */
static void lockdep_three_lock_cycle_reported(struct ktest *t)
{
	static spinlock_t a, b, c;
	unsigned long warns;

	if (!lockdep_needed(t))
		return;
	spin_lock_init(&a, "planted_abc_a");
	spin_lock_init(&b, "planted_abc_b");
	spin_lock_init(&c, "planted_abc_c");
	take_in_order(&a, &b);
	take_in_order(&b, &c);
	warns = warn_count();
	take_in_order(&c, &a);
	KT_EXPECT_WARNED(t, warns,
			 "lockdep: lock order inversion: "
			 "planted_abc_c -> planted_abc_a closes a cycle");
	lockdep_forget(&a.dep);
	lockdep_forget(&b.dep);
	lockdep_forget(&c.dep);
}

/*
 * What lockdep_forget() promises the cases above: once a class is
 * forgotten, its orders are learnt afresh, so the same inversion
 * planted again (a second run of this suite from the monitor, say) is
 * reported again.
 */
static void lockdep_forgotten_inversion_reported_again(struct ktest *t)
{
	static spinlock_t a, b;

	if (!lockdep_needed(t))
		return;
	spin_lock_init(&a, "planted_again_a");
	spin_lock_init(&b, "planted_again_b");
	for (int round = 0; round < 2; round++) {
		unsigned long reports = lockdep_report_count();

		take_in_order(&a, &b);
		take_in_order(&b, &a);
		KT_EXPECT_EQ(t, lockdep_report_count() - reports, 1);
		lockdep_forget(&a.dep);
		lockdep_forget(&b.dep);
	}
}

/* The same order every time is no bug: not a word. */
static void lockdep_consistent_order_silent(struct ktest *t)
{
	static spinlock_t a, b;
	unsigned long warns = warn_count(), reports = lockdep_report_count();

	if (!lockdep_needed(t))
		return;
	spin_lock_init(&a, "planted_same_a");
	spin_lock_init(&b, "planted_same_b");
	take_in_order(&a, &b);
	take_in_order(&a, &b);
	KT_EXPECT_EQ(t, warn_count(), warns);
	KT_EXPECT_EQ(t, lockdep_report_count(), reports);
	lockdep_forget(&a.dep);
	lockdep_forget(&b.dep);
}

static spinlock_t irq_planted;
static volatile bool irq_took_lock;

static void plant_irq_handler(struct arch_regs *regs)
{
	spin_lock(&irq_planted);
	spin_unlock(&irq_planted);
	irq_took_lock = true;
}

/*
 * A lock taken with interrupts on, and in an interrupt handler: had the
 * handler come while its own CPU held it, it would spin for ever.
 */
static void lockdep_irq_unsafe_class_reported(struct ktest *t)
{
	unsigned long warns;
	unsigned int rounds = 0;

	if (!lockdep_needed(t))
		return;
	spin_lock_init(&irq_planted, "planted_irq_unsafe");
	KT_ASSERT_FALSE(t, arch_irqs_disabled());
	spin_lock(&irq_planted); /* interrupts on: the bug */
	spin_unlock(&irq_planted);
	warns = warn_count();
	irq_took_lock = false;
	arch_set_interrupt_handler(PLANT_IRQ_VECTOR, plant_irq_handler);
	arch_raise_interrupt(PLANT_IRQ_VECTOR);
	while (!READ_ONCE(irq_took_lock) && ++rounds < IRQ_WAIT_ROUNDS)
		arch_cpu_relax();
	KT_ASSERT_TRUE(t, irq_took_lock); /* the handler never ran */
	KT_EXPECT_WARNED(t, warns,
			 "lockdep: irq-unsafe lock "
			 "planted_irq_unsafe: taken in an interrupt handler");
	lockdep_forget(&irq_planted.dep);
}

/*
 * mutex_lock() may sleep; with a spinlock held it must not. The mutex
 * is free, so nothing sleeps here: the report is about what could.
 */
static void lockdep_sleep_holding_spinlock_reported(struct ktest *t)
{
	static spinlock_t lock;
	static struct mutex m;
	unsigned long warns;

	if (!lockdep_needed(t))
		return;
	spin_lock_init(&lock, "planted_sleep_spin");
	mutex_init(&m, "planted_sleep_mutex");
	warns = warn_count();
	spin_lock(&lock);
	mutex_lock(&m);
	mutex_unlock(&m);
	spin_unlock(&lock);
	KT_EXPECT_WARNED(t, warns,
			 "may sleep while holding spinlock "
			 "planted_sleep_spin");
	lockdep_forget(&lock.dep);
	lockdep_forget(&m.dep);
}

static const struct ktest_case lockdep_cases[] = {
	KTEST_CASE(lockdep_ab_ba_inversion_reported),
	KTEST_CASE(lockdep_three_lock_cycle_reported),
	KTEST_CASE(lockdep_forgotten_inversion_reported_again),
	KTEST_CASE(lockdep_consistent_order_silent),
	KTEST_CASE(lockdep_irq_unsafe_class_reported),
	KTEST_CASE(lockdep_sleep_holding_spinlock_reported),
};
KTEST_SUITE(lockdep, lockdep_cases);
