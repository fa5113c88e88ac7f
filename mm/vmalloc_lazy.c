/*
 * Demand-paged kernel memory (include/mm/vmalloc_lazy.h): the window's
 * bump allocator, and the fill the page-fault handler calls.
 *
 * Which pages belong to an area is kept in a bitmap, one bit per page
 * of the window, set when vmalloc_lazy hands the page out: a touch of
 * a guard page, or of the window beyond what was handed out, is not
 * filled but reported like any wild access.
 *
 * A fill may race with the same page's fill on another CPU (two threads
 * touching it at once): each allocates and zeroes a page, and the one
 * that finds the entry still empty under lazy_lock installs its page;
 * the other frees its own. The entry only ever goes from not-present to
 * present, and x86 never caches a not-present entry in the TLB, so no
 * CPU needs a flush.
 *
 * The new page is highmem when there is some, zeroed through a
 * kmap_local_page() map: the fault handler itself nests a local map on
 * top of whatever maps the faulting task holds (lazy_zeroed_page says
 * what happens when the task already holds all it may).
 */
#include <arch/mmu.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc_lazy.h>

#define LAZY_PAGES (VMALLOC_LAZY_SIZE / PAGE_SIZE)

static DEFINE_SPINLOCK(lazy_lock);
/* protected by lazy_lock (written; read locklessly, bits only get set): */
static uintptr_t lazy_next = VMALLOC_LAZY_START;
static uint32_t lazy_in_area[LAZY_PAGES / 32];
static unsigned long lazy_filled;

static unsigned int lazy_page_index(uintptr_t va)
{
	return (va - VMALLOC_LAZY_START) / PAGE_SIZE;
}

void *vmalloc_lazy(size_t size)
{
	uintptr_t len = ALIGN_UP((uintptr_t)size, PAGE_SIZE);
	unsigned long flags;
	void *p = NULL;

	if (!size || size > VMALLOC_LAZY_SIZE)
		return NULL;
	flags = spin_lock_irqsave(&lazy_lock);
	/* + a guard page, never filled: an overrun faults. */
	if (VMALLOC_END - lazy_next >= len + PAGE_SIZE) {
		p = (void *)lazy_next;
		for (uintptr_t va = lazy_next; va < lazy_next + len;
		     va += PAGE_SIZE) {
			unsigned int i = lazy_page_index(va);

			lazy_in_area[i / 32] |= 1u << (i % 32);
		}
		lazy_next += len + PAGE_SIZE;
	}
	spin_unlock_irqrestore(&lazy_lock, flags);
	return p;
}

bool vmalloc_lazy_contains(uintptr_t va)
{
	unsigned int i;

	if (va < VMALLOC_LAZY_START || va >= VMALLOC_END)
		return false;
	i = lazy_page_index(va);
	return READ_ONCE(lazy_in_area[i / 32]) & (1u << (i % 32));
}

/*
 * A fresh zeroed page for the lazy address va, or NULL.
 *
 * Zeroing a highmem page takes one kmap_local slot on top of the
 * faulting task's own maps. A task may hold all KM_MAX_IDX of them and
 * still touch a lazy page: page faults are allowed under
 * kmap_local_page(), and the fault is not a map the task asked for, so
 * it must not fail for want of a slot. Such a task gets a lowmem page
 * instead, zeroed through the direct map, which needs no slot at all.
 * Only if lowmem is used up too is the fill refused; the fault then
 * ends in a report that names the address, and this message says why.
 */
static struct page *lazy_zeroed_page(uintptr_t va)
{
	struct page *page;

	if (kmap_local_depth() < KM_MAX_IDX) {
		void *p;

		page = alloc_page(GFP_HIGHUSER);
		if (!page)
			return NULL;
		p = kmap_local_page(page);
		memset(p, 0, PAGE_SIZE);
		kunmap_local(p);
		return page;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		pr_err("vmalloc_lazy: cannot fill %08lx: thread %s holds "
		       "KM_MAX_IDX (%d) kmap_local maps, so no slot is left "
		       "to zero a highmem page, and lowmem has no free page\n",
		       (unsigned long)va, current_task_name(), KM_MAX_IDX);
		return NULL;
	}
	memset(lowmem_page_address(page), 0, PAGE_SIZE);
	return page;
}

bool vmalloc_lazy_fill(uintptr_t va)
{
	struct page *page = lazy_zeroed_page(va);
	unsigned long flags;
	bool installed = false;

	if (!page)
		return false;
	va &= PAGE_MASK;
	flags = spin_lock_irqsave(&lazy_lock);
	if (!arch_pte_present(arch_get_kernel_pte(va))) {
		arch_set_kernel_pte(va, arch_make_pte(page_to_phys(page),
						      MAP_READ | MAP_WRITE));
		lazy_filled++;
		installed = true;
	}
	spin_unlock_irqrestore(&lazy_lock, flags);
	if (!installed)
		free_page(page); /* another CPU filled it first */
	return true;
}

unsigned long vmalloc_lazy_filled(void)
{
	return READ_ONCE(lazy_filled);
}
