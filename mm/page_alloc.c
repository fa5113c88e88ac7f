/*
 * The buddy page allocator.
 *
 * Each zone keeps, per order k, a list of free blocks of 2^k pages,
 * aligned to 2^k pages. A block's "buddy" is the other half of the
 * block of twice its size: its frame number differs in bit k only.
 * Allocating splits a larger block in halves until it has the size
 * asked for; freeing merges a block with its buddy while the buddy is
 * free, whole, and in the same zone.
 *
 * Only the head page of a free block carries PG_buddy and the order.
 * An allocated block's head has refcount 1; every other page has 0.
 * That is what lets free_pages() refuse a double free or a free of a
 * page that was never handed out, instead of corrupting the lists.
 */
#include <arch/cpu.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/memblock.h>
#include <mm/page_alloc.h>

#define PAGE_POISON 0x6b /* freed memory under mm.debug=1 */

struct zone zones[NR_ZONES] = {
	[ZONE_NORMAL] = { .name = "Normal",
			  .lock = SPINLOCK_INIT(zone_normal_lock) },
	[ZONE_HIGHMEM] = { .name = "HighMem",
			   .lock = SPINLOCK_INIT(zone_highmem_lock) },
};

struct page *mem_map;
static bool mm_debug;

static bool set_mm_debug(const char *val)
{
	return param_bool01(val, &mm_debug);
}
DEFINE_PARAM("mm.debug", set_mm_debug, "0 or 1");

bool mm_debug_enabled(void)
{
	return mm_debug;
}

static struct zone *page_zone(const struct page *page)
{
	return &zones[PageHighMem(page) ? ZONE_HIGHMEM : ZONE_NORMAL];
}

/* Is pfn's page the free head of a block of exactly this order? */
static bool is_free_buddy(struct zone *zone, pfn_t pfn, unsigned int order)
{
	struct page *page;

	if (pfn < zone->start_pfn || pfn >= zone->end_pfn)
		return false;
	page = pfn_to_page(pfn);
	return (page->flags & PG_buddy) && page_order(page) == order;
}

static void add_free_block(struct zone *zone, struct page *page,
			   unsigned int order)
{
	page_flags_set(page, PG_buddy);
	set_page_order(page, order);
	list_add(&page->list, &zone->free_area[order].free_list);
	zone->free_area[order].nr_free++;
}

static void del_free_block(struct zone *zone, struct page *page,
			   unsigned int order)
{
	list_del(&page->list);
	page_flags_clear(page, PG_buddy);
	zone->free_area[order].nr_free--;
}

/*
 * Every page of a free block carries PG_unowned, not just its head, so
 * a mapping interface handed any page can tell at once whether someone
 * owns it. An allocated block's pages also lose PG_freed, which each
 * may keep from a past life as the head of a free block. Zone lock
 * held.
 */
static void mark_block_unowned(struct page *head, unsigned int order,
			       bool unowned)
{
	for (unsigned int i = 0; i < 1u << order; i++)
		page_flags_update(head + i,
				  unowned ? PG_unowned : PG_unowned | PG_freed,
				  unowned ? PG_unowned : 0);
}

const char *page_not_owned_reason(const struct page *page)
{
	uintptr_t offset = (uintptr_t)page - (uintptr_t)mem_map;

	if (!page)
		return "a NULL struct page";
	if ((uintptr_t)page < (uintptr_t)mem_map ||
	    offset >= (uintptr_t)max_pfn * sizeof(struct page) ||
	    offset % sizeof(struct page))
		return "not a struct page (outside mem_map, or between "
		       "its entries)";
	if (READ_ONCE(page->flags) & PG_reserved)
		return "a reserved frame (not a page from the page "
		       "allocator)";
	if (READ_ONCE(page->flags) & PG_unowned)
		return "a free page (freed, or never allocated)";
	return NULL;
}

/* Merge with free buddies as far as possible. Zone lock held. */
static void free_block(struct zone *zone, pfn_t pfn, unsigned int order)
{
	while (order < MAX_ORDER) {
		pfn_t buddy = pfn ^ (1u << order);

		if (!is_free_buddy(zone, buddy, order))
			break;
		del_free_block(zone, pfn_to_page(buddy), order);
		pfn &= ~(1u << order); /* the lower half heads the union */
		order++;
	}
	add_free_block(zone, pfn_to_page(pfn), order);
}

static struct page *zone_alloc(struct zone *zone, unsigned int order)
{
	unsigned long flags = spin_lock_irqsave(&zone->lock);
	struct page *page = NULL;
	unsigned int k;

	for (k = order; k <= MAX_ORDER; k++)
		if (!list_empty(&zone->free_area[k].free_list))
			break;
	if (k <= MAX_ORDER) {
		page = list_first_entry(&zone->free_area[k].free_list,
					struct page, list);
		del_free_block(zone, page, k);
		/* Split: give back the upper halves until 2^order is left. */
		while (k > order) {
			k--;
			add_free_block(zone, page + (1u << k), k);
		}
		mark_block_unowned(page, order, false);
		set_page_order(page, order);
		page->refcount = 1;
		zone->free_pages -= 1u << order;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	return page;
}

struct page *alloc_pages_zone(enum zone_type z, unsigned int order)
{
	if (WARN(order > MAX_ORDER,
		 "alloc_pages: order %u is above "
		 "MAX_ORDER %u",
		 order, MAX_ORDER))
		return NULL;
	return zone_alloc(&zones[z], order);
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = NULL;

	if (order > MAX_ORDER) {
		WARN(1, "alloc_pages: order %u is above MAX_ORDER %u", order,
		     MAX_ORDER);
		return NULL;
	}
	if (gfp & __GFP_HIGHMEM)
		page = zone_alloc(&zones[ZONE_HIGHMEM], order);
	if (!page)
		page = zone_alloc(&zones[ZONE_NORMAL], order);
	return page;
}

/* Why this free must be refused, or NULL if it is fine. */
static const char *bad_free_reason(const struct page *page, unsigned int order)
{
	if (page->flags & PG_reserved)
		return "free of a reserved page (never allocatable)";
	if (page->refcount == 0)
		return (page->flags & PG_freed)
			       ? "double free"
			       : "free of a never-allocated page";
	if (page_order(page) != order)
		return "free with the wrong order";
	return NULL;
}

/*
 * A page still mapped must not be freed: its next owner would find it
 * mapped, and the users' pointers would reach the new owner's data.
 * Asks the pkmap pool (any kmap() user) and kmap_local (the freeing
 * task's own maps); NULL if no page of the block is mapped. Must run
 * before the zone lock (the pool's lock comes first).
 */
static const char *free_of_mapped_page(struct page *page, unsigned int order)
{
	if (!PageHighMem(page) && !kmap_force_map_enabled())
		return NULL;
	for (unsigned int i = 0; i < 1u << order; i++) {
		const char *why = PageHighMem(page + i)
					  ? pkmap_page_freeing(page + i)
					  : NULL;

		if (!why && kmap_local_holds_page(page + i))
			why = "the page is still mapped by this thread's "
			      "kmap_local_page(): kunmap_local it first";
		if (why)
			return why;
	}
	return NULL;
}

bool free_pages(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	pfn_t pfn = page_to_pfn(page);
	unsigned long flags;
	const char *reason;

	/*
	 * Walk the pages only if they are the caller's block: with a wrong
	 * order (or a page not allocated) the walk would ask about, and
	 * drop the cached pkmap slots of, other owners' pages, or run past
	 * mem_map. Checked here without the lock (the block of a caller
	 * that owns it cannot change), and again under it below, where a
	 * bad free is reported and counted.
	 */
	reason = bad_free_reason(page, order)
			 ? NULL
			 : free_of_mapped_page(page, order);
	if (reason) {
		WARN(1, "free_pages: pfn %#lx: %s (refused)",
		     (unsigned long)page_to_pfn(page), reason);
		return false;
	}
	flags = spin_lock_irqsave(&zone->lock);
	reason = bad_free_reason(page, order);
	if (reason) {
		zone->bad_frees++;
		spin_unlock_irqrestore(&zone->lock, flags);
		WARN(1, "free_pages: %s: pfn %#lx order %u (refused)", reason,
		     (unsigned long)pfn, order);
		return false;
	}
	/* Poison only a free we accepted, and before anyone can reuse it. */
	if (mm_debug && !PageHighMem(page))
		memset(lowmem_page_address(page), PAGE_POISON,
		       PAGE_SIZE << order);
	page->refcount = 0;
	page_flags_set(page, PG_freed);
	mark_block_unowned(page, order, true);
	zone->free_pages += 1u << order;
	free_block(zone, pfn, order);
	spin_unlock_irqrestore(&zone->lock, flags);
	return true;
}

void *get_free_pages(unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	return page ? lowmem_page_address(page) : NULL;
}

unsigned long zone_free_pages(enum zone_type z)
{
	return READ_ONCE(zones[z].free_pages);
}

unsigned long total_bad_frees(void)
{
	return READ_ONCE(zones[ZONE_NORMAL].bad_frees) +
	       READ_ONCE(zones[ZONE_HIGHMEM].bad_frees);
}

/* Hand a boot-free run of frames to the allocator, in aligned blocks. */
static void release_range(pfn_t start, pfn_t end)
{
	while (start < end) {
		struct zone *zone = &zones[start < max_low_pfn ? ZONE_NORMAL
							       : ZONE_HIGHMEM];
		pfn_t limit = MIN(end, zone->end_pfn);
		unsigned int order = MAX_ORDER;

		while (order && (!IS_ALIGNED(start, 1u << order) ||
				 start + (1u << order) > limit))
			order--;
		/*
		 * Plain stores of the whole flags word: at boot nothing else
		 * looks at mem_map yet, and init_frames() set nothing else.
		 */
		uint32_t flags =
			PG_unowned |
			(zone == &zones[ZONE_HIGHMEM] ? PG_highmem : 0);
		struct page *page = mem_map + start;

		for (pfn_t n = 1u << order; n; n--, page++)
			page->flags = flags;
		zone->managed_pages += 1u << order;
		zone->free_pages += 1u << order;
		free_block(zone, start, order);
		start += 1u << order;
	}
}

/*
 * Every byte of struct page for frames [start, end): mem_map is not
 * zeroed beforehand, so this is the one write each frame gets here.
 */
static void init_frames(pfn_t start, pfn_t end, uint32_t flags)
{
	struct page *page = mem_map + start, *stop = mem_map + end;

	for (; page < stop; page++)
		*page = (struct page){ .flags = flags };
}

/* Set once by page_alloc_init(), read by page_alloc_init_cost(). */
static uint64_t init_ticks;

void page_alloc_init_cost(uint64_t *ticks, unsigned long *frames)
{
	*ticks = init_ticks;
	*frames = max_pfn;
}

void page_alloc_init(void)
{
	uint64_t map_bytes = (uint64_t)max_pfn * sizeof(struct page);
	uint64_t t0 = arch_timestamp();

	mem_map = memblock_alloc_low_uninit(map_bytes);
	zones[ZONE_NORMAL].start_pfn = 0;
	zones[ZONE_NORMAL].end_pfn = max_low_pfn;
	zones[ZONE_HIGHMEM].start_pfn = max_low_pfn;
	zones[ZONE_HIGHMEM].end_pfn = max_pfn;
	for (int z = 0; z < NR_ZONES; z++)
		for (int k = 0; k <= MAX_ORDER; k++)
			list_init(&zones[z].free_area[k].free_list);
	/* Every frame starts reserved; free RAM is released below. */
	init_frames(0, max_low_pfn, PG_reserved);
	init_frames(max_low_pfn, max_pfn, PG_reserved | PG_highmem);
	memblock_for_each_free_range(release_range);
	memblock_retire();
	init_ticks = arch_timestamp() - t0;
	pr_info("mem_map: %u frames, %zu bytes of struct page each: "
		"%llu KiB of lowmem\n",
		max_pfn, sizeof(struct page),
		(unsigned long long)(map_bytes >> 10));
	for (int z = 0; z < NR_ZONES; z++)
		pr_info("zone %-7s pfn %#08x-%#08x: %lu pages managed "
			"(%lu MiB)\n",
			zones[z].name, zones[z].start_pfn, zones[z].end_pfn,
			zones[z].managed_pages,
			zones[z].managed_pages >> (20 - PAGE_SHIFT));
}
