/*
 * Suite "kmap_local": kmap_local_page and kunmap_local, one sentence of
 * include/mm/highmem.h (and docs/highmem.rst) per case. Each case that
 * needs a slot uses a highmem page, or any page under kmap.force_map=1,
 * and is skipped on a machine with neither.
 */
#include <arch/mmu.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <lib/string.h>
#include <kernel/errno.h>
#include <kernel/kthread.h>
#include <mm/maccess.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc_lazy.h>
#include "kmap_helpers.h"

/*
 * Runs on another CPU, in its call-function interrupt. Its twin in
 * test_kmap_atomic.c (local_reader_thread) swaps the roles: there
 * kmap_atomic writes and kmap_local_page reads. Each is written out in
 * the suite it serves, so a case shows both interfaces it pairs.
 */
struct remote_check {
	struct page *page;
	uint32_t expect, write;
	unsigned int bad, cpu;
};

static void remote_check_and_write(void *arg)
{
	struct remote_check *rc = arg;
	void *va = kmap_atomic(rc->page);

	rc->cpu = smp_processor_id();
	rc->bad = kt_check(va, rc->expect);
	kt_fill(va, rc->write);
	kunmap_atomic(va);
}

static void
kmap_local_writes_land_in_the_page_seen_from_another_cpu(struct ktest *t)
{
	struct remote_check rc = { .expect = 0x1234abcd, .write = 0x5a5a0001 };
	unsigned int wrote_on, target;
	struct page *page;
	void *va;

	if (kt_other_cpu() == smp_processor_id()) {
		kt_skip(t, "one CPU: the page can only be read back where it "
			   "was written");
		return;
	}
	page = kt_slot_page(t);
	if (!page)
		return;
	rc.page = page;
	va = kmap_local_page(page);
	wrote_on = smp_processor_id(); /* pinned by the map */
	kt_fill(va, rc.expect);
	kunmap_local(va);
	/* Another CPU reads it through another API: kmap_atomic in an IPI. */
	target = kt_online_cpu_other_than(wrote_on);
	smp_call_function_single(target, remote_check_and_write, &rc, true);
	kt_diag(t, "written on CPU %u, checked on CPU %u", wrote_on, rc.cpu);
	KT_EXPECT_EQ(t, rc.cpu, target);
	KT_EXPECT_NE(t, rc.cpu, wrote_on);
	KT_EXPECT_EQ(t, rc.bad, 0);
	va = kmap_local_page(page);
	KT_EXPECT_EQ(t, kt_check(va, rc.write), 0);
	kunmap_local(va);
	free_page(page);
}

static void kmap_local_lowmem_page_uses_no_slot(struct ktest *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct kmap_stats before, after;
	void *va;

	KT_ASSERT_NOT_NULL(t, page);
	kmap_stats(&before);
	va = kmap_local_page(page);
	kmap_stats(&after);
	if (kmap_force_map_enabled()) {
		/* ...and under kmap.force_map=1 it does use one. */
		KT_EXPECT_TRUE(t, kt_in_kmap_slots(va));
		KT_EXPECT_EQ(t, after.local_maps, before.local_maps + 1);
	} else {
		KT_EXPECT_EQ(t, (uintptr_t)va,
			     (uintptr_t)lowmem_page_address(page));
		KT_EXPECT_EQ(t, after.local_maps, before.local_maps);
		KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 0);
	}
	kunmap_local(va);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 0);
	free_page(page);
}

static void kmap_local_takes_this_cpus_slot_at_the_stack_index(struct ktest *t)
{
	struct page *page = kt_slot_page(t);
	int base = current_task()->kmap_ctrl.idx;
	void *a, *b;

	if (!page)
		return;
	a = kmap_local_page(page);
	b = kmap_local_page(page);
	KT_EXPECT_EQ(t, (uintptr_t)a,
		     kmap_local_slot_address(smp_processor_id(), base));
	KT_EXPECT_EQ(t, (uintptr_t)b,
		     kmap_local_slot_address(smp_processor_id(), base + 1));
	KT_EXPECT_GT(t, current_task()->migrate_disable, 0);
	kunmap_local(b);
	kunmap_local(a);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, base);
	KT_EXPECT_EQ(t, current_task()->migrate_disable, 0);
	free_page(page);
}

/*
 * A slot still mapped when a thread takes it means some path forgot to
 * clear it. kmap_local_page() says so (the slot, the CPU, the old
 * frame), counts it (stale_slots) and maps the page anyway, replacing
 * the entry and flushing its translation. The case plants such a slot
 * by hand, mapping page A where the next map will go, and reads through
 * it so that this CPU's TLB holds A there; kmap_local_page(B) must then
 * warn and read B, not A through the old translation. Preemption is off
 * throughout: another thread on this CPU would take the planted slot.
 */
#define STALE_A 0x57a1e0a0u
#define STALE_B 0x57a1e0b0u

static void kmap_local_stale_slot_is_reported_and_flushed(struct ktest *t)
{
	struct page *a = kt_slot_page(t), *b = kt_slot_page(t);
	struct kmap_stats before, after;
	unsigned long warns;
	uint32_t *va, seen_a, seen_b;
	int idx;

	if (!a || !b)
		goto out;
	va = kmap_local_page(a);
	va[0] = STALE_A;
	kunmap_local(va);
	va = kmap_local_page(b);
	va[0] = STALE_B;
	kunmap_local(va);
	preempt_disable();
	idx = current_task()->kmap_ctrl.idx;
	arch_pte_install(kmap_this_cpu_slot_pte(idx),
			 arch_make_kernel_rw_pte(page_to_phys(a)));
	seen_a = READ_ONCE(*(uint32_t *)kmap_this_cpu_slot_va(idx));
	kmap_stats(&before);
	warns = warn_count();
	va = kmap_local_page(b);
	seen_b = READ_ONCE(va[0]);
	kunmap_local(va);
	preempt_enable();
	kmap_stats(&after);
	KT_EXPECT_EQ(t, seen_a, STALE_A);
	KT_EXPECT_WARNED(t, warns, "was still mapped");
	KT_EXPECT_EQ(t, after.stale_slots - before.stale_slots, 1);
	KT_EXPECT_EQ(t, seen_b, STALE_B);
out:
	if (a)
		free_page(a);
	if (b)
		free_page(b);
}

static void kmap_local_nests_to_km_max_idx_and_refuses_one_more(struct ktest *t)
{
	struct page *page = kt_slot_page(t);
	struct kmap_stats before, after;
	unsigned long warns = warn_count();
	void *va[KM_MAX_IDX], *extra;

	if (!page)
		return;
	kmap_stats(&before);
	for (int i = 0; i < KM_MAX_IDX; i++) {
		va[i] = kmap_local_page(page);
		KT_EXPECT_NOT_NULL(t, va[i]);
		*(volatile uint32_t *)va[i] = i;
	}
	extra = kmap_local_page(page);
	KT_EXPECT_TRUE(t, extra == NULL);
	kunmap_local(extra); /* NULL: nothing to undo */
	for (int i = KM_MAX_IDX - 1; i >= 0; i--) {
		/* Every map reaches the same page: it holds the last write. */
		KT_EXPECT_EQ(t, *(volatile uint32_t *)va[i], KM_MAX_IDX - 1);
		kunmap_local(va[i]);
	}
	kmap_stats(&after);
	KT_EXPECT_EQ(t, after.refused, before.refused + 1);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 0);
	KT_EXPECT_EQ(t, current_task()->migrate_disable, 0);
	free_page(page);
}

static void kmap_local_out_of_order_unmap_is_reported_and_slots_stay_consistent(
	struct ktest *t)
{
	struct page *p[3] = { kt_slot_page(t), kt_slot_page(t),
			      kt_slot_page(t) };
	struct kmap_stats before, after;
	unsigned long warns = warn_count();
	struct task *self = current_task();
	void *va[3];

	if (!p[0] || !p[1] || !p[2])
		goto out;
	kmap_stats(&before);
	for (int i = 0; i < 3; i++) {
		va[i] = kmap_local_page(p[i]);
		kt_fill(va[i], 0x100 + i);
	}
	kunmap_local(va[1]); /* wrong: va[2] is the top */
	kmap_stats(&after);
	KT_EXPECT_EQ(t, after.out_of_order, before.out_of_order + 1);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
	/* The named slot is gone, the others are intact. */
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped((uintptr_t)va[1]));
	KT_EXPECT_EQ(t, kt_check(va[0], 0x100), 0);
	KT_EXPECT_EQ(t, kt_check(va[2], 0x102), 0);
	KT_EXPECT_EQ(t, self->kmap_ctrl.idx, 3);
	KT_EXPECT_EQ(t, self->migrate_disable, 2);
	/* A new map goes above the top, not into the hole. */
	va[1] = kmap_local_page(p[1]);
	KT_EXPECT_EQ(t, (uintptr_t)va[1],
		     kmap_local_slot_address(smp_processor_id(), 3));
	kunmap_local(va[1]);
	kunmap_local(va[2]); /* pops past the hole */
	KT_EXPECT_EQ(t, self->kmap_ctrl.idx, 1);
	kunmap_local(va[0]);
	KT_EXPECT_EQ(t, self->kmap_ctrl.idx, 0);
	KT_EXPECT_EQ(t, self->kmap_ctrl.holes, 0);
	KT_EXPECT_EQ(t, self->migrate_disable, 0);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
out:
	for (int i = 0; i < 3; i++)
		if (p[i])
			free_page(p[i]);
}

static void kmap_local_unmap_with_an_empty_stack_is_reported(struct ktest *t)
{
	struct kmap_stats before, after;
	unsigned long warns = warn_count();

	kmap_stats(&before);
	kunmap_local((void *)kmap_local_slot_address(smp_processor_id(), 0));
	kmap_stats(&after);
	KT_EXPECT_EQ(t, after.bad_unmaps, before.bad_unmaps + 1);
	KT_EXPECT_EQ(t, warn_count(), warns + 1);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 0);
	KT_EXPECT_EQ(t, current_task()->migrate_disable, 0);
}

/* "It's valid to take page faults in a local kmap region." */
static void kmap_local_page_faults_allowed_lazy_touch_succeeds(struct ktest *t)
{
	struct page *page = kt_slot_page(t);
	uint32_t *lazy = vmalloc_lazy(2 * PAGE_SIZE);
	unsigned long filled = vmalloc_lazy_filled();
	uint32_t v = 1;
	void *va;

	KT_ASSERT_NOT_NULL(t, lazy);
	if (!page)
		return;
	va = kmap_local_page(page);
	kt_fill(va, 0x77);
	/* Two first touches: a checked copy, then a plain write. */
	KT_EXPECT_EQ(t, copy_from_kernel_may_fault(&v, lazy, sizeof(v)), 0);
	KT_EXPECT_EQ(t, v, 0);
	lazy[1024] = 0xabcdef;
	KT_EXPECT_EQ(t, lazy[1024], 0xabcdef);
	KT_EXPECT_EQ(t, vmalloc_lazy_filled(), filled + 2);
	KT_EXPECT_EQ(t, kt_check(va, 0x77), 0);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 1);
	kunmap_local(va);
	free_page(page);
}

/*
 * The same at full depth: a task holding all KM_MAX_IDX maps touches a
 * fresh lazy page. The fill has no slot left to zero a page through,
 * so it must find another way; nothing is refused, nothing is warned,
 * and the task's own maps are untouched.
 */
static void kmap_local_lazy_fault_at_full_depth_is_filled(struct ktest *t)
{
	struct page *page = kt_slot_page(t);
	uint32_t *lazy = vmalloc_lazy(PAGE_SIZE);
	unsigned long filled = vmalloc_lazy_filled(), warns = warn_count();
	struct kmap_stats before, after;
	void *va[KM_MAX_IDX];
	uint32_t v;

	KT_ASSERT_NOT_NULL(t, lazy);
	if (!page)
		return;
	kmap_stats(&before);
	for (int i = 0; i < KM_MAX_IDX; i++)
		va[i] = kmap_local_page(page);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, KM_MAX_IDX);
	*(volatile uint32_t *)va[KM_MAX_IDX - 1] = 0x600dcafe;
	v = ((volatile uint32_t *)lazy)[5]; /* the fault, at full depth */
	lazy[6] = 0xfeed;
	KT_EXPECT_EQ(t, v, 0);
	KT_EXPECT_EQ(t, lazy[6], 0xfeed);
	KT_EXPECT_EQ(t, vmalloc_lazy_filled(), filled + 1);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, KM_MAX_IDX);
	for (int i = KM_MAX_IDX - 1; i >= 0; i--) {
		KT_EXPECT_EQ(t, *(volatile uint32_t *)va[i], 0x600dcafe);
		kunmap_local(va[i]);
	}
	kmap_stats(&after);
	KT_EXPECT_EQ(t, after.refused, before.refused);
	KT_EXPECT_EQ(t, warn_count(), warns);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 0);
	KT_EXPECT_EQ(t, current_task()->migrate_disable, 0);
	free_page(page);
}

/* "page_address() of a highmem page is NULL unless kmap() mapped it." */
static void kmap_local_map_is_not_recorded_in_page_address(struct ktest *t)
{
	struct page *low = alloc_page(GFP_KERNEL);
	struct page *high = kt_highmem_page(t);
	void *va;

	KT_ASSERT_NOT_NULL(t, low);
	KT_EXPECT_EQ(t, (uintptr_t)page_address(low),
		     (uintptr_t)lowmem_page_address(low));
	free_page(low);
	if (!high)
		return;
	KT_EXPECT_TRUE(t, page_address(high) == NULL);
	va = kmap_local_page(high);
	KT_EXPECT_NOT_NULL(t, va);
	KT_EXPECT_TRUE(t, page_address(high) == NULL);
	kunmap_local(va);
	KT_EXPECT_TRUE(t, page_address(high) == NULL);
	free_page(high);
}

/*
 * kmap.debug=1: a guard page on both sides of every slot, so running off
 * a mapped page faults. Read through copy_from_kernel_nofault, the
 * fault is survivable; the crash suite (ktest.crash=kmap_guard) checks
 * the report a real overrun produces.
 */
static void kmap_local_debug_guard_pages_surround_each_slot(struct ktest *t)
{
	struct page *page;
	uint8_t *va, byte;

	if (!kmap_debug_enabled()) {
		kt_skip(t, "runs with kmap.debug=1");
		return;
	}
	page = kt_slot_page(t);
	if (!page)
		return;
	va = kmap_local_page(page);
	KT_EXPECT_EQ(t, copy_from_kernel_nofault(&byte, va + PAGE_SIZE - 1, 1),
		     0);
	KT_EXPECT_EQ(t, copy_from_kernel_nofault(&byte, va + PAGE_SIZE, 1),
		     -EFAULT);
	KT_EXPECT_EQ(t, copy_from_kernel_nofault(&byte, va - 1, 1), -EFAULT);
	KT_EXPECT_EQ(t, kmap_local_slot_address(smp_processor_id(), 1),
		     (uintptr_t)va - 2 * PAGE_SIZE);
	kunmap_local(va);
	free_page(page);
}

/*
 * Two CPUs touching one fresh lazy page at once both fault; the fill
 * installs one page and the later fault finds it there and gives its
 * own back. Were the second to install its page too, the first CPU's
 * write would land in a page no longer mapped. Each round a helper on
 * another CPU and this task write different words of a fresh page, let
 * go at the same moment; both words must be there, and each page
 * filled once.
 */
#define LAZY_RACE_PAGES 64

struct lazy_race {
	uint32_t *base;
	unsigned int pages;
	volatile unsigned int round, done, stop;
};

static int lazy_race_helper(void *arg)
{
	struct lazy_race *r = arg;

	for (unsigned int i = 0; i < r->pages; i++) {
		while (READ_ONCE(r->round) != i + 1)
			if (READ_ONCE(r->stop))
				return 0;
			else
				arch_cpu_relax();
		r->base[i * 1024 + 1] = 0xb0000000 | i;
		WRITE_ONCE(r->done, i + 1);
	}
	return 0;
}

static void kmap_local_lazy_fill_races_install_one_page(struct ktest *t)
{
	static struct lazy_race r;
	unsigned int me, other, cpu, lost = 0, i;
	unsigned long filled;
	struct task *helper;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs two CPUs");
		return;
	}
	/* The pages stay filled for good: at most an eighth of what is free. */
	r = (struct lazy_race){ .pages = MIN(LAZY_RACE_PAGES,
					     (zone_free_pages(ZONE_NORMAL) +
					      zone_free_pages(ZONE_HIGHMEM)) /
						     8) };
	if (r.pages < 8) {
		kt_skip(t, "too little free memory for 8 lazy pages");
		return;
	}
	r.base = vmalloc_lazy(r.pages * PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, r.base);
	migrate_disable();
	me = other = smp_processor_id();
	for_each_online_cpu(cpu)
		if (cpu != me)
			other = cpu;
	helper = kthread_create(lazy_race_helper, &r, "lazy_racer");
	KT_ASSERT_NOT_NULL(t, helper);
	kthread_bind(helper, other);
	kthread_start(helper);
	filled = vmalloc_lazy_filled();
	for (i = 0; i < r.pages; i++) {
		WRITE_ONCE(r.round, i + 1);
		r.base[i * 1024] = 0xa0000000 | i;
		if (!KT_WAIT_UNTIL_SPIN(t, READ_ONCE(r.done) == i + 1))
			break;
		lost += r.base[i * 1024] != (0xa0000000 | i) ||
			r.base[i * 1024 + 1] != (0xb0000000 | i);
	}
	r.stop = 1;
	migrate_enable();
	kthread_join(helper);
	if (lost)
		kt_diag(t, "%u of %u pages lost a write", lost, i);
	KT_EXPECT_EQ(t, lost, 0);
	KT_EXPECT_EQ(t, vmalloc_lazy_filled() - filled, i);
}

static const struct ktest_case kmap_local_cases[] = {
	KTEST_CASE(kmap_local_writes_land_in_the_page_seen_from_another_cpu),
	KTEST_CASE(kmap_local_lowmem_page_uses_no_slot),
	KTEST_CASE(kmap_local_takes_this_cpus_slot_at_the_stack_index),
	KTEST_CASE(kmap_local_stale_slot_is_reported_and_flushed),
	KTEST_CASE(kmap_local_nests_to_km_max_idx_and_refuses_one_more),
	KTEST_CASE(
		kmap_local_out_of_order_unmap_is_reported_and_slots_stay_consistent),
	KTEST_CASE(kmap_local_unmap_with_an_empty_stack_is_reported),
	KTEST_CASE(kmap_local_switch_keeps_each_threads_own_maps),
	KTEST_CASE(kmap_local_holder_never_changes_cpu),
	KTEST_CASE(kmap_local_cpu_offline_waits_until_the_holder_unmaps),
	KTEST_CASE(kmap_local_timer_interrupt_maps_on_top_of_the_task),
	KTEST_CASE(kmap_local_ipi_handler_maps_on_top_of_the_task),
	KTEST_CASE(kmap_local_preempted_map_is_not_reported_stale),
	KTEST_CASE(kmap_local_page_faults_allowed_lazy_touch_succeeds),
	KTEST_CASE(kmap_local_lazy_fault_at_full_depth_is_filled),
	KTEST_CASE(kmap_local_lazy_fill_races_install_one_page),
	KTEST_CASE(kmap_local_map_is_not_recorded_in_page_address),
	KTEST_CASE(kmap_local_debug_guard_pages_surround_each_slot),
};
KTEST_SUITE(kmap_local, kmap_local_cases);
