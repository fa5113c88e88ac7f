/*
 * The vmalloc area: virtually contiguous kernel memory built from
 * pages that need not be contiguous, or even have a permanent address
 * (highmem). docs/layout.rst places the area; mm/vmap_area.c hands
 * out ranges of it and mm/vmalloc.c maps them.
 *
 * Every range is followed by one unmapped guard page, so running off
 * the end of a buffer faults at once instead of corrupting the next
 * one. Kernel stacks (vmalloc_stack) also get a guard page below, the
 * direction a stack grows.
 *
 * Unmapping is lazy. vunmap clears the page-table entries at once, but
 * other CPUs may still hold the old translations in their TLBs, so the
 * range is not reused yet: it waits on a "lazy" list. When the lazy
 * list holds more than VMAP_LAZY_MAX_PAGES pages (or an allocation
 * finds no room), one shootdown covering all of them is done and they
 * become free. One shootdown per many vunmaps instead of one each.
 *
 *	struct page *pages[2] = { alloc_page(GFP_HIGHUSER),
 *				  alloc_page(GFP_HIGHUSER) };
 *	char *p = vmap(pages, 2, MAP_READ | MAP_WRITE);
 *	p[PAGE_SIZE] = 1;		// the second page
 *	vunmap(p);			// the pages stay allocated
 *
 *	void *buf = vmalloc(1 << 20);	// 256 pages, highmem first
 *	vfree(buf);			// the pages go back too
 *
 * Context of everything that maps or unmaps: may sleep (a purge waits
 * for other CPUs), so process context with interrupts on. During early
 * boot, while only the boot CPU runs, interrupts may be off (no other
 * CPU can need a flush, so nothing waits). Never in an interrupt.
 */
#ifndef MM_VMALLOC_H
#define MM_VMALLOC_H

#include <arch/mmu.h>
#include <mm/page.h>

/* Lazily freed pages (guard pages included) that trigger a purge. */
#define VMAP_LAZY_MAX_PAGES 8192 /* 32 MiB of address space */

/*
 * Map count pages (any zone) contiguously with permissions prot
 * (MAP_READ, MAP_WRITE...). The pages remain the caller's.
 * Cost: a search for the lowest free range that fits (O(1) when only
 * the free range at the area's top fits, else O(log holes):
 * mm/vmap_area.c), a descriptor from a spare list (a kmalloc when it is
 * empty), one PTE write per page; no TLB flush (a new mapping cannot
 * be cached anywhere). Context: may sleep (see above).
 * Return: the address, or NULL if count is 0, no room or no memory
 * for the area's descriptor is left even after a purge, or a page is not one
 * the caller can own (NULL, not a struct page, reserved or free: a warning
 * names which and why, see page_not_owned_reason). The pages are checked
 * as they are mapped, once the room is found: with no room, NULL comes
 * back before any page is looked at, so a bad page then goes unnamed.
 */
void *vmap(struct page **pages, unsigned int count, unsigned int prot);

/*
 * Unmap what vmap returned. The address must be exactly vmap's return
 * value; anything else is reported by name and refused.
 * Cost: a hash lookup, one PTE clear per page (the PTEs are not read:
 * the pages are the caller's); the shootdown is deferred and shared
 * (amortised: one purge per VMAP_LAZY_MAX_PAGES).
 * Context: may sleep.
 * Return: nothing.
 */
void vunmap(const void *addr);

/*
 * Allocate size bytes (rounded up to pages) of virtually contiguous,
 * writable memory, backed by highmem pages first, lowmem when highmem
 * runs out.
 * Cost: as vmap, plus one page allocation per page.
 * Context: may sleep.
 * Return: the address, or NULL (size 0, or out of pages or addresses):
 * a vmalloc that fails half way gives back every page it took and
 * leaves nothing mapped.
 */
void *vmalloc(size_t size);

/*
 * vmalloc for a kernel stack: also an unmapped guard page below, and
 * the owner's name kept for fault reports ("guard page of thread X's
 * stack"). owner must stay valid until vfree.
 * Context: may sleep. Return: as vmalloc.
 */
void *vmalloc_stack(size_t size, const char *owner);

/*
 * Free what vmalloc or vmalloc_stack returned: unmap it (lazily) and
 * free its pages. vfree(NULL) does nothing; a double free or a bad
 * address is reported by name and refused.
 * Cost: a hash lookup, per page a PTE read, a PTE clear and a page free.
 * Context: may sleep.
 * Return: nothing.
 */
void vfree(const void *addr);

/*
 * The page mapped at a vmalloc-area address.
 * Cost: one page-table read. Context: any.
 * Return: the page, or NULL if addr is outside the area or unmapped.
 */
struct page *vmalloc_to_page(const void *addr);

/*
 * Do the pending shootdown now: every lazily freed range becomes
 * reusable. Called by vunmap past the threshold and by a failing
 * allocation; tests and benchmarks call it too.
 * The spare descriptors vmalloc keeps for its next areas go back to
 * kmalloc too, so that afterwards it holds no memory but its live
 * areas' (vunmap's own purge past the threshold keeps them).
 * Cost: one flush_tlb_kernel_range over the lazy ranges' span, plus,
 * per lazy range, an O(log holes) give back to the free space (in any
 * order: no sort).
 * Context: may sleep.
 * Return: nothing.
 */
void vmap_purge(void);

/* What an address in the vmalloc area is, for tests. */
enum vmap_state {
	VMAP_NOT_IN_AREA, /* outside the vmalloc area */
	VMAP_FREE,	  /* in a free range: may be handed out */
	VMAP_BUSY,	  /* in an allocated range (guards included) */
	VMAP_LAZY,	  /* freed, waiting for a purge */
};

/*
 * Context: any but interrupts (takes the vmap lock).
 * Return: the state of va.
 */
enum vmap_state vmap_addr_state(uintptr_t va);

struct vmap_stats {
	unsigned long busy_areas;  /* allocated ranges */
	unsigned long busy_pages;  /* mapped pages in them */
	unsigned long lazy_areas;  /* freed, not yet purged */
	unsigned long lazy_pages;  /* their pages, guards included */
	unsigned long free_ranges; /* holes in the area */
	unsigned long purges;	   /* since boot */
};

/* Context: as vmap_addr_state. Return: a snapshot of the counters. */
struct vmap_stats vmap_get_stats(void);

/*
 * Describe a vmalloc-area address for a fault report, e.g. "guard page
 * of thread worker's stack" or "page 3 of 16 of a vmap area at
 * f8801000". Never blocks: if the lock is busy it says so.
 * Context: any, panics included.
 * Return: false if va is outside the vmalloc area (buf untouched).
 */
bool vmalloc_describe(uintptr_t va, char *buf, size_t len);

/* Set up the area's bookkeeping and print it. Boot, after kmalloc. */
void vmalloc_init(void);

#endif
