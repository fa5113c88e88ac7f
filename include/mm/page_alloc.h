/*
 * The page allocator: a buddy allocator per zone (orders 0..MAX_ORDER,
 * so blocks of 4 KiB to 4 MiB).
 *
 * ZONE_NORMAL is lowmem, always mapped; ZONE_HIGHMEM is the rest of
 * RAM, including RAM above 4 GiB. The gfp flags say which zones a
 * caller can use: GFP_KERNEL needs an address it can touch now, so
 * lowmem only; GFP_HIGHUSER takes highmem first, since the caller will
 * map the page itself (kmap_local_page and friends).
 */
#ifndef MM_PAGE_ALLOC_H
#define MM_PAGE_ALLOC_H

#include <kernel/spinlock.h>
#include <mm/page.h>

#define MAX_ORDER 10

enum zone_type {
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	NR_ZONES
};

typedef unsigned int gfp_t;
#define __GFP_HIGHMEM (1u << 0) /* highmem is fine (preferred) */
#define GFP_KERNEL    0u
#define GFP_HIGHUSER  __GFP_HIGHMEM

struct free_area {
	struct list_head free_list;
	unsigned long nr_free; /* blocks of this order */
};

struct zone {
	const char *name;
	pfn_t start_pfn, end_pfn;    /* [start, end) */
	unsigned long managed_pages; /* given to the buddy allocator */

	spinlock_t lock;
	/* protected by lock: */
	struct free_area free_area[MAX_ORDER + 1];
	unsigned long free_pages;
	unsigned long bad_frees; /* refused double/invalid frees */
};

extern struct zone zones[NR_ZONES];

/*
 * Allocate 2^order contiguous pages. Returns the head page, refcount 1,
 * or NULL when no zone the flags allow has a free block that large.
 * Context: any (takes the zone lock with interrupts off).
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order);

/* The same, from one zone only, with no fallback. Context: any. */
struct page *alloc_pages_zone(enum zone_type zone, unsigned int order);

static inline struct page *alloc_page(gfp_t gfp)
{
	return alloc_pages(gfp, 0);
}

/*
 * Free a block alloc_pages() returned, with the same order. A double
 * free, or a free of a page that was never allocated, is reported by
 * name (with a backtrace) and refused: the allocator stays consistent.
 * Context: any.
 * Return: true if the block was freed, false if the free was refused.
 */
bool free_pages(struct page *page, unsigned int order);

static inline void free_page(struct page *page)
{
	free_pages(page, 0);
}

/*
 * Why page is not an allocated page of RAM that a caller may own and
 * map, or NULL if it is: NULL itself, a pointer outside mem_map or
 * between its entries, a reserved frame (a hole, the kernel image,
 * firmware), or a free page (freed, or never allocated). Mapping
 * interfaces refuse such pages by this reason.
 * Context: any; the answer about a free page can be stale if another
 * CPU allocates it meanwhile, which only makes a refusal too strict.
 */
const char *page_not_owned_reason(const struct page *page);

/*
 * The same test as page_not_owned_reason(), inline and without the
 * reason: true if page is an allocated page of RAM. A NULL or stray
 * pointer lands outside mem_map or between its entries; the unsigned
 * subtraction sends a pointer below mem_map far above the end. Mapping
 * loops (vmap) run it on every page, and ask for the reason only when
 * it says no. Context: as page_not_owned_reason().
 */
static inline bool page_owned(const struct page *page)
{
	uintptr_t offset = (uintptr_t)page - (uintptr_t)mem_map;

	return offset % sizeof(struct page) == 0 &&
	       offset / sizeof(struct page) < max_pfn &&
	       !(READ_ONCE(page->flags) & (PG_reserved | PG_unowned));
}

/*
 * page_owned(), with the page's frame number in *pfn when it says yes:
 * a loop that maps the page it checked (vmap) computes it once.
 */
static inline bool page_owned_pfn(const struct page *page, pfn_t *pfn)
{
	uintptr_t offset = (uintptr_t)page - (uintptr_t)mem_map;

	*pfn = offset / sizeof(struct page);
	return offset % sizeof(struct page) == 0 && *pfn < max_pfn &&
	       !(READ_ONCE(page->flags) & (PG_reserved | PG_unowned));
}

/* Convenience for lowmem: a direct-map address, or NULL. */
void *get_free_pages(unsigned int order);

/* Build mem_map and the zones from the boot memory map. Boot only. */
void page_alloc_init(void);

/*
 * What page_alloc_init() cost this boot: the timestamp ticks from the
 * first struct page written to the last free block handed over (the
 * boot messages excluded), and how many frames mem_map has. The
 * benchmark boot_page_init_per_frame reports the one over the other.
 * Context: any, after page_alloc_init().
 */
void page_alloc_init_cost(uint64_t *ticks, unsigned long *frames);

unsigned long zone_free_pages(enum zone_type z);
unsigned long total_bad_frees(void);

/* Is mm.debug=1 (poison freed pages) on? */
bool mm_debug_enabled(void);

#endif
