/*
 * The context-switch hooks. A switched-out task's callee-saved
 * registers sit on its own stack; only its stack pointer is kept in
 * struct task. Everything else (which task, run queues, kmap_local
 * slots) is the generic scheduler's business.
 */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

#include <kernel/compiler.h>

/*
 * Save the callee-saved registers on the current stack, store the
 * stack pointer in *prev_sp, load next_sp and return into the task
 * that saved it. Returns, much later, when someone switches back.
 */
void arch_switch_to(uintptr_t *prev_sp, uintptr_t next_sp);

/*
 * Prepare a new stack so that the first arch_switch_to() into it
 * "returns" into entry(), with a zero frame pointer so backtraces stop
 * there. Returns the stack pointer to store in saved_sp.
 */
uintptr_t arch_task_initial_sp(void *stack_top, void (*entry)(void));

#endif
