// SPDX-License-Identifier: GPL-2.0
/*
 * The rows of hmos's tests/bench_kmap.c, on Linux: kmap()+write+kunmap()
 * with the page already held, cached, or new; a trip round the whole
 * pool; every CPU hammering the pool at once; and the loop alone
 * through the direct map, the baseline the others are read against.
 *
 * Linux does not export kmap_flush_unused(), so a row cannot drop the
 * pool's cached slots when it ends. pkmap_wrap_full finds the wrap
 * another way: a wrap takes every cached page's address away, so the
 * page kmapped just before loses its page_address().
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <asm/msr.h>
#include "hmos_bench.h"

#define HELD_PAGES 256 /* fits the pool twice over */

static u64 bench_baseline_lowmem_write(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, false, BENCH_PAGES);
	u64 t0;

	if (!set)
		return 0;
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++) {
		volatile u32 *p = page_address(next_page(set));

		*p = i;
	}
	return rdtsc_ordered() - t0;
}

static u64 kmap_loop(struct page_set *set, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++) {
		struct page *page = next_page(set);
		volatile u32 *p = kmap(page);

		*p = i;
		kunmap(page);
	}
	return rdtsc_ordered() - t0;
}

/* Every page kmapped once more, outside the timed loop: a hit on n+1. */
static u64 bench_kmap_hit_held(struct bench *b, unsigned int n)
{
	struct page_set *set = b->priv;

	if (!set) {
		set = bench_pages(b, true, HELD_PAGES);
		if (!set)
			return 0;
		for (unsigned int i = 0; i < set->count; i++)
			kmap(set->pages[i]);
	}
	return kmap_loop(set, n);
}

static void held_free(struct bench *b)
{
	struct page_set *set = b->priv;

	if (set && !b->skip_reason)
		for (unsigned int i = 0; i < set->count; i++)
			kunmap(set->pages[i]);
	bench_page_set_free(b);
}

/* Small enough never to wrap by itself: after one round, every page
 * finds its slot cached. */
static u64 bench_kmap_hit_cached(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, HELD_PAGES);

	return set ? kmap_loop(set, n) : 0;
}

/* More pages than slots: every kmap takes a new slot. */
static u64 bench_kmap_miss(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);

	return set ? kmap_loop(set, n) : 0;
}

static void kmap_kunmap(struct page *page)
{
	kmap(page);
	kunmap(page);
}

/*
 * As hmos's: every slot cached and the cursor on the last, so the
 * next new page wraps with all LAST_PKMAP slots to clear. The page
 * whose kmap() took the address of the one before it wrapped the pool
 * and holds slot 0; the next LAST_PKMAP - 1 pages take the rest.
 */
static bool pkmap_fill_to_wrap(struct bench *b, struct page_set *set)
{
	struct page *prev = next_page(set);
	unsigned int tries = 0;

	kmap_kunmap(prev);
	for (;;) {
		struct page *page = next_page(set);

		if (tries++ > LAST_PKMAP) {
			bench_skip(b, "the pkmap pool did not wrap");
			return false;
		}
		kmap_kunmap(page);
		if (!page_address(prev))
			break;
		prev = page;
	}
	for (unsigned int i = 1; i < LAST_PKMAP; i++)
		kmap_kunmap(next_page(set));
	/* The last LAST_PKMAP pages must all still be cached. */
	for (unsigned int i = 1; i <= LAST_PKMAP; i++) {
		unsigned int k = (set->next + set->count - i) % set->count;

		if (!page_address(set->pages[k])) {
			bench_skip(b, "a pkmap slot is not cached before "
				      "the wrap");
			return false;
		}
	}
	return true;
}

static u64 bench_pkmap_wrap_full(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	u64 total = 0;

	if (!set)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		struct page *page;
		u64 t0;

		if (!pkmap_fill_to_wrap(b, set))
			return 0;
		page = next_page(set);
		t0 = rdtsc_ordered();
		kmap(page);
		total += rdtsc_ordered() - t0;
		kunmap(page);
	}
	return total;
}

struct hammer {
	struct page_set *set;
	unsigned int first; /* this thread's 64 pages */
	atomic_t *go;
	u64 ticks;
	unsigned int ops;
	struct completion done;
};

static int hammer_thread(void *arg)
{
	struct hammer *h = arg;
	u64 t0;

	while (!atomic_read(h->go))
		schedule();
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < h->ops; i++) {
		struct page *page = h->set->pages[h->first + i % 64];
		volatile u32 *p = kmap(page);

		*p = i;
		kunmap(page);
	}
	h->ticks = rdtsc_ordered() - t0;
	kthread_complete_and_exit(&h->done, 0);
}

/* Every online CPU kmaps its own 64 pages: one global lock, one pool. */
static u64 bench_kmap_throughput(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	static struct hammer h[NR_CPUS];
	unsigned int cpus = 0, cpu;
	atomic_t go = ATOMIC_INIT(0);
	u64 slowest = 0;

	if (!set)
		return 0;
	for_each_online_cpu(cpu) {
		struct task_struct *th;

		if (cpu * 64 >= set->count)
			break;
		h[cpus] = (struct hammer){ set, cpu * 64, &go, 0,
					   n / num_online_cpus() + 1 };
		init_completion(&h[cpus].done);
		th = kthread_create(hammer_thread, &h[cpus], "hammer%u", cpu);
		if (IS_ERR(th))
			break;
		kthread_bind(th, cpu);
		wake_up_process(th);
		cpus++;
	}
	atomic_set(&go, 1);
	for (unsigned int i = 0; i < cpus; i++) {
		wait_for_completion(&h[i].done);
		slowest = max(slowest, h[i].ticks);
	}
	return slowest;
}

struct bench bench_kmap_rows[] = {
	BENCH_ROW(baseline_lowmem_write, bench_baseline_lowmem_write, 64, 0,
		  bench_page_set_free),
	BENCH_ROW(kmap_hit_held, bench_kmap_hit_held, 64, 0, held_free),
	BENCH_ROW(kmap_hit_cached, bench_kmap_hit_cached, 64, 0,
		  bench_page_set_free),
	BENCH_ROW(kmap_miss, bench_kmap_miss, 16, 0, bench_page_set_free),
	BENCH_ROW(kmap_miss_amortised, bench_kmap_miss, LAST_PKMAP, 0,
		  bench_page_set_free),
	BENCH_ROW(pkmap_wrap_full, bench_pkmap_wrap_full, 1, 20,
		  bench_page_set_free),
	BENCH_ROW(kmap_throughput_all_cpus, bench_kmap_throughput, 4096, 10,
		  bench_page_set_free),
	{}
};
