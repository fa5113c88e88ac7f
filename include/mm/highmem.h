/*
 * kmap and kunmap: the pkmap pool (mm/highmem.c).
 *
 * kmap() gives a highmem page an address in a small shared window of
 * LAST_PKMAP pages, valid on every CPU until the matching kunmap(). It
 * is the oldest of the highmem interfaces and the costliest: the pool
 * is global, guarded by one lock, and recycling it needs a TLB
 * shootdown on every CPU. Prefer kmap_local_page(); use kmap() only
 * when the pointer must be used from another CPU or the mapping must
 * outlive the mapping task's migration rules.
 *
 *	void *p = kmap(page);		// may sleep
 *	memcpy(p, src, len);
 *	kunmap(page);			// by page, not by address
 *
 * kunmap() releases the *address*, not the page: the page stays
 * allocated to its owner, and the slot's page-table entry stays in
 * place (cached) until the pool next wraps, so kmapping the same page
 * again soon costs no page-table write at all.
 */
#ifndef MM_HIGHMEM_H
#define MM_HIGHMEM_H

#include <mm/page.h>

#define PKMAP_ADDR(nr)	(PKMAP_BASE + ((uintptr_t)(nr) << PAGE_SHIFT))
#define PKMAP_NR(va)	(((uintptr_t)(va) - PKMAP_BASE) >> PAGE_SHIFT)

/*
 * Map page into the pkmap pool (lowmem: its direct-map address).
 * Context: may sleep (waits for a free slot when the pool is full);
 * process context with interrupts on. Calling it in atomic context is
 * reported by might_sleep(); with interrupts off or in an interrupt
 * handler it panics: the pool's flush would deadlock.
 * Return: an address valid on every CPU until kunmap(page).
 */
void *kmap(struct page *page);

/*
 * Drop one kmap() of page. Reported by name (and refused) if the page
 * is not kmapped. Context: process context; does not sleep.
 */
void kunmap(struct page *page);

/*
 * Clear every unused cached slot and flush the TLBs now, instead of at
 * the next wrap. Context: may sleep.
 */
void kmap_flush_unused(void);

/*
 * The page's permanent kernel address: the direct map for lowmem; for
 * highmem, its pkmap address while kmap()ped (or cached after kunmap),
 * NULL otherwise. A kmap_local_page()/kmap_atomic() mapping is never
 * recorded here: those addresses belong to one CPU and one task.
 * Context: any.
 */
void *page_address(const struct page *page);

struct pkmap_stats {
	unsigned long maps;		/* kmap() of highmem pages */
	unsigned long hits;		/* ...that found the page mapped */
	unsigned long unmaps;
	unsigned long wraps;		/* cursor passed slot 0 */
	unsigned long shootdowns;	/* global flushes of the pool */
	unsigned long waits;		/* sleeps for a free slot */
	unsigned long bad_unmaps;	/* kunmap of a page not kmapped */
};

/* A snapshot of the counters. Context: any. */
void pkmap_get_stats(struct pkmap_stats *out);

/* pkmap_count[nr], for tests and the monitor. Context: any. */
int pkmap_slot_count(unsigned int nr);

#endif
