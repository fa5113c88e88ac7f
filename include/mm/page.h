/*
 * struct page: one for every page frame of RAM, in one flat array
 * (mem_map) indexed by page frame number. It lives in lowmem, so its
 * size matters: 16 bytes per 4 KiB page, 0.4% of RAM (8 GiB of RAM
 * costs 32 MiB of the 896 MiB of lowmem).
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <kernel/list.h>
#include <kernel/panic.h>
#include <mm/layout.h>

struct page {
	/*
	 * PG_* bits below, the zone, and a block order. Changed under
	 * the zone lock while the page is free; by its owner otherwise.
	 */
	uint32_t flags;
	/* Users of an allocated block's head page; 0 when free. */
	int32_t refcount;
	/* Free lists while free; the owner's to use while allocated. */
	struct list_head list;
};

_Static_assert(sizeof(struct page) == 16, "struct page grew");

#define PG_reserved    (1u << 0) /* never given to the allocator */
#define PG_buddy       (1u << 1) /* head of a free block */
#define PG_highmem     (1u << 2) /* in ZONE_HIGHMEM */
#define PG_freed       (1u << 3) /* freed, not reallocated since */
#define PG_slab	       (1u << 4) /* owned by kmalloc */
#define PG_pkmap       (1u << 5) /* has a pkmap slot (mm/highmem.c) */
#define PG_unowned     (1u << 6) /* in a free block: nobody owns it */
#define PG_ORDER_SHIFT 8	 /* bits 8-11: block order */
#define PG_ORDER_MASK  (0xFu << PG_ORDER_SHIFT)
#define PG_SLAB_SHIFT  12 /* bits 12-15: kmalloc size class */
#define PG_SLAB_MASK   (0xFu << PG_SLAB_SHIFT)
/*
 * The pkmap slot number takes the top bits, so kmap() and kunmap() find
 * it with one shift and no mask.
 */
#define PG_PKMAP_SHIFT 23 /* bits 23-31: pkmap slot number */
#define PG_PKMAP_MASK  (0x1FFu << PG_PKMAP_SHIFT)
_Static_assert(PG_PKMAP_MASK >> PG_PKMAP_SHIFT == 0x1FFu,
	       "the pkmap slot number's bits run past bit 31");
_Static_assert((PG_PKMAP_MASK & (PG_SLAB_MASK | PG_ORDER_MASK | 0xFFu)) == 0,
	       "the pkmap slot number's bits overlap other flags");

extern struct page *mem_map;
extern pfn_t max_pfn;	  /* one past the highest RAM frame */
extern pfn_t max_low_pfn; /* one past the last lowmem frame */

static inline pfn_t page_to_pfn(const struct page *page)
{
	return (pfn_t)(page - mem_map);
}

static inline struct page *pfn_to_page(pfn_t pfn)
{
	return &mem_map[pfn];
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return (phys_addr_t)page_to_pfn(page) << PAGE_SHIFT;
}

static inline bool PageHighMem(const struct page *page)
{
	return page->flags & PG_highmem;
}

static inline unsigned int page_order(const struct page *page)
{
	return (page->flags & PG_ORDER_MASK) >> PG_ORDER_SHIFT;
}

/*
 * page->flags is shared by owners with different locks: the buddy
 * allocator changes its bits under the zone lock, while kmap changes
 * the pkmap bits under kmap_lock, and a freed page may still be cached
 * in the pkmap pool. So every change is one atomic read-modify-write,
 * and neither side can lose the other's update.
 */
static inline void page_flags_set(struct page *page, uint32_t bits)
{
	__atomic_fetch_or(&page->flags, bits, __ATOMIC_RELAXED);
}

static inline void page_flags_clear(struct page *page, uint32_t bits)
{
	__atomic_fetch_and(&page->flags, ~bits, __ATOMIC_RELAXED);
}

/* Replace the bits in mask with value (which lies within mask). */
static inline void page_flags_update(struct page *page, uint32_t mask,
				     uint32_t value)
{
	uint32_t old = READ_ONCE(page->flags);

	while (!__atomic_compare_exchange_n(&page->flags, &old,
					    (old & ~mask) | value, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static inline void set_page_order(struct page *page, unsigned int order)
{
	page_flags_update(page, PG_ORDER_MASK, order << PG_ORDER_SHIFT);
}

/*
 * Checked conversions between the direct map and physical addresses:
 * they panic, naming the caller's file and line, on an address outside
 * lowmem instead of returning garbage.
 */
#define __pa(va) virt_to_phys_at((uintptr_t)(va), __FILE__, __LINE__)
#define __va(pa) phys_to_virt_at((phys_addr_t)(pa), __FILE__, __LINE__)

static inline phys_addr_t virt_to_phys_at(uintptr_t va, const char *file,
					  int line)
{
	if (unlikely(va < PAGE_OFFSET || va >= high_memory))
		panic_at(file, line, "__pa",
			 "%08lx is not a direct-map (lowmem) address",
			 (unsigned long)va);
	return va - PAGE_OFFSET;
}

static inline void *phys_to_virt_at(phys_addr_t pa, const char *file, int line)
{
	if (unlikely(pa >= (phys_addr_t)(high_memory - PAGE_OFFSET)))
		panic_at(file, line, "__va",
			 "physical %llx is above lowmem: it has no "
			 "permanent mapping",
			 (unsigned long long)pa);
	return (void *)(uintptr_t)(pa + PAGE_OFFSET);
}

/* The direct-map address of a lowmem page (panics on highmem). */
static inline void *lowmem_page_address(const struct page *page)
{
	return __va(page_to_phys(page));
}

static inline struct page *virt_to_page(const void *va)
{
	return pfn_to_page(__pa(va) >> PAGE_SHIFT);
}

#endif
