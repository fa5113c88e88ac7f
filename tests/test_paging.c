/*
 * Suite "paging": the kernel's own page tables, walked and checked.
 * Text must not be writable, data and the direct map must not be
 * executable, the layout's regions must be disjoint and in order, and
 * a PTE written by hand must reach the physical page it names, even
 * above 4 GiB.
 */
#include <arch/mmu.h>
#include <arch/pte.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/string.h>
#include <mm/layout.h>
#include <mm/memblock.h>
#include <mm/page_alloc.h>
#include "test_util.h"
#include <kernel/trace.h>
#include <mm/vmalloc.h>
#include <mm/vmalloc_lazy.h>

static const uint32_t a_constant = 0x5eed;
static uint32_t a_variable = 1;
extern char _text[], _etext[], _erodata[], _end[];

static void paging_text_read_only_executable(struct ktest *t)
{
	struct pte_info info;

	for (uintptr_t va = (uintptr_t)_text; va < (uintptr_t)_etext;
	     va += PAGE_SIZE) {
		KT_ASSERT_TRUE(t, arch_kernel_pte_info(va, &info));
		KT_ASSERT_TRUE(t, info.present);
		KT_ASSERT_FALSE(t, info.writable);
		KT_ASSERT_TRUE(t, info.executable);
	}
}

static void paging_rodata_read_only_nx(struct ktest *t)
{
	struct pte_info info;

	KT_ASSERT_TRUE(t, arch_kernel_pte_info((uintptr_t)&a_constant, &info));
	KT_EXPECT_TRUE(t, info.present);
	KT_EXPECT_FALSE(t, info.writable);
	KT_EXPECT_FALSE(t, info.executable);
}

static void paging_data_and_direct_map_nx(struct ktest *t)
{
	struct pte_info info;
	unsigned long bad = 0;

	KT_ASSERT_TRUE(t, arch_kernel_pte_info((uintptr_t)&a_variable, &info));
	KT_EXPECT_TRUE(t, info.writable);
	KT_EXPECT_FALSE(t, info.executable);
	/* Every direct-map page outside the kernel image: RW, NX, global,
	 * and mapping exactly its own physical frame. */
	for (uintptr_t va = (uintptr_t)_end; va < high_memory;
	     va += PAGE_SIZE) {
		if (!arch_kernel_pte_info(va, &info) || !info.present ||
		    !info.writable || info.executable || !info.global ||
		    info.phys != va - PAGE_OFFSET)
			bad++;
	}
	KT_EXPECT_EQ(t, bad, 0);
}

static void paging_low_addresses_unmapped(struct ktest *t)
{
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(0));
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(0x100000));
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(PAGE_OFFSET - 1));
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(VMALLOC_END));
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(FIXADDR_TOP));
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(high_memory));
}

static void paging_layout_regions_in_order(struct ktest *t)
{
	struct layout_region r[16];
	unsigned int n = layout_regions(r, ARRAY_SIZE(r));

	KT_ASSERT_GE(t, n, 7);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t end = r[i].end ? r[i].end : (1ull << 32);

		KT_EXPECT_LT(t, r[i].start, end);
		if (i + 1 < n)
			KT_EXPECT_EQ(t, end, r[i + 1].start);
	}
	KT_EXPECT_EQ(t, r[n - 1].end, 0);
	KT_EXPECT_GE(t, vmalloc_start - high_memory, VMALLOC_OFFSET);
	KT_EXPECT_EQ(t, PKMAP_BASE % (2u << 20), 0);
	KT_EXPECT_EQ(t, PKMAP_END, FIXADDR_START);
	KT_EXPECT_LE(t, high_memory - PAGE_OFFSET, MAX_LOWMEM);
	KT_EXPECT_EQ(t, high_memory, PAGE_OFFSET + (max_low_pfn << PAGE_SHIFT));
}

/*
 * Map one frame at two vmalloc-area addresses by writing PTEs, write
 * through one and read through the other: the page tables reach the
 * frame, whatever its address. The frame is the highest we can get
 * (above 4 GiB with -m 8G), to catch a truncated physical address.
 */
static void paging_pte_reaches_frame(struct ktest *t)
{
	struct page *block = alloc_highest_block();
	struct page *page =
		block ? block + (1u << MAX_ORDER) - 1 : alloc_page(GFP_KERNEL);
	volatile uint32_t *pa, *pb;
	uintptr_t a, b;

	KT_ASSERT_NOT_NULL(t, page);
	kt_diag(t, "frame %#llx", (unsigned long long)page_to_phys(page));
	if (memblock_usable_end() > (1ull << 32))
		KT_EXPECT_GT(t, page_to_phys(page), 0xFFFFFFFFull);
	/* Two vmalloc-area pages of our own, not squatted addresses. */
	a = (uintptr_t)vmap(&page, 1, MAP_WRITE);
	b = (uintptr_t)vmap(&page, 1, MAP_READ);
	KT_ASSERT_TRUE(t, a && b);
	pa = (uint32_t *)a;
	pb = (uint32_t *)b;
	pa[0] = 0xfeedf00d;
	pa[1023] = (uint32_t)page_to_pfn(page);
	KT_EXPECT_EQ(t, pb[0], 0xfeedf00d);
	KT_EXPECT_EQ(t, pb[1023], page_to_pfn(page));
	KT_EXPECT_EQ(t, arch_pte_phys(arch_get_kernel_pte(b)),
		     page_to_phys(page));
	vunmap((void *)a);
	vunmap((void *)b);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(a));
	if (block)
		free_pages(block, MAX_ORDER);
	else
		free_page(page);
}

/*
 * A PAE entry read while another CPU changes it must come out whole:
 * the old entry, the new one, or not present, never a present entry
 * with the other half's address bits. The entry here is a plain word in
 * memory no page walk uses; one CPU installs and clears it (the only
 * changes a live entry sees), another reads it. The reader goes on
 * until it has made TORN_READS reads and the flipper TORN_FLIPS flips
 * since the reading began: both sides' work, so a host that leaves the
 * flipper's vCPU waiting makes the case longer, not empty.
 */
#define TORN_READS 2000000
#define TORN_FLIPS 100000
#define TORN_BATCH 1000 /* reads between looks at the counts */

struct torn_race {
	pte_t entry __aligned(8); /* i386 aligns a u64 member to 4 only */
	volatile unsigned int ready, stop;
	volatile unsigned long flips; /* install-and-clear pairs */
	unsigned long reads, torn, present_seen;
};

/*
 * Stay a while in each state. Back to back, install and clear share
 * one block of TCG's translated code, and a reader whose locked 8-byte
 * read makes QEMU stop the other vCPUs at a block boundary would only
 * ever find the entry cleared: "0 present" in 2,000,000 reads, seen on
 * a loaded host. The torn-read window, between the halves of one
 * write, is unchanged.
 */
static void dwell(void)
{
	for (int i = 0; i < 16; i++)
		arch_cpu_relax();
}

static int pte_flipper(void *arg)
{
	struct torn_race *r = arg;
	/* Above 4 GiB and NX: both halves of the entry carry bits. */
	pte_t val = arch_make_kernel_rw_pte(0x23ffff000ull);

	r->ready = 1;
	while (!r->stop) {
		arch_pte_install(&r->entry, val);
		dwell();
		arch_pte_clear(&r->entry);
		dwell();
		r->flips++;
	}
	return 0;
}

/* A batch of reads; true once both sides have done their share. */
static bool read_batch(struct torn_race *r, pte_t val, unsigned long flips0)
{
	for (unsigned int i = 0; i < TORN_BATCH; i++) {
		pte_t seen = arch_pte_read(&r->entry);

		if (!arch_pte_present(seen))
			continue;
		r->present_seen++;
		if (seen != val)
			r->torn++;
	}
	r->reads += TORN_BATCH;
	return r->reads >= TORN_READS && r->flips - flips0 >= TORN_FLIPS;
}

static void paging_pte_read_never_torn(struct ktest *t)
{
	static struct torn_race r;
	pte_t val = arch_make_kernel_rw_pte(0x23ffff000ull);
	unsigned int me = smp_processor_id(), other = me, cpu;
	unsigned long flips0;
	struct task *th;

	for_each_online_cpu(cpu)
		if (cpu != me)
			other = cpu;
	if (other == me) {
		kt_skip(t, "needs two CPUs");
		return;
	}
	r = (struct torn_race){ 0 };
	th = kthread_create(pte_flipper, &r, "pte_flipper");
	KT_ASSERT_NOT_NULL(t, th);
	kthread_bind(th, other);
	kthread_start(th);
	KT_WAIT_UNTIL(t, r.ready);
	flips0 = r.flips;
	KT_WAIT_UNTIL_SPIN(t, read_batch(&r, val, flips0));
	r.stop = 1;
	kthread_join(th);
	kt_diag(t, "%lu reads, %lu flips, %lu present, %lu torn", r.reads,
		r.flips - flips0, r.present_seen, r.torn);
	KT_EXPECT_GT(t, r.present_seen, 0);
	KT_EXPECT_EQ(t, r.torn, 0);
}

/*
 * Which half of a PAE entry do arch_pte_install() and arch_pte_clear()
 * write first? The race above catches a wrong order only if the other
 * CPU reads in the few nanoseconds between the two stores; this case
 * sees the order every time, on one CPU.
 *
 * The entry is placed across two pages of a fresh vmalloc_lazy() area,
 * neither there yet: its low word is the last word of the first page,
 * its high word the first word of the second. (No page walk reads this
 * entry; only the order of the two stores matters.) Each store faults
 * on its own page and the fault fills that page, zeroing a new highmem
 * page through a kmap_local_page() map (mm/vmalloc_lazy.c), which the
 * event trace records with the page's frame. So the order of the fills
 * is the order of the stores: install must fill the high word's page
 * first, clear the low word's.
 */
enum {
	HALF_NONE,
	HALF_LOW,
	HALF_HIGH,
	HALF_LOWMEM,
	HALF_NO_TRACE
};

/* The frame the kernel page table maps va to. */
static uint32_t kernel_pfn(uintptr_t va)
{
	return arch_pte_phys(arch_get_kernel_pte(va)) >> PAGE_SHIFT;
}

/*
 * Were both pages filled from highmem? A lowmem page is zeroed through
 * the direct map, with no kmap_local_page() map for the trace to see.
 */
static bool filled_from_highmem(const pte_t *ptep)
{
	return PageHighMem(pfn_to_page(kernel_pfn((uintptr_t)ptep))) &&
	       PageHighMem(pfn_to_page(kernel_pfn((uintptr_t)ptep + 4)));
}

/*
 * Which page this task's trace shows filled first, of the one holding
 * the entry's low word and the one holding its high word (HALF_NONE if
 * the trace has neither). Reads this CPU's ring: migration disabled.
 */
static int first_half_filled(const pte_t *ptep)
{
	uint32_t low_pfn = kernel_pfn((uintptr_t)ptep);
	uint32_t high_pfn = kernel_pfn((uintptr_t)ptep + 4);
	uint32_t me = (uint32_t)(uintptr_t)current_task();
	struct trace_rec e;

	for (unsigned int i = 0; trace_get(smp_processor_id(), i, &e); i++) {
		if (e.id != TR_KMAP_LOCAL_MAP || e.task != me || e.in_irq)
			continue;
		if (e.arg[1] == low_pfn)
			return HALF_LOW;
		if (e.arg[1] == high_pfn)
			return HALF_HIGH;
	}
	return HALF_NONE;
}

/* An entry across two pages of a new lazy area, neither filled yet. */
static pte_t *entry_across_two_lazy_pages(void)
{
	uintptr_t area = (uintptr_t)vmalloc_lazy(2 * PAGE_SIZE);

	return area ? (pte_t *)(area + PAGE_SIZE - 4) : NULL;
}

static const char *half_name(int half)
{
	return half == HALF_LOW ? "low" : half == HALF_HIGH ? "high" : "no";
}

/* Run install (or clear) on such an entry; which half came first? */
static int first_half_written(struct ktest *t, bool install)
{
	pte_t *ptep = entry_across_two_lazy_pages();
	int first;

	KT_EXPECT_NOT_NULL(t, ptep);
	if (!ptep)
		return HALF_NONE;
	if (!trace_start())
		return HALF_NO_TRACE;
	if (install)
		arch_pte_install(ptep, arch_make_kernel_rw_pte(0x23ffff000ull));
	else
		arch_pte_clear(ptep);
	trace_stop();
	if (!filled_from_highmem(ptep))
		return HALF_LOWMEM;
	first = first_half_filled(ptep);
	kt_diag(t, "%s: the %s word's page faulted first",
		install ? "arch_pte_install" : "arch_pte_clear",
		half_name(first));
	return first;
}

static void paging_pte_halves_written_in_safe_order(struct ktest *t)
{
	int installed, cleared;

	if (trace_requested()) {
		kt_skip(t, "the event trace is the command line's here");
		return;
	}
	migrate_disable(); /* both faults, and the ring, on this CPU */
	KT_EXPECT_TRUE(t, trace_select("kmap_local_map"));
	installed = first_half_written(t, true);
	cleared = first_half_written(t, false);
	migrate_enable();
	KT_EXPECT_TRUE(t, trace_select("*"));
	trace_free();
	if (installed == HALF_NO_TRACE || cleared == HALF_NO_TRACE) {
		kt_skip(t, "no memory for the trace rings on this machine");
		return;
	}
	if (installed == HALF_LOWMEM || cleared == HALF_LOWMEM) {
		kt_skip(t, "no highmem: the lazy fills took lowmem pages, "
			   "zeroed without a kmap_local_page() map for the "
			   "trace to record");
		return;
	}
	KT_EXPECT_EQ(t, installed, HALF_HIGH);
	KT_EXPECT_EQ(t, cleared, HALF_LOW);
}

static const struct ktest_case paging_cases[] = {
	KTEST_CASE(paging_text_read_only_executable),
	KTEST_CASE(paging_rodata_read_only_nx),
	KTEST_CASE(paging_data_and_direct_map_nx),
	KTEST_CASE(paging_low_addresses_unmapped),
	KTEST_CASE(paging_layout_regions_in_order),
	KTEST_CASE(paging_pte_reaches_frame),
	KTEST_CASE(paging_pte_read_never_torn),
	KTEST_CASE(paging_pte_halves_written_in_safe_order),
};
KTEST_SUITE(paging, paging_cases);
