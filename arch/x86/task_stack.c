/*
 * The initial frame of a new task's stack, laid out exactly as
 * arch_switch_to (switch.S) pops it: edi, esi, ebx, ebp, return
 * address. ebp = 0 ends backtraces at the task's entry.
 */
#include <arch/switch.h>

uintptr_t arch_task_initial_sp(void *stack_top, void (*entry)(void))
{
	uint32_t *sp = stack_top;

	*--sp = 0; /* fake return address of entry() */
	*--sp = (uint32_t)(uintptr_t)entry;
	*--sp = 0; /* ebp */
	*--sp = 0; /* ebx */
	*--sp = 0; /* esi */
	*--sp = 0; /* edi */
	return (uintptr_t)sp;
}
