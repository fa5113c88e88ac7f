// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark runner, with the same rules as hmos's kernel/bench.c:
 * one warm-up run, then up to 200 samples of `iters` operations each,
 * sorted; the min and the median per operation, rounded to nearest,
 * printed as a "# bench" line and a BENCH_JSON line. The caller has
 * pinned this thread to one CPU.
 */
#include <linux/slab.h>
#include <linux/highmem.h>
#include <linux/cpumask.h>
#include <linux/sort.h>
#include "hmos_bench.h"

static u64 samples[BENCH_SAMPLES];

void bench_skip(struct bench *b, const char *reason)
{
	b->skip_reason = reason;
}

static struct page_set *page_set_alloc(struct bench *b, gfp_t gfp,
				       unsigned int count, bool highmem)
{
	struct page_set *set = kzalloc(sizeof(*set), GFP_KERNEL);

	if (!set) {
		bench_skip(b, "out of memory");
		return NULL;
	}
	for (; set->count < count; set->count++) {
		struct page *page = alloc_page(gfp);

		if (!page || !!PageHighMem(page) != highmem) {
			if (page)
				__free_page(page);
			bench_skip(b, highmem ? "needs 1,024 highmem pages"
					      : "out of lowmem");
			return set;
		}
		set->pages[set->count] = page;
	}
	return set;
}

/* b's page set, allocated on first use; NULL once b is skipped. */
struct page_set *bench_pages(struct bench *b, bool highmem, unsigned int count)
{
	if (!b->priv)
		b->priv = page_set_alloc(b, highmem ? GFP_HIGHUSER : GFP_KERNEL,
					 count, highmem);
	return b->skip_reason ? NULL : b->priv;
}

void bench_page_set_free(struct bench *b)
{
	struct page_set *set = b->priv;

	if (!set)
		return;
	for (unsigned int i = 0; i < set->count; i++)
		__free_page(set->pages[i]);
	kfree(set);
	b->priv = NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void run_one(struct bench *b)
{
	unsigned int n = 0, smp = num_online_cpus();
	unsigned int want = b->samples && b->samples < BENCH_SAMPLES
				    ? b->samples
				    : BENCH_SAMPLES;
	u64 min, median;

	b->skip_reason = NULL;
	b->priv = NULL;
	b->run(b, 1); /* warm up: caches, TLB, lazy state */
	for (; n < want && !b->skip_reason; n++) {
		samples[n] = b->run(b, b->iters);
		cond_resched();
	}
	if (b->teardown)
		b->teardown(b);
	if (b->skip_reason) {
		pr_notice("# bench %s: SKIP %s\n", b->name, b->skip_reason);
		return;
	}
	sort(samples, n, sizeof(samples[0]), cmp_u64, NULL);
	min = div_u64(samples[0] + b->iters / 2, b->iters);
	median = div_u64(samples[n / 2] + b->iters / 2, b->iters);
	pr_notice(
		"# bench %s: min %llu median %llu ticks/op (%u samples x %u, smp %u)\n",
		b->name, min, median, n, b->iters, smp);
	pr_notice(
		"BENCH_JSON {\"bench\": \"%s\", \"unit\": \"ticks\", \"smp\": %u, \"min\": %llu, \"median\": %llu, \"samples\": %u, \"iters\": %u}\n",
		b->name, smp, min, median, n, b->iters);
}

void bench_run_all(void)
{
	struct bench *tables[] = { bench_kmap_local_rows, bench_kmap_rows,
				   bench_mm_rows, bench_lock_rows };

	pr_notice("# bench: running all on CPU %u of %u\n",
		  raw_smp_processor_id(), num_online_cpus());
	for (unsigned int t = 0; t < ARRAY_SIZE(tables); t++)
		for (struct bench *b = tables[t]; b->name; b++)
			run_one(b);
	pr_notice("# bench: done\n");
}
