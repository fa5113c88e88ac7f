/*
 * What an address of the vmalloc area is: busy (and then whose, which
 * page of it, or which guard page), lazily freed, or free. Fault
 * reports (mm/fault.c) and tests ask; mm/vmalloc.c keeps the areas.
 * Each answer is a snapshot under vmap_lock, or, for a fault report
 * that may come while this CPU holds it, a try of the lock.
 */
#include <lib/format.h>
#include <mm/vmalloc_internal.h>

enum vmap_state vmap_addr_state(uintptr_t va)
{
	enum vmap_state s = VMAP_NOT_IN_AREA;

	if (!in_vmalloc_area(va))
		return s;
	spin_lock(&vmap_lock);
	if (vm_area_busy_find(va))
		s = VMAP_BUSY;
	else if (vmap_lazy_find(va))
		s = VMAP_LAZY;
	else if (vm_area_free_at(va))
		s = VMAP_FREE;
	spin_unlock(&vmap_lock);
	return s;
}

/* vmap_lock held: name the busy area va falls in. */
static void describe_busy(const struct vm_area *a, uintptr_t va, char *buf,
			  size_t len)
{
	const char *kind = (a->flags & VM_STACK)   ? "stack"
			   : (a->flags & VM_ALLOC) ? "vmalloc"
						   : "vmap";
	uintptr_t top = a->addr + (a->nr_pages << PAGE_SHIFT);

	if (va < a->addr)
		snprintf(buf, len, "guard page of thread %s's stack",
			 a->owner ? a->owner : "?");
	else if (va >= top && (a->flags & VM_STACK))
		snprintf(buf, len, "guard page above thread %s's stack",
			 a->owner ? a->owner : "?");
	else if (va >= top)
		snprintf(buf, len,
			 "guard page after the %s area at %08lx "
			 "(%u pages)",
			 kind, (unsigned long)a->addr, a->nr_pages);
	else if (a->flags & VM_STACK)
		snprintf(buf, len, "page %lu of %u of thread %s's stack",
			 (unsigned long)((va - a->addr) >> PAGE_SHIFT) + 1,
			 a->nr_pages, a->owner ? a->owner : "?");
	else
		snprintf(buf, len, "page %lu of %u of a %s area at %08lx",
			 (unsigned long)((va - a->addr) >> PAGE_SHIFT) + 1,
			 a->nr_pages, kind, (unsigned long)a->addr);
}

bool vmalloc_describe(uintptr_t va, char *buf, size_t len)
{
	struct vm_area *a;

	if (!in_vmalloc_area(va))
		return false;
	/* A fault report may come while this CPU holds the lock. */
	if (!spin_trylock(&vmap_lock)) {
		snprintf(buf, len, "(vmap lock busy: area unknown)");
		return true;
	}
	if ((a = vm_area_busy_find(va)))
		describe_busy(a, va, buf, len);
	else if (vmap_lazy_find(va))
		snprintf(buf, len,
			 "a freed area awaiting its TLB purge "
			 "(use after vunmap/vfree?)");
	else
		snprintf(buf, len, "no area: free vmalloc space");
	spin_unlock(&vmap_lock);
	return true;
}
