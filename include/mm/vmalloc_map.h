/*
 * The page-table side of the vmalloc area (mm/vmalloc_map.c), for
 * mm/vmalloc.c only: writing, clearing and reading the entries of an
 * area it has reserved. Callers use <mm/vmalloc.h>.
 *
 * Context of all: the caller owns the area [addr, addr + n pages): it
 * is busy and handed to no one else, so no lock is needed for its
 * entries; none flushes a TLB (a new entry cannot be cached anywhere,
 * and a cleared one waits for the lazy purge's shootdown).
 */
#ifndef MM_VMALLOC_MAP_H
#define MM_VMALLOC_MAP_H

#include <mm/page.h>

/*
 * Map pages[0..n) at addr with permissions prot, checking each page as
 * it goes: one that is not an allocated page of RAM (page_owned) stops
 * the loop, and nothing is written for it or after it.
 * Return: how many were mapped, n unless pages[that] was refused.
 */
unsigned int vmap_map_pages(uintptr_t addr, struct page **pages, unsigned int n,
			    unsigned int prot);

/* Clear the entries of n pages from addr on; the pages are not read. */
void vmap_clear_ptes(uintptr_t addr, unsigned int n);

/* Clear the entries of n pages from addr on, and free what they mapped. */
void vmap_clear_free_pages(uintptr_t addr, unsigned int n);

/*
 * Back n pages from addr on with new pages (highmem first), writable.
 * Context: may sleep (the page allocator may).
 * Return: how many were mapped, n unless the page allocator ran out.
 */
unsigned int vmalloc_map_new_pages(uintptr_t addr, unsigned int n);

#endif
