/*
 * Suite "vmalloc": the vmalloc area, its guard pages, lazy purging,
 * highmem backing, running out of pages and of descriptors, and
 * misuse reports. The range allocator under it has its own suite
 * (tests/test_vmap_area.c), and so has the multi-CPU stress run
 * (tests/test_vmalloc_stress.c).
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <kernel/smp.h>
#include <kernel/system_state.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <kernel/sched.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>
#include "test_util.h"

static void vmalloc_to_page_round_trips(struct ktest *t)
{
	struct page *pages[5];
	uint8_t *p;

	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = alloc_page(GFP_HIGHUSER);
		KT_ASSERT_NOT_NULL(t, pages[i]);
	}
	p = vmap(pages, ARRAY_SIZE(pages), MAP_READ | MAP_WRITE);
	KT_ASSERT_NOT_NULL(t, p);
	KT_EXPECT_EQ(t, vmap_addr_state((uintptr_t)p), VMAP_BUSY);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++) {
		KT_EXPECT_EQ(t,
			     (uintptr_t)vmalloc_to_page(p + i * PAGE_SIZE +
							123),
			     (uintptr_t)pages[i]);
		p[i * PAGE_SIZE] = (uint8_t)i;
	}
	KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page(p + 5 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page((void *)PAGE_OFFSET), 0);
	vunmap(p);
	KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page(p), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		free_page(pages[i]);
}

/* The page after every area is unmapped and named in reports. */
static void vmalloc_guard_pages_named(struct ktest *t)
{
	char what[96];
	char *buf = vmalloc(3 * PAGE_SIZE);
	struct task *self = current_task();

	KT_ASSERT_NOT_NULL(t, buf);
	memset(buf, 0x5a, 3 * PAGE_SIZE);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped((uintptr_t)buf +
							3 * PAGE_SIZE));
	KT_ASSERT_TRUE(t, vmalloc_describe((uintptr_t)buf + 3 * PAGE_SIZE, what,
					   sizeof(what)));
	kt_diag(t, "%s", what);
	KT_EXPECT_TRUE(t, strstr(what, "guard page after the vmalloc area"));
	vfree(buf);

	/* A thread's stack: the page below is its guard page. */
	if (self->stack) {
		uintptr_t below = (uintptr_t)self->stack - 4;

		KT_EXPECT_FALSE(t, layout_kernel_address_mapped(below));
		KT_ASSERT_TRUE(t, vmalloc_describe(below, what, sizeof(what)));
		kt_diag(t, "%s", what);
		KT_EXPECT_TRUE(t, strstr(what, "guard page of thread"));
		KT_EXPECT_TRUE(t, strstr(what, self->name));
	}
	KT_EXPECT_FALSE(t, vmalloc_describe(PAGE_OFFSET, what, sizeof(what)));
}

/* Freed ranges wait for a purge before anyone gets them again. */
static void vmap_lazy_purge_reuses_only_after(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	uintptr_t freed[4], again;
	struct vmap_stats s;

	KT_ASSERT_NOT_NULL(t, page);
	vmap_purge();
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++)
		freed[i] = (uintptr_t)vmap(&page, 1, MAP_READ);
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++) {
		KT_ASSERT_TRUE(t, freed[i]);
		vunmap((void *)freed[i]);
		KT_EXPECT_EQ(t, vmap_addr_state(freed[i]), VMAP_LAZY);
	}
	s = vmap_get_stats();
	KT_EXPECT_GE(t, s.lazy_areas, ARRAY_SIZE(freed));
	/* Not reused before the purge... */
	again = (uintptr_t)vmap(&page, 1, MAP_READ);
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++)
		KT_EXPECT_NE(t, again, freed[i]);
	vunmap((void *)again);
	vmap_purge();
	s = vmap_get_stats();
	KT_EXPECT_EQ(t, s.lazy_areas, 0);
	/* ...free, and handed out again, after it (first fit). */
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++)
		KT_EXPECT_EQ(t, vmap_addr_state(freed[i]), VMAP_FREE);
	again = (uintptr_t)vmap(&page, 1, MAP_READ);
	KT_EXPECT_EQ(t, again, freed[0]);
	vunmap((void *)again);
	free_page(page);
}

/*
 * n one-page vmaps of page, their addresses in va[]: each must follow
 * the one before by a page and its guard, so that all n came from one
 * hole, which the cases below then cut up. Return: false, the case
 * failed by name, if a vmap failed or an area landed elsewhere.
 */
static bool vmap_back_to_back(struct ktest *t, struct page *page, uintptr_t *va,
			      unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		va[i] = (uintptr_t)vmap(&page, 1, MAP_READ);
		if (!va[i] || (i > 0 && va[i] != va[i - 1] + 2 * PAGE_SIZE)) {
			KT_FAIL(t,
				"one-page vmap %u of %u at %#lx, after %#lx: "
				"not back to back",
				i, n, (unsigned long)va[i],
				i > 0 ? (unsigned long)va[i - 1] : 0ul);
			return false;
		}
	}
	return true;
}

/*
 * The purge sorts only when it must: ranges freed out of address order
 * still go back merged, as one hole again, and only after the purge.
 */
static void vmap_purge_merges_out_of_order(struct ktest *t)
{
	static const unsigned int order[] = { 2, 0, 3, 1 };
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct page *pages[7];
	struct vmap_stats before, after;
	uintptr_t va[4], big;

	KT_ASSERT_NOT_NULL(t, page);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = page;
	vmap_purge();
	before = vmap_get_stats();
	if (!vmap_back_to_back(t, page, va, ARRAY_SIZE(va)))
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(order); i++)
		vunmap((void *)va[order[i]]);
	for (unsigned int i = 0; i < ARRAY_SIZE(va); i++)
		KT_EXPECT_EQ(t, vmap_addr_state(va[i]), VMAP_LAZY);
	vmap_purge();
	after = vmap_get_stats();
	KT_EXPECT_EQ(t, after.lazy_areas, 0);
	KT_EXPECT_EQ(t, after.free_ranges, before.free_ranges);
	for (unsigned int i = 0; i < ARRAY_SIZE(va); i++)
		KT_EXPECT_EQ(t, vmap_addr_state(va[i]), VMAP_FREE);
	/* Seven pages and a guard fill exactly the four old areas. */
	big = (uintptr_t)vmap(pages, ARRAY_SIZE(pages), MAP_READ);
	KT_EXPECT_EQ(t, big, va[0]);
	vunmap((void *)big);
	vmap_purge();
	free_page(page);
}

/*
 * A hole exactly the size asked for is taken. Five one-page areas (a
 * page and its guard each) back to back; the middle three freed and
 * purged leave a hole of six pages between two live areas, which five
 * pages and a guard fill exactly. Below the first area no hole holds
 * even two pages (first fit would have put it there), so the first fit
 * for six is this hole.
 */
static void vmap_exact_fit_hole_is_used(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct page *pages[5];
	uintptr_t va[5], fit;

	KT_ASSERT_NOT_NULL(t, page);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = page;
	vmap_purge();
	if (!vmap_back_to_back(t, page, va, ARRAY_SIZE(va)))
		return;
	for (unsigned int i = 1; i < 4; i++)
		vunmap((void *)va[i]);
	vmap_purge();
	fit = (uintptr_t)vmap(pages, ARRAY_SIZE(pages), MAP_READ);
	KT_EXPECT_EQ(t, fit, va[1]);
	if (fit)
		vunmap((void *)fit);
	vunmap((void *)va[0]);
	vunmap((void *)va[4]);
	vmap_purge();
	free_page(page);
}

/* Misuse is reported and refused, and changes nothing. */
static void vmap_misuse_refused(struct ktest *t)
{
	unsigned long warns = warn_count();
	struct page *page = alloc_page(GFP_KERNEL);
	struct vmap_stats before, after;
	void *v, *m;

	KT_ASSERT_NOT_NULL(t, page);
	v = vmap(&page, 1, MAP_READ);
	m = vmalloc(100);
	KT_ASSERT_TRUE(t, v && m);
	before = vmap_get_stats();
	vunmap((char *)v + PAGE_SIZE / 2); /* not the start */
	vunmap((void *)PAGE_OFFSET);	   /* not in the area */
	vunmap(m);			   /* a vmalloc area */
	vfree(v);			   /* a vmap area */
	after = vmap_get_stats();
	KT_EXPECT_EQ(t, warn_count() - warns, 4);
	KT_EXPECT_EQ(t, after.busy_areas, before.busy_areas);
	KT_EXPECT_EQ(t, after.busy_pages, before.busy_pages);
	vunmap(v);
	vfree(m);
	warns = warn_count();
	vfree(m); /* double free */
	KT_EXPECT_EQ(t, warn_count() - warns, 1);
	vfree(NULL);
	KT_EXPECT_TRUE(t, vmap(&page, 0, MAP_READ) == NULL);
	KT_EXPECT_TRUE(t, vmalloc(0) == NULL);
	free_page(page);
}

/*
 * Once boot is over (system_state), vmap may sleep on every machine:
 * called with interrupts off it is reported, on one CPU too, where
 * "one CPU online and interrupts off" looks just like early boot.
 */
static void vmap_irqs_off_after_boot_is_reported(struct ktest *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long warns, flags;
	void *v;

	KT_ASSERT_NOT_NULL(t, page);
	KT_EXPECT_EQ(t, system_state, SYSTEM_RUNNING);
	warns = warn_count();
	flags = arch_irq_save();
	v = vmap(&page, 1, MAP_READ);
	arch_irq_restore(flags);
	KT_EXPECT_WARNED(t, warns, "called from atomic context");
	KT_EXPECT_NOT_NULL(t, v);
	vunmap(v);
	free_page(page);
}

/* More than lowmem holds: only highmem can back it. */
static void vmalloc_more_than_lowmem(struct ktest *t)
{
	size_t lowmem = high_memory - PAGE_OFFSET;
	size_t size = lowmem + (4u << 20), words = size / 4;
	unsigned long high_before = zone_free_pages(ZONE_HIGHMEM);
	unsigned int highmem_pages = 0;
	uint32_t *buf, bad = 0;

	if ((uint64_t)high_before * PAGE_SIZE < size + (8u << 20) ||
	    VMALLOC_END - vmalloc_start < size + (8u << 20)) {
		kt_skip(t,
			"needs more than lowmem (%zu MiB) free in highmem "
			"and in the vmalloc area",
			lowmem >> 20);
		return;
	}
	buf = vmalloc(size);
	KT_ASSERT_NOT_NULL(t, buf);
	for (size_t i = 0; i < words; i++)
		buf[i] = (uint32_t)i * 0x9e3779b1u;
	for (size_t i = 0; i < words; i++)
		bad += buf[i] != (uint32_t)i * 0x9e3779b1u;
	for (size_t off = 0; off < size; off += PAGE_SIZE)
		highmem_pages +=
			PageHighMem(vmalloc_to_page((char *)buf + off));
	kt_diag(t,
		"%zu MiB vmalloc'd over %zu MiB of lowmem, %u highmem "
		"pages",
		size >> 20, lowmem >> 20, highmem_pages);
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_EQ(t, highmem_pages, size / PAGE_SIZE);
	vfree(buf);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_HIGHMEM), high_before);
}

/*
 * Take every free page (highmem and lowmem) onto held, in the largest
 * blocks there are: on an 8 GiB machine a page at a time is two million
 * allocations, and these cases need the memory gone, not each page
 * checked (pmm_exhaust_and_refill_* does that).
 */
static void take_every_page(struct list_head *held)
{
	for (int order = MAX_ORDER; order >= 0; order--) {
		struct page *page;

		while ((page = alloc_pages(GFP_HIGHUSER, order)))
			list_add(&page->list, held);
	}
}

/*
 * Give n pages back (all of them if n is larger). A block larger than
 * what is left to give goes back whole, and the pages it has too many
 * are taken again one at a time: everything else is taken, so they
 * come from that block, and exactly n pages end up free.
 */
static void give_back_pages(struct list_head *held, unsigned long n)
{
	while (n && !list_empty(held)) {
		struct page *page = list_first_entry(held, struct page, list);
		unsigned int order = page_order(page);
		unsigned long extra;

		list_del(&page->list);
		free_pages(page, order);
		extra = (1ul << order) > n ? (1ul << order) - n : 0;
		n -= (1ul << order) - extra;
		while (extra--) {
			page = alloc_page(GFP_HIGHUSER);
			if (page)
				list_add_tail(&page->list, held);
		}
	}
}

/*
 * A vmalloc that runs out of pages half way returns NULL, gives back
 * every page it took and leaves none of its range mapped. The range it
 * reserved is known in advance: a probe of the same size, freed and
 * purged, leaves the hole first fit will choose again.
 */
#define OOM_GOT	  3 /* pages the failing vmalloc gets */
#define OOM_PAGES (OOM_GOT + 2)
static void vmalloc_out_of_pages_returns_null(struct ktest *t)
{
	struct kt_free_pages free0;
	struct vmap_stats before, after;
	LIST_HEAD(held);
	uintptr_t probe;
	void *v;

	vmap_purge();
	probe = (uintptr_t)vmalloc(OOM_PAGES * PAGE_SIZE);
	KT_ASSERT_TRUE(t, probe);
	vfree((void *)probe);
	vmap_purge();
	take_every_page(&held);
	give_back_pages(&held, OOM_GOT);
	free0 = kt_free_pages_now();
	before = vmap_get_stats();
	v = vmalloc(OOM_PAGES * PAGE_SIZE);
	after = vmap_get_stats();
	kt_diag(t, "%lu pages free before the vmalloc of %u, %lu after",
		free0.low + free0.high, OOM_PAGES,
		zone_free_pages(ZONE_NORMAL) + zone_free_pages(ZONE_HIGHMEM));
	KT_EXPECT_TRUE(t, v == NULL);
	kt_expect_pages_given_back(t, &free0);
	KT_EXPECT_EQ(t, after.busy_areas, before.busy_areas);
	KT_EXPECT_EQ(t, after.busy_pages, before.busy_pages);
	/* The failed range waits for a purge, with nothing mapped in it. */
	KT_EXPECT_EQ(t, vmap_addr_state(probe), VMAP_LAZY);
	for (unsigned int i = 0; i < OOM_PAGES; i++)
		KT_EXPECT_FALSE(t, layout_kernel_address_mapped(probe +
								i * PAGE_SIZE));
	give_back_pages(&held, ~0ul); /* all */
	vmap_purge();
	KT_EXPECT_EQ(t, vmap_addr_state(probe), VMAP_FREE);
}

/*
 * The small kmalloc classes (16 to 128 bytes: an area descriptor is in
 * one of them), each drained into a chain linked through the objects'
 * first word.
 */
#define SMALL_CLASSES 4
static void hold_small_objects(void *chain[SMALL_CLASSES])
{
	for (unsigned int c = 0; c < SMALL_CLASSES; c++) {
		void **o;

		chain[c] = NULL;
		while ((o = kmalloc(16u << c))) {
			*o = chain[c];
			chain[c] = o;
		}
	}
}

/* Free up to n objects of each chain. */
static void release_small_objects(void *chain[SMALL_CLASSES], unsigned long n)
{
	for (unsigned int c = 0; c < SMALL_CLASSES; c++)
		for (unsigned long i = 0; i < n && chain[c]; i++) {
			void **o = chain[c];

			chain[c] = *o;
			kfree(o);
		}
}

/*
 * With every page taken kmalloc cannot grow; with its small objects
 * held too, only a few are left for area descriptors, and lazily freed
 * areas keep theirs until a purge. A vmap must then purge to get one,
 * not fail. DESC_ROUNDS areas of a page and a guard stay under
 * VMAP_LAZY_MAX_PAGES, so no threshold purge comes first.
 */
#define DESC_ROUNDS 4000
#define DESC_SPARE  8 /* objects given back in each class */
static void vmap_purges_for_its_descriptor(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct vmap_stats before, after;
	void *objects[SMALL_CLASSES];
	unsigned int done = 0;
	LIST_HEAD(held);

	KT_ASSERT_NOT_NULL(t, page);
	vmap_purge();
	before = vmap_get_stats();
	take_every_page(&held);
	hold_small_objects(objects);
	release_small_objects(objects, DESC_SPARE);
	for (; done < DESC_ROUNDS; done++) {
		void *v = vmap(&page, 1, MAP_READ);

		if (!v)
			break;
		vunmap(v);
	}
	after = vmap_get_stats();
	release_small_objects(objects, ~0ul); /* all */
	give_back_pages(&held, ~0ul);
	vmap_purge();
	free_page(page);
	kt_diag(t,
		"%u of %u vmap/vunmap rounds with no free page, %lu "
		"purge(s)",
		done, DESC_ROUNDS, after.purges - before.purges);
	KT_EXPECT_EQ(t, done, DESC_ROUNDS);
	KT_EXPECT_GT(t, after.purges, before.purges);
}

/*
 * Fill the whole area, then free it all: the ranges go lazy, and an
 * allocation that then finds no room must purge and succeed. The last
 * area's guard page is the area's last page, below the lazy window.
 */
#define FILL_CHUNK 1024
static void vmap_fill_area_then_reuse(struct ktest *t)
{
	static uintptr_t got[1024];
	static struct page *same[FILL_CHUNK];
	struct page *page = alloc_page(GFP_HIGHUSER);
	unsigned long nr_free =
		zone_free_pages(ZONE_NORMAL) + zone_free_pages(ZONE_HIGHMEM);
	unsigned int n = 0, small = 0;
	uintptr_t top = 0;
	void *again;

	KT_ASSERT_NOT_NULL(t, page);
	KT_ASSERT_GE(t, nr_free, 2);
	for (unsigned int i = 0; i < FILL_CHUNK; i++)
		same[i] = page;
	vmap_purge();
	while (n < ARRAY_SIZE(got)) {
		void *v = vmap(same, FILL_CHUNK, MAP_READ);

		if (!v)
			break;
		got[n++] = (uintptr_t)v;
	}
	/* Then single pages, down to the very last hole. */
	while (n < ARRAY_SIZE(got)) {
		void *v = vmap(same, 1, MAP_READ);

		if (!v)
			break;
		got[n++] = (uintptr_t)v;
		small++;
	}
	kt_diag(t, "%u areas (%u single pages)", n, small);
	KT_ASSERT_LT(t, n, ARRAY_SIZE(got));
	for (unsigned int i = 0; i < n; i++) {
		uintptr_t end =
			got[i] + (i < n - small ? FILL_CHUNK : 1) * PAGE_SIZE;

		top = MAX(top, end);
		KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page((void *)got[i]),
			     (uintptr_t)page);
	}
	kt_diag(t, "highest area ends at %08lx, lazy window at %08lx",
		(unsigned long)top, (unsigned long)VMALLOC_LAZY_START);
	KT_EXPECT_LE(t, top + PAGE_SIZE, VMALLOC_LAZY_START);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(top));
	for (unsigned int i = 0; i < n; i++)
		vunmap((void *)got[i]);
	/* Purge-before-failing: all of it is reusable now. */
	again = vmap(same, FILL_CHUNK, MAP_READ);
	KT_EXPECT_NOT_NULL(t, again);
	vunmap(again);
	/* As much as a quarter chunk, but no more than half of free RAM. */
	again = vmalloc(MIN(FILL_CHUNK / 4, nr_free / 2) * PAGE_SIZE);
	KT_EXPECT_NOT_NULL(t, again);
	vfree(again);
	vmap_purge();
	free_page(page);
}

/*
 * Mapping needs no flush, unmapping does (docs/highmem.rst, vmap): no
 * CPU can hold a translation of an address that was never mapped, so
 * vmap() flushes nothing, yet every CPU reads the page through the new
 * address. The vunmap() and the purge after it do flush.
 */
static void vmap_maps_without_a_flush(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	unsigned long before;
	uint32_t *va, *p;
	unsigned int cpu;

	KT_ASSERT_NOT_NULL(t, page);
	va = kmap_local_page(page);
	va[3] = 0x5eed0000u | page_to_pfn(page);
	kunmap_local(va);
	vmap_purge(); /* nothing parked: vmap() won't purge */
	before = sum_tlb_flushes();
	p = vmap(&page, 1, MAP_READ);
	KT_ASSERT_NOT_NULL(t, p);
	for_each_online_cpu(cpu)
		KT_EXPECT_EQ(t, kt_read_on_cpu(cpu, &p[3]),
			     0x5eed0000u | page_to_pfn(page));
	KT_EXPECT_EQ(t, sum_tlb_flushes(), before);
	vunmap(p);
	vmap_purge();
	KT_EXPECT_GT(t, sum_tlb_flushes(), before);
	free_page(page);
}

static const struct ktest_case vmalloc_cases[] = {
	KTEST_CASE(vmalloc_to_page_round_trips),
	KTEST_CASE(vmalloc_guard_pages_named),
	KTEST_CASE(vmap_lazy_purge_reuses_only_after),
	KTEST_CASE(vmap_purge_merges_out_of_order),
	KTEST_CASE(vmap_exact_fit_hole_is_used),
	KTEST_CASE(vmap_misuse_refused),
	KTEST_CASE(vmap_irqs_off_after_boot_is_reported),
	KTEST_CASE(vmalloc_more_than_lowmem),
	KTEST_CASE(vmalloc_out_of_pages_returns_null),
	KTEST_CASE(vmap_purges_for_its_descriptor),
	KTEST_CASE(vmap_fill_area_then_reuse),
	KTEST_CASE(vmap_maps_without_a_flush),
};
KTEST_SUITE(vmalloc, vmalloc_cases);
