/*
 * x86's page-table entry type for <arch/mmu.h>: PAE entries are 64
 * bits wide, so physical addresses above 4 GiB fit and bit 63 can
 * forbid execution. Included only through <arch/mmu.h>.
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H

#include <kernel/compiler.h>

typedef uint64_t pte_t;

#endif
