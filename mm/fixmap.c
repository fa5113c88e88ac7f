/*
 * The fixmap (see include/mm/fixmap.h): setting and clearing slots, and
 * the small read-only window boot code uses to read firmware tables
 * that may lie anywhere in physical memory, above lowmem included.
 *
 * This file speaks only in MAP_* rights and the arch's PTE hooks, so it
 * knows nothing of the page-table format.
 */
#include <arch/mmu.h>
#include <kernel/panic.h>
#include <mm/fixmap.h>

/* How many window slots the current boot range occupies. */
static unsigned int boot_window_pages;

uintptr_t set_fixmap(unsigned int idx, phys_addr_t pa, unsigned int prot)
{
	uintptr_t va = fix_to_virt(idx);

	BUG_ON(idx >= __end_of_fixed_addresses);
	arch_set_kernel_pte(va, arch_make_pte(pa, prot));
	arch_flush_tlb_local_page(va);
	return va;
}

void clear_fixmap(unsigned int idx)
{
	uintptr_t va = fix_to_virt(idx);

	BUG_ON(idx >= __end_of_fixed_addresses);
	arch_clear_kernel_pte(va);
	arch_flush_tlb_local_page(va);
}

void fixmap_unmap_boot_range(void)
{
	for (unsigned int i = 0; i < boot_window_pages; i++)
		clear_fixmap(FIX_ACPI_END - i);
	boot_window_pages = 0;
}

const void *fixmap_map_boot_range(phys_addr_t pa, size_t size)
{
	phys_addr_t first = ALIGN_DOWN(pa, (phys_addr_t)PAGE_SIZE);
	phys_addr_t last = ALIGN_UP(pa + size, (phys_addr_t)PAGE_SIZE);
	unsigned int pages = (last - first) / PAGE_SIZE;

	fixmap_unmap_boot_range();
	if (size == 0 || pages > FIX_ACPI_PAGES)
		return NULL;
	/*
	 * Slots grow downwards, so the window's lowest address is its
	 * highest index: page i of the range goes to FIX_ACPI_END - i.
	 */
	for (unsigned int i = 0; i < pages; i++)
		set_fixmap(FIX_ACPI_END - i, first + i * PAGE_SIZE, MAP_READ);
	boot_window_pages = pages;
	return (const void *)(fix_to_virt(FIX_ACPI_END) +
			      (uintptr_t)(pa - first));
}
