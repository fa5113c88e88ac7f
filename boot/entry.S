/*
 * The first instructions the kernel runs.
 *
 * GRUB enters _start in 32-bit protected mode with paging off, EAX =
 * the multiboot2 magic and EBX = the physical address of its boot
 * information. This file, linked at its physical address (see
 * linker.ld), checks that the CPU can do what the kernel needs (PAE
 * and NX), builds a throw-away set of PAE page tables, turns paging on,
 * and jumps to kmain() in the higher half. arch/x86/paging.c replaces
 * these tables with the real ones soon after.
 */
#include <x86/asm.h>
#include <x86/paging_on.h>

#define MB2_MAGIC	0xE85250D6
#define MB2_ARCH_I386	0

/* The multiboot2 header: GRUB looks for it in the first 32 KiB. */
	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long	MB2_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* end tag: type 0, flags 0, size 8 */
	.balign 8
	.short	0
	.short	0
	.long	8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	movl	$boot_early_stack_top, %esp
	movl	%eax, %esi		/* keep the magic and the info */
	movl	%ebx, %edi		/* pointer for kmain() */

	call	early_serial_init

	/* CPUID leaf 1, EDX bit 6: PAE. */
	movl	$1, %eax
	cpuid
	testl	$(1 << 6), %edx
	jz	no_pae

	/* CPUID 0x80000001, EDX bit 20: NX (execute disable). */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_nx
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 20), %edx
	jz	no_nx

	call	build_boot_page_tables

	/* PAE (CR4 bit 5), NX (EFER.NXE, bit 11), then paging. */
	PAE_PAGING_ON $boot_pdpt

	/*
	 * Paging is on and this code still runs through the identity
	 * map. An absolute jump moves us to the higher half.
	 */
	movl	$higher_half, %eax
	jmp	*%eax

/*
 * One page directory of 2 MiB pages mapping physical 0..1 GiB, used
 * twice: at virtual 0 (so the instructions after "paging on" keep
 * running) and at PAGE_OFFSET (where the kernel is linked).
 */
build_boot_page_tables:
	pushl	%edi
	movl	$boot_pd, %edi
	xorl	%eax, %eax
	movl	$(4096 / 4), %ecx
	rep stosl
	movl	$boot_pdpt, %edi
	movl	$(32 / 4), %ecx
	rep stosl

	movl	$boot_pd, %edi
	movl	$(PTE_P | PTE_W | PTE_PS), %eax
	movl	$512, %ecx
1:	movl	%eax, (%edi)
	addl	$(2 << 20), %eax
	addl	$8, %edi
	loop	1b

	movl	$(boot_pd + PTE_P), %eax
	movl	%eax, boot_pdpt		/* virtual 0 .. 1 GiB */
	movl	%eax, boot_pdpt + 24	/* PAGE_OFFSET .. +1 GiB */
	popl	%edi
	ret

/* COM1 at 115200 8N1, polled: enough to say why we cannot boot. */
early_serial_init:
	movw	$0x3f9, %dx
	xorb	%al, %al
	outb	%al, %dx		/* no interrupts */
	movw	$0x3fb, %dx
	movb	$0x80, %al
	outb	%al, %dx		/* divisor latch on */
	movw	$0x3f8, %dx
	movb	$1, %al
	outb	%al, %dx		/* divisor 1: 115200 baud */
	movw	$0x3f9, %dx
	xorb	%al, %al
	outb	%al, %dx
	movw	$0x3fb, %dx
	movb	$0x03, %al
	outb	%al, %dx		/* 8 bits, no parity, 1 stop */
	ret

/* Print the NUL-terminated string at %esi on COM1. */
early_puts:
1:	movb	(%esi), %bl
	testb	%bl, %bl
	jz	3f
	movw	$0x3fd, %dx
2:	inb	%dx, %al
	testb	$0x20, %al		/* transmitter holding register empty? */
	jz	2b
	movw	$0x3f8, %dx
	movb	%bl, %al
	outb	%al, %dx
	incl	%esi
	jmp	1b
3:	ret

no_pae:
	movl	$msg_no_pae, %esi
	jmp	die
no_nx:
	movl	$msg_no_nx, %esi
die:
	call	early_puts
1:	cli
	hlt
	jmp	1b

	.section .boot.data, "a"
msg_no_pae:
	.asciz	"hmos: this CPU has no PAE; the kernel needs it (QEMU: -cpu max). Halting.\r\n"
msg_no_nx:
	.asciz	"hmos: this CPU has no NX; the kernel needs it (QEMU: -cpu max). Halting.\r\n"

	.section .boot.bss, "aw", @nobits
	.balign	4096
boot_pd:
	.skip	4096
boot_pdpt:
	.skip	32
	.balign	16
	.skip	1024
boot_early_stack_top:

	.text
higher_half:
	movl	$(boot_stack + BOOT_STACK_SIZE), %esp
	xorl	%ebp, %ebp		/* backtraces stop here */
	pushl	%edi			/* multiboot2 info, physical */
	pushl	%esi			/* multiboot2 magic */
	call	kmain
1:	cli
	hlt
	jmp	1b

	.bss
	.balign	4096
	.globl	boot_stack
boot_stack:
	.skip	BOOT_STACK_SIZE

	.section .note.GNU-stack, "", @progbits
