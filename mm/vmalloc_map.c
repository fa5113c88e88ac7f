/*
 * The page-table side of the vmalloc area: the entries of an area that
 * mm/vmalloc.c has reserved, written by vmap and vmalloc and cleared by
 * vunmap and vfree (include/mm/vmalloc_map.h; the bookkeeping of which
 * ranges are busy, lazy or free is vmalloc.c's).
 *
 * The area's entries are one array (include/arch/pte.h:
 * arch_vmalloc_pte), so an area's first entry gives all of its others,
 * and the permissions of a run are worked out once: mapping a page is
 * a test, an OR and two stores, unmapping one is two stores. No call
 * and no page-table walk per page.
 */
#include <arch/pte.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc_map.h>

/*
 * Every page handed to vmap must be one its caller owns: a NULL from a
 * failed alloc_page, a stale pointer or a freed page would otherwise be
 * mapped, and the caller's writes would land in someone else's frame.
 * The test (page_owned) is inline; vmalloc.c asks for the reason only
 * for the page refused.
 */
unsigned int vmap_map_pages(uintptr_t addr, struct page **pages, unsigned int n,
			    unsigned int prot)
{
	pte_t *ptep = arch_vmalloc_pte(addr);
	pte_t tmpl = arch_make_kernel_pte(0, prot);
	struct page **pp = pages, **end = pages + n;
	pfn_t pfn;

	for (; pp != end && likely(page_owned_pfn(*pp, &pfn)); pp++, ptep++)
		arch_pte_install(ptep,
				 arch_pte_with_phys(tmpl,
						    (phys_addr_t)pfn
							    << PAGE_SHIFT));
	return pp - pages;
}

void vmap_clear_ptes(uintptr_t addr, unsigned int n)
{
	pte_t *ptep = arch_vmalloc_pte(addr);

	/* Unrolled: the loop's own test runs a quarter as often. */
#pragma GCC unroll 4
	for (unsigned int i = 0; i < n; i++)
		arch_pte_clear(&ptep[i]);
}

/* vfree: each entry is read whole before it is cleared (arch_pte_read). */
void vmap_clear_free_pages(uintptr_t addr, unsigned int n)
{
	pte_t *ptep = arch_vmalloc_pte(addr);

	for (unsigned int i = 0; i < n; i++) {
		pte_t pte = arch_pte_read(&ptep[i]);

		arch_pte_clear(&ptep[i]);
		if (arch_pte_present(pte))
			free_page(
				pfn_to_page(arch_pte_phys(pte) >> PAGE_SHIFT));
	}
}

unsigned int vmalloc_map_new_pages(uintptr_t addr, unsigned int n)
{
	pte_t *ptep = arch_vmalloc_pte(addr);
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page *page = alloc_page(GFP_HIGHUSER);

		if (!page)
			break;
		arch_pte_install(&ptep[i],
				 arch_make_kernel_rw_pte(page_to_phys(page)));
	}
	return i;
}
