/*
 * The per-task state of kmap_local_page() and kmap_atomic(), kept in
 * its own small header because struct task (include/kernel/task.h)
 * embeds it and must not pull in the whole mapping API.
 *
 * Each task owns a stack of up to KM_MAX_IDX local mappings. The stack
 * lives in the task, not in the CPU, so a preempted task keeps its maps:
 * the context switch takes them out of the CPU's slots and puts them
 * back when the task runs again (mm/kmap_local.c explains how).
 */
#ifndef MM_KMAP_TYPES_H
#define MM_KMAP_TYPES_H

#include <arch/mmu.h>

/*
 * How deep local mappings may nest, per task. Interrupts map on top of
 * the interrupted task's stack, so this covers the task's own nesting
 * plus whatever its interrupt handlers nest on top of it.
 */
#define KM_MAX_IDX 16

struct kmap_ctrl {
	/*
	 * Number of slots in use: slots 0 .. idx-1 belong to this task.
	 * Changed by the task and by interrupt handlers that run on top
	 * of it; an interrupt always pops what it pushed before it
	 * returns, so the task never sees idx change under it.
	 */
	int idx;
	/*
	 * The page-table entry of each slot in use (0 for a slot that is
	 * being set up or was unmapped out of order). The context switch
	 * writes these back into this CPU's slots.
	 */
	pte_t pteval[KM_MAX_IDX];
	/*
	 * Bit i set: slot i was unmapped out of order and waits for the
	 * slots above it to go, so the stack can pop past it. A separate
	 * mask, not a zero pteval, because a zero pteval also marks a
	 * slot whose map is still being set up, which must not be popped.
	 */
	uint32_t holes;
};

_Static_assert(KM_MAX_IDX <= 32, "kmap_ctrl.holes is one 32-bit word");

/*
 * The counters of kmap_local_page() and kmap_atomic(). Each CPU keeps
 * its own in its struct percpu (so counting is one instruction on the
 * hot path: include/kernel/percpu.h); kmap_stats() sums them. Every
 * field only grows.
 */
struct kmap_stats {
	unsigned long local_maps;   /* slots taken (local and atomic) */
	unsigned long local_unmaps; /* slots given back */
	unsigned long direct_maps;  /* lowmem: direct-map address given */
	unsigned long direct_unmaps;
	unsigned long atomic_maps; /* kmap_atomic calls, any page */
	unsigned long atomic_unmaps;
	unsigned long switch_saves;    /* switches out with live slots */
	unsigned long switch_restores; /* switches in with live slots */
	unsigned long refused;	       /* nesting past KM_MAX_IDX */
	unsigned long bad_unmaps;      /* empty stack, not a live map */
	unsigned long out_of_order;    /* unmaps not naming the top */
	unsigned long stale_slots;     /* a slot found mapped when taken */
};

/*
 * One CPU's kmap_local slots, in stack order: slot i's address and its
 * page-table entry. The layout (mm/kmap_local.c: where map (cpu, i)
 * sits, with or without kmap.debug's guard pages) is worked out once
 * by kmap_local_init(); the fast paths only look it up.
 */
struct kmap_slots {
	uintptr_t va[KM_MAX_IDX];
	pte_t *pte[KM_MAX_IDX];
};

#endif
