/*
 * copy_from_kernel_nofault (include/mm/maccess.h): the generic half.
 * Page faults are disabled around the arch's copy, so a fault in it is
 * never resolved by demand paging (nor allowed to sleep): it goes to the
 * copy's exception-table fixup, which stops the copy.
 */
#include <arch/mmu.h>
#include <kernel/errno.h>
#include <mm/fault.h>
#include <mm/maccess.h>

int copy_from_kernel_nofault(void *dst, const void *src, size_t len)
{
	size_t left;

	pagefault_disable();
	left = arch_copy_nofault(dst, src, len);
	pagefault_enable();
	return left ? -EFAULT : 0;
}

int copy_from_kernel_may_fault(void *dst, const void *src, size_t len)
{
	return arch_copy_nofault(dst, src, len) ? -EFAULT : 0;
}
