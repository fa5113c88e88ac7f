/*
 * Hooks for backtraces and register dumps.
 *
 * A frame is named by its program counter and frame pointer. The kernel
 * is built with frame pointers, so unwinding one frame reads the saved
 * frame pointer and return address the function prologue pushed.
 */
#ifndef ARCH_STACKTRACE_H
#define ARCH_STACKTRACE_H

#include <kernel/compiler.h>

struct arch_regs;

/*
 * Step from the frame (*pc, *fp) to its caller. Returns false at the
 * outermost frame, or when the frame pointer does not point at mapped
 * kernel memory (a corrupt stack ends the walk instead of faulting).
 */
bool arch_unwind_frame(uintptr_t *pc, uintptr_t *fp);

/* The caller's own pc and fp, to start a walk from here. */
void arch_current_frame(uintptr_t *pc, uintptr_t *fp);

/* pc and fp saved in an exception's registers. */
void arch_regs_frame(const struct arch_regs *regs, uintptr_t *pc,
		     uintptr_t *fp);

/* Print all registers: saved ones, or the current ones when NULL. */
void arch_print_regs(const struct arch_regs *regs);

#endif
