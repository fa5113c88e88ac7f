/*
 * arch_switch_to(prev_sp, next_sp): the one place where the CPU moves
 * from one task's stack to another's.
 *
 * The C calling convention lets a callee clobber eax, ecx and edx, so
 * only ebp, ebx, esi and edi must survive; they are pushed on the old
 * stack, the stacks are swapped, and they are popped from the new one.
 * The final ret returns into whatever called arch_switch_to in the next
 * task (or, for a new task, into the entry arch_task_initial_sp set).
 */
	.text
	.globl	arch_switch_to
arch_switch_to:
	movl	4(%esp), %eax		/* uintptr_t *prev_sp */
	movl	8(%esp), %edx		/* uintptr_t next_sp */
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	%esp, (%eax)
	movl	%edx, %esp
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

	.section .note.GNU-stack, "", @progbits
