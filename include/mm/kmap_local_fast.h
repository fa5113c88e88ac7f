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

/* kmap.debug=1 and kmap.force_map=1 (mm/kmap_local.c); set at boot. */
extern bool kmap_debug;
extern bool kmap_force_map;

/*
 * Counting is one instruction on this CPU's struct percpu: an interrupt
 * cannot split it, and no other CPU writes there, so neither a lock
 * prefix nor a per-CPU index computation is needed.
 */
#define kmap_count(field) this_cpu_inc(kmap.field)

/*
 * Map (cpu, idx) takes the fixmap slot `off` pages below the first kmap
 * slot (the fixmap grows down): off = n, or 2n + 1 under kmap.debug.
 */
static __always_inline unsigned int kmap_slot_off(unsigned int cpu, int idx)
{
	unsigned int n = cpu * KM_MAX_IDX + idx;

	return unlikely(kmap_debug) ? 2 * n + 1 : n;
}

static __always_inline uintptr_t kmap_slot_va(unsigned int cpu, int idx)
{
	return fix_to_virt(FIX_KMAP_BEGIN + kmap_slot_off(cpu, idx));
}

/* The kmap range, lowest address first (the fixmap grows down). */
#define KMAP_RANGE_START fix_to_virt(FIX_KMAP_END)
#define KMAP_RANGE_END	 (fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE)

/* The slow paths (mm/kmap_local.c): each reports by name, then copes. */
void *kmap_local_refuse(struct task *t, int idx);
void *kmap_local_refuse_free(struct page *page);
void *kmap_local_stale(struct task *t, int idx, pte_t pte);
void kmap_local_unmap_slow(const void *addr, const char *who);

/* The fast path of a map: push, check, save, one PTE write (no flush, I2). */
static __always_inline void *kmap_local_map(struct page *page)
{
	struct task *t = current_task();
	int idx = t->kmap_ctrl.idx;
	pte_t pte, *ptep;
	uintptr_t va;

	if (unlikely(idx >= KM_MAX_IDX))
		return kmap_local_refuse(t, idx);
	migrate_disable();
	t->kmap_ctrl.idx = idx + 1;
	barrier(); /* push, then check */
	pte = arch_make_kernel_rw_pte(page_to_phys(page));
	/* smp_processor_id() is stable now: we cannot migrate. */
	va = kmap_slot_va(smp_processor_id(), idx);
	ptep = arch_fixmap_pte(va);
	/*
	 * Check before saving: pteval[idx] is still 0, so a switch away
	 * and back in here leaves the slot empty (the switch clears it and
	 * restores nothing). After the save it would restore our entry,
	 * and this check would report our own map as stale.
	 */
	if (unlikely(arch_pte_mapped(ptep)))
		return kmap_local_stale(t, idx, pte);
	barrier(); /* check, then save */
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
	return (void *)va;
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
	arch_pte_clear(arch_fixmap_pte(va));
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
	migrate_enable();
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
	if (unlikely(top < 0 || va != kmap_slot_va(smp_processor_id(), top))) {
		kmap_local_unmap_slow(addr, who);
		return;
	}
	/* Clear before the pop (see the top of mm/kmap_local.c). */
	kmap_slot_clear(t, top, va);
	kmap_count(local_unmaps);
	trace_event(TR_KMAP_LOCAL_UNMAP, top, 0, 0);
	kmap_local_pop(t, top);
}

static __always_inline void *kmap_atomic_fast(struct page *page)
{
	preempt_disable();
	trace_event(TR_PREEMPT_OFF, preempt_count(), 0, 0);
	pagefault_disable();
	kmap_count(atomic_maps);
	trace_event(TR_KMAP_ATOMIC_MAP, page_to_pfn(page), 0, 0);
	return kmap_local_page_fast(page);
}

static __always_inline void kunmap_atomic_fast(const void *addr)
{
	kmap_local_unmap(addr, "kunmap_atomic");
	kmap_count(atomic_unmaps);
	trace_event(TR_KMAP_ATOMIC_UNMAP, (uintptr_t)addr, 0, 0);
	pagefault_enable();
	trace_event(TR_PREEMPT_ON, preempt_count(), 0, 0);
	preempt_enable();
}

#endif
