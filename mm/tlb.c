/*
 * TLB shootdown (include/mm/tlbflush.h has the contract and the
 * deadlock rule).
 *
 * Why a dedicated IPI and not smp_call_function_many(): a cross-CPU
 * call goes through the target's call queue (a spinlock, a list, a
 * csd per target) and waits behind whatever else is queued there. A
 * shootdown needs only "flush this range", so each sender owns one
 * request slot, fills it, and sends the TLB-flush vector; the target's
 * handler looks at every slot for its own bit. That is shorter (the
 * bench ipi_roundtrip_* vs tlb_shootdown_* shows by how much) and a
 * shootdown never queues behind a slow call.
 *
 * The slot protocol. requests[s] belongs to sender CPU s, which keeps
 * preemption off from filling it until every target has answered:
 *   sender: write start/end/full, then publish `pending` (the targets'
 *           bits), then send the IPIs, then spin until pending == 0
 *           (a CPU that never answers is named in a panic, after a
 *           deadline on the sender's own clock: kernel/cpu_wait.c);
 *   target: for each slot with its bit in pending, read the range,
 *           flush, then clear its bit (after the reads: once the last
 *           bit is clear the sender may refill the slot).
 * Several senders may target one CPU at once. An interrupt controller
 * may keep one pending bit per vector (x86's local APIC does), so two
 * IPIs can arrive as one; that is safe
 * because the handler serves every slot with its bit set, not "the"
 * sender of the IPI.
 *
 * Choosing TLB_FLUSH_CEILING_PAGES. Instruction counts cannot decide
 * it (icount: 11 instructions per invlpg step, 11 for a full flush):
 * a full flush's price is in the host time TCG spends dropping and
 * then refilling every translation. make bench, host clock, -smp 4,
 * one boot: invlpg ~300 ticks a page, full flush ~7,900 ticks before
 * any refill, a 32-page range ~11,100. So a range costs as much as a
 * full flush at about 26 pages, plus what the refill adds: 32 keeps
 * ranges cheaper than the flush-and-refill they replace.
 */
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/smp.h>
#include <kernel/breaks.h>
#include <kernel/cpu_wait.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/preempt.h>
#include <kernel/smp.h>
#include <kernel/trace.h>
#include <mm/tlbflush.h>

struct flush_request {
	uintptr_t start; /* written by the owner before pending */
	uintptr_t end;
	bool full;
	volatile cpumask_t pending; /* targets that have not flushed */
} __aligned(64);		    /* one cache line per sender */

static struct flush_request requests[NR_CPUS];

/* Flush here and count it. Interrupts are off (the counters need it). */
static void do_local_flush(uintptr_t start, uintptr_t end, bool full)
{
	struct percpu *me = this_cpu();

	if (full) {
		arch_flush_tlb_local_all();
		me->tlb_full_flushes++;
		return;
	}
	for (uintptr_t va = start; va < end; va += PAGE_SIZE)
		arch_flush_tlb_local_page(va);
	me->tlb_range_flushes++;
}

void flush_tlb_local_range(uintptr_t start, uintptr_t end)
{
	unsigned long flags = arch_irq_save();

	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	do_local_flush(start, end,
		       (end - start) / PAGE_SIZE > TLB_FLUSH_CEILING_PAGES);
	arch_irq_restore(flags);
}

/* The targets that have not flushed yet (wait_for_cpus' callback). */
static cpumask_t flush_pending(const void *arg)
{
	const struct flush_request *r = arg;

	return READ_ONCE(r->pending);
}

static void shootdown(uintptr_t start, uintptr_t end, bool full)
{
	struct flush_request *r;
	unsigned long flags;
	cpumask_t targets;
	unsigned int me;

	if (unlikely(in_interrupt()))
		panic("TLB shootdown from an interrupt handler (the deadlock "
		      "rule in include/mm/tlbflush.h forbids it)");
	preempt_disable();
	me = smp_processor_id();
	targets = cpu_online_mask() & ~CPU_MASK(me);
	if (break_enabled(BREAK_TLB_SHOOTDOWN))
		targets = 0; /* the teaching bug: local flush only */
	if (unlikely(targets && arch_irqs_disabled()))
		panic("TLB shootdown with interrupts off on CPU %u: a CPU "
		      "that cannot take IPIs must not wait for others' "
		      "(deadlock rule, include/mm/tlbflush.h)",
		      me);

	flags = arch_irq_save();
	do_local_flush(start, end, full);
	if (targets)
		this_cpu()->tlb_shootdowns++;
	arch_irq_restore(flags);
	if (!targets) {
		preempt_enable();
		return;
	}

	r = &requests[me];
	r->start = start;
	r->end = end;
	r->full = full;
	/* x86 keeps stores in order; stop the compiler reordering them. */
	barrier();
	r->pending = targets;
	trace_event(TR_TLB_SEND, targets, start, end);
	arch_send_tlb_flush_ipi_mask(targets);
	wait_for_cpus("TLB shootdown", flush_pending, r);
	preempt_enable();
}

void flush_tlb_kernel_range(uintptr_t start, uintptr_t end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	if (end <= start)
		return;
	shootdown(start, end,
		  (end - start) / PAGE_SIZE > TLB_FLUSH_CEILING_PAGES);
}

void flush_tlb_all(void)
{
	shootdown(0, 0, true);
}

void tlb_flush_interrupt(void)
{
	cpumask_t bit = CPU_MASK(smp_processor_id());

	for (unsigned int s = 0; s < NR_CPUS; s++) {
		struct flush_request *r = &requests[s];

		if (!(READ_ONCE(r->pending) & bit))
			continue;
		trace_event(TR_TLB_RECV, s, 0, 0);
		do_local_flush(r->start, r->end, r->full);
		trace_event(TR_TLB_ACK, s, 0, 0);
		/* The reads above must finish before the sender sees us go. */
		__sync_fetch_and_and(&r->pending, ~bit);
	}
}

/* The monitor's tlb: the shootdown counters of every CPU. */
static void cmd_tlb(const char *args)
{
	printk("cpu shootdowns-sent range-flushes full-flushes\n");
	for (unsigned int c = 0; c < NR_CPUS; c++) {
		const struct percpu *p = &percpu_areas[c];

		if (p->self)
			printk("%3u %15lu %13lu %12lu\n", c, p->tlb_shootdowns,
			       p->tlb_range_flushes, p->tlb_full_flushes);
	}
	printk("ranges above %u pages become full flushes\n",
	       TLB_FLUSH_CEILING_PAGES);
}
DEFINE_MONITOR_CMD("tlb", cmd_tlb, "tlb", "TLB shootdown counters per CPU");
