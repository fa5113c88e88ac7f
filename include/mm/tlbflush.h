/*
 * TLB maintenance for kernel mappings, on this CPU and on all of them.
 *
 * Every CPU caches translations in its TLB, and changing a page-table
 * entry does not touch those caches. A mapping that is *added* needs no
 * flush (no CPU can have cached a translation that did not exist: a
 * not-present entry is never cached). A mapping that is *removed or
 * changed* must be flushed from every CPU that may have used it before
 * the virtual address or the page is reused: that is a shootdown.
 *
 * A shootdown: the sender flushes its own TLB, then sends the TLB-flush
 * IPI to every other online CPU and spins until each has flushed and
 * acknowledged. Ranges longer than TLB_FLUSH_CEILING_PAGES become full
 * flushes (one full flush is cheaper than that many single-page ones).
 *
 * The deadlock rule. A CPU that spins with interrupts off cannot take
 * the IPI, so it can never acknowledge. If the sender waits for such a
 * CPU, and that CPU is spinning for something the sender holds (a lock,
 * a flag), neither moves again. Therefore:
 *   - the sender has interrupts ON while it waits (asserted: a
 *     shootdown with interrupts off and another CPU online panics);
 *   - no lock held across a shootdown may be taken elsewhere with
 *     interrupts off (the vmap lock and kmap_lock are taken with
 *     interrupts on, always);
 *   - never from an interrupt handler (asserted): the sender's request
 *     slot is per CPU, and a nested shootdown would overwrite it.
 * Holding a spinlock (preemption off) is fine: only interrupts matter.
 * A CPU that still has not flushed after CPU_ANSWER_TIMEOUT_MS is
 * named in a panic (include/kernel/cpu_wait.h).
 *
 * Counters (per CPU, in struct percpu, for tests and benchmarks):
 * tlb_shootdowns counts shootdowns this CPU started that reached at
 * least one other CPU; tlb_range_flushes and tlb_full_flushes count
 * flushes done on this CPU, its own or on another CPU's request.
 */
#ifndef MM_TLBFLUSH_H
#define MM_TLBFLUSH_H

#include <kernel/compiler.h>

/*
 * Above this many pages a range flush becomes a full flush. Chosen by
 * measurement (bench tlb_local_page and tlb_local_flush_all, see the
 * comment in mm/tlb.c for the figures).
 */
#define TLB_FLUSH_CEILING_PAGES 32

/*
 * Flush the kernel range [start, end) from every online CPU's TLB and
 * return once all have done it. start and end are rounded out to pages.
 * Context: process context, interrupts ON if any other CPU is online
 * (see the deadlock rule above); preemption may be off. Not in an
 * interrupt handler.
 * Return: nothing; on return no CPU holds a translation in the range.
 */
void flush_tlb_kernel_range(uintptr_t start, uintptr_t end);

/*
 * Flush every translation (global ones included) on every online CPU.
 * Context: as flush_tlb_kernel_range.
 * Return: nothing.
 */
void flush_tlb_all(void);

/*
 * Flush [start, end) on this CPU only (counted like the others). The
 * caller must know no other CPU can hold the translations.
 * Context: any.
 * Return: nothing.
 */
void flush_tlb_local_range(uintptr_t start, uintptr_t end);

/*
 * The arch's TLB-flush IPI handler calls this.
 * Context: hard interrupt, interrupts off.
 */
void tlb_flush_interrupt(void);

#endif
