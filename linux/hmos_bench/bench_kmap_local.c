// SPDX-License-Identifier: GPL-2.0
/*
 * The rows of hmos's tests/bench_kmap_local.c, on Linux: map a page,
 * write one 32-bit word, unmap, over 1,024 distinct pages; four deep,
 * all four pages written; and a context switch between two threads,
 * one of them (or, in the _both rows, each) holding 0, 1 or 4 local
 * maps (a completion handed back and forth on one CPU).
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <asm/msr.h>
#include "hmos_bench.h"

/* Each interface has its own copy of the loop, as in hmos: no
 * indirect call inside the timed region. */
static u64 bench_kmap_local(struct bench *b, unsigned int n, bool high)
{
	struct page_set *set = bench_pages(b, high, BENCH_PAGES);
	u64 t0;

	if (!set)
		return 0;
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++) {
		volatile u32 *p = kmap_local_page(next_page(set));

		*p = i;
		kunmap_local((void *)p);
	}
	return rdtsc_ordered() - t0;
}

static u64 bench_kmap_local_highmem(struct bench *b, unsigned int n)
{
	return bench_kmap_local(b, n, true);
}

static u64 bench_kmap_local_lowmem(struct bench *b, unsigned int n)
{
	return bench_kmap_local(b, n, false);
}

static u64 bench_kmap_atomic(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	u64 t0;

	if (!set)
		return 0;
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++) {
		volatile u32 *p = kmap_atomic(next_page(set));

		*p = i;
		kunmap_atomic((void *)p);
	}
	return rdtsc_ordered() - t0;
}

static u64 bench_kmap_local_nested4(struct bench *b, unsigned int n)
{
	struct page_set *set = bench_pages(b, true, BENCH_PAGES);
	u64 t0;

	if (!set)
		return 0;
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++) {
		void *a = kmap_local_page(next_page(set));
		void *c = kmap_local_page(next_page(set));
		void *d = kmap_local_page(next_page(set));
		void *e = kmap_local_page(next_page(set));

		*(volatile u32 *)a = i;
		*(volatile u32 *)c = i;
		*(volatile u32 *)d = i;
		*(volatile u32 *)e = i;
		kunmap_local(e);
		kunmap_local(d);
		kunmap_local(c);
		kunmap_local(a);
	}
	return rdtsc_ordered() - t0;
}

/* Thread 0 starts the clock and hands the turn to thread 1; every
 * round is two switches. The runner sleeps on `done` meanwhile. */
struct ctxsw {
	struct completion turn[2];
	struct completion done[2];
	struct page *page;
	unsigned int maps;
	unsigned int holders; /* threads 0 .. holders-1 hold the maps */
	unsigned int rounds;
	u64 t0, t1;
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
		c->t0 = rdtsc_ordered();
	for (unsigned int r = 0; r < c->rounds; r++) {
		if (a->me == 0)
			complete(&c->turn[1]);
		wait_for_completion(&c->turn[a->me]);
		if (a->me == 1)
			complete(&c->turn[0]);
	}
	if (a->me == 0)
		c->t1 = rdtsc_ordered();
	for (unsigned int i = maps; i-- > 0;)
		kunmap_local(va[i]);
	kthread_complete_and_exit(&c->done[a->me], 0);
}

static u64 bench_ctxsw(struct bench *b, unsigned int n, unsigned int maps,
		       unsigned int holders)
{
	struct ctxsw c = { .maps = maps,
			   .holders = holders,
			   .rounds = n > 1 ? n / 2 : 1 };
	struct ctxsw_arg arg[2] = { { &c, 0 }, { &c, 1 } };
	unsigned int cpu = raw_smp_processor_id(); /* runner is bound */
	struct task_struct *th[2];

	c.page = alloc_page(GFP_HIGHUSER);
	if (!c.page || (maps && !PageHighMem(c.page))) {
		bench_skip(b, "needs a highmem page");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		init_completion(&c.turn[i]);
		init_completion(&c.done[i]);
		th[i] = kthread_create(ctxsw_thread, &arg[i], "ctxsw%d", i);
		if (IS_ERR(th[i]))
			th[i] = NULL;
		else
			kthread_bind(th[i], cpu);
	}
	if (!th[0] || !th[1]) {
		bench_skip(b, "out of memory for threads");
		c.rounds = c.maps = 0;
	}
	for (int i = 1; i >= 0; i--)
		if (th[i])
			wake_up_process(th[i]);
	for (int i = 0; i < 2; i++)
		if (th[i])
			wait_for_completion(&c.done[i]);
out:
	if (c.page)
		__free_page(c.page);
	return c.t1 - c.t0;
}

static u64 bench_ctxsw_0maps(struct bench *b, unsigned int n)
{
	return bench_ctxsw(b, n, 0, 1);
}

static u64 bench_ctxsw_1map(struct bench *b, unsigned int n)
{
	return bench_ctxsw(b, n, 1, 1);
}

static u64 bench_ctxsw_4maps(struct bench *b, unsigned int n)
{
	return bench_ctxsw(b, n, 4, 1);
}

static u64 bench_ctxsw_1map_both(struct bench *b, unsigned int n)
{
	return bench_ctxsw(b, n, 1, 2);
}

static u64 bench_ctxsw_4maps_both(struct bench *b, unsigned int n)
{
	return bench_ctxsw(b, n, 4, 2);
}

struct bench bench_kmap_local_rows[] = {
	BENCH_ROW(kmap_local_highmem, bench_kmap_local_highmem, 64, 0,
		  bench_page_set_free),
	BENCH_ROW(kmap_local_lowmem, bench_kmap_local_lowmem, 64, 0,
		  bench_page_set_free),
	BENCH_ROW(kmap_atomic, bench_kmap_atomic, 64, 0, bench_page_set_free),
	BENCH_ROW(kmap_local_nested4, bench_kmap_local_nested4, 64, 0,
		  bench_page_set_free),
	BENCH_ROW(ctxsw_0maps, bench_ctxsw_0maps, 1000, 20, NULL),
	BENCH_ROW(ctxsw_1map, bench_ctxsw_1map, 1000, 20, NULL),
	BENCH_ROW(ctxsw_4maps, bench_ctxsw_4maps, 1000, 20, NULL),
	BENCH_ROW(ctxsw_1map_both, bench_ctxsw_1map_both, 1000, 20, NULL),
	BENCH_ROW(ctxsw_4maps_both, bench_ctxsw_4maps_both, 1000, 20, NULL),
	{}
};
