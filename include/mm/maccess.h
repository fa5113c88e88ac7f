/*
 * Reading kernel memory that may not be mapped, without crashing.
 *
 * copy_from_kernel_nofault() copies with page faults disabled and an
 * exception-table entry on the copying instruction: if the source (or
 * destination) faults, the fault handler resumes after the copy and
 * the call reports the failure instead of panicking. A debugger-style
 * reader (a backtrace walking a corrupt frame chain, a test probing a
 * guard page) uses it. copy_from_kernel_may_fault() is its sibling that
 * leaves page faults as the caller has them.
 */
#ifndef MM_MACCESS_H
#define MM_MACCESS_H

#include <kernel/compiler.h>

/*
 * Copy len bytes from src to dst, either of which may be unmapped.
 * Nothing is demand-paged: the vmalloc_lazy window reads as a failure
 * until something else has touched it.
 * Context: any, interrupts included; never sleeps.
 * Return: 0 if every byte was copied, -EFAULT if the copy faulted (dst
 * then holds the bytes copied before the fault).
 */
int copy_from_kernel_nofault(void *dst, const void *src, size_t len);

/*
 * The same copy, but faults are handled as usual first: a touch of a
 * vmalloc_lazy page is filled if the context allows (it then may
 * sleep), and only a fault nothing can resolve returns -EFAULT instead
 * of panicking. The way to show what pagefault_disable() changes: under
 * kmap_local_page() this succeeds on a fresh lazy page, under
 * kmap_atomic() it fails.
 * Context: as the caller's context allows faults (see mm/fault.c).
 * Return: 0, or -EFAULT if the copy hit a fault nothing resolved.
 */
int copy_from_kernel_may_fault(void *dst, const void *src, size_t len);

#endif
