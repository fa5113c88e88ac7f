/*
 * The numbers of the kernel's virtual address space, which only the
 * architecture knows. <asm/layout.h> defines, each as a constant:
 *
 *   PAGE_SHIFT      log2 of the page size
 *   PAGE_OFFSET     where the direct map of physical 0 starts
 *   MAX_LOWMEM      the most RAM the direct map may cover
 *   FIXADDR_TOP     the end of the fixmap (a guard page above it)
 *   FIXADDR_START   the start of the fixmap
 *   PKMAP_BASE      the start of the pkmap pool
 *   LAST_PKMAP      the pkmap pool's number of pages
 *   phys_addr_t     a type wide enough for any physical address
 *
 * include/mm/layout.h draws the map they make; generic code reaches
 * them through it.
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#include <kernel/compiler.h>

#include <asm/layout.h>

#endif
