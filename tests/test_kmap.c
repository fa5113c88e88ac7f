/*
 * Suite "kmap": the pkmap pool. Each case proves one sentence of
 * docs/highmem.rst about kmap(), and says which in its name.
 */
#include <arch/mmu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <mm/highmem.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>
#include "kmap_helpers.h"

#define PATTERN(pfn, i) ((uint32_t)(pfn)*2654435761u + (i))

/* Writes through kmap land in the page: read back through vmap, and
 * through the kmap pointer itself, on every online CPU. */
static void kmap_pointer_valid_on_every_cpu(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	uint32_t *p, *v;

	if (!page)
		return;
	p = kmap(page);
	KT_ASSERT_NOT_NULL(t, p);
	KT_EXPECT_GE(t, (uintptr_t)p, PKMAP_BASE);
	KT_EXPECT_LT(t, (uintptr_t)p, PKMAP_END);
	p[7] = PATTERN(page_to_pfn(page), 7);
	v = vmap(&page, 1, MAP_READ);
	KT_ASSERT_NOT_NULL(t, v);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		KT_EXPECT_EQ(t, kt_read_on_cpu(cpu, &p[7]),
			     PATTERN(page_to_pfn(page), 7));
		KT_EXPECT_EQ(t, kt_read_on_cpu(cpu, &v[7]),
			     PATTERN(page_to_pfn(page), 7));
	}
	vunmap(v);
	kunmap(page);
	free_page(page);
}

static void kmap_lowmem_page_is_its_direct_map_address(struct ktest *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct pkmap_stats before, after;

	KT_ASSERT_NOT_NULL(t, page);
	pkmap_get_stats(&before);
	KT_EXPECT_TRUE(t, kmap(page) == lowmem_page_address(page));
	KT_EXPECT_TRUE(t, page_address(page) == lowmem_page_address(page));
	kunmap(page);
	pkmap_get_stats(&after);
	KT_EXPECT_EQ(t, after.maps, before.maps); /* no slot used */
	free_page(page);
}

/* Several users share one slot; its count is users + 1. After the last
 * kunmap the slot stays at 1 and page_address() still answers. */
static void kmap_same_page_shares_slot_count_users_plus_one(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	void *a, *b, *c;
	unsigned int nr;

	if (!page)
		return;
	kmap_flush_unused(); /* a page freed while cached is cached still */
	KT_EXPECT_TRUE(t, page_address(page) == NULL);
	a = kmap(page);
	b = kmap(page);
	c = kmap(page);
	KT_EXPECT_TRUE(t, a == b && b == c);
	nr = PKMAP_NR(a);
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 4);
	KT_EXPECT_TRUE(t, page_address(page) == a);
	kunmap(page);
	kunmap(page);
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 2);
	kunmap(page);
	/* kunmap released the address, not the page: it stays cached. */
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 1);
	KT_EXPECT_TRUE(t, page_address(page) == a);
	kmap_flush_unused();
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 0);
	KT_EXPECT_TRUE(t, page_address(page) == NULL);
	free_page(page);
}

static void kunmap_of_unmapped_page_is_reported(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	struct pkmap_stats before, after;
	unsigned long warns = warn_count();

	if (!page)
		return;
	pkmap_get_stats(&before);
	kunmap(page); /* the bug under test */
	pkmap_get_stats(&after);
	KT_EXPECT_EQ(t, after.bad_unmaps, before.bad_unmaps + 1);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
	free_page(page);
}

/*
 * A kmap() of a page with no slot is a miss, one of a page whose slot
 * is cached at 1 a hit; maps is their sum. Then a kunmap() too many,
 * once the slot is back at 1 (cached, with no user), is refused by
 * name and leaves the slot and the page's address as they were.
 */
static void kmap_counts_hits_misses_and_refuses_cached_kunmap(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	struct pkmap_stats s0, s1, s2, s3;
	unsigned long warns;
	void *a;

	if (!page)
		return;
	kmap_flush_unused(); /* no slot cached for a page we now own */
	pkmap_get_stats(&s0);
	a = kmap(page); /* a miss: a new slot */
	kunmap(page);
	pkmap_get_stats(&s1);
	KT_EXPECT_EQ(t, s1.misses, s0.misses + 1);
	KT_EXPECT_EQ(t, s1.hits, s0.hits);
	KT_EXPECT_EQ(t, s1.maps, s0.maps + 1);
	KT_EXPECT_TRUE(t, kmap(page) == a); /* a hit: the cached slot */
	kunmap(page);
	pkmap_get_stats(&s2);
	KT_EXPECT_EQ(t, s2.hits, s1.hits + 1);
	KT_EXPECT_EQ(t, s2.misses, s1.misses);
	KT_EXPECT_EQ(t, s2.maps, s1.maps + 1);
	KT_EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR(a)), 1);
	warns = warn_count();
	kunmap(page); /* the bug under test: no kmap() left to undo */
	pkmap_get_stats(&s3);
	KT_EXPECT_EQ(t, s3.bad_unmaps, s2.bad_unmaps + 1);
	KT_EXPECT_EQ(t, s3.unmaps, s2.unmaps);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
	KT_EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR(a)), 1);
	KT_EXPECT_TRUE(t, page_address(page) == a);
	free_page(page);
}

static void kmap_in_atomic_context_is_caught_by_might_sleep(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	unsigned long before = might_sleep_violations();

	if (!page)
		return;
	preempt_disable();
	kmap(page);   /* the bug under test: a slot is free, so */
	kunmap(page); /* it goes on, but it is reported */
	preempt_enable();
	KT_EXPECT_EQ(t, might_sleep_violations(), before + 1);
	free_page(page);
}

#define POOL_PAGES (LAST_PKMAP + 1)

struct pool_fill {
	struct page *pages[POOL_PAGES];
	unsigned int held;
	volatile unsigned int waiter_mapped;
};

static int late_mapper(void *arg)
{
	struct pool_fill *pf = arg;

	kmap(pf->pages[LAST_PKMAP]); /* sleeps: the pool is full */
	pf->waiter_mapped = 1;
	kunmap(pf->pages[LAST_PKMAP]);
	return 0;
}

static bool alloc_pool_pages(struct ktest *t, struct pool_fill *pf)
{
	for (unsigned int i = 0; i < POOL_PAGES; i++) {
		pf->pages[i] = alloc_page(GFP_HIGHUSER);
		if (!pf->pages[i] || !PageHighMem(pf->pages[i])) {
			if (pf->pages[i])
				free_page(pf->pages[i]);
			while (i--)
				free_page(pf->pages[i]);
			kt_skip(t, "needs %u highmem pages", POOL_PAGES);
			return false;
		}
	}
	return true;
}

static unsigned long pool_waits(void)
{
	struct pkmap_stats now;

	pkmap_get_stats(&now);
	return now.waits;
}

/* LAST_PKMAP distinct pages fill the pool; the next kmap() sleeps until
 * another thread kunmaps. */
static void kmap_full_pool_sleeps_until_kunmap(struct ktest *t)
{
	static struct pool_fill pf;
	struct pkmap_stats before, after;
	struct task *waiter;

	if (!alloc_pool_pages(t, &pf))
		return;
	pf.waiter_mapped = 0;
	kmap_flush_unused();
	for (pf.held = 0; pf.held < LAST_PKMAP; pf.held++)
		kmap(pf.pages[pf.held]);
	pkmap_get_stats(&before);
	waiter = kthread_run(late_mapper, &pf, "late_mapper");
	KT_ASSERT_NOT_NULL(t, waiter);
	/* Its kmap() counts a wait, then sleeps: wait for both. */
	KT_EXPECT_TRUE(t, KT_WAIT_UNTIL(t, pool_waits() > before.waits &&
						   READ_ONCE(waiter->state) ==
							   TASK_SLEEPING));
	pkmap_get_stats(&after);
	KT_EXPECT_EQ(t, pf.waiter_mapped, 0);
	KT_EXPECT_EQ(t, READ_ONCE(waiter->state), TASK_SLEEPING);
	KT_EXPECT_GE(t, after.waits, before.waits + 1);
	kunmap(pf.pages[0]); /* frees exactly one slot */
	if (!KT_WAIT_UNTIL(t, READ_ONCE(pf.waiter_mapped))) {
		/* Still asleep beside a free slot: joining would hang. */
		kt_diag(t, "late_mapper never woke: left asleep, its page "
			   "not freed");
		pf.pages[LAST_PKMAP] = NULL;
	} else {
		kthread_join(waiter);
	}
	for (unsigned int i = 1; i < LAST_PKMAP; i++)
		kunmap(pf.pages[i]);
	for (unsigned int i = 0; i < POOL_PAGES; i++)
		if (pf.pages[i])
			free_page(pf.pages[i]);
	kmap_flush_unused();
}

/*
 * A wake-up for a freed slot is never lost. A waiter wants a page, not
 * a slot, and may find on waking that another waiter has mapped its
 * page meanwhile. Waiters A and B both want page P, C wants page Q,
 * queued in that order; two kunmaps free two slots, enough for P and
 * Q. Whoever wakes first, all three must end up mapped. When kunmap()
 * woke one waiter per freed slot, A and B were woken, A mapped P, B
 * found P mapped and took nothing, and C slept on beside a free slot.
 */
struct pool_waiter {
	struct ktest *t;
	struct page *page;
	volatile unsigned int mapped;
	volatile unsigned int release;
};

static int pool_waiter_fn(void *arg)
{
	struct pool_waiter *w = arg;

	kmap(w->page); /* sleeps: the pool is full */
	w->mapped = 1;
	KT_WAIT_UNTIL(w->t, READ_ONCE(w->release));
	kunmap(w->page);
	return 0;
}

static void kmap_freed_slot_wakes_a_waiter_that_needs_it(struct ktest *t)
{
	static struct pool_fill pf; /* pages[LAST_PKMAP] is P */
	static struct page *q;
	static struct pool_waiter w[3];
	static const char *const names[3] = { "pkwait_a", "pkwait_b",
					      "pkwait_c" };
	struct task *task[3];
	unsigned int freed = 0;
	bool leave_pages = false;

	if (!alloc_pool_pages(t, &pf))
		return;
	q = alloc_page(GFP_HIGHUSER);
	if (!q || !PageHighMem(q)) {
		kt_skip(t, "needs %u highmem pages", POOL_PAGES + 1);
		goto out_free;
	}
	kmap_flush_unused();
	for (pf.held = 0; pf.held < LAST_PKMAP; pf.held++)
		kmap(pf.pages[pf.held]);
	for (int i = 0; i < 3; i++) {
		w[i] = (struct pool_waiter){ t,
					     i < 2 ? pf.pages[LAST_PKMAP] : q,
					     0, 0 };
		task[i] = kthread_run(pool_waiter_fn, &w[i], names[i]);
		KT_ASSERT_NOT_NULL(t, task[i]);
		/* Queue them in order: each is asleep before the next. */
		KT_WAIT_UNTIL(t, READ_ONCE(task[i]->state) == TASK_SLEEPING);
	}
	kunmap(pf.pages[freed++]);
	kunmap(pf.pages[freed++]);
	/* The first that never wakes ends the wait for all. */
	for (int i = 0; i < 3 && KT_WAIT_UNTIL(t, READ_ONCE(w[i].mapped)); i++)
		;
	if (!w[0].mapped || !w[1].mapped || !w[2].mapped) {
		kt_diag(t, "a waiter still asleep beside a free slot: lost "
			   "wake-up");
		kunmap(pf.pages[freed++]); /* let it go */
		for (int i = 0;
		     i < 3 && KT_WAIT_UNTIL(t, READ_ONCE(w[i].mapped)); i++)
			;
	}
	for (int i = 0; i < 3; i++) {
		w[i].release = 1;
		if (!w[i].mapped) {
			/* Asleep for good: joining would hang. */
			KT_FAIL(t,
				"%s never woke: left asleep, pages not "
				"freed",
				names[i]);
			leave_pages = true;
			continue;
		}
		kthread_join(task[i]);
	}
	for (unsigned int i = freed; i < LAST_PKMAP; i++)
		kunmap(pf.pages[i]);
	kmap_flush_unused();
	if (leave_pages)
		return; /* a sleeper may still map them */
out_free:
	if (q)
		free_page(q);
	for (unsigned int i = 0; i < POOL_PAGES; i++)
		free_page(pf.pages[i]);
}

/*
 * Each trip round the pool costs exactly one global TLB shootdown. A
 * wrap that finds no slot at 1 flushes nothing and needs none: that
 * happens when the cursor wraps before anything was kunmapped since the
 * last flush (the previous test ends with kmap_flush_unused(), and the
 * cursor may stand at the last slot). One kmap and kunmap first leaves
 * a slot at 1 before the count starts, so every wrap counted has one.
 */
static void kmap_each_wrap_does_one_shootdown(struct ktest *t)
{
	static struct pool_fill pf;
	struct pkmap_stats before, after;

	if (!alloc_pool_pages(t, &pf))
		return;
	kmap(pf.pages[POOL_PAGES - 1]);
	kunmap(pf.pages[POOL_PAGES - 1]);
	pkmap_get_stats(&before);
	/* Three trips: every slot left at 1 behind us. */
	for (unsigned int i = 0; i < 3 * LAST_PKMAP; i++) {
		struct page *page = pf.pages[i % POOL_PAGES];

		kmap(page);
		kunmap(page);
	}
	pkmap_get_stats(&after);
	kt_diag(t, "%lu wraps, %lu shootdowns", after.wraps - before.wraps,
		after.shootdowns - before.shootdowns);
	KT_EXPECT_GE(t, after.wraps - before.wraps, 2);
	KT_EXPECT_EQ(t, after.shootdowns - before.shootdowns,
		     after.wraps - before.wraps);
	for (unsigned int i = 0; i < POOL_PAGES; i++)
		free_page(pf.pages[i]);
}

/*
 * A stale pkmap translation is never visible on another CPU: CPU B
 * reads page 1 through its slot (its TLB now caches it); the slot is
 * kunmapped, the pool wraps and the slot is given to page 2; B must
 * read page 2. Fails under break=pkmap_flush.
 */
static void kmap_stale_entry_never_visible_on_other_cpu(struct ktest *t)
{
	static struct pool_fill pf;
	unsigned int other = kt_other_cpu();
	uint32_t *first, *p = NULL;
	unsigned int i;

	if (other == smp_processor_id()) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	if (!alloc_pool_pages(t, &pf))
		return;
	for (i = 0; i < POOL_PAGES; i++) {
		uint32_t *q = kmap(pf.pages[i]);

		q[0] = PATTERN(page_to_pfn(pf.pages[i]), 0);
		kunmap(pf.pages[i]);
	}
	first = kmap(pf.pages[0]);
	KT_EXPECT_EQ(t, kt_read_on_cpu(other, first),
		     PATTERN(page_to_pfn(pf.pages[0]), 0));
	kunmap(pf.pages[0]);
	/* Hold new mappings until one lands in page 0's old slot. */
	for (i = 1; i < POOL_PAGES; i++) {
		p = kmap(pf.pages[i]);
		if (p == first)
			break;
	}
	KT_ASSERT_TRUE(t, p == first);
	KT_EXPECT_EQ(t, kt_read_on_cpu(other, first),
		     PATTERN(page_to_pfn(pf.pages[i]), 0));
	for (unsigned int j = 1; j <= i; j++)
		kunmap(pf.pages[j]);
	for (i = 0; i < POOL_PAGES; i++)
		free_page(pf.pages[i]);
}

/* Frames above 4 GiB (with -m 8G) are mapped and verified. */
static void kmap_maps_ram_above_4g(struct ktest *t)
{
	struct page *page = kt_page_above_4g(t);
	uint32_t *p, *v;

	if (!page)
		return;
	p = kmap(page);
	p[1023] = PATTERN(page_to_pfn(page), 1023);
	v = vmap(&page, 1, MAP_READ);
	KT_ASSERT_NOT_NULL(t, v);
	KT_EXPECT_EQ(t, v[1023], PATTERN(page_to_pfn(page), 1023));
	vunmap(v);
	kunmap(page);
	kt_free_page_above_4g(page);
}

/*
 * The rule for page_address() after kunmap(): the page keeps its pkmap
 * address (the slot is cached at count 1) until the pool next wraps, as
 * in Linux; but only while the page is still allocated. Freeing it
 * drops the address, so the page's next owner starts with NULL, and the
 * slot waits for the wrap's flush with no page.
 */
static void kmap_freed_page_loses_its_cached_address(struct ktest *t)
{
	struct page *page = kt_highmem_page(t), *again;
	unsigned int nr;
	void *addr;

	if (!page)
		return;
	addr = kmap(page);
	kunmap(page);
	KT_EXPECT_TRUE(t, page_address(page) == addr); /* cached */
	nr = PKMAP_NR(addr);
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 1);
	free_page(page);
	KT_EXPECT_TRUE(t, page_address(page) == NULL);
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 1); /* awaits the flush */
	again = alloc_page(GFP_HIGHUSER);
	KT_ASSERT_NOT_NULL(t, again);
	KT_EXPECT_TRUE(t, page_address(again) == NULL);
	free_page(again);
	kmap_flush_unused();
	KT_EXPECT_EQ(t, pkmap_slot_count(nr), 0);
}

/*
 * The flush that returns a cached slot to the pool also clears its
 * page-table entry: a free slot maps nothing, so a stale kmap pointer
 * faults instead of reaching the page's next owner. Nothing else kmaps
 * during the case, so the slot stays free between the flush and the
 * look.
 */
static void kmap_flushed_slot_maps_nothing(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	uintptr_t va;

	if (!page)
		return;
	va = (uintptr_t)kmap(page);
	KT_EXPECT_TRUE(t, arch_pte_present(arch_get_kernel_pte(va)));
	kunmap(page);
	kmap_flush_unused();
	KT_EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR(va)), 0);
	KT_EXPECT_FALSE(t, arch_pte_present(arch_get_kernel_pte(va)));
	free_page(page);
}

static const struct ktest_case kmap_cases[] = {
	KTEST_CASE(kmap_pointer_valid_on_every_cpu),
	KTEST_CASE(kmap_lowmem_page_is_its_direct_map_address),
	KTEST_CASE(kmap_same_page_shares_slot_count_users_plus_one),
	KTEST_CASE(kunmap_of_unmapped_page_is_reported),
	KTEST_CASE(kmap_counts_hits_misses_and_refuses_cached_kunmap),
	KTEST_CASE(kmap_in_atomic_context_is_caught_by_might_sleep),
	KTEST_CASE(kmap_full_pool_sleeps_until_kunmap),
	KTEST_CASE(kmap_freed_slot_wakes_a_waiter_that_needs_it),
	KTEST_CASE(kmap_each_wrap_does_one_shootdown),
	KTEST_CASE(kmap_stale_entry_never_visible_on_other_cpu),
	KTEST_CASE(kmap_maps_ram_above_4g),
	KTEST_CASE(kmap_freed_page_loses_its_cached_address),
	KTEST_CASE(kmap_flushed_slot_maps_nothing),
};
KTEST_SUITE(kmap, kmap_cases);
