/*
 * Page-fault policy: the generic part of the page-fault handler.
 *
 * The arch decodes the fault into a struct page_fault and asks
 * mm_handle_page_fault() whether the memory manager can resolve it.
 * Before that it could be a demand-paged region (issue 5); for now it
 * is an exception-table fixup: code that expects a fault (for example
 * copy_from_kernel_nofault) lists where to resume.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include <kernel/compiler.h>

struct page_fault {
	uintptr_t address;
	uintptr_t pc;
	bool write;
	bool exec;
	bool present;
};

/*
 * True if the fault is resolved; *fixup is then 0 (retry the access)
 * or the address to resume at instead.
 */
bool mm_handle_page_fault(const struct page_fault *pf, uintptr_t *fixup);

#endif
