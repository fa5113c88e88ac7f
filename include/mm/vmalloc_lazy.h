/*
 * vmalloc_lazy: kernel virtual memory whose pages are allocated, zeroed
 * and mapped on first touch, by the page-fault handler.
 *
 * It exists so that "page faults are allowed under kmap_local_page"
 * is a claim a test can check: touching a fresh vmalloc_lazy page under
 * kmap_local_page() faults, the fault is resolved (it allocates and may
 * be preempted) and the access succeeds; the same touch under
 * kmap_atomic(), where page faults are disabled, goes to the
 * exception-table fixup and fails cleanly.
 *
 * The addresses come from the fixed vmalloc_lazy window at the top of
 * the vmalloc area (include/mm/layout.h), handed out in order and never
 * given back: freeing would need a TLB shootdown, which arrives with
 * the vmalloc allocator. Each area is followed by an unmapped guard
 * page that is never filled.
 */
#ifndef MM_VMALLOC_LAZY_H
#define MM_VMALLOC_LAZY_H

#include <mm/layout.h>

/*
 * Reserve size bytes (rounded up to pages) of demand-paged memory.
 * Nothing is allocated until a page is touched; it then reads as zero.
 * Context: any (takes a spinlock with interrupts off).
 * Return: the start address, or NULL when the window is used up.
 *
 *	uint32_t *v = vmalloc_lazy(PAGE_SIZE);
 *	v[0] = 1;	// faults once: a zeroed page is mapped, then it runs
 */
void *vmalloc_lazy(size_t size);

/*
 * For the fault handler: is va inside an area vmalloc_lazy handed out
 * (guard pages excluded)? Context: any.
 */
bool vmalloc_lazy_contains(uintptr_t va);

/*
 * For the fault handler: give the page holding va a fresh zeroed page.
 * Called with interrupts on, in a context that may sleep.
 * Return: false if no page could be allocated.
 */
bool vmalloc_lazy_fill(uintptr_t va);

/* How many pages first touches have filled since boot. Context: any. */
unsigned long vmalloc_lazy_filled(void);

#endif
