/*
 * The inline fast paths of kmap_local_page(), kunmap_local(),
 * kmap_atomic() and kunmap_atomic() (include/mm/highmem.h has their
 * contract). They are inline so that the common case, a highmem page
 * mapped and unmapped in order, costs no call: push, check, save, one
 * PTE write; forget, clear, invlpg, pop. Everything else, every report
 * by name included, is out of line in mm/kmap_local.c, which also
 * states the invariants (I1-I3) and why the steps come in this order.
 * Not for direct use: include <mm/highmem.h>.
 */
#ifndef MM_KMAP_LOCAL_FAST_H
#define MM_KMAP_LOCAL_FAST_H

#include <arch/pte.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/trace.h>
#include <mm/fault.h>
#include <mm/fixmap.h>
#include <mm/page.h>

/* kmap.force_map=1 (mm/kmap_local.c); set at boot. */
extern bool kmap_force_map;

/*
 * Counting is one instruction on this CPU's struct percpu: an interrupt
 * cannot split it, and no other CPU writes there, so neither a lock
 * prefix nor a per-CPU index computation is needed.
 */
#define kmap_count(field) this_cpu_inc(kmap.field)

/*
 * This CPU's slot idx: its address and its page-table entry, each one
 * load from the table kmap_local_init() filled (struct kmap_slots), so
 * neither the CPU number nor kmap.debug's layout is worked out on the
 * fast path. The caller must be pinned (migration disabled, or holding
 * a map, I3), or the table could be another CPU's by the time it is
 * used.
 */
static __always_inline uintptr_t kmap_this_cpu_slot_va(int idx)
{
	return this_cpu_read_elem(kmap_slots.va, idx);
}

static __always_inline pte_t *kmap_this_cpu_slot_pte(int idx)
{
	return this_cpu_read_elem(kmap_slots.pte, idx);
}

/* The kmap range, lowest address first (the fixmap grows down). */
#define KMAP_RANGE_START fix_to_virt(FIX_KMAP_END)
#define KMAP_RANGE_END	 (fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE)

/* The slow paths (mm/kmap_local.c): each reports by name, then copes. */
void *kmap_local_refuse(struct task *t, int idx);
void *kmap_local_refuse_free(struct page *page);
void *kmap_local_stale(struct task *t, int idx, struct page *page);
void kmap_local_unmap_slow(const void *addr, const char *who);

/* The fast path of a map: push, check, save, one PTE write (no flush, I2). */
static __always_inline void *kmap_local_map(struct page *page)
{
	struct task *t = current_task();
	int idx = t->kmap_ctrl.idx;
	pte_t pte, *ptep;

	if (unlikely(idx >= KM_MAX_IDX))
		return kmap_local_refuse(t, idx);
	migrate_disable_self(t);
	t->kmap_ctrl.idx = idx + 1;
	barrier(); /* push, then check */
	/* This CPU's slots are ours to use now: we cannot migrate. */
	ptep = kmap_this_cpu_slot_pte(idx);
	/*
	 * Check before saving: pteval[idx] is still 0, so a switch away
	 * and back in here leaves the slot empty (the switch clears it and
	 * restores nothing). After the save it would restore our entry,
	 * and this check would report our own map as stale.
	 */
	if (unlikely(arch_pte_mapped(ptep)))
		return kmap_local_stale(t, idx, page);
	barrier(); /* check, then save */
	pte = arch_make_kernel_rw_pte(page_to_phys(page));
	t->kmap_ctrl.pteval[idx] = pte;
	/*
	 * The install is a compiler barrier: the save goes first. A switch
	 * between the two has restored this very value into the slot, so
	 * the install then writes an entry over itself, which no page walk
	 * can see half-done.
	 */
	arch_pte_install(ptep, pte);
	kmap_count(local_maps);
	trace_event(TR_KMAP_LOCAL_MAP, idx, page_to_pfn(page), 0);
	/* Looked up last, so it need not be kept alive in the meantime. */
	return (void *)kmap_this_cpu_slot_va(idx);
}

/* A free page is refused; a lowmem one needs no slot. */
static __always_inline void *kmap_local_page_fast(struct page *page)
{
	uint32_t flags = READ_ONCE(page->flags);

	if (unlikely(flags & PG_unowned))
		return kmap_local_refuse_free(page);
	if (!(flags & PG_highmem) && !kmap_force_map) {
		kmap_count(direct_maps);
		return lowmem_page_address(page);
	}
	return kmap_local_map(page);
}

/* Empty slot idx (at va) of task t on this CPU: forget, clear, flush (I2). */
static __always_inline void kmap_slot_clear(struct task *t, int idx,
					    uintptr_t va)
{
	t->kmap_ctrl.pteval[idx] = 0;
	barrier();
	arch_pte_clear(kmap_this_cpu_slot_pte(idx));
	arch_fixmap_flush_local(va);
}

/* Pop slot top, and any holes left below it by out-of-order unmaps. */
static __always_inline void kmap_local_pop(struct task *t, int top)
{
	if (unlikely(t->kmap_ctrl.holes)) {
		while (top > 0 && (t->kmap_ctrl.holes & (1u << (top - 1)))) {
			t->kmap_ctrl.holes &= ~(1u << (top - 1));
			top--;
		}
	}
	barrier();
	t->kmap_ctrl.idx = top;
	migrate_enable_self(t);
}

/*
 * The fast path of an unmap: a lowmem address is one compare away from
 * done; a slot address must be exactly this task's top slot on this
 * CPU, and anything else (NULL included) goes to the slow path to be
 * judged.
 */
static __always_inline void kmap_local_unmap(const void *addr, const char *who)
{
	uintptr_t va = (uintptr_t)addr & PAGE_MASK;
	struct task *t;
	int top;

	if (va < KMAP_RANGE_START) {
		if (likely(va >= PAGE_OFFSET && va < high_memory)) {
			kmap_count(direct_unmaps);
			return; /* lowmem: no slot was taken */
		}
		kmap_local_unmap_slow(addr, who);
		return;
	}
	t = current_task();
	top = t->kmap_ctrl.idx - 1;
	/* A task holding a map is pinned (I3): this CPU's table is its. */
	if (unlikely(top < 0 || va != kmap_this_cpu_slot_va(top))) {
		kmap_local_unmap_slow(addr, who);
		return;
	}
	/* Clear before the pop (see the top of mm/kmap_local.c). */
	kmap_slot_clear(t, top, va);
	kmap_count(local_unmaps);
	trace_event(TR_KMAP_LOCAL_UNMAP, top, 0, 0);
	kmap_local_pop(t, top);
}

/*
 * kmap_atomic's own events on each side share one test of trace_on:
 * with tracing off the pair costs one predicted branch, not two. The
 * recording, in the order the steps happen, is out of line.
 */
#define KMAP_ATOMIC_MAP_EVENTS \
	((1u << TR_PREEMPT_OFF) | (1u << TR_KMAP_ATOMIC_MAP))
#define KMAP_ATOMIC_UNMAP_EVENTS \
	((1u << TR_KMAP_ATOMIC_UNMAP) | (1u << TR_PREEMPT_ON))
void kmap_atomic_trace_map(struct page *page);
void kmap_atomic_trace_unmap(const void *addr);

static __always_inline void *kmap_atomic_fast(struct page *page)
{
	preempt_disable();
	pagefault_disable();
	kmap_count(atomic_maps);
	if (unlikely(READ_ONCE(trace_on) & KMAP_ATOMIC_MAP_EVENTS))
		kmap_atomic_trace_map(page);
	return kmap_local_page_fast(page);
}

static __always_inline void kunmap_atomic_fast(const void *addr)
{
	kmap_local_unmap(addr, "kunmap_atomic");
	kmap_count(atomic_unmaps);
	pagefault_enable();
	if (unlikely(READ_ONCE(trace_on) & KMAP_ATOMIC_UNMAP_EVENTS))
		kmap_atomic_trace_unmap(addr);
	preempt_enable();
}

#endif
