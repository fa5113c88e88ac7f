/*
 * ktest: the in-kernel test framework (docs/testing.rst).
 *
 * A test case is a function taking a struct ktest *; a suite is an
 * array of cases, registered with KTEST_SUITE, which drops it into the
 * .ktest_suites linker section: there is no central list. After boot
 * the kernel runs the suites ktest=GLOB selects and prints KTAP v1.
 *
 *	static void pmm_alloc_returns_highmem(struct ktest *t)
 *	{
 *		struct page *p = alloc_page(GFP_HIGHUSER);
 *
 *		KT_ASSERT_NOT_NULL(t, p);
 *		KT_EXPECT_TRUE(t, PageHighMem(p));
 *		free_page(p);
 *	}
 *
 *	static const struct ktest_case pmm_cases[] = {
 *		KTEST_CASE(pmm_alloc_returns_highmem),
 *	};
 *	KTEST_SUITE(pmm, pmm_cases);
 *
 * KT_EXPECT_* records a failure and carries on; KT_ASSERT_* records it
 * and returns from the test function. Both print the file, line, the
 * expression and both values as KTAP diagnostics.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include <kernel/compiler.h>
#include <kernel/time.h>
#include <lib/random.h>

struct ktest {
	const char *suite;
	const char *name;
	bool failed;
	bool skipped;
	char skip_reason[96];
	struct rng rng; /* seeded from ktest.seed and the name */
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	unsigned int nr_cases;
};

#define KTEST_CASE(fn)  \
	{               \
#fn, fn \
	}

/*
 * Register the array of cases @cases as the suite @sname: the suite goes
 * into the .ktest_suites section, where ktest_run_all() finds it.
 */
#define KTEST_SUITE(sname, cases)                                    \
	static const struct ktest_suite __ktest_suite_##sname __used \
		__section(".ktest_suites")                           \
			__aligned(4) = { #sname, cases, ARRAY_SIZE(cases) }

/* Settings from the command line (ktest.*). */
struct ktest_config {
	const char *glob;	  /* ktest=GLOB; NULL: run nothing */
	uint64_t seed;		  /* ktest.seed=N */
	unsigned int stress_ops;  /* ktest.stress_ops=N: per stress worker */
	unsigned int wait_s;	  /* ktest.wait_s=N: KT_WAIT_UNTIL's bound */
	bool exit;		  /* ktest.exit=1 */
	uint64_t expect_mem;	  /* ktest.expect_mem=SIZE, 0 if not given */
	unsigned int expect_cpus; /* ktest.expect_cpus=N, 0 if not given */
};

extern struct ktest_config ktest_config;

/* Run the selected suites; returns true if nothing failed. */
bool ktest_run_all(void);

/*
 * With ktest.exit=1, leave the emulator with this code, or if it has
 * no exit device, say so and power off (never returns then); without
 * ktest.exit=1, return.
 */
void ktest_emulator_exit(uint8_t code);

/* Mark the running case skipped (then return from it). */
void kt_skip(struct ktest *t, const char *fmt, ...) __printf(2, 3);

/* Print a "# " diagnostic line inside the current case's block. */
void kt_diag(struct ktest *t, const char *fmt, ...) __printf(2, 3);

void __kt_fail(struct ktest *t, const char *file, int line, const char *kind,
	       const char *fmt, ...) __printf(5, 6);

/*
 * Bounded waits. A test that waits for another thread or CPU must not
 * wait forever (a hang tells nobody what went wrong) nor sleep a fixed
 * time and hope (on a loaded host the other side may not have run
 * yet). KT_WAIT_UNTIL polls a condition, yielding between polls until
 * its CPU's clock has ticked once, then sleeping a tick between polls;
 * KT_WAIT_UNTIL_YIELD yields instead, for a waiter that must stay
 * runnable; KT_WAIT_UNTIL_SPIN only relaxes, for a waiter that must
 * keep its CPU (an interrupt has to land on top of it). Each is an
 * expression: true once the condition holds. The
 * bound is a watchdog on the waiting CPU's own tick (not jiffies, which
 * only CPU 0 advances): ktest.wait_s seconds of them (15 by default),
 * far more than any wait here needs, and less than the runner's
 * timeout, so the case FAILS with the file, line and condition text
 * instead of the run being killed. Then it returns false: clean up and
 * return. The runner stretches ktest.wait_s with the host's load, as it
 * stretches its own timeout: under TCG a guest tick is host time, and
 * four vCPUs on a host whose two cores are busy elsewhere do a fifth of
 * the work in it.
 * Context: preemptible (sleep, yield); spin: any, interrupts on.
 *
 *	kthread_start(th);
 *	if (!KT_WAIT_UNTIL(t, READ_ONCE(w.ready)))
 *		goto out;
 */

struct kt_wait {
	const char *cond; /* the condition as written */
	const char *file;
	int line;
	enum kt_wait_how {
		KT_WAIT_SLEEP,
		KT_WAIT_YIELD,
		KT_WAIT_SPIN
	} how;
	unsigned int cpu; /* the CPU whose clock was read last */
	uint64_t clock;	  /* its tick count then */
	uint64_t ticks;	  /* ticks seen on the waiting CPU(s) */
	unsigned long polls;
};

/* One pause between polls; false (and the case failed) past the bound. */
bool kt_wait_poll(struct ktest *t, struct kt_wait *w);

#define __KT_WAIT(t, c, pause)                                   \
	({                                                       \
		struct kt_wait __w = { .cond = #c,               \
				       .file = __FILE__,         \
				       .line = __LINE__,         \
				       .how = (pause),           \
				       .cpu = -1u };             \
		bool __ok;                                       \
		while (!(__ok = !!(c)) && kt_wait_poll(t, &__w)) \
			;                                        \
		__ok;                                            \
	})

#define KT_WAIT_UNTIL(t, c)	  __KT_WAIT(t, c, KT_WAIT_SLEEP)
#define KT_WAIT_UNTIL_YIELD(t, c) __KT_WAIT(t, c, KT_WAIT_YIELD)
#define KT_WAIT_UNTIL_SPIN(t, c)  __KT_WAIT(t, c, KT_WAIT_SPIN)

#define __KT_CHECK_BOOL(t, expr, want, kind, on_fail)            \
	do {                                                     \
		if (unlikely((!!(expr)) != (want))) {            \
			__kt_fail(t, __FILE__, __LINE__, kind,   \
				  "Expected %s to be %s", #expr, \
				  (want) ? "true" : "false");    \
			on_fail;                                 \
		}                                                \
	} while (0)

#define __KT_CHECK_OP(t, a, op, b, kind, on_fail)                           \
	do {                                                                \
		long long __a = (long long)(a), __b = (long long)(b);       \
		if (unlikely(!(__a op __b))) {                              \
			__kt_fail(t, __FILE__, __LINE__, kind,              \
				  "Expected %s " #op " %s, but\n"           \
				  "#   %s == %lld (%#llx)\n"                \
				  "#   %s == %lld (%#llx)",                 \
				  #a, #b, #a, __a, (unsigned long long)__a, \
				  #b, __b, (unsigned long long)__b);        \
			on_fail;                                            \
		}                                                           \
	} while (0)

#define __KT_EXPECT ("EXPECTATION FAILED")
#define __KT_ASSERT ("ASSERTION FAILED")

#define KT_EXPECT_TRUE(t, e)  __KT_CHECK_BOOL(t, e, true, __KT_EXPECT, (void)0)
#define KT_EXPECT_FALSE(t, e) __KT_CHECK_BOOL(t, e, false, __KT_EXPECT, (void)0)
#define KT_EXPECT_EQ(t, a, b) __KT_CHECK_OP(t, a, ==, b, __KT_EXPECT, (void)0)
#define KT_EXPECT_NE(t, a, b) __KT_CHECK_OP(t, a, !=, b, __KT_EXPECT, (void)0)
#define KT_EXPECT_LT(t, a, b) __KT_CHECK_OP(t, a, <, b, __KT_EXPECT, (void)0)
#define KT_EXPECT_LE(t, a, b) __KT_CHECK_OP(t, a, <=, b, __KT_EXPECT, (void)0)
#define KT_EXPECT_GT(t, a, b) __KT_CHECK_OP(t, a, >, b, __KT_EXPECT, (void)0)
#define KT_EXPECT_GE(t, a, b) __KT_CHECK_OP(t, a, >=, b, __KT_EXPECT, (void)0)
#define KT_EXPECT_NOT_NULL(t, p) \
	__KT_CHECK_BOOL(t, (p) != NULL, true, __KT_EXPECT, (void)0)

#define KT_ASSERT_TRUE(t, e)  __KT_CHECK_BOOL(t, e, true, __KT_ASSERT, return )
#define KT_ASSERT_FALSE(t, e) __KT_CHECK_BOOL(t, e, false, __KT_ASSERT, return )
#define KT_ASSERT_EQ(t, a, b) __KT_CHECK_OP(t, a, ==, b, __KT_ASSERT, return )
#define KT_ASSERT_NE(t, a, b) __KT_CHECK_OP(t, a, !=, b, __KT_ASSERT, return )
#define KT_ASSERT_LT(t, a, b) __KT_CHECK_OP(t, a, <, b, __KT_ASSERT, return )
#define KT_ASSERT_LE(t, a, b) __KT_CHECK_OP(t, a, <=, b, __KT_ASSERT, return )
#define KT_ASSERT_GT(t, a, b) __KT_CHECK_OP(t, a, >, b, __KT_ASSERT, return )
#define KT_ASSERT_GE(t, a, b) __KT_CHECK_OP(t, a, >=, b, __KT_ASSERT, return )
#define KT_ASSERT_NOT_NULL(t, p) \
	__KT_CHECK_BOOL(t, (p) != NULL, true, __KT_ASSERT, return )

/* Fail the case with a message of its own (file and line added). */
#define KT_FAIL(t, fmt, ...) \
	__kt_fail(t, __FILE__, __LINE__, __KT_EXPECT, fmt, ##__VA_ARGS__)

/*
 * A planted misuse got exactly its report: one WARN() since warn_count()
 * read `since`, and its reason names `needle`.
 *
 *	unsigned long warns = warn_count();
 *	kthread_bind(t, 99);			// the misuse under test
 *	KT_EXPECT_WARNED(t, warns, "CPU 99");
 */
#define KT_EXPECT_WARNED(t, since, needle) \
	__kt_expect_warned(t, __FILE__, __LINE__, since, needle)
void __kt_expect_warned(struct ktest *t, const char *file, int line,
			unsigned long since, const char *needle);

#endif
