/*
 * Time: the periodic tick and busy-wait delays.
 *
 * Every online CPU takes a timer interrupt HZ times a second (its own
 * timer, calibrated at boot by arch_timer_init(), <arch/timer.h>). Each tick
 * counts in the CPU's own percpu->timer_ticks; the boot CPU's ticks also
 * advance the global `jiffies`, the kernel's coarse clock. Then the tick calls
 * scheduler_tick() (include/kernel/sched.h).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <kernel/compiler.h>

/*
 * Ticks per second, per CPU: 250, Linux's usual choice. A sleep ends on
 * a tick, so msleep(1) takes four to eight milliseconds, and so does
 * each poll of a test that waits (KT_WAIT_UNTIL); at 100 Hz, ten to
 * twenty, which under an emulator added seconds to every SMP row of
 * `make test`.
 */
#define HZ	    250
#define MS_PER_TICK (1000 / HZ)

/* Ticks of CPU 0 since its timer started. Written by CPU 0's tick only. */
extern volatile unsigned long jiffies;

/*
 * The tick: called by the arch's timer interrupt on every CPU, with
 * interrupts off and the HARDIRQ count raised.
 */
void tick_periodic(void);

/*
 * A test hook: run fn(arg) once, from the next tick on this CPU, in the
 * timer interrupt (interrupts off, HARDIRQ count raised), on top of
 * whatever the CPU was running. Tests use it to prove that interrupt
 * handlers may use an interface (kmap_local_page, say) and leave the
 * interrupted task's state as they found it. One pending call per CPU;
 * a second request before the tick replaces the first.
 * Context: any; the caller stays on this CPU until fn has run (pin it).
 *
 *	migrate_disable();
 *	tick_call_once(probe, &result);
 *	while (!READ_ONCE(result.done))	// interrupts on: the tick comes
 *		arch_cpu_relax();
 *	migrate_enable();
 */
void tick_call_once(void (*fn)(void *arg), void *arg);

/*
 * Spin for at least us microseconds (the time stamp counter, calibrated
 * against the PIT). Context: any; it does not sleep or need interrupts.
 */
void arch_udelay(unsigned int us);

static inline void udelay(unsigned int us)
{
	arch_udelay(us);
}

static inline void mdelay(unsigned int ms)
{
	while (ms--)
		arch_udelay(1000);
}

#endif
