/*
 * Inter-processor interrupts: the x86 half. kernel/smp.c decides when a
 * CPU needs poking; here a poke becomes a fixed-delivery IPI on the
 * right vector to the right APIC id, and an arriving one is passed back
 * to kernel/smp.c. The vectors sit in the top priority class, so they
 * get through while lower-priority interrupts are in service.
 */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/smp.h>
#include <kernel/panic.h>
#include <kernel/smp.h>
#include <mm/tlbflush.h>
#include <x86/apic.h>

static void call_function_interrupt(struct arch_regs *regs)
{
	smp_call_function_interrupt();
}

static void reschedule_interrupt(struct arch_regs *regs)
{
	smp_reschedule_interrupt();
}

static void tlb_flush_ipi(struct arch_regs *regs)
{
	tlb_flush_interrupt();
}

void ipi_init(void)
{
	arch_set_interrupt_handler(CALL_FUNCTION_VECTOR,
				   call_function_interrupt);
	arch_set_interrupt_handler(RESCHEDULE_VECTOR, reschedule_interrupt);
	arch_set_interrupt_handler(TLB_FLUSH_VECTOR, tlb_flush_ipi);
}

/*
 * The ICR is two registers written one after the other; an interrupt
 * handler that sent its own IPI in between would change the
 * destination under us. Hence interrupts off around the pair.
 */
static void send_ipi(unsigned int cpu, unsigned int vector)
{
	unsigned long flags = arch_irq_save();

	if (!lapic_send_ipi(cpu_to_apic_id(cpu),
			    ICR_FIXED | ICR_ASSERT | vector))
		panic("IPI %#x to CPU %u was never delivered", vector, cpu);
	arch_irq_restore(flags);
}

void arch_send_call_function_ipi(unsigned int cpu)
{
	send_ipi(cpu, CALL_FUNCTION_VECTOR);
}

void arch_send_reschedule_ipi(unsigned int cpu)
{
	send_ipi(cpu, RESCHEDULE_VECTOR);
}

void arch_send_tlb_flush_ipi(unsigned int cpu)
{
	send_ipi(cpu, TLB_FLUSH_VECTOR);
}
