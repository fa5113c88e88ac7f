/*
 * The kernel's virtual memory map: the one authoritative drawing
 * (docs/layout.rst explains it). The kernel owns the top of the
 * address space, and everything it can address lives there. The
 * boundaries in capitals are the architecture's numbers
 * (<arch/layout.h>; x86-32 with PAE: arch/x86/include/asm/layout.h);
 * the boot prints this drawing with its own values (layout_print).
 *
 *   top of the  +---------------------------+
 *   address     | top guard page            |  never mapped
 *   space       |                           |
 *   FIXADDR_TOP +---------------------------+
 *               | fixmap                    |  per-CPU kmap slots,
 *               |                           |  the arch's own slots
 * FIXADDR_START +---------------------------+
 *               | pkmap pool                |  LAST_PKMAP pages
 *    PKMAP_BASE +---------------------------+
 *               | guard page                |
 *   VMALLOC_END +---------------------------+
 *               | vmalloc_lazy window       |  4 MiB, demand-paged
 * VMALLOC_LAZY_START -----------------------+
 *               | vmalloc area              |  vmap, vmalloc, stacks
 *               |                           |
 * vmalloc_start +---------------------------+  high_memory rounded up
 *               | hole, 8 MiB to 10 MiB     |  to 2 MiB, + 8 MiB;
 *               | less a page               |  catches overruns
 *   high_memory +---------------------------+  PAGE_OFFSET + lowmem
 *               | lowmem direct map         |  physical 0 .. lowmem
 *               |   (kernel image at +1MiB) |  limit, permanently
 *   PAGE_OFFSET +---------------------------+
 *
 * The vmalloc_lazy window is the top of the vmalloc area set aside
 * for demand paging (include/mm/vmalloc_lazy.h): its page-table entries
 * start empty and the page-fault handler fills them on first touch.
 *
 * Below PAGE_OFFSET nothing is mapped once boot is over, so a NULL (or
 * small-integer) pointer dereference faults.
 *
 * The lowmem limit is at most MAX_LOWMEM, and lower with lowmem=SIZE;
 * RAM above it is highmem: it has no permanent address and must be
 * mapped before the kernel can touch it. On x86-32 MAX_LOWMEM is
 * 896 MiB: 1024 less the 128 MiB above the direct map that the kernel
 * keeps for what it maps on demand: with a full lowmem, the hole
 * (8 MiB), the vmalloc area and its lazy window (116 MiB less a page),
 * the guard page, the pkmap pool (2 MiB) and the fixmap with the top
 * guard page (2 MiB).
 *
 * The hole is VMALLOC_OFFSET measured from high_memory rounded up to
 * 2 MiB (mm/memblock.c: memblock_init): where RAM ends short of a
 * 2 MiB boundary, as on QEMU's -m 64M, it is up to 2 MiB less a page
 * longer.
 */
#ifndef MM_LAYOUT_H
#define MM_LAYOUT_H

#include <arch/layout.h>

#define PAGE_SIZE (1u << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define VMALLOC_OFFSET	   (8u << 20)
#define PKMAP_END	   (PKMAP_BASE + LAST_PKMAP * PAGE_SIZE)
#define VMALLOC_END	   (PKMAP_BASE - PAGE_SIZE)
#define VMALLOC_LAZY_SIZE  (4u << 20)
#define VMALLOC_LAZY_START (VMALLOC_END - VMALLOC_LAZY_SIZE)

_Static_assert(PKMAP_END <= FIXADDR_START,
	       "the pkmap pool ends below the fixmap");

typedef uint32_t pfn_t;

/* Set once by mm_init(), read-only afterwards. */
extern uintptr_t high_memory;	/* end of the direct map (virtual) */
extern uintptr_t vmalloc_start; /* start of the vmalloc area */

/* Print the layout above with this boot's boundaries. */
void layout_print(void);

/* A description of the region va falls in, e.g. "vmalloc area". */
const char *layout_region_describe(uintptr_t va);

/* Is va a kernel address with a present page-table entry? */
bool layout_kernel_address_mapped(uintptr_t va);

/* One region of the layout, for tests and the docs picture. */
struct layout_region {
	const char *name;
	uintptr_t start;
	uintptr_t end; /* exclusive; 0 means 4 GiB */
};

/* The regions, lowest first. Returns how many. */
unsigned int layout_regions(struct layout_region *out, unsigned int max);

#endif
