/*
 * Suite "kmap_snapshot": one moment of the mapping machinery, printed
 * for the picture in docs/highmem.rst (tools/layout_figure.py draws it
 * during `make docs`).
 *
 * The test thread kmap()s three highmem pages (one of them twice, one
 * of them the highest frame of RAM, above 4 GiB when there is RAM
 * there), kmap()s and kunmap()s a fourth, whose slot stays cached, and
 * vmap()s the highest frame too; one thread bound to each of two CPUs
 * holds kmap_local_page() maps (two on the first CPU, three on the
 * second). While all of them are held, the state is printed as KTAP
 * diagnostics, phase=before:
 *
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT pkmap phase=P free=F ...
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT pkmap phase=P slot=N ...
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT kmap_local cpu=C idx=I ...
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT vmap addr=A pfn=F
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT direct addr=A pfn=F
 *
 * Then it kmap()s and kunmap()s one new page after another until the
 * pool wraps, keeps the page of the kmap() that wrapped it, and prints
 * the pool again, phase=after: the wrap's flush freed every cached
 * slot, and only the held ones are left.
 *
 * Each kmap_local line is printed by the thread that holds the map,
 * while it runs, from the page-table entry of its CPU's slot: a thread
 * that is switched out has its slots cleared (mm/kmap_local.c), so only
 * the holder, on its CPU, can see them mapped. The case also checks
 * what it prints: every slot maps the page that was given to it.
 */
#include <arch/mmu.h>
#include <kernel/kthread.h>
#include <kernel/sched.h>
#include <kernel/wait.h>
#include <mm/vmalloc.h>
#include "kmap_helpers.h"

#define SNAP_PKMAP_PAGES 3
#define SNAP_MAX_LOCAL	 3
#define SNAP_WRAP_ORDER	 9 /* LAST_PKMAP pages, enough to wrap */
_Static_assert((1u << SNAP_WRAP_ORDER) >= LAST_PKMAP,
	       "the wrap block must hold a page for every pool slot");

struct snap_worker {
	struct ktest *t;
	unsigned int nr; /* local maps to hold */
	struct page *page[SNAP_MAX_LOCAL];
	struct completion ready, go, done, release;
	unsigned int bad; /* slots not mapping their page */
};

static int snap_worker_fn(void *arg)
{
	struct snap_worker *w = arg;
	void *va[SNAP_MAX_LOCAL] = { NULL };
	unsigned int cpu;

	for (unsigned int i = 0; i < w->nr; i++)
		va[i] = kmap_local_page(w->page[i]);
	complete(&w->ready);
	wait_for_completion(&w->go);
	cpu = smp_processor_id(); /* stable: migration is disabled */
	for (unsigned int i = 0; i < w->nr; i++) {
		uintptr_t slot = kmap_local_slot_address(cpu, i);
		pte_t pte = arch_get_kernel_pte(slot);
		bool ok = (uintptr_t)va[i] == slot && arch_pte_present(pte) &&
			  arch_pte_phys(pte) == page_to_phys(w->page[i]);

		w->bad += !ok;
		kt_diag(w->t,
			"SNAPSHOT kmap_local cpu=%u idx=%u addr=%#lx "
			"pfn=%#llx thread=%s",
			cpu, i, (unsigned long)slot,
			(unsigned long long)(arch_pte_phys(pte) >> PAGE_SHIFT),
			current_task()->name);
	}
	complete(&w->done);
	wait_for_completion(&w->release);
	for (int i = w->nr - 1; i >= 0; i--)
		kunmap_local(va[i]);
	return 0;
}

/* One line for the pool as a whole, one per slot in use or cached. */
static void snap_print_pool(struct ktest *t, const char *phase)
{
	unsigned int state[3] = { 0 };

	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++)
		state[MIN(pkmap_slot_count(nr), 2)]++;
	kt_diag(t,
		"SNAPSHOT pkmap phase=%s base=%#lx slots=%u free=%u "
		"cached=%u used=%u",
		phase, (unsigned long)PKMAP_BASE, LAST_PKMAP, state[0],
		state[1], state[2]);
	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++) {
		int count = pkmap_slot_count(nr);
		pte_t pte = arch_get_kernel_pte(PKMAP_ADDR(nr));

		if (count < 1)
			continue;
		kt_diag(t,
			"SNAPSHOT pkmap phase=%s slot=%u addr=%#lx "
			"count=%d pfn=%#llx",
			phase, nr, (unsigned long)PKMAP_ADDR(nr), count,
			(unsigned long long)(arch_pte_phys(pte) >> PAGE_SHIFT));
	}
}

/*
 * vmap the highest frame (a second address for a page kmap also maps)
 * and take a lowmem page, and print where each landed: the picture's
 * arrows for vmap and the direct map.
 */
static void snap_print_vmap_and_direct(struct ktest *t, struct page *high)
{
	struct page *low = alloc_page(GFP_KERNEL);
	void *v = vmap(&high, 1, MAP_READ);

	KT_EXPECT_NOT_NULL(t, v);
	KT_EXPECT_NOT_NULL(t, low);
	if (v)
		kt_diag(t, "SNAPSHOT vmap addr=%#lx pfn=%#lx", (unsigned long)v,
			(unsigned long)page_to_pfn(high));
	if (low)
		kt_diag(t, "SNAPSHOT direct addr=%#lx pfn=%#lx",
			(unsigned long)page_address(low),
			(unsigned long)page_to_pfn(low));
	if (v)
		vunmap(v);
	if (low)
		free_page(low);
}

/*
 * kmap() and kunmap() one page after another of a fresh block until a
 * kmap() returns a lower slot than the one before: that one wrapped the
 * pool. Its page stays mapped; the others are left cached, and the
 * wrap freed them. Returns the page still mapped, NULL if no block.
 */
static struct page *snap_wrap_pool(struct ktest *t, struct page *block)
{
	unsigned int prev = 0;

	for (unsigned int i = 0; i < (1u << SNAP_WRAP_ORDER); i++) {
		unsigned int nr = PKMAP_NR(kmap(block + i));

		if (i && nr < prev)
			return block + i;
		kunmap(block + i);
		prev = nr;
	}
	KT_EXPECT_TRUE(t, false); /* LAST_PKMAP pages always wrap */
	return NULL;
}

/* The wrap, then the pool after it: the cached page lost its slot. */
static void snap_after_wrap(struct ktest *t, struct page *cached)
{
	struct page *block = alloc_pages_zone(ZONE_HIGHMEM, SNAP_WRAP_ORDER);
	struct page *held;

	if (!block) {
		kt_diag(t, "no free block of %u highmem pages: no wrap shown",
			1u << SNAP_WRAP_ORDER);
		return;
	}
	held = snap_wrap_pool(t, block);
	snap_print_pool(t, "after");
	KT_EXPECT_TRUE(t, page_address(cached) == NULL);
	if (held)
		kunmap(held);
	free_pages(block, SNAP_WRAP_ORDER);
}

/* Workers with their local maps, and the pool, printed while all held. */
static void snap_hold_and_print(struct ktest *t, struct snap_worker *w)
{
	struct task *task[2] = { NULL, NULL };
	unsigned int cpus[2] = { smp_processor_id(), kt_other_cpu() };

	for (unsigned int n = 0; n < 2; n++) {
		task[n] = kthread_create(snap_worker_fn, &w[n],
					 n ? "snap_b" : "snap_a");
		KT_ASSERT_NOT_NULL(t, task[n]);
		kthread_bind(task[n], cpus[n]);
		kthread_start(task[n]);
	}
	for (unsigned int n = 0; n < 2; n++)
		wait_for_completion(&w[n].ready);
	/* Every map is held from here to the releases below. */
	snap_print_pool(t, "before");
	for (unsigned int n = 0; n < 2; n++) {
		complete(&w[n].go);
		wait_for_completion(&w[n].done);
	}
	for (unsigned int n = 0; n < 2; n++) {
		complete(&w[n].release);
		kthread_join(task[n]);
		KT_EXPECT_EQ(t, w[n].bad, 0);
	}
}

static void kmap_snapshot_pool_and_slots(struct ktest *t)
{
	static struct snap_worker w[2];
	struct page *kpage[SNAP_PKMAP_PAGES] = { NULL };
	struct page *top = alloc_highest_block(), *cached = NULL;
	void *kaddr[SNAP_PKMAP_PAGES];

	for (unsigned int n = 0; n < 2; n++) {
		w[n] = (struct snap_worker){ .t = t, .nr = n + 2 };
		completion_init(&w[n].ready);
		completion_init(&w[n].go);
		completion_init(&w[n].done);
		completion_init(&w[n].release);
	}
	/* The last kmap()ed page is the highest frame of RAM, if it can be had.
	 */
	if (top)
		kpage[SNAP_PKMAP_PAGES - 1] = top + (1u << MAX_ORDER) - 1;
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		if (!kpage[i] && !(kpage[i] = kt_highmem_page(t)))
			goto out;
	for (unsigned int n = 0; n < 2; n++)
		for (unsigned int i = 0; i < w[n].nr; i++)
			if (!(w[n].page[i] = kt_highmem_page(t)))
				goto out;
	if (!(cached = kt_highmem_page(t)))
		goto out;
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		kaddr[i] = kmap(kpage[i]);
	kmap(kpage[0]); /* a second user of the same slot */
	KT_EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR(kaddr[0])), 3);
	KT_EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR(kmap(cached))), 2);
	kunmap(cached); /* its slot stays cached, at count 1 */
	KT_EXPECT_NOT_NULL(t, page_address(cached));

	snap_hold_and_print(t, w);
	snap_print_vmap_and_direct(t, kpage[SNAP_PKMAP_PAGES - 1]);
	snap_after_wrap(t, cached);
	kunmap(kpage[0]);
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		kunmap(kpage[i]);
out:
	for (unsigned int n = 0; n < 2; n++)
		for (unsigned int i = 0; i < w[n].nr; i++)
			if (w[n].page[i])
				free_page(w[n].page[i]);
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		if (kpage[i] && !(top && i == SNAP_PKMAP_PAGES - 1))
			free_page(kpage[i]);
	if (cached)
		free_page(cached);
	if (top)
		free_pages(top, MAX_ORDER);
}

static const struct ktest_case kmap_snapshot_cases[] = {
	KTEST_CASE(kmap_snapshot_pool_and_slots),
};
KTEST_SUITE(kmap_snapshot, kmap_snapshot_cases);
