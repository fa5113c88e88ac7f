/*
 * Page-fault policy: the generic part of the page-fault handler, and
 * pagefault_disable(), the switch that tells it not to resolve faults.
 *
 * The arch decodes the fault into a struct page_fault and asks
 * mm_handle_page_fault() whether the memory manager can resolve it.
 * In order, it tries:
 *   1. demand paging: a first touch of the vmalloc_lazy window gets a
 *      fresh zeroed page (include/mm/vmalloc_lazy.h), but only when
 *      the faulting code could have slept: page faults not disabled,
 *      preemption not disabled, interrupts on;
 *   2. an exception-table fixup: code that expects a fault (such as
 *      copy_from_kernel_nofault) lists where to resume;
 * and anything left is a kernel bug, which the arch reports as a
 * panic (calling mm_fault_describe() to add what mm knows).
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include <kernel/task.h>

struct page_fault {
	uintptr_t address;
	uintptr_t pc;
	bool write;
	bool exec;
	bool present;
	/* The faulting code ran with interrupts enabled. */
	bool irqs_were_enabled;
};

/*
 * Try to resolve a kernel page fault. Called by the arch with
 * interrupts off (the fault entered through an interrupt gate); may
 * turn them on while it works, when the faulting code had them on and
 * was not atomic, and turns them off again before it returns.
 * Return: true if resolved; *fixup is then 0 (retry the access) or the
 * address to resume at instead.
 */
bool mm_handle_page_fault(const struct page_fault *pf, uintptr_t *fixup);

/*
 * Print, at KERN_EMERG, what mm knows about a faulting address beyond
 * its region's name: for a kmap slot, which CPU and index it is and
 * what is mapped around it; for the lazy window, why it was not filled.
 * Context: the panic path of the page-fault handler.
 */
void mm_fault_describe(uintptr_t va);

/*
 * pagefault_disable() / pagefault_enable(): while the current task's
 * count is raised, a page fault is never resolved by demand paging: it
 * goes straight to its exception-table fixup, or panics. Nests. The
 * count is per task (struct task), so it follows the task; interrupts
 * that raise it lower it again before they return.
 * Context: any; the task must be the one running (current_task()).
 *
 *	pagefault_disable();
 *	err = copy_from_kernel_nofault(&v, p, sizeof(v));  // may fail,
 *	pagefault_enable();                                // never sleeps
 */
static inline void pagefault_disable(void)
{
	current_task()->pagefault_disabled++;
	/* The count must be raised before any access it protects. */
	barrier();
}

static inline void pagefault_enable(void)
{
	barrier();
	current_task()->pagefault_disabled--;
}

/* Return: true if page faults are disabled for the current task. */
static inline bool pagefault_disabled(void)
{
	struct task *t = current_task();

	return t && t->pagefault_disabled;
}

#endif
