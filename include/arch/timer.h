/*
 * The timer hooks generic code calls (arch/x86/timer.c). The delay
 * hook, arch_udelay, is declared with udelay in include/kernel/time.h.
 */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <kernel/compiler.h>

/*
 * Calibrate the tick against a reference clock and start the boot CPU's
 * periodic tick (HZ). The interrupt arrives once interrupts are on.
 * Boot CPU, after arch_irq_init(). Each AP starts its own tick.
 */
void arch_timer_init(void);

/*
 * Has the legacy timer's interrupt a route to a CPU? False when the
 * firmware tables named no interrupt controller to carry it (a PC
 * without ACPI tables). Context: any, after arch_timer_init().
 */
bool arch_timer_has_legacy_irq(void);

/*
 * Prove the legacy timer's interrupt reaches the boot CPU through the
 * routing the firmware tables gave. True if it arrived; false too if
 * there is no route (arch_timer_has_legacy_irq()). Context: boot
 * CPU, interrupts on; takes up to 100 ms.
 */
bool arch_timer_check_legacy_irq(void);

/*
 * How many counts of arch_timestamp() (include/arch/cpu.h) make one
 * millisecond: this CPU's own clock, which runs whether or not this or
 * any other CPU takes interrupts. 0 until arch_timer_init() has
 * calibrated it. Context: any.
 */
uint64_t arch_timestamp_per_ms(void);

#endif
