/*
 * Benchmarks for kmap_local_page() and kmap_atomic(), and for what the
 * local maps cost a context switch (bench=kmap_local*,kmap_atomic,
 * ctxsw*). The figures these rows are held to are Linux's, measured
 * the same way: docs/bench.rst.
 *
 * An operation is what a user of the API does: map a page, write one
 * 32-bit word into it, unmap it, cycling over 1,024 distinct pages.
 * baseline_lowmem_write (tests/bench_kmap.c) runs the same loop with
 * the write alone, so subtracting it leaves the price of the map and
 * the unmap.
 *
 * kmap_local_highmem   a highmem page: one slot, one PTE write, invlpg
 * kmap_local_lowmem    a lowmem page: the direct-map address, no slot
 * kmap_atomic          as the highmem row, plus preempt and pagefault
 *                      disable/enable
 * kmap_local_nested4   four maps deep, write all four pages, unmap all
 *                      four (per whole sequence)
 * ctxsw_0maps, ctxsw_1map, ctxsw_4maps
 *                      two threads bound to this CPU hand a completion
 *                      back and forth, one of them holding 0, 1 or 4
 *                      local maps; per switch, so the difference between
 *                      rows is one save (switching away from the holder)
 *                      or one restore (switching back to it) per switch
 * ctxsw_1map_both, ctxsw_4maps_both
 *                      as above with both threads holding the maps:
 *                      every switch saves and restores
 */
#include <arch/cpu.h>
#include <kernel/bench.h>
#include <kernel/kthread.h>
#include <kernel/smp.h>
#include <kernel/wait.h>
#include <mm/highmem.h>
#include "bench_pages.h"

/*
 * Each interface gets its own copy of the timed loop, on purpose: a
 * shared loop calling through a function pointer would add an indirect
 * call to every operation and stop the map and unmap from being
 * inlined, which is part of what is being measured.
 */
static uint64_t bench_kmap_local(struct bench *b, unsigned int n, bool high)
{
	struct page_set *set = bench_pages(b, high, BENCH_PAGES);
	uint64_t t0;

	if (!set)
		return 0;
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++) {
		volatile uint32_t *p = kmap_local_page(next_page(set));

		*p = i;
		kunmap_local((void *)p);
	}
	return arch_timestamp() - t0;
}

static uint64_t bench_kmap_local_highmem(struct bench *b, unsigned int n)
{
	return bench_kmap_local(b, n, true);
}
BENCH_TEARDOWN(kmap_local_highmem, bench_kmap_local_highmem, 64,
	       bench_page_set_free);

static uint64_t bench_kmap_local_lowmem(struct bench *b, unsigned int n)
{
	return bench_kmap_local(b, n, false);
}
BENCH_TEARDOWN(kmap_local_lowmem, bench_kmap_local_lowmem, 64,
	       bench_page_set_free);

static uint64_t bench_kmap_atomic(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	uint64_t t0;

	if (!set)
		return 0;
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++) {
		volatile uint32_t *p = kmap_atomic(next_page(set));

		*p = i;
		kunmap_atomic((void *)p);
	}
	return arch_timestamp() - t0;
}
BENCH_TEARDOWN(kmap_atomic, bench_kmap_atomic, 64, bench_page_set_free);

static uint64_t bench_kmap_local_nested4(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	uint64_t t0;

	if (!set)
		return 0;
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++) {
		void *a = kmap_local_page(next_page(set));
		void *c = kmap_local_page(next_page(set));
		void *d = kmap_local_page(next_page(set));
		void *e = kmap_local_page(next_page(set));

		/* Every page is written: each map must really be usable. */
		*(volatile uint32_t *)a = i;
		*(volatile uint32_t *)c = i;
		*(volatile uint32_t *)d = i;
		*(volatile uint32_t *)e = i;
		kunmap_local(e);
		kunmap_local(d);
		kunmap_local(c);
		kunmap_local(a);
	}
	return arch_timestamp() - t0;
}
BENCH_TEARDOWN(kmap_local_nested4, bench_kmap_local_nested4, 64,
	       bench_page_set_free);

/*
 * The context-switch rows. Thread 0 starts the clock and hands the turn
 * to thread 1; each wakes the other and sleeps until woken back, so
 * every round is two switches and nothing else runs on the CPU (the
 * benchmark runner sleeps in kthread_join meanwhile).
 */
struct ctxsw {
	struct completion turn[2];
	struct page *page;
	unsigned int maps;
	unsigned int holders; /* threads 0 .. holders-1 hold the maps */
	unsigned int rounds;
	uint64_t t0, t1;
};

struct ctxsw_arg {
	struct ctxsw *c;
	unsigned int me;
};

static int ctxsw_thread(void *arg)
{
	struct ctxsw_arg *a = arg;
	struct ctxsw *c = a->c;
	unsigned int maps = a->me < c->holders ? c->maps : 0;
	void *va[4];

	for (unsigned int i = 0; i < maps; i++)
		va[i] = kmap_local_page(c->page);
	if (a->me == 0)
		c->t0 = arch_timestamp();
	for (unsigned int r = 0; r < c->rounds; r++) {
		if (a->me == 0)
			complete(&c->turn[1]);
		wait_for_completion(&c->turn[a->me]);
		if (a->me == 1)
			complete(&c->turn[0]);
	}
	if (a->me == 0)
		c->t1 = arch_timestamp();
	for (unsigned int i = maps; i-- > 0;)
		kunmap_local(va[i]);
	return 0;
}

/*
 * n switches between two threads, of which the first `holders` (1 or
 * 2) hold `maps` local maps each.
 */
static uint64_t bench_ctxsw(struct bench *b, unsigned int n, unsigned int maps,
			    unsigned int holders)
{
	struct ctxsw c = { .maps = maps,
			   .holders = holders,
			   .rounds = n > 1 ? n / 2 : 1 };
	struct ctxsw_arg arg[2] = { { &c, 0 }, { &c, 1 } };
	unsigned int cpu = smp_processor_id(); /* the runner is pinned */
	struct task *th[2];

	c.page = alloc_page(GFP_HIGHUSER);
	if (!c.page || (maps && !PageHighMem(c.page))) {
		bench_skip(b, "needs a highmem page");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		completion_init(&c.turn[i]);
		th[i] = kthread_create(ctxsw_thread, &arg[i], "ctxsw");
		if (th[i])
			kthread_bind(th[i], cpu);
	}
	if (!th[0] || !th[1]) {
		/* Let whichever thread exists run through and exit. */
		bench_skip(b, "out of memory for threads");
		c.rounds = c.maps = 0;
	}
	for (int i = 1; i >= 0; i--)
		if (th[i])
			kthread_start(th[i]);
	for (int i = 0; i < 2; i++)
		if (th[i])
			kthread_join(th[i]);
out:
	if (c.page)
		free_page(c.page);
	return c.t1 - c.t0;
}

/*
 * The run() of one ctxsw row: bench_ctxsw with maps local maps held by
 * holders of the two threads, as the table at the top of the file says.
 * Each row's BENCH_SAMPLED stays spelled out, where tools/doccheck
 * finds the row names.
 */
#define CTXSW_RUN(bname, maps, holders)                                \
	static uint64_t bench_##bname(struct bench *b, unsigned int n) \
	{                                                              \
		return bench_ctxsw(b, n, maps, holders);               \
	}

CTXSW_RUN(ctxsw_0maps, 0, 1)
BENCH_SAMPLED(ctxsw_0maps, bench_ctxsw_0maps, 1000, 20);
CTXSW_RUN(ctxsw_1map, 1, 1)
BENCH_SAMPLED(ctxsw_1map, bench_ctxsw_1map, 1000, 20);
CTXSW_RUN(ctxsw_4maps, 4, 1)
BENCH_SAMPLED(ctxsw_4maps, bench_ctxsw_4maps, 1000, 20);
CTXSW_RUN(ctxsw_1map_both, 1, 2)
BENCH_SAMPLED(ctxsw_1map_both, bench_ctxsw_1map_both, 1000, 20);
CTXSW_RUN(ctxsw_4maps_both, 4, 2)
BENCH_SAMPLED(ctxsw_4maps_both, bench_ctxsw_4maps_both, 1000, 20);
