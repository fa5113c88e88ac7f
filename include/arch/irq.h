/*
 * Interrupt vectors beyond the CPU exceptions: device interrupts and
 * inter-processor interrupts register a handler here. The handler runs
 * with interrupts off, on the interrupted task's stack, with the
 * HARDIRQ part of preempt_count raised (in_interrupt() is true); the
 * dispatcher sends the interrupt controller's end-of-interrupt after
 * the handler returns, so handlers never do.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <kernel/compiler.h>

struct arch_regs;
typedef void (*interrupt_handler_t)(struct arch_regs *regs);

#define FIRST_EXTERNAL_VECTOR 32

void arch_set_interrupt_handler(unsigned int vector,
				interrupt_handler_t handler);

/*
 * Raise vector on this CPU as a device would (a self-IPI): its handler
 * runs once interrupts are on. For tests of the interrupt path.
 */
void arch_raise_interrupt(unsigned int vector);

#endif
