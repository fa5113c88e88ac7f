/*
 * The kernel's page tables, PAE format.
 *
 * PAE has three levels: a 4-entry page-directory-pointer table (one
 * entry per GiB), page directories of 512 entries (2 MiB each) and page
 * tables of 512 entries (4 KiB each). Entries are 64 bits, so physical
 * addresses up to 64 GiB fit and bit 63 is NX.
 *
 * There is no user space, so one set of tables serves every CPU and
 * every thread. Only the top GiB (PDPT entry 3) is mapped. Every page
 * table that region will ever need (direct map, vmalloc area, pkmap,
 * fixmap) is allocated here, at boot, so a page directory entry never
 * changes afterwards: mapping a page anywhere is writing one PTE, and
 * no CPU can ever hold a stale directory entry.
 *
 * The direct map uses 4 KiB pages, not 2 MiB ones. It costs a page
 * table per 2 MiB of lowmem, but lets kernel text, rodata and data
 * have exact permissions, and avoids a QEMU TCG artifact: invlpg inside
 * a span TCG tracks as a large page flushes its whole software TLB
 * (README, "Design decisions"), which would make every kunmap_local
 * a full flush.
 */
#include <arch/mmu.h>
#include <arch/pte.h>
#include <kernel/printk.h>
#include <mm/memblock.h>
#include <mm/page.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/regs.h>

#define PDE_INDEX(va)	  (((va) >> 21) & 511)
#define PTE_INDEX(va)	  (((va) >> 12) & 511)
#define KERNEL_PDPT_INDEX 3

static pte_t kernel_pdpt[4] __aligned(32);
static bool kernel_tables_live; /* false while the boot tables run */
static pte_t kernel_pd[512] __aligned(4096);

extern char _text[], _etext[], _erodata[];
extern char boot_stack[]; /* boot/entry.S */

/*
 * Every entry write here keeps the safe PAE order of arch_pte_install()
 * and arch_pte_clear() (arch/x86/include/asm/pte.h says why, and holds
 * the one copy of the code, inline, because kmap_local uses it too).
 *
 * The fixmap's page table is in the kernel image rather than
 * allocated, so its address is a constant kmap_local's fast path can
 * compute with (arch_fixmap_pte()).
 */
pte_t arch_fixmap_ptes[512] __aligned(4096);

/* The pkmap pool's, for the same reason (kmap() in mm/highmem.c). */
pte_t arch_pkmap_ptes[512] __aligned(4096);

/*
 * The vmalloc area's page tables, one after another, so vmap() finds
 * an entry by index (arch_vmalloc_pte()). Allocated at boot, as the
 * area's size depends on the RAM.
 */
pte_t *arch_vmalloc_ptes;

_Static_assert(PDE_INDEX(FIXADDR_START) == 511 &&
		       (FIXADDR_START & ((2u << 20) - 1)) == 0,
	       "the fixmap is the last page directory entry's 2 MiB");

/* The page table covering kernel address va, or NULL if none. */
static pte_t *pte_ptr(uintptr_t va)
{
	pte_t pde;

	if (va < PAGE_OFFSET)
		return NULL;
	pde = kernel_pd[PDE_INDEX(va)];
	if (!(pde & PTE_P))
		return NULL;
	return (pte_t *)(uintptr_t)((pde & PTE_ADDR_MASK) + PAGE_OFFSET) +
	       PTE_INDEX(va);
}

pte_t arch_make_pte(phys_addr_t pa, unsigned int prot)
{
	return arch_make_kernel_pte(pa, prot);
}

static pte_t *pte_ptr_checked(uintptr_t va)
{
	pte_t *ptep = pte_ptr(va);

	if (!ptep)
		panic("no page table for kernel address %08lx (%s)",
		      (unsigned long)va, layout_region_describe(va));
	return ptep;
}

void arch_set_kernel_pte(uintptr_t va, pte_t val)
{
	arch_pte_install(pte_ptr_checked(va), val);
}

void arch_clear_kernel_pte(uintptr_t va)
{
	arch_pte_clear(pte_ptr_checked(va));
}

pte_t arch_get_kernel_pte(uintptr_t va)
{
	return arch_pte_read(pte_ptr_checked(va));
}

bool arch_pte_present(pte_t val)
{
	return val & PTE_P;
}

phys_addr_t arch_pte_phys(pte_t val)
{
	return val & PTE_ADDR_MASK;
}

bool arch_kernel_pte_info(uintptr_t va, struct pte_info *info)
{
	pte_t *ptep = pte_ptr(va);
	pte_t val;

	if (!kernel_tables_live) {
		/* boot/entry.S maps all of the top GiB, RWX, 2 MiB pages. */
		*info = (struct pte_info){ va >= PAGE_OFFSET, true, true, false,
					   va - PAGE_OFFSET };
		return va >= PAGE_OFFSET;
	}
	if (!ptep)
		return false;
	val = arch_pte_read(ptep);
	info->present = val & PTE_P;
	info->writable = val & PTE_W;
	info->executable = !(val & PTE_NX);
	info->global = val & PTE_G;
	info->phys = val & PTE_ADDR_MASK;
	return true;
}

void arch_flush_tlb_local_page(uintptr_t va)
{
	invlpg(va);
}

/*
 * Kernel mappings are global, so reloading CR3 would keep them: a full
 * flush turns CR4.PGE off and on again, which drops every entry.
 */
void arch_flush_tlb_local_all(void)
{
	uint32_t cr4 = read_cr4();

	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4 | CR4_PGE);
}

/* Give [start, end) page tables, so later mappings never allocate. */
static void alloc_page_tables(uintptr_t start, uint64_t end)
{
	for (uint64_t va = ALIGN_DOWN(start, 2u << 20); va < end;
	     va += 2u << 20) {
		pte_t *pde = &kernel_pd[PDE_INDEX((uintptr_t)va)];

		if (!(*pde & PTE_P))
			/* PDEs allow everything; each PTE says what is. */
			*pde = __pa(memblock_alloc_low(PAGE_SIZE)) | PTE_P |
			       PTE_W;
	}
}

/*
 * The same for the vmalloc area, but in one piece: the tables of
 * consecutive 2 MiB are consecutive pages, so the area's entries form
 * one array. vmalloc_start is 2 MiB-aligned (mm/memblock.c), so no
 * table is shared with the direct map.
 */
static void alloc_vmalloc_page_tables(void)
{
	unsigned int tables =
		ALIGN_UP(VMALLOC_END - vmalloc_start, 2u << 20) >> 21;

	BUG_ON(vmalloc_start & ((2u << 20) - 1));
	arch_vmalloc_ptes = memblock_alloc_low((uint64_t)tables * PAGE_SIZE);
	for (unsigned int i = 0; i < tables; i++)
		kernel_pd[PDE_INDEX(vmalloc_start) + i] =
			__pa(arch_vmalloc_ptes + i * 512) | PTE_P | PTE_W;
}

static unsigned int direct_map_prot(uintptr_t va)
{
	if (va >= (uintptr_t)_text && va < (uintptr_t)_etext)
		return MAP_READ | MAP_EXEC;
	if (va >= (uintptr_t)_etext && va < (uintptr_t)_erodata)
		return MAP_READ;
	return MAP_READ | MAP_WRITE;
}

void arch_paging_init(void)
{
	alloc_page_tables(PAGE_OFFSET, high_memory);
	alloc_vmalloc_page_tables();
	kernel_pd[PDE_INDEX(PKMAP_BASE)] =
		__pa(arch_pkmap_ptes) | PTE_P | PTE_W;
	kernel_pd[PDE_INDEX(FIXADDR_START)] =
		__pa(arch_fixmap_ptes) | PTE_P | PTE_W;

	for (pfn_t pfn = 0; pfn < max_low_pfn; pfn++) {
		uintptr_t va = PAGE_OFFSET + (pfn << PAGE_SHIFT);

		arch_pte_install(pte_ptr(va),
				 arch_make_pte((phys_addr_t)pfn << PAGE_SHIFT,
					       direct_map_prot(va)));
	}

	/*
	 * The boot thread's stack gets a guard page like every other
	 * kernel stack: its lowest page is left unmapped, so running off
	 * the end faults (and is reported by the double-fault task)
	 * instead of silently overwriting the data below.
	 */
	arch_pte_clear(pte_ptr((uintptr_t)boot_stack));

	kernel_pdpt[KERNEL_PDPT_INDEX] = __pa(kernel_pd) | PTE_P;
	write_cr3(__pa(kernel_pdpt));
	write_cr4(read_cr4() | CR4_PGE);
	arch_flush_tlb_local_all();
	gdt_set_kernel_cr3(__pa(kernel_pdpt));
	kernel_tables_live = true;
}

/*
 * The AP trampoline turns paging on while running at its physical
 * address below 1 MiB, so for that moment the kernel's tables must map
 * the low 2 MiB at virtual 0 as well. PDPT entry 0 (the first GiB,
 * otherwise empty) points at a page directory with one 2 MiB page for
 * as long as APs are starting, and no longer: afterwards a NULL pointer
 * must fault again.
 *
 * The CPU copies the four PDPT entries into registers when CR3 is
 * loaded (and when CR4.PGE changes), so a CPU only sees a changed
 * entry after one of those; paging_reload_cr3() is how each CPU drops
 * the identity map once the entry is cleared.
 */
static pte_t low_identity_pd[512] __aligned(4096);

uint32_t paging_kernel_cr3(void)
{
	return __pa(kernel_pdpt);
}

void paging_map_low_identity(void)
{
	low_identity_pd[0] = PTE_P | PTE_W | PTE_PS; /* physical 0 */
	kernel_pdpt[0] = __pa(low_identity_pd) | PTE_P;
}

void paging_unmap_low_identity(void)
{
	kernel_pdpt[0] = 0;
	low_identity_pd[0] = 0;
	paging_reload_cr3();
}

void paging_reload_cr3(void)
{
	write_cr3(read_cr3());
	arch_flush_tlb_local_all();
}

/*
 * Is va in the boot thread's guard page (the lowest page of boot_stack,
 * unmapped above)? Fault reports use it to name what a runaway
 * recursion on the boot stack ran into. Context: any.
 */
bool boot_stack_guard_contains(uintptr_t va)
{
	uintptr_t guard = (uintptr_t)boot_stack;

	return va >= guard && va - guard < PAGE_SIZE;
}
