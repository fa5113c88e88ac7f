/*
 * Interrupt and exception entry stubs, one per vector.
 *
 * Each stub makes the stack look the same (an error code, real or a
 * zero, then the vector number) and jumps to trap_common, which saves
 * the registers as a struct arch_regs and calls trap_dispatch(regs).
 */
#include <x86/asm.h>

/* Vectors for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
	 (v) == 29 || (v) == 30)

	.text
	.balign 16
trap_common:
	pushal
	pushl	%ds
	pushl	%es
	pushl	%fs
	pushl	%gs
	movl	$GDT_KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	$GDT_PERCPU, %eax
	movl	%eax, %fs
	movl	%esp, %eax
	pushl	%eax			/* struct arch_regs * */
	cld
	call	trap_dispatch
	addl	$4, %esp
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	popal
	addl	$8, %esp		/* vector and error code */
	iret

/*
 * 256 stubs, each padded to TRAP_STUB_SIZE bytes, so that idt.c finds
 * vector v's stub at trap_stubs + v * TRAP_STUB_SIZE without a table.
 */
	.balign	TRAP_STUB_SIZE
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	256
	.balign	TRAP_STUB_SIZE
	.if	!HAS_ERROR_CODE(vec)
	pushl	$0
	.endif
	pushl	$vec
	jmp	trap_common
	.set	vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
