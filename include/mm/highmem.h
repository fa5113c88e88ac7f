/*
 * Mapping a page that may have no permanent kernel address (highmem):
 * kmap_local_page and kmap_atomic, plus page_address. Read
 * docs/highmem.rst for the story; this header is the
 * contract.
 *
 * Prefer kmap_local_page(). Use kmap_atomic() only where the code must
 * not be preempted or take page faults anyway. Use kmap() (below) only
 * when the pointer must be valid on every CPU.
 *
 * Both map into per-CPU fixmap slots, and both form one stack per
 * task: unmap strictly in the reverse order of mapping.
 *
 *	void *a = kmap_local_page(p);
 *	void *b = kmap_local_page(q);	// nests on top of a
 *	memcpy(b, a, PAGE_SIZE);
 *	kunmap_local(b);		// the last one mapped goes first
 *	kunmap_local(a);
 *
 * A lowmem page needs no slot: both return its direct-map address,
 * unless kmap.force_map=1 (then every page goes through a slot, so the
 * rules are exercised on machines without highmem).
 */
#ifndef MM_HIGHMEM_H
#define MM_HIGHMEM_H

#include <mm/kmap_local_fast.h>
#include <mm/kmap_types.h>
#include <mm/page.h>

struct task;

/*
 * kmap_local_page - map a page for a short while, for this task only
 * @page: the page, lowmem or highmem
 *
 * The address is valid only in the task (or interrupt handler) that
 * mapped it, and only until the matching kunmap_local(). The task may
 * be preempted and may take page faults meanwhile: its maps leave the
 * CPU when it is switched out and come back when it runs again. While
 * it holds a map that took a slot (a highmem page, or any page under
 * kmap.force_map=1) it cannot change CPU (migration is disabled) and
 * its CPU cannot go offline; a lowmem page's map takes no slot and
 * pins nothing.
 * Context: any, interrupts included, once the scheduler is up.
 * Return: the page's address, or NULL if the task already holds
 * KM_MAX_IDX maps or the page is free (each reported by name; pass the
 * NULL to kunmap_local, which then does nothing).
 */
static __always_inline void *kmap_local_page(struct page *page)
{
	return kmap_local_page_fast(page);
}

/*
 * kunmap_local - undo the last kmap_local_page()
 * @addr: any address inside the mapped page
 *
 * Must name the most recent map still held. An unmap out of order is
 * reported (with both addresses and the task), then done anyway: the
 * named slot is cleared and the stack pops past it once the slots above
 * it go. An address that is not a live map of this task is reported
 * and ignored.
 * Context: the same task, or interrupt handler, that mapped it.
 */
static __always_inline void kunmap_local(const void *addr)
{
	kmap_local_unmap(addr, "kunmap_local");
}

/*
 * kmap_atomic - map a page, with preemption and page faults disabled
 * @page: the page, lowmem or highmem
 *
 * As kmap_local_page(), and until the matching kunmap_atomic() the
 * caller runs with preemption disabled (so it must not sleep) and with
 * page faults disabled (a fault goes straight to its exception-table
 * fixup, or panics). The two disables happen even for a lowmem page.
 * Context: any, interrupts included, once the scheduler is up.
 * Return: as kmap_local_page(); on NULL, still call kunmap_atomic(NULL)
 * to re-enable preemption and page faults.
 *
 *	void *p = kmap_atomic(page);
 *	... no sleeping here ...
 *	kunmap_atomic(p);
 */
static __always_inline void *kmap_atomic(struct page *page)
{
	return kmap_atomic_fast(page);
}

/*
 * kunmap_atomic - undo kmap_atomic(), then re-enable page faults and
 * preemption, in that order (the reverse of kmap_atomic).
 * Context: the same context that mapped it.
 */
static __always_inline void kunmap_atomic(const void *addr)
{
	kunmap_atomic_fast(addr);
}

/*
 * How many local maps (kmap_local_page and kmap_atomic) the running
 * task holds; 0 when there is no task yet. Interrupt dispatch compares
 * it before and after each handler: a handler must undo every map it
 * made, or the task it interrupted would inherit them. Context: any.
 */
int kmap_local_depth(void);

/* struct kmap_stats, the counters, is in <mm/kmap_types.h>. */

/* Fill *out with the current totals. Context: any. */
void kmap_stats(struct kmap_stats *out);

/*
 * Print the totals and the pool's counters, prefixed by label, at
 * KERN_INFO. Context: as pkmap_get_stats().
 */
void kmap_stats_print(const char *label);

/*
 * Does the running task (or the interrupt handler on top of it) hold
 * page in one of its local map slots? The page allocator asks before a
 * free. Other tasks' maps are theirs and are not looked at.
 * Context: any.
 */
bool kmap_local_holds_page(const struct page *page);

/* Is kmap.force_map=1 (lowmem pages mapped through slots too) on? */
bool kmap_force_map_enabled(void);
/* Is kmap.debug=1 (a guard page after every slot) on? */
bool kmap_debug_enabled(void);

/*
 * The fixmap address of this CPU's slot at stack index idx (tests use
 * it to check which slot a map took). Context: any.
 */
uintptr_t kmap_local_slot_address(unsigned int cpu, int idx);

/*
 * The scheduler's hook (kernel/sched_internal.h): take prev's local
 * maps out of this CPU's slots and put next's back. Called only when
 * one of them holds a map.
 * Context: the context switch, interrupts off, run queue locked.
 */
void kmap_local_switch(struct task *prev, struct task *next);

/* For mm_fault_describe: print what slot va is, if it is one. */
void kmap_local_describe(uintptr_t va);

/*
 * Work out where every CPU's local map slots are (kmap.debug moves
 * them) and keep it in each CPU's struct percpu for the fast paths.
 * Context: boot CPU, after the command line, before the first map.
 */
void kmap_local_init(void);

/* ---- kmap and kunmap: the pkmap pool (mm/highmem.c) ---- */

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
#define PKMAP_ADDR(nr) (PKMAP_BASE + ((uintptr_t)(nr) << PAGE_SHIFT))
#define PKMAP_NR(va)   (((uintptr_t)(va)-PKMAP_BASE) >> PAGE_SHIFT)

/*
 * Map page into the pkmap pool (lowmem: its direct-map address).
 * Context: may sleep (waits for a free slot when the pool is full);
 * process context with interrupts on. Calling it in atomic context is
 * reported by might_sleep(); for a highmem page, with interrupts off or
 * in an interrupt handler it panics: the pool's flush would deadlock
 * (a lowmem page never reaches the pool; kmap.force_map=1 does not
 * change that).
 * Return: an address valid on every CPU until kunmap(page); NULL, with
 * a warning, if the page is free (freed, or never allocated).
 */
void *kmap(struct page *page);

/*
 * Drop one kmap() of page. Reported by name (and refused) if the page
 * is not kmapped. Context: process context with interrupts on, as for
 * kmap() (for a highmem page it panics otherwise: waiting for kmap_lock
 * could deadlock against the pool's flush); does not sleep.
 */
void kunmap(struct page *page);

/*
 * Clear every unused cached slot and flush the TLBs now, instead of at
 * the next wrap. Context: as kmap(): may sleep, interrupts on (it
 * panics otherwise: the flush waits for every other CPU).
 */
void kmap_flush_unused(void);

/*
 * The page allocator is freeing page (mm/page_alloc.c): a page that
 * still has kmap() users must not be freed (returns why, and the free
 * is refused); a cached slot stops belonging to it, so a freed page
 * never answers page_address() and its next owner starts with NULL.
 * From an interrupt handler or with interrupts off kmap_lock is only
 * tried, never waited for: if it is busy, a kmapped page is still
 * refused, and a cached one keeps its address until the next wrap.
 * Return: NULL if the free may go on, else the reason it may not.
 */
const char *pkmap_page_freeing(struct page *page);

/*
 * The page's permanent kernel address: the direct map for lowmem; for
 * highmem, its pkmap address while kmap()ped (or cached after kunmap),
 * NULL otherwise. A kmap_local_page()/kmap_atomic() mapping is never
 * recorded here: those addresses belong to one CPU and one task.
 * Context: any.
 */
void *page_address(const struct page *page);

struct pkmap_stats {
	unsigned long maps;   /* kmap() of highmem pages: hits + misses */
	unsigned long hits;   /* ...that found the page mapped */
	unsigned long misses; /* ...that had to find it a slot */
	unsigned long unmaps;
	unsigned long wraps;		  /* cursor passed slot 0 */
	unsigned long shootdowns;	  /* global flushes of the pool */
	unsigned long waits;		  /* sleeps for a free slot */
	unsigned long freed_while_cached; /* pages freed with a slot at 1 */
	unsigned long bad_unmaps;	  /* kunmap of a page not kmapped */
};

/*
 * A snapshot of the counters. Context: as kunmap(): it takes kmap_lock,
 * so with interrupts off it panics rather than risk the deadlock.
 */
void pkmap_get_stats(struct pkmap_stats *out);

/* pkmap_count[nr], for tests and the monitor. Context: any. */
int pkmap_slot_count(unsigned int nr);

#endif
