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

/* No panic if one is lost: panic() waits a bounded time, then reports. */
void arch_stop_other_cpus(void)
{
	unsigned int me = smp_processor_id(), cpu;

	for_each_online_cpu(cpu)
		if (cpu != me)
			lapic_send_ipi(cpu_to_apic_id(cpu),
				       ICR_NMI | ICR_ASSERT);
}

void arch_raise_interrupt(unsigned int vector)
{
	unsigned long flags = arch_irq_save();

	if (!lapic_send_ipi(0, ICR_FIXED | ICR_ASSERT | ICR_SELF | vector))
		panic("self-IPI %#x was never delivered", vector);
	arch_irq_restore(flags);
}

void arch_send_reschedule_ipi(unsigned int cpu)
{
	send_ipi(cpu, RESCHEDULE_VECTOR);
}

/*
 * Does the shorthand reach exactly mask? It reaches every APIC on the
 * bus, not just the CPUs this kernel counts as online, so it is used
 * only while every CPU the firmware listed is online. Otherwise a CPU
 * offlined by hotplug would take (and ignore) an IPI nobody counted as
 * sent; one that never started would hold it pending. One snapshot of
 * the online mask answers both questions: with every CPU online none
 * can come online in between, and one that goes offline meanwhile was
 * in mask and still takes interrupts.
 */
static bool broadcast_fits(cpumask_t mask)
{
	cpumask_t online;

	if (!(mask & (mask - 1)))
		return false; /* one target: a plain send is as short */
	online = cpu_online_mask();
	return mask == (online & ~CPU_MASK(smp_processor_id())) &&
	       !madt.nr_cpus_ignored && cpumask_weight(online) == madt.nr_cpus;
}

/*
 * One IPI to each CPU of mask. When mask is every other CPU, and that
 * is more than one, one ICR write with the shorthand does it; otherwise
 * one send per target (two writes each: destination, then command).
 * Under QEMU every ICR access takes its global lock, which the targets
 * being woken want too: with -smp 4 the broadcast took an on_each_cpu
 * round trip from a median of ~96,000 host ticks to ~77,000-84,000
 * (docs/bench.rst).
 */
static void send_ipi_mask(cpumask_t mask, unsigned int vector)
{
	unsigned long flags;

	if (!broadcast_fits(mask)) {
		unsigned int cpu;

		for_each_cpu_in(cpu, mask)
			send_ipi(cpu, vector);
		return;
	}
	flags = arch_irq_save();
	if (!lapic_send_ipi_all_but_self(ICR_FIXED | ICR_ASSERT | vector))
		panic("IPI %#x to all other CPUs was never delivered", vector);
	this_cpu()->ipi_broadcasts++;
	arch_irq_restore(flags);
}

void arch_send_call_function_ipi_mask(cpumask_t mask)
{
	send_ipi_mask(mask, CALL_FUNCTION_VECTOR);
}

void arch_send_tlb_flush_ipi_mask(cpumask_t mask)
{
	send_ipi_mask(mask, TLB_FLUSH_VECTOR);
}
