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
#include <mm/page_alloc.h>

#define NR_CLASSES	8	/* 16, 32, ... 2048 */
#define MIN_SHIFT	4

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

#define SLOT_FREE_MARK	0xf7ee51a7u

struct size_class {
	spinlock_t lock;
	/* protected by lock: */
	struct free_slot *free;
	unsigned long live;
};

static struct size_class classes[NR_CLASSES];
static unsigned long live_large;
static unsigned long slab_pages;	/* pages cut into slots, ever */

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
		if (p)
			__sync_fetch_and_add(&live_large, 1);
		return p;
	}
	c = size_to_class(size ? size : 1);
	sc = &classes[c];
	flags = spin_lock_irqsave(&sc->lock);
	if (sc->free || class_grow(sc, c)) {
		fs = sc->free;
		sc->free = fs->next;
		fs->mark = 0;	/* live now: kfree need not search */
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

void kfree(const void *ptr)
{
	struct page *page;
	struct size_class *sc;
	struct free_slot *fs = (struct free_slot *)ptr;
	unsigned long flags;
	unsigned int c;

	if (!ptr)
		return;
	page = virt_to_page(ptr);
	if (!(page->flags & PG_slab)) {
		if (WARN(((uintptr_t)ptr & ~PAGE_MASK) || page->refcount != 1,
			 "kfree(%p): not an address kmalloc returned", ptr))
			return;
		__sync_fetch_and_sub(&live_large, 1);
		free_pages(page, page_order(page));
		return;
	}
	c = (page->flags & PG_SLAB_MASK) >> PG_SLAB_SHIFT;
	if (WARN((uintptr_t)ptr % (16u << c),
		 "kfree(%p): not the start of a %u-byte object", ptr,
		 16u << c))
		return;
	sc = &classes[c];
	flags = spin_lock_irqsave(&sc->lock);
	/*
	 * Put on the list twice, the slot would be handed out twice: two
	 * owners of one object, and a live count that drifts down.
	 */
	if (fs->mark == SLOT_FREE_MARK && slot_is_free(sc, fs)) {
		spin_unlock_irqrestore(&sc->lock, flags);
		WARN(1, "kfree(%p): double free of a %u-byte object "
		     "(refused)", ptr, 16u << c);
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
