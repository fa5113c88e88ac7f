/*
 * kmap_local_page and kmap_atomic: short mappings of one page into a
 * per-CPU fixmap slot, stacked per task (include/mm/highmem.h).
 *
 * Who owns what. Each CPU owns KM_MAX_IDX fixmap slots; no other CPU
 * ever touches them, so setting one is a plain PTE write and freeing
 * one needs only this CPU's invlpg, never a shootdown. Each task owns a
 * stack (struct kmap_ctrl in struct task): its depth idx and the PTE
 * value of each slot it holds. The stack is the truth; the CPU's slots
 * are a copy of the running task's stack, which the context switch
 * keeps true (kmap_local_switch).
 *
 * Invariants, checked where they can break:
 *   I1. On a CPU, slot i is mapped only while the running task (or an
 *       interrupt on top of it) holds i: i < idx. A map finds its slot
 *       empty (warned and counted as stale_slots otherwise).
 *   I2. An empty slot is not in this CPU's TLB: whoever empties a slot
 *       invlpgs it, so a map needs no flush, only one PTE write.
 *   I3. A task with idx > 0 has migration disabled, so the CPU whose
 *       slots hold its maps is the one it runs on.
 *
 * The order of the steps is what makes preemption and interrupts safe
 * without turning either off:
 *   map:    push idx, then check the slot is empty, then save the PTE
 *           value, then write the PTE. An interrupt after the push maps
 *           above us; a switch after the save restores the slot (after,
 *           not before: a switch between writing the PTE and saving it
 *           would lose the map). The check comes before the save: once
 *           the value is saved, a switch away and back puts our own
 *           entry in the slot, and a check then would call it stale.
 *   unmap:  forget the saved value, then clear the PTE, invlpg, and
 *           pop last. Popping first would let an interrupt take the
 *           slot while it is still mapped.
 * The switch clears every slot below prev's idx, whether or not its
 * saved value is set, so an unmap caught halfway still leaves the slot
 * empty for the next task.
 *
 * Slot layout in the FIX_KMAP_BEGIN..FIX_KMAP_END range (256 slots): map
 * number n = cpu * KM_MAX_IDX + idx takes fixmap slot
 *   FIX_KMAP_BEGIN + n            normally (128 slots used), or
 *   FIX_KMAP_BEGIN + 2 * n + 1    with kmap.debug=1,
 * leaving FIX_KMAP_BEGIN + 2 * n unmapped as a guard page. The fixmap
 * grows down, so slot 2n+1 sits just below guard 2n and just above
 * guard 2n+2: running off either end of a mapped page faults, and the
 * fault report names the slot (kmap_local_describe). kmap_slot_va()
 * says this once; kmap_local_init() writes what it says for each CPU
 * into that CPU's struct kmap_slots, where the fast paths look it up.
 */
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/pte.h>
#include <kernel/breaks.h>
#include <kernel/cmdline.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/trace.h>
#include <lib/string.h>
#include <mm/fault.h>
#include <mm/fixmap.h>
#include <mm/highmem.h>

_Static_assert(2 * NR_CPUS * KM_MAX_IDX <= FIX_KMAP_PAGES,
	       "kmap.debug needs two fixmap slots per map and CPU");

static bool kmap_debug;
bool kmap_force_map;

static bool set_kmap_debug(const char *val)
{
	return param_bool01(val, &kmap_debug);
}
DEFINE_PARAM("kmap.debug", set_kmap_debug, "0 or 1");

static bool set_force_map(const char *val)
{
	return param_bool01(val, &kmap_force_map);
}
DEFINE_PARAM("kmap.force_map", set_force_map, "0 or 1");

bool kmap_debug_enabled(void)
{
	return kmap_debug;
}

bool kmap_force_map_enabled(void)
{
	return kmap_force_map;
}

/*
 * Map (cpu, idx) takes the fixmap slot `off` pages below the first kmap
 * slot (the fixmap grows down): off = n, or 2n + 1 under kmap.debug.
 */
static uintptr_t kmap_slot_va(unsigned int cpu, int idx)
{
	unsigned int n = cpu * KM_MAX_IDX + idx;

	return fix_to_virt(FIX_KMAP_BEGIN + (kmap_debug ? 2 * n + 1 : n));
}

/*
 * Computed from the layout, not read from the tables, so a test that
 * compares a map's address with this one checks the tables too.
 */
uintptr_t kmap_local_slot_address(unsigned int cpu, int idx)
{
	return kmap_slot_va(cpu, idx);
}

/*
 * Boot CPU, once the command line (kmap.debug) is read and before the
 * first local map: write every CPU's slot table.
 */
void kmap_local_init(void)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct kmap_slots *slots = &percpu_areas[cpu].kmap_slots;

		for (int idx = 0; idx < KM_MAX_IDX; idx++) {
			slots->va[idx] = kmap_slot_va(cpu, idx);
			slots->pte[idx] = arch_fixmap_pte(slots->va[idx]);
		}
	}
}

static bool in_kmap_range(uintptr_t va)
{
	return va >= KMAP_RANGE_START && va < KMAP_RANGE_END;
}

/*
 * Which map (cpu, idx) the kmap-range address va is. Return: false for
 * a kmap.debug guard page, or a slot past the last CPU's.
 */
static bool kmap_slot_decode(uintptr_t va, unsigned int *cpu, int *idx)
{
	unsigned int off = virt_to_fix(va) - FIX_KMAP_BEGIN;

	if (kmap_debug) {
		if (!(off & 1))
			return false;
		off /= 2;
	}
	if (off >= NR_CPUS * KM_MAX_IDX)
		return false;
	*cpu = off / KM_MAX_IDX;
	*idx = off % KM_MAX_IDX;
	return true;
}

/*
 * The slow paths of a map, out of line so the fast path stays short:
 * each reports what went wrong by name, then does the safe thing.
 */
noinline void *kmap_local_refuse(struct task *t, int idx)
{
	unsigned int cpu;

	/*
	 * Pin first, then ask which CPU: the message names slots of the
	 * CPU the task's maps live on, and only a pinned task's CPU number
	 * stays true while the message is built. (A task this deep already
	 * holds maps and so is pinned by them, I3; this pin makes the
	 * message right on its own, without leaning on that.)
	 */
	migrate_disable();
	cpu = smp_processor_id();
	kmap_count(refused);
	WARN(1,
	     "kmap_local: nesting deeper than KM_MAX_IDX (%d) in "
	     "thread %s on CPU %u: the top map is at %08lx, and the "
	     "next slot, %08lx, is not this CPU's (refused, returning "
	     "NULL)",
	     KM_MAX_IDX, t->name, cpu,
	     (unsigned long)kmap_slot_va(cpu, idx - 1),
	     (unsigned long)kmap_slot_va(cpu, idx));
	migrate_enable();
	return NULL;
}

/* A page nobody owns: mapping it would let writes reach its next owner. */
noinline void *kmap_local_refuse_free(struct page *page)
{
	kmap_count(refused);
	WARN(1,
	     "kmap_local: pfn %#lx is a free page (freed, or never "
	     "allocated) in thread %s (refused, returning NULL)",
	     (unsigned long)page_to_pfn(page), current_task_name());
	return NULL;
}

/*
 * I1 broken: someone left the slot mapped. Say so, and take it anyway.
 * Takes only what the fast path already has in registers (the rest is
 * worked out here), so the fast path need not keep it alive. The PTE
 * value is not saved yet (see the top of the file): save it here.
 */
noinline void *kmap_local_stale(struct task *t, int idx, struct page *page)
{
	unsigned int cpu = smp_processor_id();
	uintptr_t va = kmap_this_cpu_slot_va(idx);
	pte_t *ptep = kmap_this_cpu_slot_pte(idx);
	pte_t pte = arch_make_kernel_rw_pte(page_to_phys(page));

	kmap_count(stale_slots);
	WARN(1,
	     "kmap_local: slot %08lx (CPU %u, index %d) was still "
	     "mapped (phys %#llx) when thread %s took it",
	     (unsigned long)va, cpu, idx,
	     (unsigned long long)arch_pte_phys(arch_pte_read(ptep)), t->name);
	t->kmap_ctrl.pteval[idx] = pte;
	barrier();		     /* save, then write */
	arch_pte_replace(ptep, pte); /* the slot is present: replace */
	arch_fixmap_flush_local(va);
	kmap_count(local_maps);
	trace_event(TR_KMAP_LOCAL_MAP, idx, arch_pte_phys(pte) >> PAGE_SHIFT,
		    0);
	return (void *)va;
}

/* The events of kmap_atomic_fast, once one of them is chosen. */
noinline void kmap_atomic_trace_map(struct page *page)
{
	trace_event(TR_PREEMPT_OFF, preempt_count(), 0, 0);
	trace_event(TR_KMAP_ATOMIC_MAP, page_to_pfn(page), 0, 0);
}

/* The events of kunmap_atomic_fast: preemption is still off here. */
noinline void kmap_atomic_trace_unmap(const void *addr)
{
	trace_event(TR_KMAP_ATOMIC_UNMAP, (uintptr_t)addr, 0, 0);
	trace_event(TR_PREEMPT_ON, preempt_count(), 0, 0);
}

bool kmap_local_holds_page(const struct page *page)
{
	const struct task *t = current_task();
	phys_addr_t phys = page_to_phys(page);

	if (!t)
		return false;
	for (int idx = 0; idx < t->kmap_ctrl.idx; idx++) {
		pte_t pte = t->kmap_ctrl.pteval[idx];

		if (pte && arch_pte_phys(pte) == phys)
			return true;
	}
	return false;
}

/*
 * Everything but the common case: NULL, a bad address, an empty stack,
 * an unmap out of order. Out of line; each case is reported by name.
 * The fast path (kmap_local_unmap) has already let a lowmem address go.
 */
noinline void kmap_local_unmap_slow(const void *addr, const char *who)
{
	uintptr_t va = (uintptr_t)addr & PAGE_MASK;
	struct task *t = current_task();
	unsigned int cpu = smp_processor_id(), scpu;
	int top = t->kmap_ctrl.idx - 1, idx;
	uintptr_t top_va;

	if (!addr)
		return; /* a refused map: nothing was taken */
	if (!in_kmap_range(va)) {
		kmap_count(bad_unmaps);
		WARN(1,
		     "%s(%08lx) in thread %s: not an address kmap_local_page "
		     "or kmap_atomic returns (it is in %s)",
		     who, (unsigned long)addr, t->name,
		     layout_region_describe(va));
		return;
	}
	if (top < 0) {
		kmap_count(bad_unmaps);
		WARN(1,
		     "%s(%08lx) in thread %s on CPU %u: the thread holds no "
		     "local map (popping an empty stack; ignored)",
		     who, (unsigned long)addr, t->name, cpu);
		return;
	}
	top_va = kmap_slot_va(cpu, top);
	if (!kmap_slot_decode(va, &scpu, &idx) || scpu != cpu || idx > top ||
	    (t->kmap_ctrl.holes & (1u << idx))) {
		kmap_count(bad_unmaps);
		WARN(1,
		     "%s(%08lx) in thread %s on CPU %u: not one of the "
		     "thread's live maps; the top map is %08lx (ignored)",
		     who, (unsigned long)addr, t->name, cpu,
		     (unsigned long)top_va);
		return;
	}
	kmap_slot_clear(t, idx, va);
	kmap_count(local_unmaps);
	trace_event(TR_KMAP_LOCAL_UNMAP, idx, 0, 0);
	if (idx == top) {
		kmap_local_pop(t, top);
		return;
	}
	/*
	 * Out of order. The caller is done with this page, so unmap it
	 * now; the slots above stay as they are, and this one becomes a
	 * hole the stack pops past later.
	 */
	kmap_count(out_of_order);
	WARN(1,
	     "%s(%08lx) out of order in thread %s on CPU %u: the top map "
	     "is %08lx; unmapped it, leaving a hole at index %d",
	     who, (unsigned long)va, t->name, cpu, (unsigned long)top_va, idx);
	t->kmap_ctrl.holes |= 1u << idx;
	migrate_enable();
}

void kmap_local_switch(struct task *prev, struct task *next)
{
	/*
	 * break=kmap_local_switch: skip the save/restore, so two tasks on
	 * one CPU trample each other's slots and the test that proves the
	 * switch does its job fails.
	 */
	if (unlikely(break_enabled(BREAK_KMAP_LOCAL_SWITCH)))
		return;
	if (prev->kmap_ctrl.idx) {
		for (int i = 0; i < prev->kmap_ctrl.idx; i++) {
			arch_pte_clear(kmap_this_cpu_slot_pte(i));
			arch_fixmap_flush_local(kmap_this_cpu_slot_va(i));
		}
		kmap_count(switch_saves);
		trace_event(TR_KMAP_LOCAL_SAVE, prev->kmap_ctrl.idx, 0, 0);
	}
	if (next->kmap_ctrl.idx) {
		/* I3: only a pinned task can come back with maps. */
		BUG_ON(next->migrate_disable <= 0);
		for (int i = 0; i < next->kmap_ctrl.idx; i++) {
			pte_t pte = next->kmap_ctrl.pteval[i];

			/* 0: being set up, or a hole; nothing to put back. */
			if (pte)
				arch_pte_install(kmap_this_cpu_slot_pte(i),
						 pte);
		}
		kmap_count(switch_restores);
		trace_event(TR_KMAP_LOCAL_RESTORE, next->kmap_ctrl.idx, 0, 0);
	}
}

void kmap_stats(struct kmap_stats *out)
{
	enum {
		N = sizeof(*out) / sizeof(unsigned long)
	};
	unsigned long *sum = (unsigned long *)out;

	memset(out, 0, sizeof(*out));
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		const unsigned long *c =
			(const unsigned long *)&percpu_areas[cpu].kmap;

		for (unsigned int i = 0; i < N; i++)
			sum[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
	}
}

void kmap_stats_print(const char *label)
{
	struct kmap_stats s;
	struct pkmap_stats p;

	kmap_stats(&s);
	pkmap_get_stats(&p);
	pr_info("kmap_stats %s: local maps %lu unmaps %lu, direct %lu/%lu, "
		"atomic %lu/%lu, switches saved %lu restored %lu, refused "
		"%lu, bad unmaps %lu, out of order %lu, stale %lu\n",
		label, s.local_maps, s.local_unmaps, s.direct_maps,
		s.direct_unmaps, s.atomic_maps, s.atomic_unmaps, s.switch_saves,
		s.switch_restores, s.refused, s.bad_unmaps, s.out_of_order,
		s.stale_slots);
	pr_info("kmap_stats %s: pkmap maps %lu (hits %lu) unmaps %lu, wraps "
		"%lu, shootdowns %lu, waits %lu, bad unmaps %lu\n",
		label, p.maps, p.hits, p.unmaps, p.wraps, p.shootdowns, p.waits,
		p.bad_unmaps);
}

/* One line about map (cpu, idx): what it maps now, and for whom. */
static void describe_slot(const char *what, unsigned int cpu, int idx)
{
	uintptr_t va = kmap_slot_va(cpu, idx);
	pte_t pte = arch_pte_read(arch_fixmap_pte(va));
	struct task *t = READ_ONCE(percpu_areas[cpu].current);

	if (!arch_pte_present(pte)) {
		printk(KERN_EMERG "kmap: %s: slot %08lx (CPU %u, index %d) is "
				  "not mapped\n",
		       what, (unsigned long)va, cpu, idx);
		return;
	}
	printk(KERN_EMERG "kmap: %s: slot %08lx (CPU %u, index %d) maps page "
			  "pfn %#llx (phys %#llx) for thread %s\n",
	       what, (unsigned long)va, cpu, idx,
	       (unsigned long long)(arch_pte_phys(pte) >> PAGE_SHIFT),
	       (unsigned long long)arch_pte_phys(pte), t ? t->name : "?");
}

void kmap_local_describe(uintptr_t va)
{
	unsigned int cpu, n;
	int idx;

	if (!in_kmap_range(va))
		return;
	if (kmap_slot_decode(va, &cpu, &idx)) {
		describe_slot("fault in a kmap_local slot", cpu, idx);
		return;
	}
	n = (virt_to_fix(va) - FIX_KMAP_BEGIN) / 2;
	if (!kmap_debug || n >= NR_CPUS * KM_MAX_IDX) {
		printk(KERN_EMERG "kmap: %08lx is in the kmap slot range but "
				  "past the last CPU's slots\n",
		       (unsigned long)va);
		return;
	}
	/* Guard n sits just above map n and just below map n - 1. */
	printk(KERN_EMERG "kmap: %08lx is a kmap.debug guard page: an access "
			  "ran off a mapped page\n",
	       (unsigned long)va);
	describe_slot("overrun past the end of", n / KM_MAX_IDX,
		      n % KM_MAX_IDX);
	if (n > 0)
		describe_slot("or underrun before the start of",
			      (n - 1) / KM_MAX_IDX, (n - 1) % KM_MAX_IDX);
}

int kmap_local_depth(void)
{
	struct task *t = current_task();

	return t ? READ_ONCE(t->kmap_ctrl.idx) : 0;
}
