/*
 * Waiting for other CPUs to answer, with a deadline on this CPU's own
 * clock (include/kernel/cpu_wait.h says why not jiffies). Used by the
 * TLB shootdown (mm/tlb.c) and by cross-CPU calls (kernel/smp.c).
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kernel/cmdline.h>
#include <kernel/cpu_wait.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <lib/parse.h>

/* Read at every wait, written once at boot (before other CPUs start). */
static unsigned int cpu_answer_timeout_ms = CPU_ANSWER_TIMEOUT_MS;

static bool set_answer_ms(const char *val)
{
	uint64_t ms;

	if (!parse_u64(val, &ms) || ms == 0 || ms > 600000)
		return false;
	cpu_answer_timeout_ms = (unsigned int)ms;
	return true;
}
DEFINE_PARAM("smp.answer_ms", set_answer_ms,
	     "ms an IPI's asker waits before it panics, 1 to 600000");

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
	deadline = arch_timestamp() + cpu_answer_timeout_ms * per_ms;
	while ((late = pending(arg)) != 0) {
		if (unlikely(arch_timestamp() > deadline))
			panic("%s from CPU %u: CPUs %#x did not answer in "
			      "%u ms (spinning with interrupts off?)",
			      what, smp_processor_id(), late,
			      cpu_answer_timeout_ms);
		arch_cpu_relax();
	}
}
