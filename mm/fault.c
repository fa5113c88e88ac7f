/*
 * The generic page-fault policy (see include/mm/fault.h).
 *
 * The exception table: a sorted-by-nothing list of (faulting
 * instruction, resume address) pairs that code expecting a fault emits
 * with the EXTABLE_ENTRY macro. A fault at a listed instruction resumes
 * at its fixup instead of panicking.
 */
#include <mm/extable.h>
#include <mm/fault.h>

extern const struct extable_entry __ex_table_start[];
extern const struct extable_entry __ex_table_end[];

uintptr_t extable_search(uintptr_t pc)
{
	for (const struct extable_entry *e = __ex_table_start;
	     e < __ex_table_end; e++)
		if (e->insn == pc)
			return e->fixup;
	return 0;
}

bool mm_handle_page_fault(const struct page_fault *pf, uintptr_t *fixup)
{
	*fixup = extable_search(pf->pc);
	return *fixup != 0;
}
