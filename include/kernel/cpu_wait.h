/*
 * Waiting for other CPUs to answer an IPI, with a deadline.
 *
 * A TLB shootdown and a waiting cross-CPU call both spin until every
 * target has run its handler. A target that never does (it spins with
 * interrupts off, or it is wedged) must not hang the asker for good:
 * after CPU_ANSWER_TIMEOUT_MS the asker panics, naming the CPUs that
 * did not answer.
 *
 * The deadline is on the asking CPU's own clock (arch_timestamp), never
 * on jiffies: jiffies moves only when CPU 0 takes its tick, and CPU 0
 * may be the very CPU that is not answering, with interrupts off.
 */
#ifndef KERNEL_CPU_WAIT_H
#define KERNEL_CPU_WAIT_H

#include <kernel/smp.h>

/*
 * How long an asker waits for an answer before it calls the target
 * deaf. An answer normally takes microseconds; what can stretch it
 * legitimately is the host, not the kernel. Under QEMU TCG each vCPU
 * is a host thread, and on a loaded host (two `make test` at once on
 * two cores, 4 to 8 vCPUs each, beside other work) the target's thread
 * may wait many host time slices, a few milliseconds each, before it
 * runs at all: well under a second even then. Ten seconds is ten times
 * that and more, so a slow host never trips it, yet a deaf CPU is
 * reported long before the test runner's own timeout of a minute.
 * smp.answer_ms=N replaces it: the rows that make a CPU deaf on purpose
 * set it short, so that they wait for the report, not for the host.
 */
#define CPU_ANSWER_TIMEOUT_MS 10000

/*
 * wait_for_cpus - spin until every CPU asked has answered
 * @what:    what was asked, for the panic ("TLB shootdown")
 * @pending: returns the CPUs that have not answered yet; 0 ends the wait
 * @arg:     pending's argument
 *
 * Panics "<what> from CPU <me>: CPUs <mask> did not answer in <ms> ms"
 * if pending() is still not 0 after CPU_ANSWER_TIMEOUT_MS (or
 * smp.answer_ms) on this CPU's clock.
 *
 * Context: preemption off (the wait and its clock are this CPU's); the
 * caller's deadlock rule decides whether interrupts may be off.
 */
void wait_for_cpus(const char *what, cpumask_t (*pending)(const void *arg),
		   const void *arg);

#endif
