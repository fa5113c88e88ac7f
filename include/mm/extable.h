/*
 * Exception-table entries: "if the instruction at insn faults, resume
 * at fixup". The linker gathers them into __ex_table (linker.ld); the
 * page-fault handler looks the faulting pc up there (mm/fault.c) before
 * it calls a fault a bug.
 *
 * Code that expects a fault emits an entry from inline assembly, naming
 * two local labels: the instruction that may fault and where to go on.
 * The entry format is two addresses, so it is the same on any CPU; only
 * the instructions around it are the arch's.
 *
 *	asm volatile("1:	<instruction that may fault>\n"
 *		     "2:\n"
 *		     EXTABLE_ENTRY(1b, 2b)
 *		     ...);
 */
#ifndef MM_EXTABLE_H
#define MM_EXTABLE_H

#include <kernel/compiler.h>

struct extable_entry {
	uintptr_t insn;
	uintptr_t fixup;
};

#define EXTABLE_ENTRY(insn, fixup)         \
	".pushsection __ex_table, \"a\"\n" \
	".balign 4\n"                      \
	".long " #insn ", " #fixup "\n"    \
	".popsection\n"

#endif
