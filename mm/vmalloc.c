/*
 * The vmalloc area: vmap, vmalloc and kernel stacks map pages into
 * ranges of it, and unmap them lazily (include/mm/vmalloc.h has the API
 * and the lazy-unmap story). Which ranges are free is the range
 * allocator's business (mm/vmap_area.c), the entries of an area are
 * written by mm/vmalloc_map.c, the lazy list and its purge are
 * mm/vmalloc_purge.c's, and mm/vmalloc_describe.c names an address for
 * reports; this file keeps the areas and hands them out.
 *
 * Every range of the area is in exactly one of three places:
 *   free        a hole of the range allocator's space (vmap_space);
 *   busy        allocated: in a hash table keyed by the address given
 *               out (so vunmap finds it in O(1); a report that asks
 *               which area holds an address walks every chain);
 *   lazy        unmapped, but maybe still in some CPU's TLB: not
 *               reusable until vmap_purge() has done a shootdown
 *               (mm/vmalloc_purge.c).
 *
 * Freed ranges do not go back to the free space one by one: they wait
 * on the lazy list, and one purge (one shootdown) returns them all.
 *
 * Locking: vmap_lock protects the space, the busy hash, the lazy list,
 * the spare descriptors and the counters. It is always taken with
 * interrupts ON (never from an interrupt handler), so a CPU waiting for
 * it can still answer a shootdown (deadlock rule,
 * include/mm/tlbflush.h). Page-table entries of a busy area are written
 * by whoever owns the area, outside the lock, except vunmap's clearing
 * (a few stores); the lock is never held across a wait. purge_lock
 * (mm/vmalloc_purge.c) serialises purges. Lock order: purge_lock, then
 * vmap_lock, then the allocators' locks.
 */
#include <arch/cpu.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/system_state.h>
#include <kernel/trace.h>
#include <lib/format.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>
#include <mm/vmalloc_map.h>
#include <mm/vmalloc_internal.h>

#define VMAP_HASH_BITS 6
#define VMAP_HASH_SIZE (1u << VMAP_HASH_BITS)

/* The lock, its order and its rules: the comment at the top. */
DEFINE_SPINLOCK(vmap_lock);
/* protected by vmap_lock: */
static struct vmap_space space;
static struct vm_area *busy_hash[VMAP_HASH_SIZE];
static struct vmap_stats stats;
/* Descriptors kept for the next areas, linked by hash_next. */
static struct vm_area *spares;
static unsigned int nr_spares;

static inline unsigned int hash_of(uintptr_t addr)
{
	return (addr >> PAGE_SHIFT) & (VMAP_HASH_SIZE - 1);
}

static inline struct vm_area *area_of(struct vmap_area *range)
{
	return container_of(range, struct vm_area, range);
}

/*
 * Descriptors freed by merges and purges are kept, up to
 * VMAP_SPARES_MAX, for the next areas: a vmap then takes one from this
 * list under the lock it takes anyway, instead of a kmalloc of its own.
 * A purge frees one descriptor per lazy area, so the cap is above what
 * one purge of 16-page areas frees (VMAP_LAZY_MAX_PAGES / 17). The
 * rest go back to kmalloc, and all of them when vmap_purge() is called
 * (vm_area_drop_spares): afterwards vmalloc holds no memory but its
 * live areas'. vmap_lock held.
 */
#define VMAP_SPARES_MAX 512

static struct vm_area *spare_pop(void)
{
	struct vm_area *a = spares;

	if (a) {
		spares = a->hash_next;
		nr_spares--;
	}
	return a;
}

static void spare_push(struct vm_area *a)
{
	if (nr_spares >= VMAP_SPARES_MAX) {
		kfree(a);
		return;
	}
	a->hash_next = spares;
	spares = a;
	nr_spares++;
}

/*
 * The space's descriptors are whole vm_areas: a freed area is its node.
 * Not zeroed: the space sets the node's fields, area_alloc the rest.
 * Called by the space with vmap_lock held.
 */
static struct vmap_area *node_alloc(void)
{
	struct vm_area *a = spare_pop();

	if (!a)
		a = kmalloc(sizeof(*a));
	return a ? &a->range : NULL;
}

static void node_free(struct vmap_area *range)
{
	spare_push(area_of(range));
}

void vm_area_drop_spares(void)
{
	struct vm_area *drop;

	spin_lock(&vmap_lock);
	drop = spares;
	spares = NULL;
	nr_spares = 0;
	spin_unlock(&vmap_lock);
	while (drop) {
		struct vm_area *next = drop->hash_next;

		kfree(drop);
		drop = next;
	}
}

bool vm_area_free_at(uintptr_t va)
{
	return vmap_space_hole_at(&space, va) != NULL;
}

void vm_area_give_back(struct vm_area *va)
{
	/* Refused only if the bookkeeping is broken: said, and leaked. */
	vmap_space_give(&space, &va->range);
}

/*
 * Where mapping and unmapping may happen: never in an interrupt
 * handler, and where sleeping is allowed, except while booting (only
 * the boot CPU runs, interrupts off: nothing it could wait for exists).
 */
static noinline void check_context(const char *who)
{
	if (unlikely(in_interrupt()))
		panic("%s from an interrupt handler (it may wait for "
		      "other CPUs)",
		      who);
	if (!system_booting())
		might_sleep();
}

/*
 * check_context() runs only when might_sleep_suspect() finds something
 * (a preempt count, interrupts off): an interrupt handler
 * has a preempt count, so in the common case neither of its checks can
 * fire, and that case costs two tests and no call.
 */
static __always_inline void check_context_fast(const char *who)
{
	if (unlikely(might_sleep_suspect()))
		check_context(who);
}

void vmalloc_check_context(const char *who)
{
	check_context(who);
}

/*
 * May a failing allocation purge (take a mutex, wait for every CPU's
 * answer to a shootdown)? Not while booting, with interrupts off.
 */
static bool may_purge(void)
{
	return !system_booting();
}

/* One place links a busy area in, one unlinks it. vmap_lock held. */
static void busy_link(struct vm_area *va)
{
	va->hash_next = busy_hash[hash_of(va->addr)];
	busy_hash[hash_of(va->addr)] = va;
	stats.busy_areas++;
	stats.busy_pages += va->nr_pages;
}

/* The hash link that holds (or would hold) the busy area at addr. */
static struct vm_area **busy_slot(uintptr_t addr)
{
	struct vm_area **pp = &busy_hash[hash_of(addr)];

	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->hash_next;
	return pp;
}

struct vm_area *vm_area_busy_find(uintptr_t va)
{
	for (unsigned int h = 0; h < VMAP_HASH_SIZE; h++)
		for (struct vm_area *a = busy_hash[h]; a; a = a->hash_next)
			if (va >= a->range.start && va < a->range.end)
				return a;
	return NULL;
}

static void busy_unlink(struct vm_area **slot)
{
	struct vm_area *va = *slot;

	*slot = va->hash_next;
	stats.busy_areas--;
	stats.busy_pages -= va->nr_pages;
}

/*
 * Put one new descriptor on the spare list, for area_alloc to take. On
 * a small machine the lazy areas' own descriptors can be what fills
 * kmalloc (thousands of one-page areas wait for a purge): a purge
 * frees them, so purge once and ask again before giving up.
 * Return: false if there is no memory for one.
 */
static bool spare_add(void)
{
	struct vm_area *a = kmalloc(sizeof(*a));

	if (!a && may_purge()) {
		vmap_purge(); /* every spare, and every lazy area's, kfreed */
		a = kmalloc(sizeof(*a));
	}
	if (!a)
		return false;
	spin_lock(&vmap_lock);
	spare_push(a);
	spin_unlock(&vmap_lock);
	return true;
}

/*
 * Reserve a range for nr_pages mapped pages plus its guard page(s),
 * with a spare descriptor, all under one taking of vmap_lock. With no
 * spare, make one and try again; a failing search purges the lazy
 * ranges once and tries again.
 */
static struct vm_area *area_alloc(unsigned int nr_pages, unsigned int flags,
				  const char *owner)
{
	size_t size = vmap_area_span(nr_pages, flags & VM_GUARD_BELOW);
	bool purged = false;

	if (!nr_pages ||
	    nr_pages > (VMAP_AREA_END - vmalloc_start) >> PAGE_SHIFT)
		return NULL;
	for (;;) {
		struct vm_area *va;
		bool ok;

		spin_lock(&vmap_lock);
		va = spare_pop();
		ok = va && vmap_space_take(&space, size, PAGE_SIZE, &va->range);
		if (ok) {
			va->nr_pages = nr_pages;
			va->flags = flags;
			va->owner = owner;
			va->addr = va->range.start +
				   ((flags & VM_GUARD_BELOW) ? PAGE_SIZE : 0);
			busy_link(va);
		} else if (va) {
			spare_push(va);
		}
		spin_unlock(&vmap_lock);
		if (ok)
			return va;
		if (!va) {
			if (!spare_add())
				return NULL;
			continue;
		}
		if (purged || !may_purge())
			return NULL;
		vmap_purge();
		purged = true;
	}
}

struct vm_area *vm_area_find(struct list_head *head, uintptr_t va)
{
	struct list_head *pos;

	list_for_each(pos, head) {
		struct vm_area *a = list_entry(pos, struct vm_area, list);

		if (va >= a->range.start && va < a->range.end)
			return a;
	}
	return NULL;
}

/*
 * A vmap or vmalloc that fails after mapping the first n pages of its
 * area: unlink the area (still busy and ours, so nobody else can have
 * touched it), clear those entries, freeing their pages for vmalloc,
 * and park the range for the next purge (this CPU may have cached the
 * entries it just wrote).
 */
static noinline void area_abandon(struct vm_area *va, unsigned int n,
				  bool free_pages)
{
	spin_lock(&vmap_lock);
	BUG_ON(*busy_slot(va->addr) != va);
	busy_unlink(busy_slot(va->addr));
	spin_unlock(&vmap_lock);
	if (free_pages)
		vmap_clear_free_pages(va->addr, n);
	else
		vmap_clear_ptes(va->addr, n);
	vmap_free_lazy(va);
}

void *vmap(struct page **pages, unsigned int count, unsigned int prot)
{
	struct vm_area *va;
	unsigned int mapped;

	check_context_fast("vmap");
	va = area_alloc(count, 0, NULL);
	if (!va)
		return NULL;
	mapped = vmap_map_pages(va->addr, pages, count, prot);
	if (unlikely(mapped != count)) {
		WARN(1, "vmap: page %u of %u (%p) is %s; refused", mapped,
		     count, pages[mapped],
		     page_not_owned_reason(pages[mapped]));
		area_abandon(va, mapped, false);
		return NULL;
	}
	trace_event(TR_VMAP, va->addr, count, 0);
	return (void *)va->addr;
}

/* Why vunmap or vfree refuses an address (busy_take, refuse_free). */
enum free_refusal {
	FREE_OUTSIDE,	 /* not in the vmalloc area */
	FREE_DOUBLE,	 /* the start of an area already freed */
	FREE_UNKNOWN,	 /* not the start of any area we know */
	FREE_WRONG_KIND, /* a vmalloc area to vunmap, or a vmap one to vfree */
};

/*
 * vunmap and vfree: unlink the busy area handed out at a if it is of
 * the kind the caller frees (VM_ALLOC or not). vmap_lock held.
 * Return: the area; or NULL, with *why, and nothing changed.
 */
static __always_inline struct vm_area *busy_take(uintptr_t a, bool want_alloc,
						 enum free_refusal *why)
{
	struct vm_area **slot = busy_slot(a), *va = *slot;

	if (!va) {
		*why = vmap_lazy_find(a) ? FREE_DOUBLE : FREE_UNKNOWN;
		return NULL;
	}
	if (!(va->flags & VM_ALLOC) != !want_alloc) {
		*why = FREE_WRONG_KIND;
		return NULL;
	}
	busy_unlink(slot);
	return va;
}

/* Say precisely what is wrong with the address a caller freed. */
static noinline void refuse_free(const char *who, uintptr_t a, bool want_alloc,
				 enum free_refusal why)
{
	if (why == FREE_OUTSIDE)
		WARN(1,
		     "%s: %08lx is not in the vmalloc area (%08lx-%08lx); "
		     "refused",
		     who, (unsigned long)a, (unsigned long)vmalloc_start,
		     (unsigned long)VMAP_AREA_END);
	else if (why == FREE_WRONG_KIND)
		WARN(1, "%s: %08lx was made by %s; use %s (refused)", who,
		     (unsigned long)a, want_alloc ? "vmap" : "vmalloc",
		     want_alloc ? "vunmap" : "vfree");
	else
		WARN(1, "%s: %08lx is not the start of a %s area (%s); refused",
		     who, (unsigned long)a, want_alloc ? "vmalloc" : "vmap",
		     why == FREE_DOUBLE
			     ? "double free: it was already freed"
			     : "never allocated, or freed and purged");
}

/*
 * busy_take() under a taking of vmap_lock of its own, and a refusal
 * reported: the area stays as it was.
 */
static struct vm_area *lookup_for_free(const void *addr, const char *who,
				       bool want_alloc)
{
	enum free_refusal why = FREE_OUTSIDE;
	uintptr_t a = (uintptr_t)addr;
	struct vm_area *va = NULL;

	if (in_vmalloc_area(a)) {
		spin_lock(&vmap_lock);
		va = busy_take(a, want_alloc, &why);
		spin_unlock(&vmap_lock);
	}
	if (!va)
		refuse_free(who, a, want_alloc, why);
	return va;
}

/*
 * The area comes out of the busy hash, has its entries cleared and goes
 * on the lazy list in one taking of vmap_lock: clearing is two stores
 * a page, short enough to do under the lock, and it saves taking the
 * lock twice. A purge that takes the area from the lazy list finds its
 * entries clear; once it is there, it is no longer ours to read (a
 * purge on another CPU may give it back), so what the trace needs is
 * read before.
 */
void vunmap(const void *addr)
{
	enum free_refusal why = FREE_OUTSIDE;
	uintptr_t a = (uintptr_t)addr;
	unsigned int nr_pages = 0;
	bool purge = false;

	check_context_fast("vunmap");
	if (likely(in_vmalloc_area(a))) {
		struct vm_area *va;

		spin_lock(&vmap_lock);
		va = busy_take(a, false, &why);
		if (va) {
			nr_pages = va->nr_pages;
			vmap_clear_ptes(a, nr_pages);
			purge = vmap_lazy_add(va);
		}
		spin_unlock(&vmap_lock);
	}
	if (!nr_pages) {
		refuse_free("vunmap", a, false, why);
		return;
	}
	trace_event(TR_VUNMAP, a, nr_pages, 0);
	if (purge)
		vmap_purge_due();
}

static void *do_vmalloc(size_t size, unsigned int flags, const char *owner)
{
	unsigned int n = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;
	struct vm_area *va;
	unsigned int got;

	check_context_fast("vmalloc");
	if (!size || size > VMAP_AREA_END - vmalloc_start)
		return NULL;
	va = area_alloc(n, flags | VM_ALLOC, owner);
	if (!va)
		return NULL;
	got = vmalloc_map_new_pages(va->addr, n);
	if (got != n) {
		area_abandon(va, got, true);
		return NULL;
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
	struct vm_area *va;

	if (!addr)
		return;
	check_context_fast("vfree");
	va = lookup_for_free(addr, "vfree", true);
	if (!va)
		return;
	vmap_clear_free_pages(va->addr, va->nr_pages);
	vmap_free_lazy(va);
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

struct vmap_stats vmap_get_stats(void)
{
	struct vmap_stats s;

	spin_lock(&vmap_lock);
	s = stats;
	s.free_ranges = space.nr_holes;
	vmap_lazy_stats(&s);
	spin_unlock(&vmap_lock);
	return s;
}

void vmalloc_init(void)
{
	space.node_alloc = node_alloc;
	space.node_free = node_free;
	if (!vmap_space_init(&space, vmalloc_start, VMAP_AREA_END))
		panic("vmalloc: no memory for the area's first descriptor");
	pr_info("vmalloc: %08lx-%08lx (%lu MiB), a guard page after every "
		"area, lazy purge above %u pages (%u KiB)\n",
		(unsigned long)vmalloc_start, (unsigned long)VMAP_AREA_END - 1,
		(unsigned long)(VMAP_AREA_END - vmalloc_start) >> 20,
		VMAP_LAZY_MAX_PAGES, VMAP_LAZY_MAX_PAGES * (PAGE_SIZE >> 10));
}
