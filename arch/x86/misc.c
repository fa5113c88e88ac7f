/* Small CPU hooks that do not deserve a file of their own. */
#include <arch/cpu.h>
#include <x86/cpu.h>

#define QEMU_DEBUG_EXIT_PORT 0xf4

void arch_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

void arch_emulator_exit(uint8_t code)
{
	outl(QEMU_DEBUG_EXIT_PORT, code);
}

/* CR0.CD off (caching on) and CR0.NW off (write-back, not write-through). */
bool arch_cpu_caches_enabled(void)
{
	return !(read_cr0() & (CR0_CD | CR0_NW));
}

/* CPUID leaf 1, ECX bit 31: set by hypervisors, reserved on hardware. */
bool arch_hypervisor_present(void)
{
	return cpuid(1, 0).ecx & (1u << 31);
}
