/*
 * Inline page-table access for the one path that cannot afford a call:
 * kmap_local_page() and kmap_atomic() (mm/kmap_local.c), whose whole
 * job is one entry write into a fixmap slot and, on unmap, one clear
 * and one local TLB flush; and kmap()'s pool, whose entries are found
 * by index for the same reason. Everywhere else, use the out-of-line
 * hooks of <arch/mmu.h>, which find any kernel address's entry by
 * walking the page tables.
 *
 * Generic code sees no PTE bits: it holds pte_t values and pointers to
 * entries, and calls these functions. The bodies are the arch's, in
 * <asm/pte.h> (x86 PAE: arch/x86/include/asm/pte.h).
 *
 * Every hook here works on this CPU's view and takes no lock: the
 * caller owns the entry (a kmap_local slot belongs to one task on one
 * CPU) and flushes the TLB itself.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/mmu.h>

/*
 * The entry that maps fixmap address va, found without a memory load
 * (the fixmap's page table is at a link-time address). Context: any.
 */
static inline pte_t *arch_fixmap_pte(uintptr_t va);

/*
 * The entry that maps pkmap pool address va, found by its index rather
 * than by a walk: kmap() and the pool's wrap reach every slot's entry
 * this way. Context: any; the caller holds kmap_lock.
 */
static inline pte_t *arch_pkmap_pte(uintptr_t va);

/*
 * The entry that maps vmalloc-area address va (vmalloc_start up to
 * VMALLOC_END), found by its index as the pool's are: vmap() and
 * vunmap() write a run of them for each area, and a walk per page
 * would cost more than the write. The area's entries are one array:
 * the entries of the pages after va's are arch_vmalloc_pte(va)[1],
 * [2], ... to the area's end. Context: any; the caller owns the area
 * (mm/vmalloc.c).
 */
static inline pte_t *arch_vmalloc_pte(uintptr_t va);

/* What arch_make_pte(pa, MAP_READ | MAP_WRITE) returns, inline. */
static inline pte_t arch_make_kernel_rw_pte(phys_addr_t pa);

/* What arch_make_pte(pa, prot) returns, inline (MAP_* in <arch/mmu.h>). */
static inline pte_t arch_make_kernel_pte(phys_addr_t pa, unsigned int prot);

/*
 * The entry for pa with the permissions of tmpl, an entry made for
 * physical address 0: a run of pages mapped with one set of
 * permissions has them worked out once, then each page costs an OR.
 *
 *	pte_t tmpl = arch_make_kernel_pte(0, prot);
 *	arch_pte_install(ptep, arch_pte_with_phys(tmpl, pa));
 */
static inline pte_t arch_pte_with_phys(pte_t tmpl, phys_addr_t pa);

/*
 * Write val into an entry that is not present, in the order that lets
 * another CPU's page walk, reading at any moment, see either nothing
 * or the whole entry. A compiler barrier. Context: any.
 */
static inline void arch_pte_install(pte_t *ptep, pte_t val);

/*
 * Make the entry not present (no TLB flush), in the same safe order.
 * A compiler barrier. Context: any.
 */
static inline void arch_pte_clear(pte_t *ptep);

/*
 * Write val into an entry that may be present. Where an entry cannot
 * be stored in one go (x86 PAE), this is clear, then install: the
 * arch's body says why. A compiler barrier. Context: any.
 */
static inline void arch_pte_replace(pte_t *ptep, pte_t val);

/*
 * The entry at ptep as it was at one moment, never half of an old
 * value beside half of a new one, even while another CPU rewrites it.
 * Context: any.
 */
static inline pte_t arch_pte_read(const pte_t *ptep);

/* Is the entry at ptep present? The cheapest test. Context: any. */
static inline bool arch_pte_mapped(const pte_t *ptep);

/*
 * Drop fixmap address va from this CPU's TLB (and only this CPU's).
 * Context: any.
 */
static inline void arch_fixmap_flush_local(uintptr_t va);

#include <asm/pte.h>

#endif
