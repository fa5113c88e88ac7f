/*
 * A set of distinct pages for the mapping benchmarks (bench_kmap.c,
 * bench_kmap_local.c), cycled through so no two consecutive operations
 * touch the same page: what a real user of the mapping APIs sees, and
 * no chance for a cached translation to make a map look free.
 *
 * The set lives in b->priv: allocated by the first run() (the warm-up),
 * reused by every sample, freed by the benchmark's teardown.
 */
#ifndef TESTS_BENCH_PAGES_H
#define TESTS_BENCH_PAGES_H

#include <kernel/bench.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>

#define BENCH_PAGES 1024

struct page_set {
	unsigned int count;
	unsigned int next;
	struct page *pages[BENCH_PAGES];
};

/* count pages, all highmem or all lowmem; skips b if there are not enough. */
static inline struct page_set *page_set_alloc(struct bench *b, gfp_t gfp,
					      unsigned int count, bool highmem)
{
	struct page_set *set = kzalloc(sizeof(*set));

	if (!set) {
		bench_skip(b, "out of memory");
		return NULL;
	}
	for (; set->count < count; set->count++) {
		struct page *page = alloc_page(gfp);

		if (!page || PageHighMem(page) != highmem) {
			if (page)
				free_page(page);
			bench_skip(b, highmem ? "needs 1,024 highmem pages"
					      : "out of lowmem");
			return set;
		}
		set->pages[set->count] = page;
	}
	return set;
}

/* Give back b's page set (a teardown, or part of one). */
static inline void bench_page_set_free(struct bench *b)
{
	struct page_set *set = b->priv;

	if (!set)
		return;
	for (unsigned int i = 0; i < set->count; i++)
		free_page(set->pages[i]);
	kfree(set);
	b->priv = NULL;
}

static inline struct page *next_page(struct page_set *set)
{
	struct page *page = set->pages[set->next];

	set->next = (set->next + 1) % set->count;
	return page;
}

/* b's page set, allocated on first use; NULL once b is skipped. */
static inline struct page_set *bench_pages(struct bench *b, bool highmem,
					   unsigned int count)
{
	if (!b->priv)
		b->priv = page_set_alloc(b, highmem ? GFP_HIGHUSER : GFP_KERNEL,
					 count, highmem);
	return b->skip_reason ? NULL : b->priv;
}

#endif
