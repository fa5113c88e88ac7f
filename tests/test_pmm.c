/*
 * Suite "pmm": the page allocator and kmalloc.
 *
 * The exhaustion test is the strongest: it takes every free page of a
 * zone, checks each one, gives them all back and expects the counts to
 * return exactly. A leak, a page handed out twice or a lost merge would
 * show up as a count that does not come back.
 */
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/memblock.h>
#include <mm/page_alloc.h>

#define PFN_4G (1u << (32 - PAGE_SHIFT))

static void snapshot_free_area(enum zone_type z, unsigned long *out)
{
	for (int k = 0; k <= MAX_ORDER; k++)
		out[k] = zones[z].free_area[k].nr_free;
}

static void exhaust_zone(struct ktest *t, enum zone_type z)
{
	unsigned long before = zone_free_pages(z), taken = 0;
	pfn_t highest = 0;
	bool wrong_zone = false;
	LIST_HEAD(held);
	struct page *page;

	while ((page = alloc_pages_zone(z, 0))) {
		wrong_zone |= PageHighMem(page) != (z == ZONE_HIGHMEM);
		highest = MAX(highest, page_to_pfn(page));
		list_add(&page->list, &held);
		taken++;
	}
	kt_diag(t, "zone %s: took %lu pages, highest pfn %#x", zones[z].name,
		taken, highest);
	KT_EXPECT_EQ(t, taken, before);
	KT_EXPECT_EQ(t, zone_free_pages(z), 0);
	KT_EXPECT_FALSE(t, wrong_zone);
	while (!list_empty(&held)) {
		page = list_first_entry(&held, struct page, list);
		list_del(&page->list);
		free_page(page);
	}
	KT_EXPECT_EQ(t, zone_free_pages(z), before);
	if (z == ZONE_HIGHMEM && memblock_usable_end() > (1ull << 32))
		KT_EXPECT_GE(t, highest, PFN_4G);
}

static void pmm_exhaust_and_refill_lowmem(struct ktest *t)
{
	exhaust_zone(t, ZONE_NORMAL);
}

static void pmm_exhaust_and_refill_highmem(struct ktest *t)
{
	if (!zones[ZONE_HIGHMEM].managed_pages) {
		kt_skip(t, "no highmem on this machine");
		return;
	}
	exhaust_zone(t, ZONE_HIGHMEM);
}

/*
 * Allocating one page from a zone whose smallest free block has order
 * k splits it: one new free block at each order below k. Freeing the
 * page merges them all back.
 */
static void pmm_buddy_split_and_merge(struct ktest *t)
{
	unsigned long before[MAX_ORDER + 1], after[MAX_ORDER + 1];
	unsigned int k = 0;
	struct page *page;

	snapshot_free_area(ZONE_NORMAL, before);
	while (k <= MAX_ORDER && !before[k])
		k++;
	KT_ASSERT_LE(t, k, MAX_ORDER);
	page = alloc_pages_zone(ZONE_NORMAL, 0);
	KT_ASSERT_NOT_NULL(t, page);
	snapshot_free_area(ZONE_NORMAL, after);
	KT_EXPECT_EQ(t, after[k], before[k] - 1);
	for (unsigned int j = 0; j < k; j++)
		KT_EXPECT_EQ(t, after[j], before[j] + 1);
	free_page(page);
	snapshot_free_area(ZONE_NORMAL, after);
	for (unsigned int j = 0; j <= MAX_ORDER; j++)
		KT_EXPECT_EQ(t, after[j], before[j]);
}

/* The largest order with a free lowmem block, or -1 if none. */
static int largest_free_order(void)
{
	unsigned long nr[MAX_ORDER + 1];
	int k = MAX_ORDER;

	snapshot_free_area(ZONE_NORMAL, nr);
	while (k >= 0 && !nr[k])
		k--;
	return k;
}

/*
 * Every order the zone can still serve: a small machine (-m 8M) has
 * no free block of the largest orders, and that is no fault of the
 * allocator.
 */
static void pmm_blocks_are_aligned(struct ktest *t)
{
	int top = largest_free_order();

	KT_ASSERT_GE(t, top, 0);
	if (top < MAX_ORDER)
		kt_diag(t,
			"no free lowmem block above order %d on this "
			"machine: orders %d-%d not tried",
			top, top + 1, MAX_ORDER);
	for (unsigned int order = 0; order <= (unsigned int)top; order++) {
		struct page *page = alloc_pages(GFP_KERNEL, order);

		KT_ASSERT_NOT_NULL(t, page);
		KT_EXPECT_EQ(t, page_to_pfn(page) & ((1u << order) - 1), 0);
		KT_EXPECT_EQ(t, page->refcount, 1);
		free_pages(page, order);
	}
}

static void pmm_gfp_chooses_zone(struct ktest *t)
{
	struct page *low = alloc_page(GFP_KERNEL);
	struct page *high = alloc_page(GFP_HIGHUSER);

	KT_ASSERT_NOT_NULL(t, low);
	KT_ASSERT_NOT_NULL(t, high);
	KT_EXPECT_FALSE(t, PageHighMem(low));
	KT_EXPECT_LT(t, page_to_pfn(low), max_low_pfn);
	if (zones[ZONE_HIGHMEM].managed_pages) {
		KT_EXPECT_TRUE(t, PageHighMem(high));
		KT_EXPECT_GE(t, page_to_pfn(high), max_low_pfn);
	} else {
		/* No highmem: GFP_HIGHUSER falls back to lowmem. */
		KT_EXPECT_FALSE(t, PageHighMem(high));
	}
	free_page(low);
	free_page(high);
}

static void pmm_double_free_refused(struct ktest *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long bad = total_bad_frees(), warns = warn_count();
	unsigned long free_before;

	KT_ASSERT_NOT_NULL(t, page);
	free_page(page);
	free_before = zone_free_pages(ZONE_NORMAL);
	free_page(page); /* the bug under test */
	KT_EXPECT_EQ(t, total_bad_frees(), bad + 1);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), free_before);
}

static void pmm_free_of_unallocated_refused(struct ktest *t)
{
	struct page *block = alloc_pages(GFP_KERNEL, 1);
	unsigned long bad = total_bad_frees();
	unsigned long free_before = zone_free_pages(ZONE_NORMAL);

	KT_ASSERT_NOT_NULL(t, block);
	/* The second page of a block was never handed out on its own. */
	free_page(block + 1);
	/* Frame 0 is reserved (BIOS data): never allocatable. */
	free_page(pfn_to_page(0));
	/* The right page with the wrong order. */
	free_pages(block, 0);
	KT_EXPECT_EQ(t, total_bad_frees(), bad + 3);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), free_before);
	free_pages(block, 1);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), free_before + 2);
}

static void pmm_freed_pages_poisoned(struct ktest *t)
{
	struct page *page;
	uint8_t *p;

	if (!mm_debug_enabled()) {
		kt_skip(t, "mm.debug=1 not given");
		return;
	}
	page = alloc_page(GFP_KERNEL);
	KT_ASSERT_NOT_NULL(t, page);
	p = lowmem_page_address(page);
	memset(p, 0, PAGE_SIZE);
	free_page(page);
	/* The page is free; we only look, as the allocator's tests may. */
	KT_EXPECT_EQ(t, p[0], 0x6b);
	KT_EXPECT_EQ(t, p[PAGE_SIZE - 1], 0x6b);
}

static void pmm_kmalloc_sizes(struct ktest *t)
{
	static const size_t sizes[] = { 1, 16, 17, 100, 512, 2048, 2049, 9000 };
	void *ptrs[ARRAY_SIZE(sizes)];
	unsigned long live = kmalloc_live_objects();

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		ptrs[i] = kmalloc(sizes[i]);
		KT_ASSERT_NOT_NULL(t, ptrs[i]);
		KT_EXPECT_EQ(t, (uintptr_t)ptrs[i] % 16, 0);
		memset(ptrs[i], (int)i, sizes[i]);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		const uint8_t *b = ptrs[i];

		KT_EXPECT_EQ(t, b[0], i);
		KT_EXPECT_EQ(t, b[sizes[i] - 1], i);
	}
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live + ARRAY_SIZE(sizes));
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		kfree(ptrs[i]);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
}

/*
 * Sizes no block can hold fail cleanly, however large: the order search
 * must not overflow (PAGE_SIZE << 20 is 0 in 32 bits) and spin forever.
 */
static void pmm_kmalloc_huge_size_fails(struct ktest *t)
{
	static const size_t sizes[] = { (8u << 20), 0x80000000u, 0x80000001u,
					SIZE_MAX };
	unsigned long live = kmalloc_live_objects();

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		kt_diag(t, "kmalloc(%#zx)", sizes[i]);
		KT_EXPECT_TRUE(t, kmalloc(sizes[i]) == NULL);
		KT_EXPECT_TRUE(t, kzalloc(sizes[i]) == NULL);
	}
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
}

/*
 * A second kfree of a small object is reported and refused. Accepted,
 * it would put the slot on its free list twice, and two later kmallocs
 * would hand out the same memory.
 */
static void pmm_kfree_double_free_refused(struct ktest *t)
{
	unsigned long live = kmalloc_live_objects();
	unsigned long warns;
	void *p = kmalloc(24), *a, *b;

	KT_ASSERT_NOT_NULL(t, p);
	kfree(p);
	warns = warn_count();
	kfree(p); /* double free */
	KT_EXPECT_EQ(t, warn_count() - warns, 1);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
	a = kmalloc(24);
	b = kmalloc(24);
	KT_EXPECT_NOT_NULL(t, a);
	KT_EXPECT_NOT_NULL(t, b);
	KT_EXPECT_NE(t, (uintptr_t)a, (uintptr_t)b);
	kfree(a);
	kfree(b);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
}

/* Free blocks of a zone not aligned to their order (their head's pfn). */
static unsigned int misaligned_free_blocks(enum zone_type z)
{
	struct zone *zone = &zones[z];
	unsigned long flags = spin_lock_irqsave(&zone->lock);
	unsigned int bad = 0;
	struct list_head *pos;

	for (unsigned int k = 0; k <= MAX_ORDER; k++)
		list_for_each(pos, &zone->free_area[k].free_list) {
			pfn_t pfn =
				page_to_pfn(list_entry(pos, struct page, list));

			bad += (pfn & ((1u << k) - 1)) != 0;
		}
	spin_unlock_irqrestore(&zone->lock, flags);
	return bad;
}

/* Index in held[0..n) of the buddy of held[n] at order 0, or -1. */
static int held_buddy(struct page *const *held, unsigned int n)
{
	pfn_t want = page_to_pfn(held[n]) ^ 1;

	for (unsigned int j = 0; j < n; j++)
		if (page_to_pfn(held[j]) == want)
			return (int)j;
	return -1;
}

/*
 * Freeing the upper half of a pair whose lower half is free merges them
 * into one block headed by the lower half: a block's head is aligned to
 * its order, or its buddy arithmetic (pfn ^ 2^order) finds the wrong
 * neighbour. Allocation splits hand out the lower half first, so the
 * case takes single pages until it holds both halves of a pair, frees
 * the lower, then the upper, and checks every free block's head.
 */
static void pmm_upper_half_free_merges_under_the_lower(struct ktest *t)
{
	struct page *held[64];
	unsigned int n, lower = 0, upper = 0;
	int buddy = -1;

	for (n = 0; n < ARRAY_SIZE(held) && buddy < 0; n++) {
		held[n] = alloc_pages_zone(ZONE_NORMAL, 0);
		if (!held[n])
			break;
		buddy = held_buddy(held, n);
	}
	if (buddy >= 0) {
		/* The pair: held[n - 1] and held[buddy]; even pfn is lower. */
		bool last_is_upper = page_to_pfn(held[n - 1]) & 1;

		lower = last_is_upper ? (unsigned int)buddy : n - 1;
		upper = last_is_upper ? n - 1 : (unsigned int)buddy;
		KT_EXPECT_EQ(t, misaligned_free_blocks(ZONE_NORMAL), 0);
		free_page(held[lower]);
		free_page(held[upper]);
		KT_EXPECT_EQ(t, misaligned_free_blocks(ZONE_NORMAL), 0);
	} else {
		KT_FAIL(t, "no buddy pair among %u single pages", n);
	}
	for (unsigned int j = 0; j < n; j++)
		if (buddy < 0 || (j != lower && j != upper))
			free_page(held[j]);
}

static const struct ktest_case pmm_cases[] = {
	KTEST_CASE(pmm_exhaust_and_refill_lowmem),
	KTEST_CASE(pmm_exhaust_and_refill_highmem),
	KTEST_CASE(pmm_buddy_split_and_merge),
	KTEST_CASE(pmm_blocks_are_aligned),
	KTEST_CASE(pmm_upper_half_free_merges_under_the_lower),
	KTEST_CASE(pmm_gfp_chooses_zone),
	KTEST_CASE(pmm_double_free_refused),
	KTEST_CASE(pmm_free_of_unallocated_refused),
	KTEST_CASE(pmm_freed_pages_poisoned),
	KTEST_CASE(pmm_kmalloc_sizes),
	KTEST_CASE(pmm_kmalloc_huge_size_fails),
	KTEST_CASE(pmm_kfree_double_free_refused),
};
KTEST_SUITE(pmm, pmm_cases);
