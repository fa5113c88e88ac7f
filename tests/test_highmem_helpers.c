/*
 * Suite "highmem_helpers": memcpy_to_page, memcpy_from_page,
 * memzero_page and copy_highpage (include/mm/highmem_helpers.h). Each
 * works on a highmem page, touches exactly its range, leaves no local
 * map behind, and refuses by name a range that passes the page's end
 * without touching a byte, on this page or the next.
 */
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/highmem_helpers.h>
#include "kmap_helpers.h"

#define FILL 0xa5 /* what a page holds before a helper runs */

/* Set every byte of a page to c, through a local map. */
static void page_set(struct page *page, uint8_t c)
{
	void *va = kmap_local_page(page);

	memset(va, c, PAGE_SIZE);
	kunmap_local(va);
}

/* How many bytes of [from, to) in page differ from c. */
static unsigned int page_count_not(struct page *page, size_t from, size_t to,
				   uint8_t c)
{
	const uint8_t *va = kmap_local_page(page);
	unsigned int bad = 0;

	for (size_t i = from; i < to; i++)
		bad += va[i] != c;
	kunmap_local(va);
	return bad;
}

static void
highmem_helpers_copy_to_and_back_from_a_highmem_page(struct ktest *t)
{
	struct page *p = kt_highmem_page(t);
	char in[40], out[40];
	int depth = kmap_local_depth();

	if (!p)
		return;
	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 1);
	page_set(p, FILL);
	KT_EXPECT_TRUE(t, memcpy_to_page(p, 1000, in, sizeof(in)));
	KT_EXPECT_TRUE(t, memcpy_from_page(out, p, 1000, sizeof(out)));
	KT_EXPECT_EQ(t, memcmp(in, out, sizeof(in)), 0);
	/* Only the range was written. */
	KT_EXPECT_EQ(t, page_count_not(p, 0, 1000, FILL), 0);
	KT_EXPECT_EQ(t, page_count_not(p, 1000 + sizeof(in), PAGE_SIZE, FILL),
		     0);
	/* A range that ends exactly at the page's end is fine. */
	KT_EXPECT_TRUE(t, memcpy_to_page(p, PAGE_SIZE - 8, in, 8));
	KT_EXPECT_EQ(t, kmap_local_depth(), depth);
	free_page(p);
}

static void highmem_helpers_memzero_zeroes_only_its_range(struct ktest *t)
{
	struct page *p = kt_highmem_page(t);

	if (!p)
		return;
	page_set(p, FILL);
	KT_EXPECT_TRUE(t, memzero_page(p, 512, 1024));
	KT_EXPECT_EQ(t, page_count_not(p, 0, 512, FILL), 0);
	KT_EXPECT_EQ(t, page_count_not(p, 512, 1536, 0), 0);
	KT_EXPECT_EQ(t, page_count_not(p, 1536, PAGE_SIZE, FILL), 0);
	free_page(p);
}

static void highmem_helpers_copy_highpage_copies_every_byte(struct ktest *t)
{
	struct page *src = kt_highmem_page(t);
	struct page *high = src ? alloc_page(GFP_HIGHUSER) : NULL;
	struct page *low = alloc_page(GFP_KERNEL);
	int depth = kmap_local_depth();
	void *va;

	if (!src || !high || !low)
		goto out;
	va = kmap_local_page(src);
	kt_fill(va, 0x5eed);
	kunmap_local(va);
	page_set(high, 0);
	page_set(low, 0);
	KT_EXPECT_TRUE(t, copy_highpage(high, src)); /* high to high */
	KT_EXPECT_TRUE(t, copy_highpage(low, high)); /* high to low */
	va = kmap_local_page(high);
	KT_EXPECT_EQ(t, kt_check(va, 0x5eed), 0);
	kunmap_local(va);
	KT_EXPECT_EQ(t, kt_check(page_address(low), 0x5eed), 0);
	KT_EXPECT_EQ(t, kmap_local_depth(), depth);
out:
	if (src)
		free_page(src);
	if (high)
		free_page(high);
	if (low)
		free_page(low);
}

/*
 * Two physically adjacent lowmem pages: a helper told to write past
 * the end of the first would, unchecked, write into the second through
 * the direct map. Each bad range must be refused by name, and neither
 * page may change.
 */
static void
highmem_helpers_range_past_the_page_end_is_refused_by_name(struct ktest *t)
{
	struct page *pair = alloc_pages(GFP_KERNEL, 1);
	char buf[32] = { 0 };
	unsigned long warns;

	KT_ASSERT_NOT_NULL(t, pair);
	page_set(pair, FILL);
	page_set(pair + 1, FILL);

	warns = warn_count();
	KT_EXPECT_FALSE(t, memcpy_to_page(pair, PAGE_SIZE - 16, buf, 32));
	KT_EXPECT_WARNED(t, warns, "memcpy_to_page(pfn");
	warns = warn_count();
	KT_EXPECT_FALSE(t, memzero_page(pair, 8, PAGE_SIZE));
	KT_EXPECT_WARNED(t, warns, "memzero_page(pfn");
	warns = warn_count();
	/* offset + len wraps round to 8: still past the end. */
	KT_EXPECT_FALSE(t, memzero_page(pair, 16, (size_t)-8));
	KT_EXPECT_WARNED(t, warns, "passes the end of the page");
	warns = warn_count();
	KT_EXPECT_FALSE(t, memcpy_from_page(buf, pair, PAGE_SIZE + 1, 1));
	KT_EXPECT_WARNED(t, warns, "memcpy_from_page(pfn");

	KT_EXPECT_EQ(t, page_count_not(pair, 0, PAGE_SIZE, FILL), 0);
	KT_EXPECT_EQ(t, page_count_not(pair + 1, 0, PAGE_SIZE, FILL), 0);
	free_pages(pair, 1);
}

static const struct ktest_case highmem_helpers_cases[] = {
	KTEST_CASE(highmem_helpers_copy_to_and_back_from_a_highmem_page),
	KTEST_CASE(highmem_helpers_memzero_zeroes_only_its_range),
	KTEST_CASE(highmem_helpers_copy_highpage_copies_every_byte),
	KTEST_CASE(highmem_helpers_range_past_the_page_end_is_refused_by_name),
};
KTEST_SUITE(highmem_helpers, highmem_helpers_cases);
