/*
 * The benchmark runner (include/kernel/bench.h): picks benchmarks by
 * glob, times BENCH_SAMPLES samples of each, and prints the min and
 * median per operation, as a "# bench" diagnostic and as a BENCH_JSON
 * line for tools/bench.py. Runs on the boot thread after the tests,
 * pinned to its CPU so every sample is taken in the same place.
 */
#include <arch/cpu.h>
#include <kernel/bench.h>
#include <kernel/cmdline.h>
#include <kernel/emulator_exit.h>
#include <kernel/ktest.h>
#include <kernel/monitor.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/glob.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/page.h>

extern struct bench __benches_start[];
extern struct bench __benches_end[];

static const char *bench_glob; /* bench=GLOB; NULL: none */
static uint64_t samples[BENCH_SAMPLES];

/* A refused value must change nothing: check before storing. */
static bool set_bench(const char *val)
{
	if (!*val)
		return false;
	bench_glob = strcmp(val, "none") ? val : NULL;
	return true;
}
DEFINE_PARAM("bench", set_bench,
	     "globs of benchmarks, comma-separated: all, tlb*,vmap*");

void bench_skip(struct bench *b, const char *reason)
{
	b->skip_reason = reason;
}

/* Insertion sort: 200 samples, once per benchmark. */
static void sort_samples(uint64_t *s, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		uint64_t v = s[i];
		unsigned int j = i;

		for (; j && s[j - 1] > v; j--)
			s[j] = s[j - 1];
		s[j] = v;
	}
}

/* bench=a*,b*: a comma-separated list of globs; "all" is everything. */
static bool bench_selected(const char *name)
{
	const char *list = bench_glob;
	char pat[64];
	size_t len;

	while (glob_list_next(&list, pat, sizeof(pat), &len))
		if (!strcmp(pat, "all") || (pat[0] && glob_match(pat, name)))
			return true;
	return false;
}

/* A glob that selects no benchmark is named, as ktest does for tests. */
static void warn_idle_bench_globs(void)
{
	const char *list = bench_glob, *p = list;
	char pat[64];
	size_t len;

	for (; glob_list_next(&list, pat, sizeof(pat), &len); p = list) {
		bool used = !strcmp(pat, "all");

		for (struct bench *b = __benches_start;
		     b < __benches_end && !used && pat[0]; b++)
			used = glob_match(pat, b->name);
		if (!used)
			pr_warn("bench: '%.*s' selects no benchmark\n",
				(int)len, p);
	}
}

static void run_one(struct bench *b)
{
	unsigned int n = 0, smp = num_online_cpus();
	unsigned int want = b->samples && b->samples < BENCH_SAMPLES
				    ? b->samples
				    : BENCH_SAMPLES;
	uint64_t min, median;

	b->skip_reason = NULL;
	b->priv = NULL;
	b->run(b, 1); /* warm up: caches, TLB, lazy state */
	for (; n < want && !b->skip_reason; n++)
		samples[n] = b->run(b, b->iters);
	if (b->teardown)
		b->teardown(b);
	if (b->skip_reason) {
		pr_report("# bench %s: SKIP %s\n", b->name, b->skip_reason);
		return;
	}
	sort_samples(samples, n);
	/* Per operation, rounded to nearest. */
	min = (samples[0] + b->iters / 2) / b->iters;
	median = (samples[n / 2] + b->iters / 2) / b->iters;
	pr_report("# bench %s: min %llu median %llu ticks/op (%u samples x %u, "
		  "smp %u)\n",
		  b->name, (unsigned long long)min, (unsigned long long)median,
		  n, b->iters, smp);
	pr_report("BENCH_JSON {\"bench\": \"%s\", \"unit\": \"ticks\", "
		  "\"smp\": %u, \"min\": %llu, \"median\": %llu, "
		  "\"samples\": %u, \"iters\": %u}\n",
		  b->name, smp, (unsigned long long)min,
		  (unsigned long long)median, n, b->iters);
}

unsigned int bench_run_all(void)
{
	unsigned int ran = 0;

	if (!bench_glob)
		return 0;
	might_sleep();
	pr_report("# bench: running %s on CPU %u of %u\n", bench_glob,
		  smp_processor_id(), num_online_cpus());
	/* What the struct page array costs, for the RAM of this boot. */
	pr_report("# bench struct_page: %u bytes per 4 KiB page (%u.%02u%% of "
		  "RAM); %u frames cost %u KiB of lowmem\n",
		  (unsigned int)sizeof(struct page),
		  (unsigned int)(sizeof(struct page) * 100 / PAGE_SIZE),
		  (unsigned int)(sizeof(struct page) * 10000 / PAGE_SIZE % 100),
		  max_pfn,
		  (unsigned int)(((uint64_t)max_pfn * sizeof(struct page)) >>
				 10));
	warn_idle_bench_globs();
	migrate_disable();
	for (struct bench *b = __benches_start; b < __benches_end; b++) {
		if (!bench_selected(b->name))
			continue;
		run_one(b);
		ran++;
	}
	migrate_enable();
	kmap_stats_print("after bench");
	pr_report("# bench: %u benchmarks done\n", ran);
	ktest_emulator_exit(QEMU_EXIT_PASS);
	return ran;
}

/* The monitor's bench: run a glob now, without leaving QEMU. */
static void cmd_bench(const char *args)
{
	const char *saved = bench_glob;
	bool saved_exit = ktest_config.exit;

	if (!*args) {
		printk("usage: bench GLOB (e.g. bench tlb*)\n");
		return;
	}
	bench_glob = args;
	ktest_config.exit = false;
	bench_run_all();
	bench_glob = saved;
	ktest_config.exit = saved_exit;
}
DEFINE_MONITOR_CMD("bench", cmd_bench, "bench GLOB",
		   "run benchmarks and print their figures");
