/*
 * Benchmarks for kmap() and the pkmap pool (bench=kmap*,pkmap*,
 * baseline*). An operation is what a user of the API does: map a
 * page, write one 32-bit word into it, unmap it, over a set of
 * distinct pages so no two consecutive operations touch the same one.
 * The baseline row does the same through the direct map of lowmem
 * pages, so the loop's own cost can be read off.
 *
 * kmap_hit_held     the page is kmapped elsewhere: count goes n+1 -> n+2
 * kmap_hit_cached   the page's slot is cached at 1 (kunmapped, no wrap)
 * kmap_miss         a new slot (samples with a wrap are the outliers)
 * kmap_miss_amortised  every sample crosses one wrap and its shootdown
 * pkmap_wrap_full   the kmap() that wraps the pool with every one of its
 *                   LAST_PKMAP slots cached at 1: the flush of them all
 *                   (and its shootdown) plus the miss that follows
 */
#include <arch/cpu.h>
#include <kernel/bench.h>
#include <kernel/kthread.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include "bench_pages.h"

#define HELD_PAGES 256 /* fits the pool twice over */

/* Free the pages, and drop the pool's cached slots with them. */
static void page_set_free(struct bench *b)
{
	bench_page_set_free(b);
	kmap_flush_unused();
}

static uint64_t bench_baseline_lowmem_write(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, false, BENCH_PAGES);
	uint64_t t0;

	if (!set)
		return 0;
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++) {
		volatile uint32_t *p = lowmem_page_address(next_page(set));

		*p = i;
	}
	return arch_timestamp() - t0;
}
BENCH_TEARDOWN(baseline_lowmem_write, bench_baseline_lowmem_write, 64,
	       page_set_free);

static uint64_t kmap_loop(struct page_set *set, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++) {
		struct page *page = next_page(set);
		volatile uint32_t *p = kmap(page);

		*p = i;
		kunmap(page);
	}
	return arch_timestamp() - t0;
}

/* Every page kmapped once more, outside the timed loop: a hit on n+1. */
static uint64_t bench_kmap_hit_held(struct bench *b, unsigned int n)
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
	page_set_free(b);
}
BENCH_TEARDOWN(kmap_hit_held, bench_kmap_hit_held, 64, held_free);

/* A set small enough that it never wraps: after the first round every
 * page finds its slot cached at 1. */
static uint64_t bench_kmap_hit_cached(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, HELD_PAGES);

	return set ? kmap_loop(set, n) : 0;
}
BENCH_TEARDOWN(kmap_hit_cached, bench_kmap_hit_cached, 64, page_set_free);

/* More pages than slots: every kmap takes a new slot. */
static uint64_t bench_kmap_miss(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);

	return set ? kmap_loop(set, n) : 0;
}
BENCH_TEARDOWN(kmap_miss, bench_kmap_miss, 16, page_set_free);
/* One sample = one trip round the pool, wrap and shootdown included. */
BENCH_TEARDOWN(kmap_miss_amortised, bench_kmap_miss, LAST_PKMAP, page_set_free);

static void kmap_kunmap(struct page *page)
{
	kmap(page);
	kunmap(page);
}

static unsigned long pkmap_wraps(void)
{
	struct pkmap_stats s;

	pkmap_get_stats(&s);
	return s.wraps;
}

/*
 * Bring the pool to one known state whatever ran before: every slot
 * cached at 1 and the cursor on the last slot, so the next new page
 * wraps with all LAST_PKMAP slots to clear. New pages are kmapped and
 * kunmapped until one wraps the pool (the wrap counter moves): that
 * page took slot 0 and every other slot is at 0. The next
 * LAST_PKMAP - 1 pages of the set (twice the pool's size, so none is
 * cached yet) take slots 1 to LAST_PKMAP - 1 in order.
 * Return: false, with the row skipped and why, if the pool did not
 * come out that way (someone else holding a slot, say).
 */
static bool pkmap_fill_to_wrap(struct bench *b, struct page_set *set)
{
	unsigned long wraps = pkmap_wraps();
	unsigned int tries = 0;

	do {
		/* A trip round the pool wraps it at most once: bounded. */
		if (tries++ > LAST_PKMAP) {
			bench_skip(b, "the pkmap pool did not wrap");
			return false;
		}
		kmap_kunmap(next_page(set));
	} while (pkmap_wraps() == wraps);
	for (unsigned int i = 1; i < LAST_PKMAP; i++)
		kmap_kunmap(next_page(set));
	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++) {
		if (pkmap_slot_count(nr) != 1) {
			bench_skip(b, "a pkmap slot is not cached at 1 "
				      "before the wrap");
			return false;
		}
	}
	return true;
}

/* Fill the pool (untimed), then time the kmap() of a new page. */
static uint64_t bench_pkmap_wrap_full(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	uint64_t total = 0;

	if (!set)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		struct page *page;
		uint64_t t0;

		if (!pkmap_fill_to_wrap(b, set))
			return 0;
		page = next_page(set);
		t0 = arch_timestamp();
		kmap(page);
		total += arch_timestamp() - t0;
		kunmap(page);
	}
	return total;
}
BENCH_SAMPLED_TEARDOWN(pkmap_wrap_full, bench_pkmap_wrap_full, 1, 20,
		       page_set_free);

struct hammer {
	struct page_set *set;
	unsigned int first; /* this thread's pages */
	volatile unsigned int *go;
	uint64_t ticks;
	unsigned int ops;
};

static int hammer_thread(void *arg)
{
	struct hammer *h = arg;
	uint64_t t0;

	while (!*h->go)
		yield();
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < h->ops; i++) {
		struct page *page = h->set->pages[h->first + i % 64];
		volatile uint32_t *p = kmap(page);

		*p = i;
		kunmap(page);
	}
	h->ticks = arch_timestamp() - t0;
	return 0;
}

/*
 * Every online CPU kmaps its own 64 pages as fast as it can: the cost
 * of one global lock and one shared pool, per operation across all.
 */
static uint64_t bench_kmap_throughput(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	static struct hammer h[NR_CPUS];
	struct task *th[NR_CPUS];
	unsigned int cpus = 0;
	volatile unsigned int go = 0;
	uint64_t slowest = 0;

	if (!set)
		return 0;
	for (unsigned int cpu = 0; cpu < NR_CPUS && cpu * 64 < set->count;
	     cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		h[cpus] = (struct hammer){ set, cpu * 64, &go, 0,
					   n / num_online_cpus() + 1 };
		th[cpus] = kthread_create(hammer_thread, &h[cpus], "hammer");
		if (!th[cpus])
			break;
		kthread_bind(th[cpus], cpu);
		kthread_start(th[cpus++]);
	}
	go = 1;
	for (unsigned int i = 0; i < cpus; i++) {
		kthread_join(th[i]);
		slowest = MAX(slowest, h[i].ticks);
	}
	/* Wall time of the slowest CPU for n operations in all. */
	return slowest;
}
BENCH_SAMPLED_TEARDOWN(kmap_throughput_all_cpus, bench_kmap_throughput, 4096,
		       10, page_set_free);
