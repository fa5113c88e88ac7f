/*
 * The virtual layout at run time: its boundaries for this boot (the
 * direct map's end depends on the RAM and on lowmem=), printed at boot
 * and used to name the region of a faulting address.
 */
#include <arch/mmu.h>
#include <kernel/printk.h>
#include <mm/layout.h>

unsigned int layout_regions(struct layout_region *out, unsigned int max)
{
	const struct layout_region all[] = {
		{ "user space (unmapped)", 0, PAGE_OFFSET },
		{ "lowmem direct map", PAGE_OFFSET, high_memory },
		{ "hole after the direct map", high_memory, vmalloc_start },
		{ "vmalloc area", vmalloc_start, VMALLOC_LAZY_START },
		{ "vmalloc_lazy window", VMALLOC_LAZY_START, VMALLOC_END },
		{ "guard page below pkmap", VMALLOC_END, PKMAP_BASE },
		{ "pkmap pool", PKMAP_BASE, PKMAP_END },
		{ "fixmap", FIXADDR_START, FIXADDR_TOP },
		{ "top guard page", FIXADDR_TOP, 0 },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(all) && i < max; i++)
		out[i] = all[i];
	return ARRAY_SIZE(all);
}

const char *layout_region_describe(uintptr_t va)
{
	struct layout_region r[16];
	unsigned int n = layout_regions(r, ARRAY_SIZE(r));

	for (unsigned int i = 0; i < n; i++) {
		uint64_t end = r[i].end ? r[i].end : (1ull << 32);

		if (va >= r[i].start && va < end)
			return r[i].name;
	}
	return "nowhere (layout bug)";
}

bool layout_kernel_address_mapped(uintptr_t va)
{
	struct pte_info info;

	return arch_kernel_pte_info(va, &info) && info.present;
}

void layout_print(void)
{
	struct layout_region r[16];
	unsigned int n = layout_regions(r, ARRAY_SIZE(r));

	pr_info("Virtual kernel memory layout:\n");
	for (int i = n - 1; i >= 1; i--) {
		uint64_t end = r[i].end ? r[i].end : (1ull << 32);
		uint64_t size = end - r[i].start;

		bool mib = IS_ALIGNED(size, 1u << 20);

		pr_info("  %-26s 0x%08lx-0x%08lx  %5llu %s\n", r[i].name,
			(unsigned long)r[i].start, (unsigned long)(end - 1),
			mib ? size >> 20 : size >> 10, mib ? "MiB" : "KiB");
	}
}
