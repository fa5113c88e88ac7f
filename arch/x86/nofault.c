/*
 * The x86 half of copy_from_kernel_nofault (include/mm/maccess.h): a
 * copy whose one memory-touching instruction has an exception-table
 * entry.
 *
 * `rep movsb` is restartable: when it faults, the CPU reports the
 * fault with eip still on the instruction and ecx holding the bytes
 * left. So the fixup can simply be the next instruction: the handler
 * resumes there and ecx already says how much was not copied.
 */
#include <arch/mmu.h>
#include <mm/extable.h>

size_t arch_copy_nofault(void *dst, const void *src, size_t len)
{
	asm volatile("1:	rep movsb\n"
		     "2:\n" EXTABLE_ENTRY(1b, 2b)
		     : "+D"(dst), "+S"(src), "+c"(len)
		     :
		     : "memory");
	return len;
}
