/*
 * What the files of the vmalloc area share (mm/vmalloc.c, the areas;
 * mm/vmalloc_purge.c, the lazy list; mm/vmalloc_describe.c, the
 * reports): the descriptor of an area, vmap_lock, and each one's
 * interface to the others. Internal; everyone else uses <mm/vmalloc.h>.
 */
#ifndef MM_VMALLOC_INTERNAL_H
#define MM_VMALLOC_INTERNAL_H

#include <kernel/list.h>
#include <kernel/spinlock.h>
#include <mm/vmalloc.h>
#include <mm/vmap_area.h>

/*
 * The allocator's part of the vmalloc area ends where the demand-paged
 * vmalloc_lazy window begins (include/mm/layout.h).
 */
#define VMAP_AREA_END VMALLOC_LAZY_START

static inline bool in_vmalloc_area(uintptr_t va)
{
	return va >= vmalloc_start && va < VMAP_AREA_END;
}

#define VM_ALLOC       (1u << 0) /* pages are ours: vfree frees them */
#define VM_GUARD_BELOW (1u << 1) /* a guard page before the pages */
#define VM_STACK       (1u << 2) /* a kernel stack; owner names it */

/*
 * An area of the vmalloc area: its range (the allocator's node while
 * the range is free) and, while busy or lazy, what vmalloc knows of it.
 */
struct vm_area {
	struct vmap_area range;	   /* [start, end), guards included */
	uintptr_t addr;		   /* first mapped page (handed out) */
	unsigned int nr_pages;	   /* mapped pages */
	unsigned int flags;	   /* VM_* (mm/vmalloc.c) */
	const char *owner;	   /* VM_STACK: the thread's name */
	struct vm_area *hash_next; /* busy: hash chain; spare: the next */
	struct list_head list;	   /* lazy: the lazy list */
};

/*
 * The lock of the whole vmalloc area: the free space, the busy hash,
 * the lazy list, the spare descriptors, the counters. Its rules and the lock
 * order are at the top of mm/vmalloc.c.
 */
extern spinlock_t vmap_lock;

/* mm/vmalloc.c: the busy area whose range holds va, or NULL. vmap_lock. */
struct vm_area *vm_area_busy_find(uintptr_t va);

/* mm/vmalloc.c: is va in a hole of the free space? vmap_lock held. */
bool vm_area_free_at(uintptr_t va);

/* mm/vmalloc.c: the area of list head whose range holds va, or NULL. */
struct vm_area *vm_area_find(struct list_head *head, uintptr_t va);

/*
 * mm/vmalloc.c: give a purged area's range back to the free space (its
 * descriptor goes with it). vmap_lock held.
 */
void vm_area_give_back(struct vm_area *va);

/* mm/vmalloc.c: the context checks of vmap (panics in an interrupt). */
void vmalloc_check_context(const char *who);

/*
 * Park va, whose entries are clear, until the next purge. vmap_lock
 * held. Return: true if the lazy list has grown past
 * VMAP_LAZY_MAX_PAGES: the caller calls vmap_purge_due() once it has
 * dropped the lock.
 */
bool vmap_lazy_add(struct vm_area *va);

/* vmap_lazy_add() under vmap_lock, then the purge if due. May sleep. */
void vmap_free_lazy(struct vm_area *va);

/*
 * The purge vunmap does when vmap_lazy_add() says it is due: as
 * vmap_purge(), but the spare descriptors stay for the next areas.
 * Context: may sleep.
 */
void vmap_purge_due(void);

/* mm/vmalloc.c: kfree every spare descriptor. Takes vmap_lock. */
void vm_area_drop_spares(void);

/* The lazy area whose range holds va, or NULL. vmap_lock held. */
struct vm_area *vmap_lazy_find(uintptr_t va);

/* The lazy list's counters into *s (lazy_*, purges). vmap_lock held. */
void vmap_lazy_stats(struct vmap_stats *s);

#endif
