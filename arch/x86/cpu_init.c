/*
 * Architecture set-up on the boot CPU, before anything else runs: the
 * interrupt table (exceptions must be reported from the start).
 */
#include <arch/cpu.h>
#include <x86/regs.h>

void arch_cpu_init_boot(void)
{
	idt_init();
}
