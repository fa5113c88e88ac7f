/*
 * x86 bodies of the inline page-table hooks of <arch/pte.h>, for PAE:
 * 64-bit entries, written by a 32-bit CPU one half at a time. Included
 * only through <arch/pte.h>.
 */
#ifndef ASM_PTE_H
#define ASM_PTE_H

#include <arch/mmu.h> /* pte_t, phys_addr_t, the fixmap's place */
#include <x86/asm.h>

#define PTE_NX	      (1ull << 63) /* no execute (EFER.NXE on) */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* Present, writable, accessed, dirty, global and NX: a kernel data page. */
#define PTE_KERNEL_RW ((pte_t)(PTE_P | PTE_W | PTE_A | PTE_D | PTE_G) | PTE_NX)

/*
 * The fixmap (FIXADDR_START up to 4 GiB) is exactly the 2 MiB that one
 * PAE page table covers, and that table is a static array of the
 * kernel image (arch/x86/paging.c), not one allocated at boot: its
 * address is a link-time constant, so finding a fixmap entry is pure
 * arithmetic, with not even a load of a pointer to the table.
 */
extern pte_t arch_fixmap_ptes[512];

_Static_assert(FIXADDR_START == 0xFFE00000u,
	       "the fixmap must be the last 2 MiB: one page table");

static inline pte_t *arch_fixmap_pte(uintptr_t va)
{
	return &arch_fixmap_ptes[(va - FIXADDR_START) >> PAGE_SHIFT];
}

/*
 * The pkmap pool is one page table's 2 MiB too, also a static array of
 * the kernel image (arch/x86/paging.c installs it in the page
 * directory), so a slot's entry is its index in that array.
 */
extern pte_t arch_pkmap_ptes[512];

_Static_assert(LAST_PKMAP == 512 && PKMAP_BASE % (2u << 20) == 0,
	       "the pkmap pool must be one page table's 2 MiB");

static inline pte_t *arch_pkmap_pte(uintptr_t va)
{
	return &arch_pkmap_ptes[(va - PKMAP_BASE) >> PAGE_SHIFT];
}

/*
 * The vmalloc area's page tables are one array too, allocated in one
 * piece at boot (arch/x86/paging.c: arch_paging_init), so the entry of
 * any page of the area is an index from its start.
 */
extern pte_t *arch_vmalloc_ptes;

static inline pte_t *arch_vmalloc_pte(uintptr_t va)
{
	return &arch_vmalloc_ptes[(va - vmalloc_start) >> PAGE_SHIFT];
}

static inline pte_t arch_make_kernel_rw_pte(phys_addr_t pa)
{
	return (pa & PTE_ADDR_MASK) | PTE_KERNEL_RW;
}

static inline pte_t arch_make_kernel_pte(phys_addr_t pa, unsigned int prot)
{
	pte_t val = (pa & PTE_ADDR_MASK) | PTE_P | PTE_G | PTE_A;

	if (prot & MAP_WRITE)
		val |= PTE_W | PTE_D;
	if (!(prot & MAP_EXEC))
		val |= PTE_NX;
	if (prot & MAP_NOCACHE)
		val |= PTE_PCD | PTE_PWT;
	return val;
}

static inline pte_t arch_pte_with_phys(pte_t tmpl, phys_addr_t pa)
{
	return (pa & PTE_ADDR_MASK) | tmpl;
}

/*
 * A PAE entry is two 32-bit words, and a 32-bit CPU stores them one at
 * a time, so another CPU's page walk may read the entry between the two
 * stores. The order makes every moment safe: install the high word
 * first, then the low word that holds the present bit; clear the low
 * word first. A walker then sees either not-present or the whole entry,
 * never a present entry with half an address.
 */
static inline void arch_pte_install(pte_t *ptep, pte_t val)
{
	/* In one asm, so the compiler can neither reorder nor merge them. */
	asm volatile("movl %2, 4(%0)\n\t"
		     "movl %1, (%0)"
		     :
		     : "r"(ptep), "r"((uint32_t)val), "r"((uint32_t)(val >> 32))
		     : "memory");
}

static inline void arch_pte_clear(pte_t *ptep)
{
	asm volatile("movl $0, (%0)\n\t" /* not present from here on */
		     "movl $0, 4(%0)"
		     :
		     : "r"(ptep)
		     : "memory");
}

/*
 * Why a present entry is never rewritten in place: the install order
 * above (high word, then low word) is safe only from not-present.
 * Over a present entry, between the two stores a walker would find
 * the old present bit and old low address bits beside the NEW high
 * address bits: a mapping of a page nobody asked for, which it may
 * even cache in its TLB. Clearing first makes that middle moment
 * "not present", which a walker can only take as a miss.
 */
static inline void arch_pte_replace(pte_t *ptep, pte_t val)
{
	arch_pte_clear(ptep);
	arch_pte_install(ptep, val);
}

/*
 * Both halves from one moment. Two plain loads are not enough,
 * whichever comes first: low then high, and a clear in between (low
 * word, then high) gives the old low word, present, with a high word
 * of 0, an entry that never existed; tests/test_paging.c:
 * paging_pte_read_never_torn saw thousands in two million reads. LOCK
 * CMPXCHG8B reads all eight bytes at once: it compares them with
 * edx:eax (0 here) and, as they differ for any present entry, only
 * loads them; an entry of 0 it rewrites with the same 0. Page walks by
 * the CPU itself need none of this: they read the entry whole.
 */
static inline pte_t arch_pte_read(const pte_t *ptep)
{
	pte_t val = 0;

	asm volatile("lock cmpxchg8b %1"
		     : "+A"(val), "+m"(*(pte_t *)ptep)
		     : "b"(0), "c"(0)
		     : "memory", "cc");
	return val;
}

/* One load: the present bit is in the low word. */
static inline bool arch_pte_mapped(const pte_t *ptep)
{
	return *(const volatile uint32_t *)ptep & PTE_P;
}

/* INVLPG drops one page's translation from this CPU's TLB. */
static inline void arch_fixmap_flush_local(uintptr_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
