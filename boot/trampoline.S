/*
 * The AP trampoline: the first instructions an application processor
 * runs.
 *
 * A start-up IPI wakes an AP in 16-bit real mode at physical address
 * (vector << 12), so this code is copied to TRAMPOLINE_PHYS (below
 * 1 MiB) by arch/x86/smpboot.c and runs there, not where it is linked.
 * Every address it uses is therefore computed as TRAMPOLINE_PHYS plus
 * the offset from trampoline_start (the REL macro).
 *
 * The steps mirror boot/entry.S, faster: a flat GDT and protected mode;
 * PAE and NX on; the kernel's own page tables (which, while APs start,
 * also map the low 2 MiB at virtual 0 so this code survives paging
 * being turned on); global pages; then a jump to the C entry in the
 * higher half on the stack the boot CPU allocated for this AP.
 *
 * The boot CPU fills trampoline_params before each start-up IPI and
 * starts one AP at a time, so one copy of the parameters suffices.
 *
 * Only the AP being started may use them. One the boot CPU has given
 * up on can still arrive: on a starved host its start-up IPI may be
 * taken long after (QEMU keeps it pending across the INIT that was to
 * park the AP), when the parameters are another AP's, or after the
 * boot, when the low identity map is gone and paging on would fault
 * with no IDT loaded yet: a triple fault, the whole machine reset. So
 * the first thing the trampoline does is compare its own APIC id
 * (CPUID leaf 1, EBX bits 31-24, which real mode can read) with the
 * one the boot CPU is starting, and halt for good, in real mode and
 * touching nothing, if they differ.
 */
#include <x86/asm.h>
#include <x86/paging_on.h>

#define REL(sym) (TRAMPOLINE_PHYS + (sym) - trampoline_start)

	.section .rodata.trampoline, "a"
	.code16
	.globl	trampoline_start
trampoline_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movl	$1, %eax
	cpuid
	shrl	$24, %ebx		/* this CPU's initial APIC id */
	cmpl	REL(tp_apic_id), %ebx
	jne	tramp_park
	lgdtl	REL(tramp_gdt_desc)
	/* Not ORed in: the reset value has caching off (CD, NW). */
	movl	$CR0_KERNEL_NO_PAGING, %eax
	movl	%eax, %cr0
	/* A far jump reloads CS from the new GDT: 32-bit from here. */
	ljmpl	$GDT_KERNEL_CS, $REL(tramp_protected)

	/* Not the AP being started: stop here, interrupts off, for good. */
tramp_park:
	hlt
	jmp	tramp_park

	.code32
tramp_protected:
	movl	$GDT_KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss

	PAE_PAGING_ON REL(tp_cr3)
	/* Still running at the identity map; kernel pages are global. */
	movl	%cr4, %eax
	orl	$CR4_PGE, %eax
	movl	%eax, %cr4

	movl	REL(tp_stack), %esp
	xorl	%ebp, %ebp		/* backtraces stop here */
	pushl	REL(tp_cpu)		/* the C entry's argument */
	pushl	$0			/* and no return address */
	jmp	*REL(tp_entry)

	.balign	8
tramp_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: flat 4 GiB code, ring 0 */
	.quad	0x00cf92000000ffff	/* 0x10: flat 4 GiB data, ring 0 */
tramp_gdt_desc:
	.word	tramp_gdt_desc - tramp_gdt - 1
	.long	REL(tramp_gdt)

/* Filled by the boot CPU; struct trampoline_params in smpboot.c. */
	.balign	4
	.globl	trampoline_params
trampoline_params:
tp_cr3:		.long	0
tp_stack:	.long	0
tp_entry:	.long	0
tp_cpu:		.long	0
tp_apic_id:	.long	TRAMPOLINE_NO_AP /* the AP being started */
	.globl	trampoline_end
trampoline_end:

	.section .note.GNU-stack, "", @progbits
