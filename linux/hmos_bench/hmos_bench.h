/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmos_bench: hmos's benchmark rows and behaviour checks, run on Linux.
 *
 * The rows have the names, the loop structure, the iteration and
 * sample counts of hmos's tests/bench_*.c, and print the same
 * BENCH_JSON line, so tools/compare.py can set the two side by side.
 * Each row is written for Linux's API here (our own code, GPL because
 * the kernel exports some of what it calls to GPL modules only).
 *
 * So the files here repeat hmos's on purpose, and repeat each other:
 * every row has its own timed loop, since a loop shared through a
 * function pointer would time an indirect call too and keep the call
 * under test from being inlined; the runner and the page sets follow
 * kernel/bench.c and tests/bench_pages.h, so that both kernels are
 * measured by the same rules.
 */
#ifndef HMOS_BENCH_H
#define HMOS_BENCH_H

#include <linux/mm.h>
#include <linux/types.h>

#define BENCH_SAMPLES 200  /* as hmos's include/kernel/bench.h */
#define BENCH_PAGES   1024 /* as hmos's tests/bench_pages.h */

struct bench {
	const char *name;
	/* Run the operation iters times; return the TSC ticks that took. */
	u64 (*run)(struct bench *b, unsigned int iters);
	unsigned int iters;
	unsigned int samples; /* 0: BENCH_SAMPLES */
	void (*teardown)(struct bench *b);
	const char *skip_reason; /* reset per run by the runner */
	void *priv;
};

#define BENCH_ROW(bname, fn, n, nsamples, td)                               \
	{                                                                   \
		.name = #bname, .run = fn, .iters = n, .samples = nsamples, \
		.teardown = td                                              \
	}

/* The rows of each file, ended by an entry without a name. */
extern struct bench bench_kmap_local_rows[];
extern struct bench bench_kmap_rows[];
extern struct bench bench_mm_rows[];
extern struct bench bench_lock_rows[];

/* Free the pages the vmap rows keep between samples. */
void bench_mm_free(void);

void bench_skip(struct bench *b, const char *reason);
/* Run every row of every table on this CPU; prints BENCH_JSON lines. */
void bench_run_all(void);

/* The page sets of tests/bench_pages.h: distinct pages, cycled. */
struct page_set {
	unsigned int count;
	unsigned int next;
	struct page *pages[BENCH_PAGES];
};

struct page_set *bench_pages(struct bench *b, bool highmem, unsigned int count);
void bench_page_set_free(struct bench *b);

static inline struct page *next_page(struct page_set *set)
{
	struct page *page = set->pages[set->next];

	set->next = (set->next + 1) % set->count;
	return page;
}

/* The behaviour checks: KTAP on the console. Returns failures. */
int behave_run_all(void);

#endif
