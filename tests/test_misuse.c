/*
 * Suite "misuse": each case makes one mistake a caller could make with
 * the kernel's interfaces, on purpose, and checks that the kernel
 * refused it with exactly the report it promises (one warning, naming
 * the mistake) and that nothing was corrupted.
 *
 * Read it as the list of mistakes the kernel catches for you; the
 * message each one gets is in the KT_EXPECT_WARNED line.
 */
#include <arch/cpu.h>
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <kernel/kthread.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include "kmap_helpers.h"
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>

static int return_zero(void *arg)
{
	return 0;
}

/* Binding to a CPU number past the array: refused, thread unbound. */
static void misuse_kthread_bind_no_such_cpu(struct ktest *t)
{
	struct task *th = kthread_create(return_zero, NULL, "bind99");
	unsigned long warns = warn_count();

	KT_ASSERT_NOT_NULL(t, th);
	KT_EXPECT_EQ(t, kthread_bind(th, 99), -EINVAL);
	KT_EXPECT_WARNED(t, warns, "CPU 99) refused: there is no such CPU");
	KT_EXPECT_EQ(t, th->bound_cpu, -1);
	kthread_start(th);
	KT_EXPECT_EQ(t, kthread_join(th), 0);
}

/* A CPU number below NR_CPUS that this machine does not have. */
static void misuse_kthread_bind_absent_cpu(struct ktest *t)
{
	unsigned int absent = NR_CPUS;
	struct task *th;
	unsigned long warns;

	for (unsigned int c = 0; c < NR_CPUS && absent == NR_CPUS; c++)
		if (!cpu_is_online(c))
			absent = c;
	if (absent == NR_CPUS) {
		kt_skip(t, "every CPU number is online");
		return;
	}
	th = kthread_create(return_zero, NULL, "bindabsent");
	KT_ASSERT_NOT_NULL(t, th);
	warns = warn_count();
	KT_EXPECT_EQ(t, kthread_bind(th, absent), -EINVAL);
	KT_EXPECT_WARNED(t, warns, "that CPU did not come up at boot");
	KT_EXPECT_EQ(t, th->bound_cpu, -1);
	kthread_start(th);
	KT_EXPECT_EQ(t, kthread_join(th), 0);
}

/* Binding after start would move a task behind the scheduler's back. */
static void misuse_kthread_bind_after_start(struct ktest *t)
{
	struct task *th = kthread_run(return_zero, NULL, "bindlate");
	unsigned long warns;

	KT_ASSERT_NOT_NULL(t, th);
	warns = warn_count();
	KT_EXPECT_EQ(t, kthread_bind(th, smp_processor_id()), -EINVAL);
	KT_EXPECT_WARNED(t, warns, "the thread has already started");
	KT_EXPECT_EQ(t, kthread_join(th), 0);
	/* Nor one running since boot, never kthread_start()ed: this one. */
	warns = warn_count();
	KT_EXPECT_EQ(t, kthread_bind(current_task(), smp_processor_id()),
		     -EINVAL);
	KT_EXPECT_WARNED(t, warns, "the thread has already started");
}

/* kfree of a vmalloc address: refused by region, not a panic in __pa. */
static void misuse_kfree_vmalloc_address(struct ktest *t)
{
	void *v = vmalloc(PAGE_SIZE);
	unsigned long warns, live = kmalloc_live_objects();

	KT_ASSERT_NOT_NULL(t, v);
	warns = warn_count();
	kfree(v);
	KT_EXPECT_WARNED(t, warns,
			 "not an address kmalloc returned (it is "
			 "in vmalloc area)");
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
	vfree(v);
}

/* kfree of a page the page allocator handed out is not kmalloc's. */
static void misuse_kfree_page_from_alloc_page(struct ktest *t)
{
	void *p = get_free_pages(0);
	unsigned long warns, free_before;

	KT_ASSERT_NOT_NULL(t, p);
	free_before = zone_free_pages(ZONE_NORMAL);
	warns = warn_count();
	kfree(p);
	KT_EXPECT_WARNED(t, warns, "(a page kmalloc does not own, in lowmem");
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), free_before);
	free_pages(virt_to_page(p), 0);
}

/* A pointer into the middle of a large block, and a stack address. */
static void misuse_kfree_not_the_start(struct ktest *t)
{
	char *big = kmalloc(3 * PAGE_SIZE);
	unsigned long warns, live;
	int on_stack;

	KT_ASSERT_NOT_NULL(t, big);
	live = kmalloc_live_objects();
	warns = warn_count();
	kfree(big + PAGE_SIZE);
	KT_EXPECT_WARNED(t, warns, "inside a large kmalloc block");
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
	warns = warn_count();
	kfree(&on_stack);
	KT_EXPECT_WARNED(t, warns, "not an address kmalloc returned");
	kfree(big);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live - 1);
}

/*
 * vmap({good, bad}) is refused with a warning naming why, and nothing
 * is left mapped. good is taken here, before the caller's bad page is
 * freed, so the allocator cannot hand the freed page back as good.
 */
static void expect_vmap_refused(struct ktest *t, struct page *good,
				struct page *bad, const char *why)
{
	struct page *pages[2] = { good, bad };
	struct vmap_stats before = vmap_get_stats(), after;
	unsigned long warns = warn_count();
	void *v = vmap(pages, 2, MAP_READ | MAP_WRITE);

	after = vmap_get_stats();
	KT_EXPECT_TRUE(t, v == NULL);
	KT_EXPECT_WARNED(t, warns, why);
	KT_EXPECT_EQ(t, after.busy_areas, before.busy_areas);
	KT_EXPECT_EQ(t, after.busy_pages, before.busy_pages);
	if (v)
		vunmap(v);
}

static void misuse_vmap_null_page(struct ktest *t)
{
	struct page *good = alloc_page(GFP_HIGHUSER);

	KT_ASSERT_NOT_NULL(t, good);
	expect_vmap_refused(t, good, NULL,
			    "page 1 of 2 (0x00000000) is a NULL struct page");
	free_page(good);
}

static void misuse_vmap_bogus_page(struct ktest *t)
{
	struct page *good = alloc_page(GFP_HIGHUSER);

	KT_ASSERT_NOT_NULL(t, good);
	expect_vmap_refused(t, good, (struct page *)0xdeadbeef,
			    "is not a struct page");
	expect_vmap_refused(t, good, (struct page *)((char *)mem_map + 8),
			    "is not a struct page");
	free_page(good);
}

static void misuse_vmap_reserved_or_free_page(struct ktest *t)
{
	struct page *good = alloc_page(GFP_HIGHUSER);
	struct page *freed = alloc_page(GFP_HIGHUSER);

	KT_ASSERT_NOT_NULL(t, good);
	KT_ASSERT_NOT_NULL(t, freed);
	free_page(freed);
	expect_vmap_refused(t, good, freed, "is a free page");
	/* Frame 0 holds the BIOS data area: reserved at boot, always. */
	expect_vmap_refused(t, good, pfn_to_page(0), "is a reserved frame");
	free_page(good);
}

/*
 * free_page() of a page a mapping still uses, the misuse of the next
 * cases: refused with a warning containing why, and the page stays
 * allocated, the caller's to free once unmapped. It is not counted as
 * a bad free: the page is the caller's, only the moment is wrong.
 */
static void expect_free_of_mapped_page_refused(struct ktest *t,
					       struct page *page,
					       const char *why)
{
	unsigned long warns = warn_count(), bad = total_bad_frees();

	free_page(page); /* the misuse under test */
	KT_EXPECT_WARNED(t, warns, why);
	KT_EXPECT_TRUE(t, page_not_owned_reason(page) == NULL);
	KT_EXPECT_EQ(t, total_bad_frees(), bad);
}

/* The same free once the page is unmapped: accepted, without a word. */
static void expect_free_page_accepted(struct ktest *t, struct page *page)
{
	unsigned long warns = warn_count();

	free_page(page);
	KT_EXPECT_EQ(t, warn_count(), warns);
}

/*
 * Freeing a page that kmap() still maps: the users' pointers would
 * reach whoever gets the page next. Refused; the page stays theirs.
 */
static void misuse_free_of_kmapped_page(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	void *addr;

	if (!page)
		return;
	addr = kmap(page);
	KT_ASSERT_NOT_NULL(t, addr);
	expect_free_of_mapped_page_refused(t, page,
					   "the page is still kmapped: "
					   "kunmap it first (refused)");
	KT_EXPECT_TRUE(t, page_address(page) == addr);
	kunmap(page);
	expect_free_page_accepted(t, page);
}

/* kmap() of a page nobody owns maps someone else's future data. */
static void misuse_kmap_of_free_page(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	unsigned long warns;

	KT_ASSERT_NOT_NULL(t, page);
	free_page(page);
	warns = warn_count();
	KT_EXPECT_TRUE(t, kmap(page) == NULL); /* the misuse under test */
	KT_EXPECT_WARNED(t, warns,
			 "the page is free (freed, or never "
			 "allocated); refused");
}

/* kmap_local_page() of a page nobody owns: refused, no slot taken. */
static void misuse_kmap_local_of_free_page(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	int depth = kmap_local_depth();
	unsigned long warns;
	void *addr;

	KT_ASSERT_NOT_NULL(t, page);
	free_page(page);
	warns = warn_count();
	addr = kmap_local_page(page); /* the misuse under test */
	KT_EXPECT_TRUE(t, addr == NULL);
	KT_EXPECT_WARNED(t, warns,
			 "is a free page (freed, or never "
			 "allocated)");
	KT_EXPECT_EQ(t, kmap_local_depth(), depth);
	kunmap_local(addr); /* NULL: does nothing */
}

/*
 * Freeing a page this thread still maps with kmap_local_page(). The
 * steps of misuse_free_of_kmapped_page, written out again: how the page
 * is mapped and unmapped, and what must still hold while the free is
 * refused, are what each of the two cases is about.
 */
static void misuse_free_of_kmap_local_mapped_page(struct ktest *t)
{
	struct page *page = kt_slot_page(t);
	uint32_t *addr;

	if (!page)
		return;
	addr = kmap_local_page(page);
	KT_ASSERT_NOT_NULL(t, addr);
	*addr = 0x5a5a5a5a;
	expect_free_of_mapped_page_refused(t, page,
					   "still mapped by this thread's "
					   "kmap_local_page()");
	KT_EXPECT_EQ(t, *addr, 0x5a5a5a5a);
	kunmap_local(addr);
	expect_free_page_accepted(t, page);
}

/*
 * kfree() of a large block this thread still maps with kmap_local_page()
 * (kmap.force_map=1 puts lowmem through a slot): the free is refused,
 * and the block must stay kmalloc's, so the kfree after kunmap_local is
 * an ordinary one. Skipped unless lowmem goes through a slot.
 */
static void misuse_kfree_of_kmap_local_mapped_large_block(struct ktest *t)
{
	unsigned long warns, live;
	void *p, *addr;

	if (!kmap_force_map_enabled()) {
		kt_skip(t, "kmap.force_map=0: lowmem is never in a slot");
		return;
	}
	p = kmalloc(2 * PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, p);
	addr = kmap_local_page(virt_to_page(p));
	KT_ASSERT_NOT_NULL(t, addr);
	live = kmalloc_live_objects();
	warns = warn_count();
	kfree(p); /* the misuse under test */
	KT_EXPECT_WARNED(t, warns,
			 "still mapped by this thread's "
			 "kmap_local_page()");
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live);
	kunmap_local(addr);
	warns = warn_count();
	kfree(p); /* now it is fine */
	KT_EXPECT_EQ(t, warn_count(), warns);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), live - 1);
}

/*
 * Freeing a page kmap() still maps, with interrupts off (free_pages is
 * "Context: any"): refused as with interrupts on, or the users' pointers
 * reach the page's next owner.
 */
static void misuse_free_of_kmapped_page_irqs_off(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	unsigned long warns, flags;
	void *addr;
	bool refused;

	if (!page)
		return;
	addr = kmap(page);
	KT_ASSERT_NOT_NULL(t, addr);
	warns = warn_count();
	flags = arch_irq_save();
	free_page(page); /* the misuse under test */
	arch_irq_restore(flags);
	refused = page_not_owned_reason(page) == NULL;
	KT_EXPECT_TRUE(t, refused);
	KT_EXPECT_WARNED(t, warns,
			 "the page is still kmapped: kunmap it "
			 "first (refused)");
	kunmap(page);
	if (refused)
		free_page(page);
}

/*
 * The same free while another CPU holds kmap_lock. With interrupts off
 * the free must not wait for the lock, so it reads the page's slot
 * without it (pkmap_page_freeing's lockless look), and must refuse a
 * page one user still kmaps as firmly. To have the lock held for
 * certain, the other CPU flushes the pool (kmap_flush_unused): under
 * the lock, its shootdown waits for this CPU, which cannot answer until
 * it turns interrupts back on. The flusher counts its shootdown, under
 * the lock, before it sends the IPI: once the count moves, the lock
 * is held until this CPU has freed and answered. The flush needs a
 * slot to clear, or it sends nothing: a spare highmem page is mapped
 * and unmapped after the page, so that no wrap clears its cached slot
 * before the flush does. FLUSH_START_MS bounds, by the clock (the tick
 * is off), only the wait for a flusher that never starts; the flusher's
 * own wait for this CPU is bounded by CPU_ANSWER_TIMEOUT_MS
 * (include/kernel/cpu_wait.h), ten times longer.
 */
#define FLUSH_START_MS 1000

struct pool_flusher {
	volatile bool go;
};

static int pool_flusher_fn(void *arg)
{
	struct pool_flusher *f = arg;

	while (!f->go)
		arch_cpu_relax();
	kmap_flush_unused();
	return 0;
}

struct shootdown_count {
	unsigned int cpu;
	unsigned long was;
};

/* Has the CPU counted a shootdown since was? */
static bool shootdown_started(const void *arg)
{
	const struct shootdown_count *c = arg;

	return READ_ONCE(percpu_areas[c->cpu].tlb_shootdowns) != c->was;
}

/*
 * Free page, kmapped once, with interrupts off while the pool's lock is
 * held on cpu (the flusher, started by the caller, waiting for go).
 * Returns whether the lock was held, and *refused.
 */
static bool free_while_pool_locked(struct page *page, unsigned int cpu,
				   struct pool_flusher *f, bool *refused)
{
	struct shootdown_count c = {
		cpu, READ_ONCE(percpu_areas[cpu].tlb_shootdowns)
	};
	unsigned long flags = arch_irq_save();
	bool locked;

	f->go = true;
	locked = kt_spin_until(shootdown_started, &c, FLUSH_START_MS);
	free_page(page); /* the misuse under test */
	arch_irq_restore(flags);
	*refused = page_not_owned_reason(page) == NULL;
	return locked;
}

static void misuse_free_of_kmapped_page_while_pool_locked(struct ktest *t)
{
	struct page *page = kt_highmem_page(t);
	struct page *spare = page ? alloc_pages_zone(ZONE_HIGHMEM, 0) : NULL;
	struct pool_flusher f = { .go = false };
	unsigned int cpu = kt_other_cpu();
	bool locked, refused = false;
	unsigned long warns;
	struct task *th;
	int code;

	if (!page)
		return;
	if (!spare || cpu == smp_processor_id()) {
		kt_skip(t, spare ? "needs a second CPU to hold kmap_lock"
				 : "needs a second highmem page");
		goto out;
	}
	th = kthread_create(pool_flusher_fn, &f, "pool_flusher");
	if (!th) {
		KT_EXPECT_NOT_NULL(t, th);
		goto out;
	}
	kthread_bind(th, cpu);
	kmap(page);
	kmap(spare);
	kunmap(spare); /* its slot stays cached at 1: the flush clears it */
	kthread_start(th);
	warns = warn_count();
	locked = free_while_pool_locked(page, cpu, &f, &refused);
	kt_join_bounded(t, th, &code);
	if (!locked)
		kt_diag(t, "CPU %u never started its flush", cpu);
	KT_EXPECT_TRUE(t, locked);
	KT_EXPECT_TRUE(t, refused);
	KT_EXPECT_WARNED(t, warns,
			 "the page is still kmapped: kunmap it "
			 "first (refused)");
	kunmap(page); /* wrongly freed: it still drops the slot to 1 */
	if (!refused)
		page = NULL; /* freed already, by the misuse */
out:
	if (spare)
		free_page(spare);
	if (page)
		free_page(page);
}

/*
 * The right page with too large an order, next to a page someone else
 * kmapped: refused as a wrong order (and counted), and the neighbour,
 * which nobody freed, keeps its kmap and its cached address.
 */
static void misuse_free_wrong_order_next_to_a_kmapped_page(struct ktest *t)
{
	struct page *pages[16], *p = NULL, *q = NULL;
	unsigned long warns, bad;
	unsigned int n = 0;
	void *addr;

	while (n < 16 && (pages[n] = alloc_pages_zone(ZONE_HIGHMEM, 0)))
		n++;
	for (unsigned int i = 0; i < n && !p; i++)
		for (unsigned int j = 0; j < n && !p; j++)
			if (!(page_to_pfn(pages[i]) & 1) &&
			    page_to_pfn(pages[j]) ==
				    page_to_pfn(pages[i]) + 1) {
				p = pages[i];
				q = pages[j];
			}
	if (!p) {
		kt_skip(t, "no two adjacent highmem pages");
		goto out;
	}
	addr = kmap(q); /* q is someone else's, kmapped */
	KT_ASSERT_NOT_NULL(t, addr);
	warns = warn_count();
	bad = total_bad_frees();
	free_pages(p, 1); /* the misuse under test */
	KT_EXPECT_WARNED(t, warns, "free with the wrong order");
	KT_EXPECT_EQ(t, total_bad_frees(), bad + 1);
	kunmap(q); /* q: cached now, no users */
	KT_EXPECT_TRUE(t, page_address(q) == addr);
	warns = warn_count();
	free_pages(p, 1); /* the misuse again */
	KT_EXPECT_WARNED(t, warns, "free with the wrong order");
	KT_EXPECT_TRUE(t, page_address(q) == addr);
out:
	while (n)
		free_page(pages[--n]);
}

/*
 * kfree() of the second page of a live block from alloc_pages(): not
 * kmalloc's, and not free either, whatever PG_freed it kept from a past
 * life as the head of a free block (zone_alloc clears it on the head
 * only): the report must not call it freed.
 */
static void misuse_kfree_tail_of_a_live_block(struct ktest *t)
{
	struct page *singles[32], *blocks[64], *block = NULL;
	unsigned int n = 0, m = 0;
	unsigned long warns;

	/* Pages freed one by one: each carries PG_freed, and they merge. */
	while (n < 32 && (singles[n] = alloc_page(GFP_KERNEL)))
		n++;
	while (n)
		free_page(singles[--n]);
	while (m < 64 && !block && (blocks[m] = alloc_pages(GFP_KERNEL, 1)))
		if (blocks[m++][1].flags & PG_freed)
			block = blocks[m - 1];
	if (!block) {
		kt_skip(t, "no block with a once-freed second page");
		goto out;
	}
	warns = warn_count();
	kfree(lowmem_page_address(block + 1)); /* the misuse under test */
	KT_EXPECT_WARNED(t, warns, "a page kmalloc does not own");
out:
	while (m)
		free_pages(blocks[--m], 1);
}

static int enable_without_disable(void *arg)
{
	int *after = arg;

	migrate_enable(); /* the misuse under test */
	*after = current_task()->migrate_disable;
	return 0;
}

/*
 * migrate_enable() with no migrate_disable() to match, in a thread of
 * its own (its count starts at 0): reported, and the count is put back
 * to 0, so the thread is neither left owing an enable nor pinned.
 */
static void misuse_migrate_enable_without_disable(struct ktest *t)
{
	unsigned long warns = warn_count();
	int after = -99;
	struct task *th;

	th = kthread_create(enable_without_disable, &after, "unbalanced");
	KT_ASSERT_NOT_NULL(t, th);
	kthread_start(th);
	kthread_join(th);
	KT_EXPECT_WARNED(t, warns,
			 "migrate_enable() without migrate_disable()");
	KT_EXPECT_EQ(t, after, 0);
}

static const struct ktest_case misuse_cases[] = {
	KTEST_CASE(misuse_migrate_enable_without_disable),
	KTEST_CASE(misuse_kthread_bind_no_such_cpu),
	KTEST_CASE(misuse_kthread_bind_absent_cpu),
	KTEST_CASE(misuse_kthread_bind_after_start),
	KTEST_CASE(misuse_kfree_vmalloc_address),
	KTEST_CASE(misuse_kfree_page_from_alloc_page),
	KTEST_CASE(misuse_kfree_not_the_start),
	KTEST_CASE(misuse_kfree_tail_of_a_live_block),
	KTEST_CASE(misuse_vmap_null_page),
	KTEST_CASE(misuse_vmap_bogus_page),
	KTEST_CASE(misuse_vmap_reserved_or_free_page),
	KTEST_CASE(misuse_free_of_kmapped_page),
	KTEST_CASE(misuse_kmap_of_free_page),
	KTEST_CASE(misuse_kmap_local_of_free_page),
	KTEST_CASE(misuse_free_of_kmap_local_mapped_page),
	KTEST_CASE(misuse_kfree_of_kmap_local_mapped_large_block),
	KTEST_CASE(misuse_free_of_kmapped_page_irqs_off),
	KTEST_CASE(misuse_free_of_kmapped_page_while_pool_locked),
	KTEST_CASE(misuse_free_wrong_order_next_to_a_kmapped_page),
};
KTEST_SUITE(misuse, misuse_cases);
