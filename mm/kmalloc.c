/*
 * A simple size-class allocator on top of the page allocator.
 *
 * Each class (16 << k bytes) owns lowmem pages cut into equal slots.
 * Free slots of all its pages are kept on one free list, threaded
 * through the slots themselves. A page remembers its class in its
 * struct page, so kfree() needs no size. Pages are never returned to
 * the buddy allocator: this keeps the code short, and the kernel's
 * small-object use is bounded.
 *
 * A large allocation (over KMALLOC_MAX_SMALL) is a block of pages;
 * its head page has no PG_slab, and its order is in the struct page.
 */
#include <kernel/panic.h>
#include <kernel/spinlock.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/layout.h>
#include <mm/page_alloc.h>

#define NR_CLASSES 8 /* 16, 32, ... 2048 */
#define MIN_SHIFT  4
/*
 * The size-class field of a block kmalloc took whole from the page
 * allocator: so kfree can tell its own large blocks from pages that
 * alloc_page handed to someone else.
 */
#define CLASS_LARGE	 0xFu
#define CLASS_LARGE_TAIL 0xEu /* the block's other pages */
_Static_assert(NR_CLASSES <= CLASS_LARGE_TAIL,
	       "no class numbers left for large blocks");

/*
 * A free slot: the link, and a mark that says "maybe on a free list".
 * The mark makes a double kfree cheap to catch: only a slot that bears
 * it is looked for on the list (live data may hold the same value by
 * chance, so the mark alone proves nothing; the walk does). Every slot
 * is at least 16 bytes, so both words fit.
 */
struct free_slot {
	struct free_slot *next;
	uint32_t mark;
};

#define SLOT_FREE_MARK 0xf7ee51a7u

struct size_class {
	spinlock_t lock;
	/* protected by lock: */
	struct free_slot *free;
	unsigned long live;
};

static struct size_class classes[NR_CLASSES];
static unsigned long live_large;
static unsigned long slab_pages; /* pages cut into slots, ever */

static unsigned int page_slab_class(const struct page *page)
{
	return (page->flags & PG_SLAB_MASK) >> PG_SLAB_SHIFT;
}

/* Label (or unlabel) every page of a large block as kmalloc's own. */
static void mark_large_block(struct page *head, unsigned int order, bool mark)
{
	for (unsigned int i = 0; i < 1u << order; i++) {
		uint32_t class = i ? CLASS_LARGE_TAIL : CLASS_LARGE;

		page_flags_update(head + i, PG_slab | PG_SLAB_MASK,
				  mark ? PG_slab | (class << PG_SLAB_SHIFT)
				       : 0);
	}
}

static unsigned int size_to_class(size_t size)
{
	unsigned int c = 0;

	while ((16u << c) < size)
		c++;
	return c;
}

/* Cut a new page into slots. Class lock held. */
static bool class_grow(struct size_class *sc, unsigned int c)
{
	struct page *page = alloc_page(GFP_KERNEL);
	char *base;
	size_t slot = 16u << c;

	if (!page)
		return false;
	__sync_fetch_and_add(&slab_pages, 1);
	page_flags_update(page, PG_slab | PG_SLAB_MASK,
			  PG_slab | (c << PG_SLAB_SHIFT));
	base = lowmem_page_address(page);
	for (size_t off = 0; off + slot <= PAGE_SIZE; off += slot) {
		struct free_slot *fs = (struct free_slot *)(base + off);

		fs->next = sc->free;
		fs->mark = SLOT_FREE_MARK;
		sc->free = fs;
	}
	return true;
}

/* Is fs on the class's free list? Class lock held. */
static bool slot_is_free(const struct size_class *sc,
			 const struct free_slot *fs)
{
	for (const struct free_slot *f = sc->free; f; f = f->next)
		if (f == fs)
			return true;
	return false;
}

void *kmalloc(size_t size)
{
	struct size_class *sc;
	struct free_slot *fs = NULL;
	unsigned long flags;
	unsigned int c;

	if (size > KMALLOC_MAX_SMALL) {
		unsigned int order = 0;
		void *p;

		/*
		 * Stop past MAX_ORDER: alloc_pages refuses (and reports)
		 * that order. Unbounded, PAGE_SIZE << order wraps to 0 at
		 * order 20, and a size over 2 GiB looped forever.
		 */
		while (order <= MAX_ORDER && (PAGE_SIZE << order) < size)
			order++;
		p = get_free_pages(order);
		if (p) {
			mark_large_block(virt_to_page(p), order, true);
			__sync_fetch_and_add(&live_large, 1);
		}
		return p;
	}
	c = size_to_class(size ? size : 1);
	sc = &classes[c];
	flags = spin_lock_irqsave(&sc->lock);
	if (sc->free || class_grow(sc, c)) {
		fs = sc->free;
		sc->free = fs->next;
		fs->mark = 0; /* live now: kfree need not search */
		sc->live++;
	}
	spin_unlock_irqrestore(&sc->lock, flags);
	return fs;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/*
 * kfree() of something kmalloc did not return: say where the address
 * is (the stack, the vmalloc area, a page from alloc_page...) and do
 * nothing. A vmalloc address must not reach virt_to_page (its __pa
 * check would panic), so the region test comes first.
 */
static bool kfree_refuses(const void *ptr)
{
	uintptr_t va = (uintptr_t)ptr;
	struct page *page;
	const char *why = NULL;

	if (va < PAGE_OFFSET || va >= high_memory) {
		WARN(1,
		     "kfree(%p): not an address kmalloc returned (it is in "
		     "%s)",
		     ptr, layout_region_describe(va));
		return true;
	}
	page = virt_to_page(ptr);
	if (!(page->flags & PG_slab))
		why = (page->flags & PG_freed) ? "a page already freed: a "
						 "double free?"
					       : "a page kmalloc does not own";
	else if (page_slab_class(page) == CLASS_LARGE_TAIL ||
		 (page_slab_class(page) == CLASS_LARGE && (va & ~PAGE_MASK)))
		why = "inside a large kmalloc block, not at its start";
	if (why)
		WARN(1,
		     "kfree(%p): not an address kmalloc returned (%s, in "
		     "%s)",
		     ptr, why, layout_region_describe(va));
	return why != NULL;
}

void kfree(const void *ptr)
{
	struct page *page;
	struct size_class *sc;
	struct free_slot *fs = (struct free_slot *)ptr;
	unsigned long flags;
	unsigned int c;

	if (!ptr || kfree_refuses(ptr))
		return;
	page = virt_to_page(ptr);
	c = page_slab_class(page);
	if (c == CLASS_LARGE) {
		unsigned int order = page_order(page);

		/* Unlabel first: once freed, the pages may be someone's. */
		mark_large_block(page, order, false);
		if (!free_pages(page, order)) {
			/* Refused (reported): the block is still ours. */
			mark_large_block(page, order, true);
			return;
		}
		__sync_fetch_and_sub(&live_large, 1);
		return;
	}
	if (WARN((uintptr_t)ptr % (16u << c),
		 "kfree(%p): not the start of a %u-byte object", ptr, 16u << c))
		return;
	sc = &classes[c];
	flags = spin_lock_irqsave(&sc->lock);
	/*
	 * Put on the list twice, the slot would be handed out twice: two
	 * owners of one object, and a live count that drifts down.
	 */
	if (fs->mark == SLOT_FREE_MARK && slot_is_free(sc, fs)) {
		spin_unlock_irqrestore(&sc->lock, flags);
		WARN(1,
		     "kfree(%p): double free of a %u-byte object "
		     "(refused)",
		     ptr, 16u << c);
		return;
	}
	fs->next = sc->free;
	fs->mark = SLOT_FREE_MARK;
	sc->free = fs;
	sc->live--;
	spin_unlock_irqrestore(&sc->lock, flags);
}

unsigned long kmalloc_live_objects(void)
{
	unsigned long n = READ_ONCE(live_large);

	for (int c = 0; c < NR_CLASSES; c++)
		n += READ_ONCE(classes[c].live);
	return n;
}

unsigned long kmalloc_slab_pages(void)
{
	return READ_ONCE(slab_pages);
}

void kmalloc_init(void)
{
	for (int c = 0; c < NR_CLASSES; c++)
		spin_lock_init(&classes[c].lock, "kmalloc_class");
}
