/*
 * Exception-table entries: "if the instruction at insn faults, resume
 * at fixup". The linker gathers them into __ex_table (linker.ld).
 */
#ifndef MM_EXTABLE_H
#define MM_EXTABLE_H

#include <kernel/compiler.h>

struct extable_entry {
	uintptr_t insn;
	uintptr_t fixup;
};

/* The fixup for a faulting pc, or 0 if it has none. */
uintptr_t extable_search(uintptr_t pc);

#endif
