/*
 * The test runner: selects suites and cases by glob, runs them, prints
 * KTAP version 1 on the console and, with ktest.exit=1, leaves QEMU
 * with 0x10 (all passed) or 0x11 (something failed).
 *
 * KTAP shape (Linux Documentation/dev-tools/ktap.rst):
 *
 *   KTAP version 1
 *   1..2
 *     KTAP version 1
 *     # Subtest: pmm
 *     1..3
 *     ok 1 pmm_exhaust_lowmem
 *     # pmm_double_free: EXPECTATION FAILED at tests/test_pmm.c:40
 *     # Expected ...
 *     not ok 2 pmm_double_free
 *     ok 3 pmm_above_4g # SKIP no RAM above 4 GiB
 *   not ok 1 pmm
 */
#include <arch/cpu.h>
#include <kernel/cmdline.h>
#include <kernel/emulator_exit.h>
#include <kernel/ktest.h>
#include <kernel/lockdep.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/format.h>
#include <lib/glob.h>
#include <lib/parse.h>
#include <lib/string.h>

extern const struct ktest_suite __ktest_suites_start[];
extern const struct ktest_suite __ktest_suites_end[];

struct ktest_config ktest_config = { .seed = 1,
				     .stress_ops = 500,
				     .wait_s = 15 };

/* A refused value must change nothing: check before storing. */
static bool set_glob(const char *val)
{
	if (!*val)
		return false;
	ktest_config.glob = strcmp(val, "none") ? val : NULL;
	return true;
}
DEFINE_PARAM(
	"ktest", set_glob,
	"globs of suites or suite.case, comma-separated: all, none, kmap*");

static bool set_seed(const char *val)
{
	return parse_u64(val, &ktest_config.seed);
}
DEFINE_PARAM("ktest.seed", set_seed, "a number");

static bool set_u32(const char *val, unsigned int *out, uint64_t max)
{
	uint64_t v;

	if (!parse_u64(val, &v) || v > max)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* As set_u32, from 1 to max: *out is left alone if val is refused. */
static bool set_u32_nonzero(const char *val, unsigned int *out, uint64_t max)
{
	unsigned int v;

	if (!set_u32(val, &v, max) || !v)
		return false;
	*out = v;
	return true;
}

/*
 * Stress tests are bounded by work, never by time: a loaded host then
 * makes them slower, not shorter, and a run checks the same amount
 * whatever the host is doing.
 */
static bool set_stress_ops(const char *val)
{
	return set_u32_nonzero(val, &ktest_config.stress_ops, 1000000);
}
DEFINE_PARAM("ktest.stress_ops", set_stress_ops,
	     "operations per stress worker, 1 to 1000000");

/* The watchdog of every KT_WAIT_UNTIL (include/kernel/ktest.h). */
static bool set_wait_s(const char *val)
{
	return set_u32_nonzero(val, &ktest_config.wait_s, 600);
}
DEFINE_PARAM("ktest.wait_s", set_wait_s,
	     "seconds a KT_WAIT_UNTIL waits before it fails, 1 to 600");

static bool set_exit(const char *val)
{
	unsigned int v;

	if (!set_u32(val, &v, 1))
		return false;
	ktest_config.exit = v;
	return true;
}
DEFINE_PARAM("ktest.exit", set_exit, "0 or 1");

static bool set_expect_mem(const char *val)
{
	return parse_size(val, &ktest_config.expect_mem);
}
DEFINE_PARAM("ktest.expect_mem", set_expect_mem, "a size, e.g. 512M or 8G");

static bool set_expect_cpus(const char *val)
{
	return set_u32(val, &ktest_config.expect_cpus, 64);
}
DEFINE_PARAM("ktest.expect_cpus", set_expect_cpus, "a CPU count");

/*
 * Leave the emulator through its exit device. Without one (Bochs,
 * or hardware) the write does nothing: say so, since the runner's
 * verdict now comes from the log alone, then turn the machine off,
 * or at least stop it, rather than fall through to the prompt.
 */
void ktest_emulator_exit(uint8_t code)
{
	if (!ktest_config.exit)
		return;
	arch_emulator_exit(code);
	printk(KERN_EMERG "ktest: ktest.exit=1, but exit code %#x did not "
			  "end the emulator (no exit device?): powering off\n",
	       code);
	arch_power_off();
}

void kt_diag(struct ktest *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_report("  # %s: %s\n", t->name, buf);
}

void kt_skip(struct ktest *t, const char *fmt, ...)
{
	va_list ap;

	t->skipped = true;
	va_start(ap, fmt);
	vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
	va_end(ap);
}

void __kt_fail(struct ktest *t, const char *file, int line, const char *kind,
	       const char *fmt, ...)
{
	char buf[384];
	va_list ap;

	t->failed = true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_report("  # %s: %s at %s:%d\n", t->name, kind, file, line);
	/* Multi-line messages: each line is its own diagnostic. */
	for (char *line_start = buf, *nl;; line_start = nl + 1) {
		nl = strchr(line_start, '\n');
		if (nl)
			*nl = '\0';
		pr_report("  # %s\n",
			  line_start[0] == '#'
				  ? line_start + 1 + (line_start[1] == ' ')
				  : line_start);
		if (!nl)
			break;
	}
}

void __kt_expect_warned(struct ktest *t, const char *file, int line,
			unsigned long since, const char *needle)
{
	unsigned long fired = warn_count() - since;

	if (fired != 1)
		__kt_fail(t, file, line, __KT_EXPECT,
			  "Expected exactly one warning naming \"%s\", "
			  "but %lu fired",
			  needle, fired);
	else if (!warn_last_contains(needle))
		__kt_fail(t, file, line, __KT_EXPECT,
			  "Expected the warning to name \"%s\", but it "
			  "did not (see the WARNING line above)",
			  needle);
}

/*
 * The watchdog counts ticks of the CPU the waiter runs on, read at each
 * poll. A waiter that moved to another CPU starts counting afresh from
 * that CPU's clock: the clocks of two CPUs are not comparable.
 */
static void kt_wait_count_ticks(struct kt_wait *w)
{
	unsigned int cpu = smp_processor_id();
	uint64_t now = sched_clock_ticks(cpu);

	if (cpu == w->cpu)
		w->ticks += now - w->clock;
	w->cpu = cpu;
	w->clock = now;
}

/*
 * A sleeping or yielding wait needs a context that may switch; every
 * wait needs the tick, or its watchdog never advances and the wait
 * would be the hang it exists to prevent. Misuse fails the case now.
 */
static bool kt_wait_context_ok(struct ktest *t, const struct kt_wait *w)
{
	const char *why = NULL;

	if (arch_irqs_disabled())
		why = "interrupts off: no tick to bound it";
	else if (w->how != KT_WAIT_SPIN && in_atomic())
		why = "atomic context: it cannot sleep or yield";
	if (why)
		__kt_fail(t, w->file, w->line, "WAIT MISUSED",
			  "Waiting for %s with %s", w->cond, why);
	return !why;
}

bool kt_wait_poll(struct ktest *t, struct kt_wait *w)
{
	if (!w->polls && !kt_wait_context_ok(t, w))
		return false;
	kt_wait_count_ticks(w);
	if (w->ticks >= (uint64_t)ktest_config.wait_s * HZ) {
		__kt_fail(t, w->file, w->line, "WAIT TIMED OUT",
			  "Waited %llu ticks of this CPU (%lu polls) for %s",
			  (unsigned long long)w->ticks, w->polls, w->cond);
		return false;
	}
	w->polls++;
	/*
	 * A sleeping wait yields until its CPU's clock has ticked once:
	 * most waits end within a millisecond, and a tick's sleep before
	 * each second look would make every wait (and so the suites) last
	 * as long as ticks, not as the work.
	 */
	if (w->how == KT_WAIT_SLEEP && w->ticks)
		msleep(1);
	else if (w->how == KT_WAIT_SLEEP)
		yield();
	else if (w->how == KT_WAIT_YIELD)
		yield();
	else
		arch_cpu_relax();
	return true;
}

/* Does one glob (no commas) select case c of suite s? */
static bool glob_selects(const char *glob, const struct ktest_suite *s,
			 const struct ktest_case *c)
{
	char full[96];

	if (!strchr(glob, '.'))
		return !strcmp(glob, "all") || glob_match(glob, s->name);
	snprintf(full, sizeof(full), "%s.%s", s->name, c->name);
	return glob_match(glob, full);
}

/* ktest=GLOB[,GLOB...]: a case runs if any of the globs selects it. */
static bool case_selected(const struct ktest_suite *s,
			  const struct ktest_case *c)
{
	const char *list = ktest_config.glob;
	char glob[64];
	size_t len;

	while (glob_list_next(&list, glob, sizeof(glob), &len))
		if (glob[0] && glob_selects(glob, s, c))
			return true;
	return false;
}

/*
 * A glob that selects nothing is almost always a typo (ktest=kmap_locl):
 * name it, or the run reports "0 passed, 0 failed" and looks clean. A
 * glob too long for case_selected()'s buffer never selects anything.
 */
static void warn_idle_globs(void)
{
	const char *list = ktest_config.glob, *p = list;
	char glob[64];
	size_t len;

	for (; glob_list_next(&list, glob, sizeof(glob), &len); p = list) {
		bool used = false;

		if (len >= sizeof(glob)) {
			pr_warn("ktest: glob '%.*s' is longer than %u characters: "
				"ignored\n",
				(int)len, p, (unsigned int)sizeof(glob) - 1);
			continue;
		}
		for (const struct ktest_suite *s = __ktest_suites_start;
		     s < __ktest_suites_end && !used; s++)
			for (unsigned int i = 0; i < s->nr_cases && !used; i++)
				used = glob_selects(glob, s, &s->cases[i]);
		if (!used)
			pr_warn("ktest: '%s' selects no test (suites are named "
				"like pmm or kmap_local, cases like "
				"pmm.pmm_double_free)\n",
				glob);
	}
}

static unsigned int suite_selected_cases(const struct ktest_suite *s)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->nr_cases; i++)
		n += case_selected(s, &s->cases[i]);
	return n;
}

/* A per-case seed: the run's seed mixed with the case's name. */
static uint64_t case_seed(const char *name)
{
	uint64_t h = ktest_config.seed ^ 0xcbf29ce484222325ull;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	return h;
}

static bool run_suite(const struct ktest_suite *s, unsigned int number,
		      unsigned int *passed, unsigned int *failed,
		      unsigned int *skipped)
{
	unsigned int n = 0;
	bool suite_ok = true;

	pr_report("  KTAP version 1\n  # Subtest: %s\n  1..%u\n", s->name,
		  suite_selected_cases(s));
	for (unsigned int i = 0; i < s->nr_cases; i++) {
		const struct ktest_case *c = &s->cases[i];
		struct ktest t = { .suite = s->name, .name = c->name };

		if (!case_selected(s, c))
			continue;
		rng_seed(&t.rng, case_seed(c->name));
		c->run(&t);
		n++;
		if (t.failed) {
			pr_report("  not ok %u %s\n", n, c->name);
			suite_ok = false;
			(*failed)++;
		} else if (t.skipped) {
			pr_report("  ok %u %s # SKIP %s\n", n, c->name,
				  t.skip_reason);
			(*skipped)++;
		} else {
			pr_report("  ok %u %s\n", n, c->name);
			(*passed)++;
		}
	}
	pr_report("%s %u %s\n", suite_ok ? "ok" : "not ok", number, s->name);
	return suite_ok;
}

bool ktest_run_all(void)
{
	unsigned int nsuites = 0, number = 0;
	unsigned int passed = 0, failed = 0, skipped = 0;
	bool all_ok = true;

	for (const struct ktest_suite *s = __ktest_suites_start;
	     s < __ktest_suites_end; s++)
		nsuites += suite_selected_cases(s) > 0;
	if (!nsuites && !ktest_config.glob)
		return true;
	warn_idle_globs();
	pr_report("KTAP version 1\n1..%u\n", nsuites);
	for (const struct ktest_suite *s = __ktest_suites_start;
	     s < __ktest_suites_end; s++)
		if (suite_selected_cases(s))
			all_ok &= run_suite(s, ++number, &passed, &failed,
					    &skipped);
	pr_report("# ktest: %u passed, %u failed, %u skipped\n", passed, failed,
		  skipped);
	lockdep_print_edges(); /* the order graph, for tools/lockorder.py */
	/* Asked for tests and got none: a typo must not look like a pass. */
	if (!nsuites) {
		pr_report("# ktest: ktest=%s selected no test: the run fails\n",
			  ktest_config.glob);
		all_ok = false;
	}
	ktest_emulator_exit(all_ok ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
	return all_ok;
}
