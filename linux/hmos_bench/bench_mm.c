// SPDX-License-Identifier: GPL-2.0
/*
 * The rows of hmos's tests/bench_mm.c, on Linux: local TLB flushes,
 * cross-CPU flushes and calls, vmap/vunmap, vmalloc/vfree and a page
 * from the page allocator and back.
 *
 * A module reaches less of Linux's TLB code than hmos's benchmarks
 * reach of hmos's: flush_tlb_kernel_range() and flush_tlb_all() are
 * not exported. So the shootdown rows do what those functions do
 * inside, with exported parts: on_each_cpu() of a function that
 * flushes the page (invlpg) or the whole TLB (__flush_tlb_all). The
 * local range row flushes the ceiling's pages one invlpg each, as
 * both kernels do for a range at or below the ceiling.
 */
#include <linux/vmalloc.h>
#include <linux/smp.h>
#include <linux/highmem.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include "hmos_bench.h"

#define TLB_FLUSH_CEILING_PAGES 32   /* hmos's include/mm/tlbflush.h */
#define VMAP_LAZY_MAX_PAGES	8192 /* hmos's include/mm/vmalloc.h */

static inline void invlpg(unsigned long va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static u64 bench_tlb_local_page(struct bench *b, unsigned int n)
{
	unsigned long va = VMALLOC_START;
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++)
		invlpg(va);
	return rdtsc_ordered() - t0;
}

static u64 bench_tlb_local_flush_all(struct bench *b, unsigned int n)
{
	u64 t0, t;

	preempt_disable(); /* __flush_tlb_all's rule */
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++)
		__flush_tlb_all();
	t = rdtsc_ordered() - t0;
	preempt_enable();
	return t;
}

static u64 bench_tlb_local_range_ceiling(struct bench *b, unsigned int n)
{
	unsigned long va = VMALLOC_START;
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++)
		for (unsigned int p = 0; p < TLB_FLUSH_CEILING_PAGES; p++)
			invlpg(va + p * PAGE_SIZE);
	return rdtsc_ordered() - t0;
}

static void flush_one_page(void *arg)
{
	invlpg(*(unsigned long *)arg);
}

static u64 bench_tlb_shootdown_page(struct bench *b, unsigned int n)
{
	unsigned long va = VMALLOC_START;
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++)
		on_each_cpu(flush_one_page, &va, 1);
	return rdtsc_ordered() - t0;
}

static void flush_everything(void *arg)
{
	__flush_tlb_all();
}

static u64 bench_tlb_shootdown_all(struct bench *b, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++)
		on_each_cpu(flush_everything, NULL, 1);
	return rdtsc_ordered() - t0;
}

static void nothing(void *arg)
{
}

static u64 bench_ipi_roundtrip_one(struct bench *b, unsigned int n)
{
	unsigned int me = raw_smp_processor_id(), other = me, cpu;
	u64 t0;

	for_each_online_cpu(cpu)
		if (cpu != me)
			other = cpu;
	if (other == me) {
		bench_skip(b, "needs two CPUs");
		return 0;
	}
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++)
		smp_call_function_single(other, nothing, NULL, 1);
	return rdtsc_ordered() - t0;
}

static u64 bench_ipi_roundtrip_all(struct bench *b, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++)
		on_each_cpu(nothing, NULL, 1);
	return rdtsc_ordered() - t0;
}

static struct page *vmap_pages[16]; /* kept until the module goes */

static bool get_pages(struct bench *b)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vmap_pages); i++)
		if (!vmap_pages[i] &&
		    !(vmap_pages[i] = alloc_page(GFP_HIGHUSER))) {
			bench_skip(b, "out of pages");
			return false;
		}
	return true;
}

void bench_mm_free(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vmap_pages); i++)
		if (vmap_pages[i])
			__free_page(vmap_pages[i]);
}

static u64 vmap_loop(struct bench *b, unsigned int n, unsigned int count)
{
	u64 t0;

	if (!get_pages(b))
		return 0;
	t0 = rdtsc_ordered();
	for (unsigned int i = 0; i < n; i++)
		vunmap(vmap(vmap_pages, count, VM_MAP, PAGE_KERNEL));
	return rdtsc_ordered() - t0;
}

static u64 bench_vmap1_vunmap(struct bench *b, unsigned int n)
{
	return vmap_loop(b, n, 1);
}

static u64 bench_vmap16_vunmap(struct bench *b, unsigned int n)
{
	return vmap_loop(b, n, 16);
}

static u64 bench_vmalloc64k_vfree(struct bench *b, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++)
		vfree(vmalloc(64 << 10));
	return rdtsc_ordered() - t0;
}

/*
 * hmos's page_alloc_free: a batch of highmem pages taken one at a time,
 * then freed. Linux serves them from its per-CPU page lists, which
 * hmos does not have (docs/bench.rst).
 */
#define PAGE_BATCH 64 /* hmos's tests/bench_mm.c */

static u64 bench_page_alloc_free(struct bench *b, unsigned int n)
{
	struct page *batch[PAGE_BATCH];
	unsigned int taken;
	u64 t0;

	if (n > PAGE_BATCH) {
		bench_skip(b, "more pages asked for than the batch holds");
		return 0;
	}
	t0 = rdtsc_ordered();
	for (taken = 0; taken < n; taken++)
		if (!(batch[taken] = alloc_page(GFP_HIGHUSER)))
			break;
	for (unsigned int i = 0; i < taken; i++)
		__free_page(batch[i]);
	if (taken < n) {
		bench_skip(b, "out of pages");
		return 0;
	}
	return rdtsc_ordered() - t0;
}

struct bench bench_mm_rows[] = {
	BENCH_ROW(tlb_local_page, bench_tlb_local_page, 64, 0, NULL),
	BENCH_ROW(tlb_local_flush_all, bench_tlb_local_flush_all, 16, 0, NULL),
	BENCH_ROW(tlb_local_range_ceiling, bench_tlb_local_range_ceiling, 16, 0,
		  NULL),
	BENCH_ROW(tlb_shootdown_page, bench_tlb_shootdown_page, 4, 0, NULL),
	BENCH_ROW(tlb_shootdown_all, bench_tlb_shootdown_all, 4, 0, NULL),
	BENCH_ROW(ipi_roundtrip_one, bench_ipi_roundtrip_one, 4, 0, NULL),
	BENCH_ROW(ipi_roundtrip_all, bench_ipi_roundtrip_all, 4, 0, NULL),
	BENCH_ROW(vmap1_vunmap, bench_vmap1_vunmap, 32, 0, NULL),
	BENCH_ROW(vmap16_vunmap, bench_vmap16_vunmap, 16, 0, NULL),
	BENCH_ROW(vmap1_vunmap_amortised, bench_vmap1_vunmap,
		  VMAP_LAZY_MAX_PAGES / 2 + 1, 9, NULL),
	BENCH_ROW(vmap16_vunmap_amortised, bench_vmap16_vunmap,
		  VMAP_LAZY_MAX_PAGES / 17 + 1, 9, NULL),
	BENCH_ROW(vmalloc64k_vfree, bench_vmalloc64k_vfree, 8, 0, NULL),
	BENCH_ROW(page_alloc_free, bench_page_alloc_free, PAGE_BATCH, 0, NULL),
	{}
};
