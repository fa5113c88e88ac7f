/*
 * Constants shared by x86 assembly and C: control-register bits, MSR
 * numbers, page-table entry bits. Private to arch/x86 and boot/.
 */
#ifndef X86_ASM_H
#define X86_ASM_H

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)	/* supervisor writes honour R/O */
#define CR0_PG		(1 << 31)

#define CR4_PSE		(1 << 4)
#define CR4_PAE		(1 << 5)
#define CR4_PGE		(1 << 7)	/* global pages survive CR3 loads */

#define MSR_EFER	0xC0000080
#define EFER_NXE	(1 << 11)

/* PAE page-table entry bits (the low word; NX is bit 63). */
#define PTE_P		(1 << 0)	/* present */
#define PTE_W		(1 << 1)	/* writable */
#define PTE_U		(1 << 2)	/* user (never set here) */
#define PTE_PWT		(1 << 3)
#define PTE_PCD		(1 << 4)	/* cache disable (MMIO) */
#define PTE_A		(1 << 5)
#define PTE_D		(1 << 6)
#define PTE_PS		(1 << 7)	/* 2 MiB page, in a PDE */
#define PTE_G		(1 << 8)	/* global */

#define BOOT_STACK_SIZE	16384

/* GDT selectors (see arch/x86/gdt.c). */
#define GDT_KERNEL_CS	0x08
#define GDT_KERNEL_DS	0x10
#define GDT_PERCPU	0x18
#define GDT_TSS		0x20
#define GDT_DF_TSS	0x28
#define GDT_ENTRIES	6

/* Where the AP start-up code is copied: below 1 MiB, page-aligned. */
#define TRAMPOLINE_PHYS	0x8000

#define TRAP_STUB_SIZE	16	/* bytes per entry stub, trap_entry.S */

#endif
