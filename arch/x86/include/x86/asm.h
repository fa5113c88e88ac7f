/*
 * Constants shared by x86 assembly and C: control-register bits, MSR
 * numbers, page-table entry bits. Private to arch/x86 and boot/.
 */
#ifndef X86_ASM_H
#define X86_ASM_H

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)	 /* WAIT/FWAIT honour CR0.TS */
#define CR0_EM (1 << 2)	 /* no x87: FPU instructions trap */
#define CR0_TS (1 << 3)	 /* task switched: next FPU use traps */
#define CR0_ET (1 << 4)	 /* x87 present (fixed at 1 since 486) */
#define CR0_NE (1 << 5)	 /* x87 errors as exception 16 */
#define CR0_WP (1 << 16) /* supervisor writes honour R/O */
#define CR0_NW (1 << 29) /* not write-through (with CD) */
#define CR0_CD (1 << 30) /* cache disable */
#define CR0_PG (1 << 31)

/*
 * The one CR0 value every CPU runs the kernel with, boot CPU and APs
 * alike, written whole (never ORed into what was there: an AP leaves
 * reset with CD and NW set, caching off, and a boot loader may leave
 * anything). Bit by bit:
 *   PE  protected mode.
 *   MP, ET, NE  the x87 as a 486 or later has it: present (ET), WAIT
 *       obeys TS (MP), errors raise exception 16 instead of the
 *       legacy PC's IRQ 13 wiring (NE). The kernel itself never
 *       uses the FPU (-mgeneral-regs-only); this keeps a stray x87
 *       instruction well defined rather than dependent on the board.
 *   EM, TS  clear: no emulation, no lazy-FPU trap.
 *   WP  supervisor writes honour read-only pages, so the kernel's own
 *       read-only text and rodata are enforced against itself.
 *   CD, NW  clear: caching on, in write-back mode. Caches are empty
 *       after reset and nothing was cached while CD was set, so no
 *       flush is needed to turn them on.
 *   AM  clear: alignment checks only matter in user mode.
 *   PG  paging (the last step: see paging_on.h).
 * CR0_KERNEL_NO_PAGING is the same value before page tables exist
 * (an AP's first step, in boot/trampoline.S).
 */
#define CR0_KERNEL_NO_PAGING (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP)
#define CR0_KERNEL	     (CR0_KERNEL_NO_PAGING | CR0_PG)

#define CR4_PSE (1 << 4)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7) /* global pages survive CR3 loads */

#define MSR_EFER 0xC0000080
#define EFER_NXE (1 << 11)

/* PAE page-table entry bits (the low word; NX is bit 63). */
#define PTE_P	(1 << 0) /* present */
#define PTE_W	(1 << 1) /* writable */
#define PTE_U	(1 << 2) /* user (never set here) */
#define PTE_PWT (1 << 3)
#define PTE_PCD (1 << 4) /* cache disable (MMIO) */
#define PTE_A	(1 << 5)
#define PTE_D	(1 << 6)
#define PTE_PS	(1 << 7) /* 2 MiB page, in a PDE */
#define PTE_G	(1 << 8) /* global */

#define BOOT_STACK_SIZE 16384

/* GDT selectors (see arch/x86/gdt.c). */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_PERCPU    0x18
#define GDT_TSS	      0x20
#define GDT_DF_TSS    0x28
#define GDT_ENTRIES   6

/* Where the AP start-up code is copied: below 1 MiB, page-aligned. */
#define TRAMPOLINE_PHYS 0x8000

/*
 * trampoline_params' APIC id while no AP is being started: an AP that
 * runs the trampoline then halts there (boot/trampoline.S).
 */
#define TRAMPOLINE_NO_AP 0xffffffff

#define TRAP_STUB_SIZE 16 /* bytes per entry stub, trap_entry.S */

#endif
