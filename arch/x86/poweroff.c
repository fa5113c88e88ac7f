/*
 * The end of a run that asked to leave the machine (ktest.exit=1) when
 * the emulator's exit device did not end it: Bochs has none, and
 * neither has hardware. Try ACPI's soft-off state (acpi_sleep.c); if
 * that fails, stop every CPU with interrupts off, quietly, so that the
 * kernel never carries on into the monitor's prompt as if nothing had
 * been asked.
 *
 * Other CPUs are stopped with an NMI, which reaches them even with
 * interrupts off; the NMI handler (traps.c) sees poweroff_halting()
 * and halts instead of reporting the NMI as a crash.
 */
#include <arch/cpu.h>
#include <arch/smp.h>
#include <kernel/printk.h>
#include <x86/acpi.h>
#include <x86/regs.h>

/* Set once, never cleared: every CPU is being stopped for good. */
static volatile bool halting;
static int power_off_entered;

bool poweroff_halting(void)
{
	return halting;
}

void arch_power_off(void)
{
	arch_irq_disable();
	/* A second caller (a panic inside this one) only halts. */
	if (!__sync_lock_test_and_set(&power_off_entered, 1))
		acpi_enter_s5();
	printk(KERN_EMERG "power-off: halting all CPUs with interrupts off\n");
	halting = true;
	__sync_synchronize();
	arch_stop_other_cpus();
	arch_halt_forever();
}
