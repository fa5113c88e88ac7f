/*
 * The vmalloc area allocator: ranges of kernel virtual addresses for
 * vmap, vmalloc and kernel stacks (include/mm/vmalloc.h has the API
 * and the lazy-unmap story).
 *
 * Every range of the area is described by a struct vmap_area and is in
 * exactly one of three places:
 *   free_list   holes that may be handed out, sorted by address, never
 *               two adjacent (they are merged);
 *   busy        allocated: on busy_list (for reports and leak checks)
 *               and in a hash table keyed by the address given out (so
 *               vunmap finds it in O(1));
 *   lazy_list   unmapped, but maybe still in some CPU's TLB: not
 *               reusable until vmap_purge() has done a shootdown.
 *
 * An area's [start, end) covers its guard pages too: a trailing guard
 * page always, and a leading one for stacks (VM_GUARD_BELOW). Since
 * ranges are handed out back to back, the page below any range is a
 * guard page or a free hole: unmapped either way.
 *
 * Allocation is first fit over the free list. Freed ranges do not go
 * back to it one by one: they wait on the lazy list, so the free list
 * usually holds one big hole and the search stops at once.
 *
 * Locking: vmap_lock protects the three lists, the hash table and the
 * counters. It is always taken with interrupts ON (never from an
 * interrupt handler), so a CPU waiting for it can still answer a
 * shootdown (deadlock rule, include/mm/tlbflush.h). Page-table entries
 * of a busy area are written by whoever owns the area, outside the
 * lock. purge_lock (a mutex) serialises purges, so that an allocation
 * that fails and purges really sees every range freed before it.
 * Lock order: purge_lock, then vmap_lock, then the allocators' locks.
 */
#include <arch/cpu.h>
#include <kernel/mutex.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/trace.h>
#include <lib/format.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/tlbflush.h>
#include <mm/vmalloc.h>

/*
 * The allocator's part of the vmalloc area ends where the demand-paged
 * vmalloc_lazy window begins (include/mm/layout.h).
 */
#define VMAP_AREA_END VMALLOC_LAZY_START

#define VM_ALLOC       (1u << 0) /* pages are ours: vfree frees them */
#define VM_GUARD_BELOW (1u << 1) /* a guard page before the pages */
#define VM_STACK       (1u << 2) /* a kernel stack; owner names it */

#define VMAP_HASH_BITS 6
#define VMAP_HASH_SIZE (1u << VMAP_HASH_BITS)

struct vmap_area {
	uintptr_t start, end;	     /* whole range, guards included */
	uintptr_t addr;		     /* first mapped page (handed out) */
	unsigned int nr_pages;	     /* mapped pages */
	unsigned int flags;	     /* VM_* */
	const char *owner;	     /* VM_STACK: the thread's name */
	struct vmap_area *hash_next; /* busy: hash chain */
	struct list_head list;	     /* free, busy or lazy list */
};

/*
 * vmap_lock protects the lists, the hash and the statistics below; it
 * is held only for list work, never across a page allocation or a
 * shootdown. purge_lock serialises purges (one shootdown at a time)
 * and may sleep; lock order: purge_lock, then vmap_lock.
 */
static DEFINE_SPINLOCK(vmap_lock);
static DEFINE_MUTEX(purge_lock);
/* protected by vmap_lock: */
static LIST_HEAD(free_list);
static LIST_HEAD(busy_list);
static LIST_HEAD(lazy_list);
static struct vmap_area *busy_hash[VMAP_HASH_SIZE];
static struct vmap_stats stats;
/*
 * What vmap_purge needs to know about the lazy list, kept up to date
 * by area_free_lazy so the purge need not walk the list to learn it:
 * the span to flush, and whether the list is in address order (the
 * usual case: first fit hands out addresses upwards, and the ranges
 * are not reused until the purge, so frees tend to come in order too).
 */
static uintptr_t lazy_lo = UINTPTR_MAX, lazy_hi;
static bool lazy_sorted = true;

static inline unsigned int hash_of(uintptr_t addr)
{
	return (addr >> PAGE_SHIFT) & (VMAP_HASH_SIZE - 1);
}

static inline bool in_vmalloc_area(uintptr_t va)
{
	return va >= vmalloc_start && va < VMAP_AREA_END;
}

/*
 * Where mapping and unmapping may happen. Sleeping must be allowed,
 * except during early boot: with one CPU online nothing ever waits.
 */
static void check_context(const char *who)
{
	if (unlikely(in_interrupt()))
		panic("%s from an interrupt handler (it may wait for "
		      "other CPUs)",
		      who);
	if (num_online_cpus() > 1 || !arch_irqs_disabled())
		might_sleep();
}

/* Take [start, start+size) from the first hole that fits. vmap_lock. */
static bool take_range(size_t size, struct vmap_area *va)
{
	struct list_head *pos;

	list_for_each(pos, &free_list) {
		struct vmap_area *hole =
			list_entry(pos, struct vmap_area, list);

		if (hole->end - hole->start < size)
			continue;
		va->start = hole->start;
		va->end = hole->start + size;
		hole->start += size;
		if (hole->start == hole->end) {
			list_del(&hole->list);
			kfree(hole);
			stats.free_ranges--;
		}
		return true;
	}
	return false;
}

/*
 * May a failing allocation purge? A purge takes a mutex and may wait
 * for other CPUs: not in early boot, with interrupts off on the only
 * CPU (where vmap's context rule allows a call, and nothing sleeps).
 */
static bool may_purge(void)
{
	return num_online_cpus() > 1 || !arch_irqs_disabled();
}

/*
 * The descriptor of a new area. On a small machine the lazy areas'
 * own descriptors can be what fills kmalloc (thousands of one-page
 * areas wait for a purge): a purge frees them, so purge once and ask
 * again before giving up.
 */
static struct vmap_area *area_struct_alloc(void)
{
	struct vmap_area *va = kmalloc(sizeof(*va));

	if (!va && may_purge()) {
		vmap_purge();
		va = kmalloc(sizeof(*va));
	}
	return va;
}

/*
 * Reserve a range for nr_pages mapped pages plus its guard page(s).
 * A failing search purges the lazy ranges once and tries again.
 */
static struct vmap_area *area_alloc(unsigned int nr_pages, unsigned int flags,
				    const char *owner)
{
	size_t size = ((size_t)nr_pages + 1 + !!(flags & VM_GUARD_BELOW))
		      << PAGE_SHIFT;
	struct vmap_area *va;

	if (!nr_pages ||
	    nr_pages > (VMAP_AREA_END - vmalloc_start) >> PAGE_SHIFT)
		return NULL;
	va = area_struct_alloc();
	if (!va)
		return NULL;
	for (int attempt = 0;; attempt++) {
		bool ok;

		spin_lock(&vmap_lock);
		ok = take_range(size, va);
		if (ok) {
			va->addr = va->start +
				   ((flags & VM_GUARD_BELOW) ? PAGE_SIZE : 0);
			va->nr_pages = nr_pages;
			va->flags = flags;
			va->owner = owner;
			va->hash_next = busy_hash[hash_of(va->addr)];
			busy_hash[hash_of(va->addr)] = va;
			list_add_tail(&va->list, &busy_list);
			stats.busy_areas++;
			stats.busy_pages += nr_pages;
		}
		spin_unlock(&vmap_lock);
		if (ok)
			return va;
		if (attempt || !may_purge())
			break;
		vmap_purge();
	}
	kfree(va);
	return NULL;
}

/* Unlink the busy area handed out at addr; NULL if there is none. */
static struct vmap_area *area_unlink(uintptr_t addr)
{
	struct vmap_area **pp, *va;

	spin_lock(&vmap_lock);
	for (pp = &busy_hash[hash_of(addr)]; (va = *pp); pp = &va->hash_next)
		if (va->addr == addr)
			break;
	if (va) {
		*pp = va->hash_next;
		list_del(&va->list);
		stats.busy_areas--;
		stats.busy_pages -= va->nr_pages;
	}
	spin_unlock(&vmap_lock);
	return va;
}

/* Was addr freed and not purged yet? For a precise error message. */
static bool is_lazy_addr(uintptr_t addr)
{
	struct list_head *pos;
	bool found = false;

	spin_lock(&vmap_lock);
	list_for_each(pos, &lazy_list)
		if (list_entry(pos, struct vmap_area, list)->addr == addr)
			found = true;
	spin_unlock(&vmap_lock);
	return found;
}

/* The area's PTEs are clear: park it until a purge. */
static void area_free_lazy(struct vmap_area *va)
{
	unsigned long pages = (va->end - va->start) >> PAGE_SHIFT;
	bool purge;

	spin_lock(&vmap_lock);
	if (va->start < lazy_hi)
		lazy_sorted = false; /* below the last one: out of order */
	lazy_lo = MIN(lazy_lo, va->start);
	lazy_hi = MAX(lazy_hi, va->end);
	list_add_tail(&va->list, &lazy_list);
	stats.lazy_areas++;
	stats.lazy_pages += pages;
	purge = stats.lazy_pages > VMAP_LAZY_MAX_PAGES;
	spin_unlock(&vmap_lock);
	if (purge)
		vmap_purge();
}

/* Sort a list of areas by start address: merge sort, O(n log n). */
static struct vmap_area *sort_by_start(struct vmap_area *head)
{
	struct vmap_area *a = NULL, *b = NULL, *out = NULL, **tail = &out;

	if (!head || !head->hash_next)
		return head;
	/* Split alternately into a and b (hash_next links the chain). */
	while (head) {
		struct vmap_area *next = head->hash_next;

		head->hash_next = a;
		a = head;
		head = next;
		if (head) {
			next = head->hash_next;
			head->hash_next = b;
			b = head;
			head = next;
		}
	}
	a = sort_by_start(a);
	b = sort_by_start(b);
	while (a && b) {
		struct vmap_area **min = a->start < b->start ? &a : &b;

		*tail = *min;
		tail = &(*min)->hash_next;
		*min = (*min)->hash_next;
	}
	*tail = a ? a : b;
	return out;
}

/* Rebuild list todo, in the order of the hash_next chain sorted. */
static void relink_in_order(struct list_head *todo, struct vmap_area *sorted)
{
	list_init(todo);
	for (; sorted; sorted = sorted->hash_next)
		list_add_tail(&sorted->list, todo);
}

/*
 * Return the already-flushed ranges on todo, sorted by address, to the
 * free list, merging with neighbours: one walk of both lists, so
 * O(lazy + free). vmap_lock held.
 */
static void merge_into_free_list(struct list_head *todo)
{
	struct list_head *pos = free_list.next, *p, *after;

	for (p = todo->next; p != todo; p = after) {
		struct vmap_area *va = list_entry(p, struct vmap_area, list),
				 *cur, *prev, *next;

		after = p->next; /* va's links are reused below */
		va->flags = 0;
		va->owner = NULL;
		while (pos != &free_list &&
		       list_entry(pos, struct vmap_area, list)->start <
			       va->start)
			pos = pos->next;
		prev = pos->prev == &free_list
			       ? NULL
			       : list_entry(pos->prev, struct vmap_area, list);
		if (prev && prev->end == va->start) {
			prev->end = va->end;
			kfree(va);
			cur = prev;
		} else {
			list_add_tail(&va->list, pos); /* before pos */
			stats.free_ranges++;
			cur = va;
		}
		next = pos == &free_list
			       ? NULL
			       : list_entry(pos, struct vmap_area, list);
		if (next && cur->end == next->start) {
			cur->end = next->end;
			pos = pos->next;
			list_del(&next->list);
			kfree(next);
			stats.free_ranges--;
		}
	}
}

/*
 * The purge takes the whole lazy list at once (relinking two heads, not
 * unlinking each area), flushes the span area_free_lazy recorded, and
 * merges the ranges into the free list. The merge wants them in address
 * order; they usually are already (see lazy_sorted), and only when they
 * are not is the list sorted. Until the flush has returned the ranges
 * are on no list at all, so nothing can hand them out early.
 */
void vmap_purge(void)
{
	struct list_head todo;
	uintptr_t lo, hi;
	bool sorted;

	check_context("vmap_purge");
	mutex_lock(&purge_lock);
	spin_lock(&vmap_lock);
	list_init(&todo);
	if (!list_empty(&lazy_list)) {
		todo.next = lazy_list.next;
		todo.prev = lazy_list.prev;
		todo.next->prev = &todo;
		todo.prev->next = &todo;
		list_init(&lazy_list);
	}
	lo = lazy_lo;
	hi = lazy_hi;
	sorted = lazy_sorted;
	lazy_lo = UINTPTR_MAX;
	lazy_hi = 0;
	lazy_sorted = true;
	stats.lazy_areas = 0;
	stats.lazy_pages = 0;
	spin_unlock(&vmap_lock);

	if (!list_empty(&todo)) {
		/* After this no CPU can reach the old pages through them. */
		trace_event(TR_VMAP_PURGE, lo, hi, 0);
		flush_tlb_kernel_range(lo, hi);
		if (!sorted) {
			struct vmap_area *chain = NULL;
			struct list_head *p;

			for (p = todo.next; p != &todo; p = p->next) {
				struct vmap_area *va =
					list_entry(p, struct vmap_area, list);

				va->hash_next = chain;
				chain = va;
			}
			relink_in_order(&todo, sort_by_start(chain));
		}
		spin_lock(&vmap_lock);
		merge_into_free_list(&todo);
		stats.purges++;
		spin_unlock(&vmap_lock);
	}
	mutex_unlock(&purge_lock);
}

static void map_pages(uintptr_t addr, struct page **pages, unsigned int n,
		      unsigned int prot)
{
	for (unsigned int i = 0; i < n; i++)
		arch_set_kernel_pte(addr + (i << PAGE_SHIFT),
				    arch_make_pte(page_to_phys(pages[i]),
						  prot));
}

/*
 * Every page handed to vmap must be one its caller owns: a NULL from a
 * failed alloc_page, a stale pointer or a freed page would otherwise be
 * mapped, and the caller's writes would land in someone else's frame.
 */
static bool vmap_pages_refused(struct page **pages, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		const char *why = page_not_owned_reason(pages[i]);

		if (unlikely(why)) {
			WARN(1, "vmap: page %u of %u (%p) is %s; refused", i,
			     count, pages[i], why);
			return true;
		}
	}
	return false;
}

void *vmap(struct page **pages, unsigned int count, unsigned int prot)
{
	struct vmap_area *va;

	check_context("vmap");
	if (vmap_pages_refused(pages, count))
		return NULL;
	va = area_alloc(count, 0, NULL);
	if (!va)
		return NULL;
	map_pages(va->addr, pages, count, prot);
	trace_event(TR_VMAP, va->addr, count, 0);
	return (void *)va->addr;
}

/*
 * Clear the PTEs of the area's first n pages; with free_them, free the
 * pages they mapped. vunmap's pages belong to its caller, so it does
 * not even read the entries: a page-table walk per page saved.
 */
static void unmap_pages(struct vmap_area *va, unsigned int n, bool free_them)
{
	for (unsigned int i = 0; i < n; i++) {
		uintptr_t a = va->addr + (i << PAGE_SHIFT);
		pte_t pte;

		if (!free_them) {
			arch_clear_kernel_pte(a);
			continue;
		}
		pte = arch_get_kernel_pte(a);
		arch_clear_kernel_pte(a);
		if (arch_pte_present(pte))
			free_page(
				pfn_to_page(arch_pte_phys(pte) >> PAGE_SHIFT));
	}
}

/* vunmap and vfree: find the area or say precisely what is wrong. */
static struct vmap_area *lookup_for_free(const void *addr, const char *who,
					 bool want_alloc)
{
	uintptr_t a = (uintptr_t)addr;
	struct vmap_area *va;

	if (!in_vmalloc_area(a)) {
		WARN(1,
		     "%s: %08lx is not in the vmalloc area (%08lx-%08lx); "
		     "refused",
		     who, (unsigned long)a, (unsigned long)vmalloc_start,
		     (unsigned long)VMAP_AREA_END);
		return NULL;
	}
	va = area_unlink(a);
	if (!va) {
		WARN(1, "%s: %08lx is not the start of a %s area (%s); refused",
		     who, (unsigned long)a, want_alloc ? "vmalloc" : "vmap",
		     is_lazy_addr(a) ? "double free: it was already freed"
				     : "never allocated, or freed and purged");
		return NULL;
	}
	if (!!(va->flags & VM_ALLOC) != want_alloc) {
		WARN(1, "%s: %08lx was made by %s; use %s (refused)", who,
		     (unsigned long)a, want_alloc ? "vmap" : "vmalloc",
		     want_alloc ? "vunmap" : "vfree");
		/* Put it back as it was. */
		spin_lock(&vmap_lock);
		va->hash_next = busy_hash[hash_of(va->addr)];
		busy_hash[hash_of(va->addr)] = va;
		list_add_tail(&va->list, &busy_list);
		stats.busy_areas++;
		stats.busy_pages += va->nr_pages;
		spin_unlock(&vmap_lock);
		return NULL;
	}
	return va;
}

void vunmap(const void *addr)
{
	struct vmap_area *va;

	check_context("vunmap");
	va = lookup_for_free(addr, "vunmap", false);
	if (!va)
		return;
	unmap_pages(va, va->nr_pages, false);
	trace_event(TR_VUNMAP, va->addr, va->nr_pages, 0);
	area_free_lazy(va);
}

/*
 * Out of pages after the first got ones were mapped: unmap and free
 * exactly those, once, and park the range for the next purge (this CPU
 * may have cached the mappings it just wrote). The area is still busy
 * and ours, so nobody else can have touched it.
 */
static void vmalloc_give_up(struct vmap_area *va, unsigned int got)
{
	struct vmap_area *same = area_unlink(va->addr);

	BUG_ON(same != va);
	unmap_pages(va, got, true);
	area_free_lazy(va);
}

static void *do_vmalloc(size_t size, unsigned int flags, const char *owner)
{
	unsigned int n = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;
	struct vmap_area *va;

	check_context("vmalloc");
	if (!size || size > VMAP_AREA_END - vmalloc_start)
		return NULL;
	va = area_alloc(n, flags | VM_ALLOC, owner);
	if (!va)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		struct page *page = alloc_page(GFP_HIGHUSER);

		if (!page) {
			vmalloc_give_up(va, i);
			return NULL;
		}
		arch_set_kernel_pte(va->addr + (i << PAGE_SHIFT),
				    arch_make_pte(page_to_phys(page),
						  MAP_READ | MAP_WRITE));
	}
	return (void *)va->addr;
}

void *vmalloc(size_t size)
{
	return do_vmalloc(size, 0, NULL);
}

void *vmalloc_stack(size_t size, const char *owner)
{
	return do_vmalloc(size, VM_GUARD_BELOW | VM_STACK, owner);
}

void vfree(const void *addr)
{
	struct vmap_area *va;

	if (!addr)
		return;
	check_context("vfree");
	va = lookup_for_free(addr, "vfree", true);
	if (!va)
		return;
	unmap_pages(va, va->nr_pages, true);
	area_free_lazy(va);
}

struct page *vmalloc_to_page(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	pte_t pte;

	if (!in_vmalloc_area(a))
		return NULL;
	pte = arch_get_kernel_pte(a);
	if (!arch_pte_present(pte))
		return NULL;
	return pfn_to_page(arch_pte_phys(pte) >> PAGE_SHIFT);
}

/* The area of list head whose range holds va, or NULL. vmap_lock. */
static struct vmap_area *find_in(struct list_head *head, uintptr_t va)
{
	struct list_head *pos;

	list_for_each(pos, head) {
		struct vmap_area *a = list_entry(pos, struct vmap_area, list);

		if (va >= a->start && va < a->end)
			return a;
	}
	return NULL;
}

enum vmap_state vmap_addr_state(uintptr_t va)
{
	enum vmap_state s = VMAP_NOT_IN_AREA;

	if (!in_vmalloc_area(va))
		return s;
	spin_lock(&vmap_lock);
	if (find_in(&busy_list, va))
		s = VMAP_BUSY;
	else if (find_in(&lazy_list, va))
		s = VMAP_LAZY;
	else if (find_in(&free_list, va))
		s = VMAP_FREE;
	spin_unlock(&vmap_lock);
	return s;
}

struct vmap_stats vmap_get_stats(void)
{
	struct vmap_stats s;

	spin_lock(&vmap_lock);
	s = stats;
	spin_unlock(&vmap_lock);
	return s;
}

/* vmap_lock held: name the busy area va falls in. */
static void describe_busy(const struct vmap_area *a, uintptr_t va, char *buf,
			  size_t len)
{
	const char *kind = (a->flags & VM_STACK)   ? "stack"
			   : (a->flags & VM_ALLOC) ? "vmalloc"
						   : "vmap";
	uintptr_t top = a->addr + (a->nr_pages << PAGE_SHIFT);

	if (va < a->addr)
		snprintf(buf, len, "guard page of thread %s's stack",
			 a->owner ? a->owner : "?");
	else if (va >= top && (a->flags & VM_STACK))
		snprintf(buf, len, "guard page above thread %s's stack",
			 a->owner ? a->owner : "?");
	else if (va >= top)
		snprintf(buf, len,
			 "guard page after the %s area at %08lx "
			 "(%u pages)",
			 kind, (unsigned long)a->addr, a->nr_pages);
	else if (a->flags & VM_STACK)
		snprintf(buf, len, "page %lu of %u of thread %s's stack",
			 (unsigned long)((va - a->addr) >> PAGE_SHIFT) + 1,
			 a->nr_pages, a->owner ? a->owner : "?");
	else
		snprintf(buf, len, "page %lu of %u of a %s area at %08lx",
			 (unsigned long)((va - a->addr) >> PAGE_SHIFT) + 1,
			 a->nr_pages, kind, (unsigned long)a->addr);
}

bool vmalloc_describe(uintptr_t va, char *buf, size_t len)
{
	struct vmap_area *a;

	if (!in_vmalloc_area(va))
		return false;
	/* A fault report may come while this CPU holds the lock. */
	if (!spin_trylock(&vmap_lock)) {
		snprintf(buf, len, "(vmap lock busy: area unknown)");
		return true;
	}
	if ((a = find_in(&busy_list, va)))
		describe_busy(a, va, buf, len);
	else if (find_in(&lazy_list, va))
		snprintf(buf, len,
			 "a freed area awaiting its TLB purge "
			 "(use after vunmap/vfree?)");
	else
		snprintf(buf, len, "no area: free vmalloc space");
	spin_unlock(&vmap_lock);
	return true;
}

void vmalloc_init(void)
{
	struct vmap_area *all = kzalloc(sizeof(*all));

	BUG_ON(!all);
	all->start = vmalloc_start;
	all->end = VMAP_AREA_END;
	list_add(&all->list, &free_list);
	stats.free_ranges = 1;
	pr_info("vmalloc: %08lx-%08lx (%lu MiB), a guard page after every "
		"area, lazy purge above %u pages (%u KiB)\n",
		(unsigned long)vmalloc_start, (unsigned long)VMAP_AREA_END - 1,
		(unsigned long)(VMAP_AREA_END - vmalloc_start) >> 20,
		VMAP_LAZY_MAX_PAGES, VMAP_LAZY_MAX_PAGES * (PAGE_SIZE >> 10));
}
