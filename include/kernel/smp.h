/*
 * Multiprocessor basics, generic part: which CPUs are online, how CPU
 * numbers relate to APIC ids, and cross-CPU function calls.
 *
 * CPU numbers are dense, 0 .. num_online_cpus()-1 once boot is over, 0
 * being the boot CPU; APIC ids are whatever the firmware assigned. The
 * arch starts the CPUs (arch/x86/smpboot.c) and each one calls
 * set_cpu_online() for itself when it is ready for interrupts.
 *
 * Cross-CPU calls. fn(arg) runs on the target CPU in its call-function
 * interrupt: interrupts off, HARDIRQ count raised, so fn must be short
 * and must not sleep or take a lock that is held elsewhere with
 * interrupts on for long.
 *
 * The deadlock rule. A CPU that waits for another CPU's acknowledgement
 * (wait=true) spins until that CPU has taken the interrupt and run fn.
 * If two CPUs call each other with wait=true and both have interrupts
 * off, neither can take the other's interrupt: both spin forever. So a
 * waiting caller must have interrupts enabled, OR the callee must need
 * nothing from it. Calls with wait=true and interrupts off are reported
 * with a WARN (and still made). The same holds for a wait=false call
 * that finds the previous asynchronous call to that CPU still pending:
 * it waits for that one first. Every such wait ends in a panic naming
 * the CPUs that did not answer after CPU_ANSWER_TIMEOUT_MS
 * (include/kernel/cpu_wait.h).
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <kernel/percpu.h>

/* A set of CPUs: bit n is CPU n. */
typedef uint32_t cpumask_t;

_Static_assert(NR_CPUS <= 32, "cpumask_t is one 32-bit word");

#define CPU_MASK(cpu) ((cpumask_t)1 << (cpu))

#define for_each_cpu_in(cpu, mask)                \
	for ((cpu) = 0; (cpu) < NR_CPUS; (cpu)++) \
		if ((mask)&CPU_MASK(cpu))

static inline unsigned int cpumask_weight(cpumask_t mask)
{
	return __builtin_popcount(mask);
}

/* Context: any. */
unsigned int num_online_cpus(void);
bool cpu_is_online(unsigned int cpu);
cpumask_t cpu_online_mask(void);

#define for_each_online_cpu(cpu) for_each_cpu_in(cpu, cpu_online_mask())

/* Mark this CPU online; it must be able to take interrupts. */
void set_cpu_online(unsigned int cpu);

/*
 * Take a started CPU out of the online mask, or put it back
 * (kernel/hotplug.c). An offline CPU still takes interrupts; it is
 * simply given no work and no cross-CPU calls.
 */
void set_cpu_online_state(unsigned int cpu, bool online);

/*
 * Run fn(arg) on CPU cpu. With wait, return after fn has returned
 * there; without, return at once (fn runs soon). On this CPU, fn runs
 * at once with interrupts off. cpu must be online when asked; one that
 * goes offline meanwhile still takes interrupts, so the call still runs.
 * Context: process context; interrupts on if wait (see above).
 * Return: 0; or -EINVAL, with a warning and fn not run, if cpu is
 * offline or no CPU at all.
 */
int smp_call_function_single(unsigned int cpu, void (*fn)(void *), void *arg,
			     bool wait);

/*
 * For cpu_online() only: run fn(arg) on cpu, which has come up but is
 * offline, and return at once. Its TLB may be stale, so nothing it reads
 * to find fn may live in memory that can be unmapped: the request is
 * this CPU's static asynchronous csd, never a stack, and fn and arg
 * must be in the kernel image or the direct map.
 * Context: process context.
 * Return: 0; or -EINVAL, with a warning, if cpu is online or never
 * came up.
 */
int smp_call_function_offline(unsigned int cpu, void (*fn)(void *), void *arg);

/*
 * Run fn(arg) on every online CPU in mask except this one. With wait,
 * return after all have run it. Context: as smp_call_function_single.
 */
void smp_call_function_many(cpumask_t mask, void (*fn)(void *), void *arg,
			    bool wait);

/*
 * Run fn(arg) on every online CPU, this one included (here with
 * interrupts off). Context: as smp_call_function_single.
 *
 *	static void count_me(void *arg) { __sync_fetch_and_add(arg, 1); }
 *	...
 *	unsigned int n = 0;
 *	on_each_cpu(count_me, &n, true);	// n == num_online_cpus()
 */
void on_each_cpu(void (*fn)(void *), void *arg, bool wait);

/*
 * Ask CPU cpu to call scheduler_ipi() soon. Several requests before it
 * runs make one IPI. cpu must have come up; it may be offline (a task
 * woken there is moved on by its idle loop). Context: any.
 */
void smp_send_reschedule(unsigned int cpu);

/* For the arch's IPI handlers: hard interrupt context, interrupts off. */
void smp_call_function_interrupt(void);
void smp_reschedule_interrupt(void);

#endif
