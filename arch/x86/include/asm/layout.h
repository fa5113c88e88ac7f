/*
 * The numbers of x86-32's kernel address space with PAE, for
 * <arch/layout.h>; include/mm/layout.h draws the map they make, and
 * the boot prints it with this machine's boundaries (layout_print).
 * Included only through <arch/layout.h>.
 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

#include <kernel/compiler.h>

#define PAGE_SHIFT 12

/* The 3 GiB / 1 GiB split: the kernel owns the top gigabyte. */
#define PAGE_OFFSET 0xC0000000u

/*
 * The direct map stops 128 MiB short of the gigabyte's end, leaving
 * room for the vmalloc area, the pkmap pool and the fixmap.
 */
#define MAX_LOWMEM (896u << 20)

/*
 * The fixmap and the pkmap pool are each the 2 MiB that one PAE page
 * table maps (512 entries of 4 KiB): the fixmap the last 2 MiB of the
 * address space, less the top guard page, the pkmap pool the 2 MiB
 * below it.
 */
#define FIXADDR_TOP   0xFFFFF000u
#define FIXADDR_START 0xFFE00000u
#define LAST_PKMAP    512
#define PKMAP_BASE    0xFFC00000u

/* PAE reaches 64 GiB of physical memory: wider than a pointer. */
typedef uint64_t phys_addr_t;

#endif
