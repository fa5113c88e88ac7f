/*
 * x86 bodies of the ordering hooks of <arch/barrier.h>. x86 never
 * makes a store visible before an earlier load or store of the same
 * CPU (its "total store order"), so a release store needs no fence:
 * only the compiler must be kept from moving accesses past it.
 * Included only through <arch/barrier.h>.
 */
#ifndef ASM_BARRIER_H
#define ASM_BARRIER_H

#include <kernel/compiler.h>

#define arch_store_release(p, v)       \
	do {                           \
		barrier();             \
		WRITE_ONCE(*(p), (v)); \
	} while (0)

#endif
