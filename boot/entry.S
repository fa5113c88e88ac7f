/*
 * The first instructions the kernel runs.
 *
 * The boot loader enters _start in 32-bit protected mode with paging
 * off, EAX = its magic number and EBX = the physical address of its
 * boot information: GRUB through multiboot2, QEMU's own loader
 * (-kernel) through the first multiboot (arch/x86/bootinfo.c reads
 * either). This file, linked at its physical address (see
 * linker.ld), checks that the CPU can do what the kernel needs (PAE,
 * NX, CMPXCHG8B and the rest of the cpu_needs table), builds a throw-away set of PAE page tables, turns paging on,
 * and jumps to kmain() in the higher half. arch/x86/paging.c replaces
 * these tables with the real ones soon after.
 */
#include <kernel/emulator_exit.h>
#include <x86/asm.h>
#include <x86/paging_on.h>

#define MB2_MAGIC	0xE85250D6
#define MB2_ARCH_I386	0
#define MB1_MAGIC	0x1BADB002
#define MB1_MEMINFO	(1 << 1)	/* pass the memory map */

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

/*
 * The first multiboot's header, for QEMU's -kernel, which knows no
 * other: it must lie in the first 8 KiB. No address fields: the loader
 * reads where each part goes from the ELF program headers.
 */
	.balign 4
	.long	MB1_MAGIC
	.long	MB1_MEMINFO
	.long	-(MB1_MAGIC + MB1_MEMINFO)

	.section .boot.text, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	movl	$boot_early_stack_top, %esp
	movl	%eax, %esi		/* keep the loader's magic and info */
	movl	%ebx, %edi		/* pointer for kmain() */

	call	early_serial_init
	call	check_cpu_features

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

/*
 * What the kernel needs of the CPU: one row per feature, the CPUID leaf
 * whose EDX has it, its bit, and what to print when it is missing. A
 * CPU that lacks any is refused before the kernel runs one instruction
 * that needs it; every missing feature is named, not just the first.
 */
	.section .boot.data, "a"
	.balign	4
cpu_needs:
	.long	1, 1 << 4, need_tsc
	.long	1, 1 << 5, need_msr
	.long	1, 1 << 6, need_pae
	.long	1, 1 << 8, need_cx8
	.long	1, 1 << 9, need_apic
	.long	1, 1 << 13, need_pge
	.long	1, 1 << 15, need_cmov
	.long	0x80000001, 1 << 20, need_nx
	.long	0			/* end */

need_tsc:
	.asciz	"TSC (CPUID 1 EDX bit 4): the timer is calibrated with RDTSC"
need_msr:
	.asciz	"MSRs (CPUID 1 EDX bit 5): NX and the local APIC are turned on through them"
need_pae:
	.asciz	"PAE (CPUID 1 EDX bit 6): 64-bit page-table entries, memory above 4 GiB"
need_cx8:
	.asciz	"CMPXCHG8B (CPUID 1 EDX bit 8): a 64-bit PTE is written in one atomic step"
need_apic:
	.asciz	"local APIC (CPUID 1 EDX bit 9): the timer tick and the IPIs between CPUs"
need_pge:
	.asciz	"PGE (CPUID 1 EDX bit 13): kernel mappings are global pages"
need_cmov:
	.asciz	"CMOV (CPUID 1 EDX bit 15): the kernel is compiled for the i686"
need_nx:
	.asciz	"NX (CPUID 0x80000001 EDX bit 20): no-execute pages"
msg_lacks:
	.asciz	"hmos: this CPU has no "
msg_newline:
	.asciz	"\r\n"
msg_no_cpuid:
	.asciz	"hmos: this CPU has no CPUID instruction (a 386 or early 486): the kernel cannot tell what it can do\r\n"
msg_refused:
	.asciz	"hmos: the kernel needs all of the above (QEMU: -cpu max). Halting (QEMU: exit code 0x13 through isa-debug-exit).\r\n"

	.section .boot.text, "ax"
/*
 * Print every feature of cpu_needs this CPU lacks; refuse it if any.
 * Returns only if it has them all, with %esi and %edi (the loader's
 * magic and info pointer) as they were.
 */
check_cpu_features:
	pushl	%esi
	pushl	%edi
	call	cpuid_present
	jnz	1f
	movl	$msg_no_cpuid, %esi
	call	early_puts
	jmp	refuse_cpu
1:	xorl	%edi, %edi		/* features missing so far */
	movl	$cpu_needs, %ecx	/* early_puts keeps %ecx and %edi */
2:	movl	(%ecx), %eax
	testl	%eax, %eax
	jz	4f
	call	cpuid_edx
	testl	4(%ecx), %edx
	jnz	3f
	incl	%edi
	movl	$msg_lacks, %esi
	call	early_puts
	movl	8(%ecx), %esi
	call	early_puts
	movl	$msg_newline, %esi
	call	early_puts
3:	addl	$12, %ecx
	jmp	2b
4:	testl	%edi, %edi
	jnz	refuse_cpu
	popl	%edi
	popl	%esi
	ret

/*
 * ZF clear if the CPUID instruction exists: only then can EFLAGS.ID
 * (bit 21) be flipped. EFLAGS is left as it was.
 */
cpuid_present:
	pushfl
	pushfl
	xorl	$(1 << 21), (%esp)
	popfl
	pushfl
	popl	%eax
	xorl	(%esp), %eax		/* the bits that changed */
	popfl
	testl	$(1 << 21), %eax
	ret

/*
 * EDX of CPUID leaf %eax, or 0 if the CPU has no such leaf (the first
 * leaf of each range, 0 or 0x80000000, gives the range's last one).
 * Keeps %ebx and %ecx.
 */
cpuid_edx:
	pushl	%ebx
	pushl	%ecx
	pushl	%eax
	andl	$0x80000000, %eax
	cpuid
	cmpl	(%esp), %eax
	popl	%eax
	jb	1f
	cpuid
	jmp	2f
1:	xorl	%edx, %edx
2:	popl	%ecx
	popl	%ebx
	ret

/*
 * The kernel cannot run here. A test runner should not wait for its
 * timeout to learn that: leave QEMU with exit code QEMU_EXIT_NO_CPU if
 * its isa-debug-exit device is there (a write to a port nothing
 * decodes is ignored on a PC, so trying is safe), else halt.
 */
#define QEMU_DEBUG_EXIT_PORT	0xf4
refuse_cpu:
	movl	$msg_refused, %esi
	call	early_puts
	movw	$QEMU_DEBUG_EXIT_PORT, %dx
	movl	$QEMU_EXIT_NO_CPU, %eax
	outl	%eax, %dx
1:	cli
	hlt
	jmp	1b

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
	pushl	%edi			/* the loader's info, physical */
	pushl	%esi			/* the loader's magic */
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
