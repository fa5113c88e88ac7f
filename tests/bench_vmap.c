/*
 * vmap with a fragmented free space (bench=vmap16_vunmap_holes*): the
 * vmalloc area is first cut into N small holes, each too small for
 * the 16 pages asked for, below the big free range. A free-space
 * search that walks the holes one by one pays for each of them on
 * every vmap; an indexed one (mm/vmap_area.c) should not, so these
 * rows, read beside vmap16_vunmap, show whether it does.
 */
#include <arch/cpu.h>
#include <kernel/bench.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>

#define HOLES_PAGES 16

/*
 * The fragmented state: 2N + 1 one-page areas back to back (each a
 * page and its guard), every odd one freed and purged: N holes of two
 * pages between busy neighbours that keep them from merging.
 */
struct holes {
	unsigned int nr_holes;
	struct page *page;		 /* what every area maps */
	struct page *pages[HOLES_PAGES]; /* the timed vmap's pages */
	void *area[];			 /* 2N + 1 */
};

static void holes_free(struct bench *b)
{
	struct holes *h = b->priv;

	if (!h)
		return;
	for (unsigned int i = 0; i < 2 * h->nr_holes + 1; i++)
		if (h->area[i])
			vunmap(h->area[i]);
	vmap_purge();
	for (unsigned int i = 0; i < HOLES_PAGES; i++)
		if (h->pages[i])
			free_page(h->pages[i]);
	if (h->page)
		free_page(h->page);
	kfree(h);
	b->priv = NULL;
}

static struct holes *holes_make(struct bench *b, unsigned int nr_holes)
{
	unsigned int nr_areas = 2 * nr_holes + 1;
	struct holes *h = kzalloc(sizeof(*h) + nr_areas * sizeof(void *));

	b->priv = h;
	if (!h || !(h->page = alloc_page(GFP_HIGHUSER)))
		return NULL;
	h->nr_holes = nr_holes;
	for (unsigned int i = 0; i < HOLES_PAGES; i++)
		if (!(h->pages[i] = alloc_page(GFP_HIGHUSER)))
			return NULL;
	vmap_purge();
	for (unsigned int i = 0; i < nr_areas; i++)
		if (!(h->area[i] = vmap(&h->page, 1, MAP_READ)))
			return NULL;
	for (unsigned int i = 1; i < nr_areas; i += 2) {
		vunmap(h->area[i]);
		h->area[i] = NULL;
	}
	vmap_purge();
	return h;
}

static uint64_t holes_loop(struct bench *b, unsigned int n,
			   unsigned int nr_holes)
{
	struct holes *h = b->priv;
	uint64_t t0;

	if (!h && !(h = holes_make(b, nr_holes))) {
		bench_skip(b, "out of memory making the holes");
		return 0;
	}
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++)
		vunmap(vmap(h->pages, HOLES_PAGES, MAP_READ | MAP_WRITE));
	return arch_timestamp() - t0;
}

static uint64_t bench_holes10(struct bench *b, unsigned int n)
{
	return holes_loop(b, n, 10);
}
BENCH_TEARDOWN(vmap16_vunmap_holes10, bench_holes10, 16, holes_free);

static uint64_t bench_holes100(struct bench *b, unsigned int n)
{
	return holes_loop(b, n, 100);
}
BENCH_TEARDOWN(vmap16_vunmap_holes100, bench_holes100, 16, holes_free);

static uint64_t bench_holes1000(struct bench *b, unsigned int n)
{
	return holes_loop(b, n, 1000);
}
BENCH_TEARDOWN(vmap16_vunmap_holes1000, bench_holes1000, 16, holes_free);
