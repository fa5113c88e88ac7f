/*
 * The page-table hooks generic mm calls. Generic code speaks in
 * virtual addresses, physical addresses and MAP_* permissions; the
 * page-table format (PAE here), its bits and the TLB instructions stay
 * in arch/x86/paging.c.
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

/* An opaque page-table entry value, as kmap_local saves them. */
typedef uint64_t pteval_t;

/* Build the final kernel page tables and switch to them. Boot only. */
void arch_paging_init(void);

pteval_t arch_make_pte(phys_addr_t pa, unsigned int prot);
/* Install or clear one entry (no TLB flush; the caller flushes). */
void arch_set_kernel_pte(uintptr_t va, pteval_t val);
void arch_clear_kernel_pte(uintptr_t va);
pteval_t arch_get_kernel_pte(uintptr_t va);
bool arch_pte_present(pteval_t val);
phys_addr_t arch_pte_phys(pteval_t val);

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
