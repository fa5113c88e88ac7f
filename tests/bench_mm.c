/*
 * Benchmarks for TLB maintenance, cross-CPU calls, the vmalloc area and
 * the page allocator (bench=tlb*,vmap*,vmalloc*,ipi*,page*). Names are stable
 * (docs/bench.rst quotes them), so figures compare across commits. Each returns
 * the ticks its loop took; the framework divides by the iterations.
 * Each row writes its own loop, on purpose: a shared loop calling the
 * operation through a pointer would add an indirect call to every
 * iteration and keep inline operations from being inlined.
 */
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <kernel/bench.h>
#include <kernel/smp.h>
#include <mm/page_alloc.h>
#include <mm/tlbflush.h>
#include <mm/vmalloc.h>

static uint64_t bench_tlb_local_page(struct bench *b, unsigned int n)
{
	uintptr_t va = vmalloc_start;
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		arch_flush_tlb_local_page(va);
	return arch_timestamp() - t0;
}
BENCH(tlb_local_page, bench_tlb_local_page, 64);

static uint64_t bench_tlb_local_flush_all(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		arch_flush_tlb_local_all();
	return arch_timestamp() - t0;
}
BENCH(tlb_local_flush_all, bench_tlb_local_flush_all, 16);

/* A range flush of exactly the ceiling: the dearest range that stays one. */
static uint64_t bench_tlb_local_range_ceiling(struct bench *b, unsigned int n)
{
	uintptr_t va = vmalloc_start;
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		flush_tlb_local_range(va,
				      va + TLB_FLUSH_CEILING_PAGES * PAGE_SIZE);
	return arch_timestamp() - t0;
}
BENCH(tlb_local_range_ceiling, bench_tlb_local_range_ceiling, 16);

static uint64_t bench_tlb_shootdown_page(struct bench *b, unsigned int n)
{
	uintptr_t va = vmalloc_start;
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		flush_tlb_kernel_range(va, va + PAGE_SIZE);
	return arch_timestamp() - t0;
}
BENCH(tlb_shootdown_page, bench_tlb_shootdown_page, 4);

static uint64_t bench_tlb_shootdown_all(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		flush_tlb_all();
	return arch_timestamp() - t0;
}
BENCH(tlb_shootdown_all, bench_tlb_shootdown_all, 4);

static void nothing(void *arg)
{
}

static uint64_t bench_ipi_roundtrip_one(struct bench *b, unsigned int n)
{
	unsigned int me = smp_processor_id(), other = me, cpu;
	uint64_t t0;

	for_each_online_cpu(cpu)
		if (cpu != me)
			other = cpu;
	if (other == me) {
		bench_skip(b, "needs two CPUs");
		return 0;
	}
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++)
		smp_call_function_single(other, nothing, NULL, true);
	return arch_timestamp() - t0;
}
BENCH(ipi_roundtrip_one, bench_ipi_roundtrip_one, 4);

static uint64_t bench_ipi_roundtrip_all(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		on_each_cpu(nothing, NULL, true);
	return arch_timestamp() - t0;
}
BENCH(ipi_roundtrip_all, bench_ipi_roundtrip_all, 4);

static struct page *bench_pages[16];

static bool get_pages(struct bench *b)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(bench_pages); i++)
		if (!bench_pages[i] &&
		    !(bench_pages[i] = alloc_page(GFP_HIGHUSER))) {
			bench_skip(b, "out of pages");
			return false;
		}
	return true;
}

static uint64_t vmap_loop(struct bench *b, unsigned int n, unsigned int count)
{
	uint64_t t0;

	if (!get_pages(b))
		return 0;
	t0 = arch_timestamp();
	for (unsigned int i = 0; i < n; i++)
		vunmap(vmap(bench_pages, count, MAP_READ | MAP_WRITE));
	return arch_timestamp() - t0;
}

static uint64_t bench_vmap1_vunmap(struct bench *b, unsigned int n)
{
	return vmap_loop(b, n, 1);
}
BENCH(vmap1_vunmap, bench_vmap1_vunmap, 32);

static uint64_t bench_vmap16_vunmap(struct bench *b, unsigned int n)
{
	return vmap_loop(b, n, 16);
}
BENCH(vmap16_vunmap, bench_vmap16_vunmap, 16);

/*
 * The amortised figures: each sample spans more vunmaps than one lazy
 * purge needs (VMAP_LAZY_MAX_PAGES), so every sample pays its share of
 * the shootdown and the merge, which the median of the short samples
 * above mostly misses.
 */
static uint64_t bench_vmap1_vunmap_amortised(struct bench *b, unsigned int n)
{
	return vmap_loop(b, n, 1);
}
BENCH_SAMPLED(vmap1_vunmap_amortised, bench_vmap1_vunmap_amortised,
	      VMAP_LAZY_MAX_PAGES / 2 + 1, 9);

static uint64_t bench_vmap16_vunmap_amortised(struct bench *b, unsigned int n)
{
	return vmap_loop(b, n, 16);
}
BENCH_SAMPLED(vmap16_vunmap_amortised, bench_vmap16_vunmap_amortised,
	      VMAP_LAZY_MAX_PAGES / 17 + 1, 9);

static uint64_t bench_vmalloc64k_vfree(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++)
		vfree(vmalloc(64 << 10));
	return arch_timestamp() - t0;
}
BENCH(vmalloc64k_vfree, bench_vmalloc64k_vfree, 8);

/*
 * One page taken and given back, in batches: take a batch of highmem
 * pages, then free them all, as pmm_exhaust_and_refill_* does for a
 * whole zone. Each sample splits and merges its share of blocks, so the
 * figure is what one page costs in a long run of allocations.
 */
#define PAGE_BATCH 64

static uint64_t bench_page_alloc_free(struct bench *b, unsigned int n)
{
	struct page *batch[PAGE_BATCH];
	unsigned int taken;
	uint64_t t0;

	if (n > PAGE_BATCH) {
		bench_skip(b, "more pages asked for than the batch holds");
		return 0;
	}
	t0 = arch_timestamp();
	for (taken = 0; taken < n; taken++)
		if (!(batch[taken] = alloc_page(GFP_HIGHUSER)))
			break;
	for (unsigned int i = 0; i < taken; i++)
		free_page(batch[i]);
	if (taken < n) {
		bench_skip(b, "out of pages");
		return 0;
	}
	return arch_timestamp() - t0;
}
BENCH(page_alloc_free, bench_page_alloc_free, PAGE_BATCH);
