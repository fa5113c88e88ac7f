/*
 * Suite "kmap_atomic": kmap_atomic and kunmap_atomic, plus the fault
 * machinery they lean on (pagefault_disable, the exception table,
 * copy_from_kernel_nofault), and RAM above 4 GiB through both local
 * interfaces. One sentence of include/mm/highmem.h or
 * include/mm/maccess.h per case.
 */
#include <arch/mmu.h>
#include <kernel/errno.h>
#include <kernel/kthread.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <mm/fault.h>
#include <mm/maccess.h>
#include <mm/vmalloc_lazy.h>
#include "kmap_helpers.h"
#include "test_util.h"

static void kmap_atomic_disables_preemption_and_page_faults(struct ktest *t)
{
	struct page *low = alloc_page(GFP_KERNEL);
	struct page *any = alloc_page(GFP_HIGHUSER);
	struct page *pages[2] = { low, any };
	int pc = preempt_count();

	KT_ASSERT_NOT_NULL(t, low);
	KT_ASSERT_NOT_NULL(t, any);
	/* Even for a lowmem page, which needs no slot. */
	for (int i = 0; i < 2; i++) {
		void *va = kmap_atomic(pages[i]);

		KT_EXPECT_EQ(t, preempt_count(), pc + 1);
		KT_EXPECT_TRUE(t, pagefault_disabled());
		*(volatile uint32_t *)va = 42;
		kunmap_atomic(va);
		KT_EXPECT_EQ(t, preempt_count(), pc);
		KT_EXPECT_FALSE(t, pagefault_disabled());
	}
	free_page(low);
	free_page(any);
}

/*
 * With page faults disabled, a first touch of a lazy page is not
 * filled: it goes to the copy's exception-table fixup and fails
 * cleanly. Once kunmap_atomic re-enables faults, the same touch works.
 */
static void
kmap_atomic_lazy_touch_fails_cleanly_through_the_fixup(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	uint32_t *lazy = vmalloc_lazy(PAGE_SIZE);
	unsigned long filled = vmalloc_lazy_filled();
	uint32_t v = 1;
	void *va;

	KT_ASSERT_NOT_NULL(t, page);
	KT_ASSERT_NOT_NULL(t, lazy);
	va = kmap_atomic(page);
	KT_EXPECT_EQ(t, copy_from_kernel_may_fault(&v, lazy, sizeof(v)),
		     -EFAULT);
	kunmap_atomic(va);
	KT_EXPECT_EQ(t, v, 1);
	KT_EXPECT_EQ(t, vmalloc_lazy_filled(), filled);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped((uintptr_t)lazy));
	KT_EXPECT_EQ(t, copy_from_kernel_may_fault(&v, lazy, sizeof(v)), 0);
	KT_EXPECT_EQ(t, v, 0);
	KT_EXPECT_EQ(t, vmalloc_lazy_filled(), filled + 1);
	free_page(page);
}

/* copy_from_kernel_nofault returns an error instead of crashing. */
static void
copy_from_kernel_nofault_returns_efault_on_unmapped_source(struct ktest *t)
{
	uint32_t src = 0x600df00d, dst = 0;
	uint32_t *lazy = vmalloc_lazy(PAGE_SIZE);

	KT_ASSERT_NOT_NULL(t, lazy);
	KT_EXPECT_EQ(t, copy_from_kernel_nofault(&dst, &src, sizeof(dst)), 0);
	KT_EXPECT_EQ(t, dst, 0x600df00d);
	/* The hole after the direct map is never mapped. */
	KT_EXPECT_EQ(t,
		     copy_from_kernel_nofault(&dst, (void *)high_memory,
					      sizeof(dst)),
		     -EFAULT);
	KT_EXPECT_EQ(t, copy_from_kernel_nofault(&dst, NULL, sizeof(dst)),
		     -EFAULT);
	/* Page faults are off inside it, even outside kmap_atomic. */
	KT_EXPECT_EQ(t, copy_from_kernel_nofault(&dst, lazy, sizeof(dst)),
		     -EFAULT);
	KT_EXPECT_FALSE(t, pagefault_disabled());
}

/*
 * Reads back, through kmap_local_page() in a thread on another CPU, what
 * kmap_atomic() wrote: the mirror of remote_check_and_write in
 * test_kmap_local.c, which reads through kmap_atomic what
 * kmap_local_page wrote.
 */
struct local_reader {
	struct page *page;
	uint32_t seed;
	unsigned int bad, cpu;
};

static int local_reader_thread(void *arg)
{
	struct local_reader *r = arg;
	void *va = kmap_local_page(r->page);

	r->cpu = smp_processor_id();
	r->bad = kt_check(va, r->seed);
	kunmap_local(va);
	return 0;
}

static void
kmap_atomic_writes_land_in_the_page_seen_from_another_cpu(struct ktest *t)
{
	struct local_reader r = { .page = kt_slot_page(t), .seed = 0xa70a1c };
	struct task *th;
	void *va;

	if (!r.page)
		return;
	va = kmap_atomic(r.page);
	kt_fill(va, r.seed);
	kunmap_atomic(va);
	/* Read back through kmap_local_page, in a thread on another CPU. */
	th = kthread_create(local_reader_thread, &r, "kreader");
	KT_ASSERT_NOT_NULL(t, th);
	kthread_bind(th, kt_other_cpu());
	kthread_start(th);
	kthread_join(th);
	kt_diag(t, "written on CPU %u, read on CPU %u", smp_processor_id(),
		r.cpu);
	KT_EXPECT_EQ(t, r.bad, 0);
	free_page(r.page);
}

/* kmap_atomic and kmap_local_page share one stack, in strict order. */
static void kmap_atomic_nests_on_the_same_stack_as_kmap_local(struct ktest *t)
{
	struct page *page = kt_slot_page(t);
	unsigned int cpu;
	void *a, *b;

	if (!page)
		return;
	a = kmap_local_page(page);
	cpu = smp_processor_id();
	b = kmap_atomic(page);
	KT_EXPECT_EQ(t, (uintptr_t)a, kmap_local_slot_address(cpu, 0));
	KT_EXPECT_EQ(t, (uintptr_t)b, kmap_local_slot_address(cpu, 1));
	*(volatile uint32_t *)b = 7;
	KT_EXPECT_EQ(t, *(volatile uint32_t *)a, 7);
	kunmap_atomic(b);
	kunmap_local(a);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 0);
	free_page(page);
}

static void kmap_local_and_atomic_reach_ram_above_4g(struct ktest *t)
{
	struct page *page = kt_page_above_4g(t);
	void *va;

	if (!page)
		return;
	kt_diag(t, "frame %#llx", (unsigned long long)page_to_phys(page));
	va = kmap_local_page(page);
	kt_fill(va, page_to_pfn(page));
	KT_EXPECT_EQ(t, arch_pte_phys(arch_get_kernel_pte((uintptr_t)va)),
		     page_to_phys(page));
	kunmap_local(va);
	va = kmap_atomic(page);
	KT_EXPECT_EQ(t, kt_check(va, page_to_pfn(page)), 0);
	kunmap_atomic(va);
	kt_free_page_above_4g(page);
}

static const struct ktest_case kmap_atomic_cases[] = {
	KTEST_CASE(kmap_atomic_disables_preemption_and_page_faults),
	KTEST_CASE(kmap_atomic_lazy_touch_fails_cleanly_through_the_fixup),
	KTEST_CASE(copy_from_kernel_nofault_returns_efault_on_unmapped_source),
	KTEST_CASE(kmap_atomic_writes_land_in_the_page_seen_from_another_cpu),
	KTEST_CASE(kmap_atomic_nests_on_the_same_stack_as_kmap_local),
	KTEST_CASE(kmap_local_and_atomic_reach_ram_above_4g),
};
KTEST_SUITE(kmap_atomic, kmap_atomic_cases);
