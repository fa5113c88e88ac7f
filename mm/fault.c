/*
 * The generic page-fault policy (see include/mm/fault.h): demand paging
 * of the vmalloc_lazy window, the exception table, and what mm adds to
 * a fault report.
 *
 * Why the handler turns interrupts back on. The CPU enters the fault
 * handler through an interrupt gate, so interrupts are off. Filling a
 * lazy page allocates and zeroes a page, and in a kernel with swap or
 * files it would wait for I/O: a fault is allowed to sleep. If we kept
 * interrupts off, the tick could not preempt us and nothing could wake
 * us, so we turn them on again, but only when the faulting code had
 * them on and was not atomic: then it could have slept itself, and a
 * fault is just a call it did not write down. In any other context
 * (page faults disabled, preemption disabled, interrupts off, an
 * interrupt handler) the fault is not resolved: it goes to its
 * exception-table fixup, or is a bug.
 */
#include <arch/cpu.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <mm/extable.h>
#include <mm/fault.h>
#include <mm/highmem.h>
#include <mm/vmalloc_lazy.h>

extern const struct extable_entry __ex_table_start[];
extern const struct extable_entry __ex_table_end[];

/* Why the last lazy-window fault on each CPU was not filled. */
static const char *lazy_refusal[NR_CPUS];

/* Return: the fixup for a faulting pc, or 0 if it has none. Context: any. */
static uintptr_t extable_search(uintptr_t pc)
{
	for (const struct extable_entry *e = __ex_table_start;
	     e < __ex_table_end; e++)
		if (e->insn == pc)
			return e->fixup;
	return 0;
}

/* Return: NULL if the faulting code could sleep, else why not. */
static const char *fault_context_forbids(const struct page_fault *pf)
{
	if (pagefault_disabled())
		return "page faults are disabled (pagefault_disable, "
		       "kmap_atomic)";
	if (in_interrupt())
		return "it happened in an interrupt handler";
	if (preempt_count())
		return "preemption is disabled";
	if (!pf->irqs_were_enabled)
		return "interrupts were off";
	return NULL;
}

static bool lazy_fault(const struct page_fault *pf)
{
	const char *why = fault_context_forbids(pf);
	bool ok;

	if (why) {
		lazy_refusal[smp_processor_id()] = why;
		return false;
	}
	arch_irq_enable();
	might_sleep(); /* the rule above, asserted */
	ok = vmalloc_lazy_fill(pf->address);
	arch_irq_disable();
	if (!ok)
		lazy_refusal[smp_processor_id()] = "no free page";
	return ok;
}

bool mm_handle_page_fault(const struct page_fault *pf, uintptr_t *fixup)
{
	*fixup = 0;
	if (!pf->present && vmalloc_lazy_contains(pf->address) &&
	    lazy_fault(pf))
		return true;
	*fixup = extable_search(pf->pc);
	return *fixup != 0;
}

void mm_fault_describe(uintptr_t va)
{
	if (vmalloc_lazy_contains(va)) {
		const char *why = lazy_refusal[smp_processor_id()];

		printk(KERN_EMERG "vmalloc_lazy: %08lx was not filled: %s\n",
		       (unsigned long)va, why ? why : "(unknown)");
	}
	kmap_local_describe(va);
}
