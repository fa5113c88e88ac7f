/*
 * What mm/vmalloc.c and mm/vmalloc_purge.c share: the descriptor of an
 * area, vmap_lock, and the lazy list's interface. Internal to the
 * vmalloc area; everyone else uses <mm/vmalloc.h>.
 */
#ifndef MM_VMALLOC_PURGE_H
#define MM_VMALLOC_PURGE_H

#include <kernel/list.h>
#include <kernel/spinlock.h>
#include <mm/vmalloc.h>
#include <mm/vmap_area.h>

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
	struct list_head list;	   /* busy or lazy list */
};

/*
 * The lock of the whole vmalloc area: the free space, the busy list and
 * hash, the lazy list, the counters. Its rules and the lock order are
 * at the top of mm/vmalloc.c.
 */
extern spinlock_t vmap_lock;

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
