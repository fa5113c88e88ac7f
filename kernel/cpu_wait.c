/*
 * Waiting for other CPUs to answer, with a deadline on this CPU's own
 * clock (include/kernel/cpu_wait.h says why not jiffies). Used by the
 * TLB shootdown (mm/tlb.c) and by cross-CPU calls (kernel/smp.c).
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kernel/cpu_wait.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>

void wait_for_cpus(const char *what, cpumask_t (*pending)(const void *arg),
		   const void *arg)
{
	uint64_t per_ms = arch_timestamp_per_ms(), deadline;
	cpumask_t late;

	if (unlikely(preempt_count() == 0))
		panic("%s: waiting with preemption on (the wait and its "
		      "clock must stay on one CPU)",
		      what);
	/* Other CPUs start only after the clock is calibrated. */
	BUG_ON(per_ms == 0);
	deadline = arch_timestamp() + CPU_ANSWER_TIMEOUT_MS * per_ms;
	while ((late = pending(arg)) != 0) {
		if (unlikely(arch_timestamp() > deadline))
			panic("%s from CPU %u: CPUs %#x did not answer in "
			      "%u ms (spinning with interrupts off?)",
			      what, smp_processor_id(), late,
			      CPU_ANSWER_TIMEOUT_MS);
		arch_cpu_relax();
	}
}
