/*
 * Assembly only (boot/entry.S, boot/trampoline.S): the macro that turns
 * paging on. Kept out of asm.h, which C files include too.
 */
#ifndef X86_PAGING_ON_H
#define X86_PAGING_ON_H

#include <x86/asm.h>

/* Assembly, not C: clang-format leaves it alone. */
/* clang-format off */

/*
 * Turn on PAE paging with NX, with cr3 (any movl source operand) as the
 * page-directory-pointer table: the same steps for the boot CPU
 * (boot/entry.S) and every AP (boot/trampoline.S). NX comes before
 * paging, because the tables' entries have bit 63 set. CR0 is written
 * whole with CR0_KERNEL, which also turns the caches on. Clobbers eax,
 * ecx, edx. Runs at an identity-mapped address.
 */
.macro PAE_PAGING_ON cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_NXE, %eax
	wrmsr
	movl	\cr3, %eax
	movl	%eax, %cr3
	movl	$CR0_KERNEL, %eax	/* the whole value: see asm.h */
	movl	%eax, %cr0
.endm
/* clang-format on */

#endif
