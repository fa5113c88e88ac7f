/*
 * The boot memory allocator (see include/mm/memblock.h).
 *
 * Usable RAM comes from the boot loader's map, clipped to whole pages
 * and to what PAE can address (64 GiB). Reservations are kept in a
 * small array: the first MiB (BIOS data, and later the AP trampoline),
 * the kernel image, and every allocation made here. Allocations are
 * carved top-down from lowmem, away from the kernel image.
 */
#include <kernel/bootinfo.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mm/memblock.h>
#include <mm/page.h>

#define MAX_RESERVED   32
#define PAE_PHYS_LIMIT (1ull << 36)
/*
 * The smallest lowmem= accepted: room for the first MiB, the kernel
 * image, the kernel half's page tables (2 MiB at most) and the pages
 * the kernel runs on. The struct page array comes on top of it.
 */
#define LOWMEM_PARAM_MIN (16u << 20)

/* Even 64 GiB of frames leaves room: lowmem= can always be honoured. */
_Static_assert((PAE_PHYS_LIMIT >> PAGE_SHIFT) * sizeof(struct page) +
			       LOWMEM_PARAM_MIN <=
		       MAX_LOWMEM,
	       "mem_map for all of PAE's RAM must fit in lowmem");

struct phys_range {
	phys_addr_t start, end; /* [start, end) */
	const char *why;
};

static struct phys_range reserved[MAX_RESERVED];
static unsigned int nr_reserved;
static bool retired;
static uint64_t lowmem_param; /* lowmem=SIZE, 0 if not given */

uintptr_t high_memory;
uintptr_t vmalloc_start;
pfn_t max_pfn;
pfn_t max_low_pfn;

extern char _kernel_phys_start[], _end[];

static bool set_lowmem(const char *val)
{
	uint64_t size;

	if (!parse_size(val, &size) || size < LOWMEM_PARAM_MIN ||
	    size > MAX_LOWMEM)
		return false;
	lowmem_param = size;
	return true;
}
DEFINE_PARAM("lowmem", set_lowmem, "a size from 16M to 896M, e.g. 64M");

/* The page-aligned usable part of boot range i, or false if none. */
static bool usable_range(unsigned int i, phys_addr_t *start, phys_addr_t *end)
{
	const struct boot_mem_range *r = &boot_info.mem[i];

	if (r->type != BOOT_MEM_USABLE)
		return false;
	*start = ALIGN_UP(r->base, (phys_addr_t)PAGE_SIZE);
	*end = ALIGN_DOWN(r->base + r->length, (phys_addr_t)PAGE_SIZE);
	if (*end > PAE_PHYS_LIMIT)
		*end = PAE_PHYS_LIMIT;
	return *start < *end;
}

void memblock_reserve(phys_addr_t base, uint64_t size, const char *why)
{
	phys_addr_t start = ALIGN_DOWN(base, (phys_addr_t)PAGE_SIZE);
	phys_addr_t end = ALIGN_UP(base + size, (phys_addr_t)PAGE_SIZE);

	BUG_ON(retired);
	/* Allocations come top-down, each touching the last: merge them. */
	for (unsigned int i = 0; i < nr_reserved; i++) {
		struct phys_range *r = &reserved[i];

		if (r->why == why && (r->start == end || r->end == start)) {
			r->start = MIN(r->start, start);
			r->end = MAX(r->end, end);
			return;
		}
	}
	if (nr_reserved == MAX_RESERVED)
		panic("memblock: more than %d reserved ranges", MAX_RESERVED);
	reserved[nr_reserved++] = (struct phys_range){ start, end, why };
}

bool memblock_is_reserved(phys_addr_t base, uint64_t size)
{
	for (unsigned int i = 0; i < nr_reserved; i++)
		if (base < reserved[i].end && base + size > reserved[i].start)
			return true;
	return false;
}

uint64_t memblock_usable_bytes(void)
{
	uint64_t total = 0;
	phys_addr_t s, e;

	for (unsigned int i = 0; i < boot_info.nr_mem; i++)
		if (usable_range(i, &s, &e))
			total += e - s;
	return total;
}

phys_addr_t memblock_usable_end(void)
{
	phys_addr_t s, e, top = 0;

	for (unsigned int i = 0; i < boot_info.nr_mem; i++)
		if (usable_range(i, &s, &e) && e > top)
			top = e;
	return top;
}

/*
 * The lowmem limit this boot uses: lowmem= if given, else MAX_LOWMEM.
 * mem_map, one struct page for every frame up to top, is reached
 * through the direct map, so it must fit in lowmem beside the
 * LOWMEM_PARAM_MIN the kernel needs anyway. A lowmem= too small for
 * that is raised, with the arithmetic, rather than end in a panic of
 * the boot allocator that names no cause.
 */
static uint64_t lowmem_limit(phys_addr_t top)
{
	pfn_t frames = top >> PAGE_SHIFT;
	uint64_t map = (uint64_t)frames * sizeof(struct page);
	uint64_t need = ALIGN_UP(map + LOWMEM_PARAM_MIN, 1ull << 20);
	bool whole_mib = IS_ALIGNED(lowmem_param, 1ull << 20);

	if (!lowmem_param)
		return MAX_LOWMEM;
	if (lowmem_param >= need)
		return lowmem_param;
	pr_warn("lowmem=%llu%s is too small for this machine: mem_map needs "
		"%u frames (RAM up to %#llx) x %zu bytes = %llu KiB of "
		"lowmem, plus %u MiB for the kernel: lowmem raised to "
		"%lluM\n",
		(unsigned long long)(lowmem_param >> (whole_mib ? 20 : 10)),
		whole_mib ? "M" : "K", frames, (unsigned long long)top,
		sizeof(struct page), (unsigned long long)(map >> 10),
		LOWMEM_PARAM_MIN >> 20, (unsigned long long)(need >> 20));
	return need;
}

void memblock_init(void)
{
	phys_addr_t top = memblock_usable_end();
	uint64_t limit = lowmem_limit(top);

	memblock_reserve(0, 1u << 20, "BIOS area and AP trampoline");
	memblock_reserve((uintptr_t)_kernel_phys_start,
			 (uintptr_t)_end - PAGE_OFFSET -
				 (uintptr_t)_kernel_phys_start,
			 "kernel image");
	max_pfn = top >> PAGE_SHIFT;
	max_low_pfn = MIN(top, (phys_addr_t)limit) >> PAGE_SHIFT;
	high_memory = PAGE_OFFSET + (max_low_pfn << PAGE_SHIFT);
	vmalloc_start = ALIGN_UP(high_memory, 2u << 20) + VMALLOC_OFFSET;
}

void *memblock_alloc_low_uninit(uint64_t size)
{
	phys_addr_t lowmem_end = (phys_addr_t)max_low_pfn << PAGE_SHIFT;
	phys_addr_t s, e;

	BUG_ON(retired);
	size = ALIGN_UP(size, (uint64_t)PAGE_SIZE);
	/* Highest fit first, scanning down one page at a time per range. */
	for (int i = boot_info.nr_mem - 1; i >= 0; i--) {
		if (!usable_range(i, &s, &e))
			continue;
		if (e > lowmem_end)
			e = lowmem_end;
		while (e >= s + size) {
			phys_addr_t base = e - size;

			if (!memblock_is_reserved(base, size)) {
				memblock_reserve(base, size, "boot allocation");
				return (void *)(uintptr_t)(base + PAGE_OFFSET);
			}
			e -= PAGE_SIZE;
		}
	}
	panic("memblock: no %llu KiB of free lowmem for a boot allocation",
	      (unsigned long long)(size >> 10));
}

void *memblock_alloc_low(uint64_t size)
{
	void *p = memblock_alloc_low_uninit(size);

	memset(p, 0, ALIGN_UP(size, (uint64_t)PAGE_SIZE));
	return p;
}

/*
 * The first reserved address in [base, end), or end if there is none;
 * *res_end is where that reservation ends. Reservations may overlap:
 * one that runs on past *res_end is found again from there.
 */
static phys_addr_t next_reserved(phys_addr_t base, phys_addr_t end,
				 phys_addr_t *res_end)
{
	phys_addr_t first = end;

	*res_end = end;
	for (unsigned int i = 0; i < nr_reserved; i++) {
		const struct phys_range *r = &reserved[i];

		if (r->end <= base || r->start >= first)
			continue;
		first = MAX(r->start, base);
		*res_end = r->end;
	}
	return first;
}

/*
 * Each usable range is cut around the reservations by walking the
 * reserved list once per piece, not by testing every frame: the cost
 * grows with the number of reservations, not with the RAM.
 */
void memblock_for_each_free_range(void (*fn)(pfn_t start, pfn_t end))
{
	phys_addr_t s, e;

	for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
		if (!usable_range(i, &s, &e))
			continue;
		while (s < e) {
			phys_addr_t res_end,
				res = next_reserved(s, e, &res_end);

			if (res > s)
				fn(s >> PAGE_SHIFT, res >> PAGE_SHIFT);
			s = res_end;
		}
	}
}

void memblock_print(void)
{
	pr_info("Physical memory map (from the boot loader):\n");
	for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
		const struct boot_mem_range *r = &boot_info.mem[i];

		pr_info("  [mem %#011llx-%#011llx] %s\n",
			(unsigned long long)r->base,
			(unsigned long long)(r->base + r->length - 1),
			boot_mem_type_name(r->type));
	}
	pr_info("Reserved at boot:\n");
	for (unsigned int i = 0; i < nr_reserved; i++)
		pr_info("  [mem %#011llx-%#011llx] %s\n",
			(unsigned long long)reserved[i].start,
			(unsigned long long)(reserved[i].end - 1),
			reserved[i].why);
}

void memblock_retire(void)
{
	retired = true;
}
