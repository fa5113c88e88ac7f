/*
 * Suite "kmap_snapshot": one moment of the mapping machinery, printed
 * for the picture in docs/highmem.rst (tools/layout_figure.py draws it
 * during `make docs`).
 *
 * The test thread kmap()s three highmem pages (one of them twice), and
 * one thread bound to each of two CPUs holds kmap_local_page() maps
 * (two on the first CPU, three on the second). While all of them are
 * held, the state is printed as KTAP diagnostics:
 *
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT pkmap free=F cached=C ...
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT pkmap slot=N addr=A ...
 *   # kmap_snapshot_pool_and_slots: SNAPSHOT kmap_local cpu=C idx=I ...
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
#include "kmap_helpers.h"

#define SNAP_PKMAP_PAGES 3
#define SNAP_MAX_LOCAL	 3

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

/* One line for the pool as a whole, one per slot in use. */
static void snap_print_pool(struct ktest *t)
{
	unsigned int state[3] = { 0 };

	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++)
		state[MIN(pkmap_slot_count(nr), 2)]++;
	kt_diag(t,
		"SNAPSHOT pkmap base=%#lx slots=%u free=%u cached=%u "
		"used=%u",
		(unsigned long)PKMAP_BASE, LAST_PKMAP, state[0], state[1],
		state[2]);
	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++) {
		int count = pkmap_slot_count(nr);
		pte_t pte = arch_get_kernel_pte(PKMAP_ADDR(nr));

		if (count < 2)
			continue;
		kt_diag(t,
			"SNAPSHOT pkmap slot=%u addr=%#lx count=%d "
			"pfn=%#llx",
			nr, (unsigned long)PKMAP_ADDR(nr), count,
			(unsigned long long)(arch_pte_phys(pte) >> PAGE_SHIFT));
	}
}

static void kmap_snapshot_pool_and_slots(struct ktest *t)
{
	static struct snap_worker w[2];
	struct page *kpage[SNAP_PKMAP_PAGES] = { NULL };
	void *kaddr[SNAP_PKMAP_PAGES];
	struct task *task[2] = { NULL, NULL };
	unsigned int cpus[2] = { smp_processor_id(), kt_other_cpu() };

	for (unsigned int n = 0; n < 2; n++) {
		w[n] = (struct snap_worker){ .t = t, .nr = n + 2 };
		completion_init(&w[n].ready);
		completion_init(&w[n].go);
		completion_init(&w[n].done);
		completion_init(&w[n].release);
	}
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		if (!(kpage[i] = kt_highmem_page(t)))
			goto out;
	for (unsigned int n = 0; n < 2; n++)
		for (unsigned int i = 0; i < w[n].nr; i++)
			if (!(w[n].page[i] = kt_highmem_page(t)))
				goto out;
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		kaddr[i] = kmap(kpage[i]);
	kmap(kpage[0]); /* a second user of the same slot */
	KT_EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR(kaddr[0])), 3);

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
	snap_print_pool(t);
	for (unsigned int n = 0; n < 2; n++) {
		complete(&w[n].go);
		wait_for_completion(&w[n].done);
	}
	for (unsigned int n = 0; n < 2; n++) {
		complete(&w[n].release);
		kthread_join(task[n]);
		KT_EXPECT_EQ(t, w[n].bad, 0);
	}
	kunmap(kpage[0]);
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		kunmap(kpage[i]);
out:
	for (unsigned int n = 0; n < 2; n++)
		for (unsigned int i = 0; i < w[n].nr; i++)
			if (w[n].page[i])
				free_page(w[n].page[i]);
	for (unsigned int i = 0; i < SNAP_PKMAP_PAGES; i++)
		if (kpage[i])
			free_page(kpage[i]);
}

static const struct ktest_case kmap_snapshot_cases[] = {
	KTEST_CASE(kmap_snapshot_pool_and_slots),
};
KTEST_SUITE(kmap_snapshot, kmap_snapshot_cases);
