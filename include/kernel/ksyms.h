/*
 * The kernel's own symbol table, generated at build time by
 * tools/gensyms (see the Makefile's two-pass link), so backtraces and
 * fault reports print names instead of bare addresses.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <kernel/compiler.h>

/*
 * The function containing addr and the offset into it; NULL when addr
 * is outside the kernel's text.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

/* The address of a function by name, or 0. */
uintptr_t ksym_address(const char *name);

/* Format addr as "name+0xoff" (or the bare address) into buf. */
void ksym_format(uintptr_t addr, char *buf, size_t size);

#endif
