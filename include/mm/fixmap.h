/*
 * The fixmap: virtual pages whose addresses are known at compile time,
 * at the very top of the kernel's address space, for physical memory
 * that has no permanent mapping: the architecture's own device
 * registers (<arch/fixmap.h>), firmware tables that sit above lowmem,
 * and the per-CPU kmap_local slots.
 *
 * Slot idx lives at fix_to_virt(idx) = FIXADDR_TOP - (idx + 1) pages,
 * so slots grow DOWN from the top guard page: a run of slots that must
 * be virtually contiguous (the boot-table window) is used from its
 * highest index (lowest address) upwards. The page table covering the
 * fixmap is part of the kernel image (arch_fixmap_pte() in
 * <arch/pte.h> says why), so setting a slot is just writing one
 * entry: it never allocates and works in any context.
 *
 * Every fixmap entry is a kernel (global) mapping in the one set of
 * page tables all CPUs share; set_fixmap flushes only this CPU's TLB.
 * Slots that other CPUs also read (the arch's device slots) are set
 * once, at boot, before the other CPUs run; the boot-table window is
 * boot-CPU only.
 */
#ifndef MM_FIXMAP_H
#define MM_FIXMAP_H

#include <arch/fixmap.h>
#include <mm/layout.h>

/* How many pages one firmware table may span while we read it. */
#define FIX_ACPI_PAGES 8

/*
 * Room kept for the kmap_local/kmap_atomic slots: KM_MAX_IDX (16) per
 * CPU times NR_CPUS (8), doubled so kmap.debug can put an unmapped
 * guard slot after each one.
 */
#define FIX_KMAP_PAGES 256

/* The generic slots follow the arch's own (FIX_LAPIC... on x86). */
enum fixed_addresses {
	FIX_ACPI_BEGIN = FIX_ARCH_END, /* a window for one firmware table */
	FIX_ACPI_END = FIX_ACPI_BEGIN + FIX_ACPI_PAGES - 1,
	/*
	 * The kmap slots come after the fixed devices. Add new fixed
	 * slots above this comment, never after FIX_KMAP_END.
	 */
	FIX_KMAP_BEGIN,
	FIX_KMAP_END = FIX_KMAP_BEGIN + FIX_KMAP_PAGES - 1,
	__end_of_fixed_addresses
};

#define FIXMAP_PAGES ((FIXADDR_TOP - FIXADDR_START) / PAGE_SIZE)

_Static_assert(__end_of_fixed_addresses <= FIXMAP_PAGES,
	       "fixmap slots do not fit between FIXADDR_START and FIXADDR_TOP");

static inline uintptr_t fix_to_virt(unsigned int idx)
{
	return FIXADDR_TOP - (idx + 1) * PAGE_SIZE;
}

static inline unsigned int virt_to_fix(uintptr_t va)
{
	return (FIXADDR_TOP - (va & PAGE_MASK)) / PAGE_SIZE - 1;
}

/*
 * Map physical page pa (page-aligned) at slot idx with MAP_* rights and
 * flush the slot from this CPU's TLB. Returns the slot's address.
 * Context: any; other CPUs keep a stale translation of a slot that is
 * reused, so a shared slot must be set before they look at it.
 */
uintptr_t set_fixmap(unsigned int idx, phys_addr_t pa, unsigned int prot);

/* Unmap slot idx and flush it from this CPU's TLB. Context: any. */
void clear_fixmap(unsigned int idx);

/*
 * Map the physical range [pa, pa + size) read-only through the
 * boot-table window and return the virtual address of pa. Returns NULL
 * when the range spans more than FIX_ACPI_PAGES pages. The window holds
 * one range at a time: the next call replaces it.
 * Context: boot CPU, during boot.
 */
const void *fixmap_map_boot_range(phys_addr_t pa, size_t size);

/* Unmap whatever the boot-table window holds. */
void fixmap_unmap_boot_range(void);

#endif
