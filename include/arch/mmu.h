/*
 * The page-table hooks generic mm calls. Generic code speaks in
 * virtual addresses, physical addresses and MAP_* permissions; the
 * page-table format, its bits and the TLB instructions stay in the
 * arch (x86 PAE: arch/x86/paging.c).
 *
 * Every page table of the kernel half is allocated at boot, so these
 * never allocate: mapping a page is writing one entry.
 */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <mm/layout.h>

/* Permissions for a kernel mapping. Without MAP_EXEC it is NX. */
#define MAP_READ    0
#define MAP_WRITE   (1u << 0)
#define MAP_EXEC    (1u << 1)
#define MAP_NOCACHE (1u << 2) /* device memory */

/*
 * pte_t: one page-table entry, as the hardware stores it, and so also
 * the value of one (an entry is its value; the two are never
 * different things here). Generic code never looks inside: it makes
 * one with arch_make_pte(), tests it with arch_pte_present() and
 * arch_pte_phys(), and keeps copies (kmap_local saves them per task).
 * Its width is the arch's, in <asm/mmu.h>.
 */
#include <asm/mmu.h>

/* Build the final kernel page tables and switch to them. Boot only. */
void arch_paging_init(void);

pte_t arch_make_pte(phys_addr_t pa, unsigned int prot);
/* Install or clear one entry (no TLB flush; the caller flushes). */
void arch_set_kernel_pte(uintptr_t va, pte_t val);
void arch_clear_kernel_pte(uintptr_t va);
pte_t arch_get_kernel_pte(uintptr_t va);
bool arch_pte_present(pte_t val);
phys_addr_t arch_pte_phys(pte_t val);

struct pte_info {
	bool present;
	bool writable;
	bool executable;
	bool global;
	phys_addr_t phys;
};

/* Walk the page tables for va. False if va has no page table at all. */
bool arch_kernel_pte_info(uintptr_t va, struct pte_info *info);

/*
 * Copy len bytes with an exception-table entry on the copy: a fault on
 * either side stops it. The caller disables page faults first (see
 * copy_from_kernel_nofault). Return: the bytes NOT copied, 0 on success.
 */
size_t arch_copy_nofault(void *dst, const void *src, size_t len);

/* This CPU's TLB only. */
void arch_flush_tlb_local_page(uintptr_t va);
void arch_flush_tlb_local_all(void);

#endif
