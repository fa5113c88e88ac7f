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
#include <mm/vmalloc.h>

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

static const struct ktest_case paging_cases[] = {
	KTEST_CASE(paging_text_read_only_executable),
	KTEST_CASE(paging_rodata_read_only_nx),
	KTEST_CASE(paging_data_and_direct_map_nx),
	KTEST_CASE(paging_low_addresses_unmapped),
	KTEST_CASE(paging_layout_regions_in_order),
	KTEST_CASE(paging_pte_reaches_frame),
	KTEST_CASE(paging_pte_read_never_torn),
};
KTEST_SUITE(paging, paging_cases);
