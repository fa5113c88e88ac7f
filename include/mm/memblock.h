/*
 * The boot-time memory allocator, used before the buddy allocator
 * exists (for the page tables and mem_map themselves). It knows the
 * usable RAM from the boot map and a list of reserved ranges; after
 * page_alloc_init() it is retired and asserts if called: a boot
 * allocator used after boot would hand out pages the buddy allocator
 * also owns.
 */
#ifndef MM_MEMBLOCK_H
#define MM_MEMBLOCK_H

#include <mm/layout.h>

void memblock_init(void);
void memblock_reserve(phys_addr_t base, uint64_t size, const char *why);
/* Zeroed, page-aligned lowmem; panics if there is none. */
void *memblock_alloc_low(uint64_t size);
/*
 * As memblock_alloc_low(), but not zeroed: for a caller that writes
 * every byte itself (mem_map, written once per frame by
 * page_alloc_init(), where zeroing first would double the cost).
 */
void *memblock_alloc_low_uninit(uint64_t size);
/* Has [base, base+size) any reserved byte? */
bool memblock_is_reserved(phys_addr_t base, uint64_t size);
/* Usable RAM in total, in bytes, and the highest usable address + 1. */
uint64_t memblock_usable_bytes(void);
phys_addr_t memblock_usable_end(void);
/* Call fn for each usable and unreserved [start, end) page range. */
void memblock_for_each_free_range(void (*fn)(pfn_t start, pfn_t end));
void memblock_print(void);
/* No more memblock allocations after this. */
void memblock_retire(void);

#endif
