/*
 * kmalloc: small objects from lowmem pages.
 *
 * Sizes up to KMALLOC_MAX_SMALL come from per-size-class pages (16,
 * 32, ... 2048 bytes); larger requests get whole pages from the buddy
 * allocator. The memory is in the direct map, so the pointer is valid
 * on every CPU for as long as it is allocated.
 *
 * Context: any (takes a spinlock with interrupts off).
 */
#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include <kernel/compiler.h>

#define KMALLOC_MAX_SMALL 2048

void *kmalloc(size_t size);
void *kzalloc(size_t size);
/*
 * Free what kmalloc returned. kfree(NULL) does nothing; a double free,
 * or a pointer into the middle of an object, is reported and refused.
 */
void kfree(const void *ptr);

/* Boot only, before the first kmalloc. */
void kmalloc_init(void);

/* Objects currently allocated (for leak checks in tests). */
unsigned long kmalloc_live_objects(void);

/*
 * Pages kmalloc has cut into slots since boot. They are never given
 * back, so a leak check counts them as spent, not leaked.
 * Context: any. Return: the count.
 */
unsigned long kmalloc_slab_pages(void);

#endif
