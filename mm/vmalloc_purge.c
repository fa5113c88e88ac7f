/*
 * The lazy list and its purge: how the vmalloc area frees a range
 * without a TLB shootdown each time (include/mm/vmalloc.h tells the
 * story). vunmap and vfree clear an area's entries and park the area
 * here: other CPUs may still hold its old translations, so the range
 * is not reusable yet. When the list passes VMAP_LAZY_MAX_PAGES, or an
 * allocation finds no room, vmap_purge() does one shootdown covering
 * every parked range and gives them all back to the free space.
 *
 * Locking: the list, the span and the counters below are protected by
 * vmap_lock (mm/vmalloc.c, which states its rules). purge_lock (a
 * mutex) serialises purges, so that an allocation that fails and
 * purges really sees every range freed before it. Lock order:
 * purge_lock, then vmap_lock, then the allocators' locks.
 */
#include <kernel/mutex.h>
#include <kernel/trace.h>
#include <mm/tlbflush.h>
#include <mm/vmalloc_internal.h>

static DEFINE_MUTEX(purge_lock);
/* protected by vmap_lock: */
static LIST_HEAD(lazy_list);
static unsigned long lazy_areas, lazy_pages, purges;
/* The span the next purge must flush: every lazy area is inside it. */
static uintptr_t lazy_lo = UINTPTR_MAX, lazy_hi;

bool vmap_lazy_add(struct vm_area *va)
{
	lazy_lo = MIN(lazy_lo, va->range.start);
	lazy_hi = MAX(lazy_hi, va->range.end);
	list_add_tail(&va->list, &lazy_list);
	lazy_areas++;
	lazy_pages += (va->range.end - va->range.start) >> PAGE_SHIFT;
	return lazy_pages > VMAP_LAZY_MAX_PAGES;
}

void vmap_free_lazy(struct vm_area *va)
{
	bool purge;

	spin_lock(&vmap_lock);
	purge = vmap_lazy_add(va);
	spin_unlock(&vmap_lock);
	if (purge)
		vmap_purge_due();
}

struct vm_area *vmap_lazy_find(uintptr_t va)
{
	return vm_area_find(&lazy_list, va);
}

void vmap_lazy_stats(struct vmap_stats *s)
{
	s->lazy_areas = lazy_areas;
	s->lazy_pages = lazy_pages;
	s->purges = purges;
}

/* Move every area of lazy_list onto the empty todo. vmap_lock held. */
static void take_lazy_list(struct list_head *todo)
{
	if (list_empty(&lazy_list))
		return;
	todo->next = lazy_list.next;
	todo->prev = lazy_list.prev;
	todo->next->prev = todo;
	todo->prev->next = todo;
	list_init(&lazy_list);
}

/*
 * Give every flushed area on todo back to the free space, in any
 * order: each give finds its neighbours in the tree (O(log holes)).
 * vmap_lock held.
 */
static void give_back(struct list_head *todo)
{
	while (!list_empty(todo)) {
		struct vm_area *va =
			list_first_entry(todo, struct vm_area, list);

		list_del(&va->list);
		vm_area_give_back(va);
	}
}

/*
 * The purge takes the whole lazy list at once, flushes the span
 * vmap_lazy_add recorded, and gives the ranges back to the free
 * space. Until the flush has returned the ranges are on no list at
 * all, so nothing can hand them out early.
 */
static void purge_lazy_list(void)
{
	LIST_HEAD(todo);
	uintptr_t lo, hi;

	mutex_lock(&purge_lock);
	spin_lock(&vmap_lock);
	take_lazy_list(&todo);
	lo = lazy_lo;
	hi = lazy_hi;
	lazy_lo = UINTPTR_MAX;
	lazy_hi = 0;
	lazy_areas = 0;
	lazy_pages = 0;
	spin_unlock(&vmap_lock);

	if (!list_empty(&todo)) {
		/* After this no CPU can reach the old pages through them. */
		trace_event(TR_VMAP_PURGE, lo, hi, 0);
		flush_tlb_kernel_range(lo, hi);
		spin_lock(&vmap_lock);
		give_back(&todo);
		purges++;
		spin_unlock(&vmap_lock);
	}
	mutex_unlock(&purge_lock);
}

void vmap_purge_due(void)
{
	vmalloc_check_context("vmap_purge");
	purge_lazy_list();
}

void vmap_purge(void)
{
	vmalloc_check_context("vmap_purge");
	purge_lazy_list();
	vm_area_drop_spares();
}
