/*
 * Inline page-table access for the one path that cannot afford a call:
 * kmap_local_page() and kmap_atomic() (mm/kmap_local.c), whose whole
 * job is one entry write into a fixmap slot and, on unmap, one clear
 * and one invlpg. Everywhere else, use the out-of-line hooks of
 * <arch/mmu.h>, which find any kernel address's entry by walking the
 * page directory.
 *
 * Generic code still sees no PTE bits: it holds opaque pteval_t values
 * and pointers to entries, and calls these functions. The bits below
 * are x86's, named here only for the bodies in this file; paging.c
 * checks at build time that they agree with its own PTE_* constants.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/mmu.h>

#define __ARCH_PTE_PRESENT   0x1ull
#define __ARCH_PTE_ADDR_MASK 0x000FFFFFFFFFF000ull
/* Present, writable, accessed, dirty, global and NX: a kernel data page. */
#define __ARCH_PTE_KERNEL_RW 0x8000000000000163ull

/*
 * The fixmap (FIXADDR_START up to 4 GiB) is exactly the 2 MiB that one
 * PAE page table covers, and that table is a static array of the
 * kernel image (arch/x86/paging.c), not one allocated at boot: its
 * address is a link-time constant, so finding a fixmap entry is pure
 * arithmetic, with not even a load of a pointer to the table.
 */
extern pteval_t arch_fixmap_ptes[512];

_Static_assert(FIXADDR_START == 0xFFE00000u,
	       "the fixmap must be the last 2 MiB: one page table");

/* The entry that maps fixmap address va. Context: any. */
static inline pteval_t *arch_fixmap_pte(uintptr_t va)
{
	return &arch_fixmap_ptes[(va - FIXADDR_START) >> PAGE_SHIFT];
}

/*
 * The pkmap pool's page table, also a static array of the kernel
 * image: kmap() reaches a slot's entry by its index, not by a walk.
 */
extern pteval_t arch_pkmap_ptes[512];

_Static_assert(LAST_PKMAP == 512 && PKMAP_BASE % (2u << 20) == 0,
	       "the pkmap pool must be one page table's 2 MiB");

static inline pteval_t *arch_pkmap_pte(uintptr_t va)
{
	return &arch_pkmap_ptes[(va - PKMAP_BASE) >> PAGE_SHIFT];
}

/* What arch_make_pte(pa, MAP_READ | MAP_WRITE) returns, inline. */
static inline pteval_t arch_make_kernel_rw_pte(phys_addr_t pa)
{
	return (pa & __ARCH_PTE_ADDR_MASK) | __ARCH_PTE_KERNEL_RW;
}

/*
 * A PAE entry is two 32-bit words, and a 32-bit CPU stores them one at
 * a time, so another CPU's page walk may read the entry between the two
 * stores. The order makes every moment safe: install the high word
 * first, then the low word that holds the present bit; clear the low
 * word first. A walker then sees either not-present or the whole entry,
 * never a present entry with half an address.
 */
static inline void arch_pte_install(pteval_t *ptep, pteval_t val)
{
	/* In one asm, so the compiler can neither reorder nor merge them. */
	asm volatile("movl %2, 4(%0)\n\t"
		     "movl %1, (%0)"
		     :
		     : "r"(ptep), "r"((uint32_t)val), "r"((uint32_t)(val >> 32))
		     : "memory");
}

static inline void arch_pte_clear(pteval_t *ptep)
{
	asm volatile("movl $0, (%0)\n\t" /* not present from here on */
		     "movl $0, 4(%0)"
		     :
		     : "r"(ptep)
		     : "memory");
}

/*
 * The entry at ptep, both halves from one moment. Two plain loads are
 * not enough, whichever comes first: low then high, and a clear in
 * between (low word, then high) gives the old low word, present, with a
 * high word of 0, an entry that never existed; tests/test_paging.c:
 * paging_pte_read_never_torn saw thousands in two million reads. LOCK
 * CMPXCHG8B reads all eight bytes at once: it compares them with
 * edx:eax (0 here) and, as they differ for any present entry, only
 * loads them; an entry of 0 it rewrites with the same 0. Page walks by
 * the CPU itself need none of this: they read the entry whole.
 */
static inline pteval_t arch_pte_read(const pteval_t *ptep)
{
	pteval_t val = 0;

	asm volatile("lock cmpxchg8b %1"
		     : "+A"(val), "+m"(*(pteval_t *)ptep)
		     : "b"(0), "c"(0)
		     : "memory", "cc");
	return val;
}

/* Is the entry at ptep present? One load: the bit is in the low word. */
static inline bool arch_pte_mapped(const pteval_t *ptep)
{
	return *(const volatile uint32_t *)ptep & __ARCH_PTE_PRESENT;
}

/* Drop fixmap address va from this CPU's TLB (and only this CPU's). */
static inline void arch_fixmap_flush_local(uintptr_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
