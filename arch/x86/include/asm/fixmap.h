/*
 * x86's own fixmap slots, for <arch/fixmap.h>: the interrupt
 * controllers' registers, which are memory-mapped at physical
 * addresses the firmware gives (arch/x86/apic.c maps them at boot).
 * Included only through <arch/fixmap.h>.
 */
#ifndef ASM_FIXMAP_H
#define ASM_FIXMAP_H

enum arch_fixed_addresses {
	FIX_LAPIC,  /* this CPU's local APIC (same address on all) */
	FIX_IOAPIC, /* the I/O APIC's two registers */
	FIX_ARCH_END
};

#endif
