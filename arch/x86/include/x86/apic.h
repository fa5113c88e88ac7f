/*
 * The interrupt hardware of an SMP PC, private to arch/x86: what the
 * ACPI MADT told us (acpi.c), the local APIC and IOAPIC (apic.c), the
 * PIT and the LAPIC timer (timer.c), AP start-up (smpboot.c) and IPIs
 * (ipi.c).
 *
 * Vector map. The LAPIC delivers a vector's priority class (vector >>
 * 4) above all lower classes, so the vectors that must get through even
 * while other interrupts are being handled sit at the top:
 *
 *   0x00-0x1f  CPU exceptions
 *   0x20-0x2f  the legacy PIC, remapped here and masked: only its
 *              spurious interrupts (0x27, 0x2f) can arrive; no EOI
 *   0x30-0x3f  ISA interrupts through the IOAPIC (0x30 = IRQ0, the PIT)
 *   0xef       the local APIC timer (the scheduler tick)
 *   0xf1       reschedule IPI
 *   0xf2       call-function IPI
 *   0xf3       TLB-flush IPI (mm/tlb.c: its own vector, so a shootdown
 *              never queues behind cross-CPU calls)
 *   0xfe       LAPIC error
 *   0xff       LAPIC spurious interrupt; no EOI
 */
#ifndef X86_APIC_H
#define X86_APIC_H

#include <kernel/percpu.h>
#include <mm/layout.h>

#define PIC_VECTOR_BASE	     0x20
#define ISA_VECTOR_BASE	     0x30
#define LOCAL_TIMER_VECTOR   0xef
#define RESCHEDULE_VECTOR    0xf1
#define CALL_FUNCTION_VECTOR 0xf2
#define TLB_FLUSH_VECTOR     0xf3
#define APIC_ERROR_VECTOR    0xfe
#define APIC_SPURIOUS_VECTOR 0xff

#define ISA_IRQ_PIT 0
#define NR_ISA_IRQS 16

/* A MADT local-APIC entry's id is one byte: at most 256 CPUs listed. */
#define MADT_MAX_APIC_IDS 256

/* What the MADT describes (acpi.c fills it, everything else reads it). */
struct madt_info {
	phys_addr_t lapic_phys;
	unsigned int nr_cpus;	      /* enabled LAPICs, capped */
	unsigned int nr_cpus_ignored; /* beyond NR_CPUS */
	uint8_t apic_ids[NR_CPUS];    /* in MADT order */
	uint8_t ignored_apic_ids[MADT_MAX_APIC_IDS]; /* the others */
	bool has_ioapic;
	phys_addr_t ioapic_phys;
	uint32_t ioapic_gsi_base;
	/* ISA IRQ -> GSI and the MPS INTI flags (polarity, trigger). */
	uint32_t isa_gsi[NR_ISA_IRQS];
	uint16_t isa_flags[NR_ISA_IRQS];
};

extern struct madt_info madt;

/*
 * acpi.c: find and check the tables, fill madt. False if unusable; madt
 * then knows no CPU, no IOAPIC and no local APIC address.
 */
bool acpi_parse_madt(void);

/* smpboot.c: the local APIC id of a CPU number (IPIs go to it). */
unsigned int cpu_to_apic_id(unsigned int cpu);

/* apic.c */
void pic_disable(void);
void lapic_init_boot(void); /* map it, then lapic_setup() */
void lapic_setup(void);	    /* each CPU: enable, mask LVTs */
uint32_t lapic_read(unsigned int reg);
void lapic_write(unsigned int reg, uint32_t val);
unsigned int lapic_id(void);
void lapic_eoi(void);
bool lapic_send_ipi(unsigned int apic_id, uint32_t icr_low);
bool lapic_send_ipi_all_but_self(uint32_t icr_low);
void ioapic_init(void); /* nothing if none is known */
bool ioapic_present(void);
void ioapic_route_isa_irq(unsigned int irq, unsigned int apic_id, bool masked);
void ioapic_mask_isa_irq(unsigned int irq, bool masked);
/* Does a handled interrupt on vec need an EOI to the LAPIC? */
bool apic_vector_needs_eoi(unsigned int vec);

/* LAPIC register offsets (bytes from the LAPIC base). */
#define LAPIC_ID	 0x020
#define LAPIC_VERSION	 0x030
#define LAPIC_TPR	 0x080
#define LAPIC_EOI	 0x0b0
#define LAPIC_SVR	 0x0f0
#define LAPIC_ESR	 0x280
#define LAPIC_ICR_LOW	 0x300
#define LAPIC_ICR_HIGH	 0x310
#define LAPIC_LVT_TIMER	 0x320
#define LAPIC_LVT_LINT0	 0x350
#define LAPIC_LVT_LINT1	 0x360
#define LAPIC_LVT_ERROR	 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	 0x390
#define LAPIC_TIMER_DIV	 0x3e0

#define LVT_MASKED	   (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)

/* ICR low word: delivery mode, level, shorthand, delivery status. */
#define ICR_FIXED	 (0u << 8)
#define ICR_NMI		 (4u << 8)
#define ICR_INIT	 (5u << 8)
#define ICR_STARTUP	 (6u << 8)
#define ICR_BUSY	 (1u << 12)
#define ICR_ASSERT	 (1u << 14)
#define ICR_LEVEL	 (1u << 15)
#define ICR_SELF	 (1u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

/* timer.c */
void lapic_timer_start(void);	    /* periodic tick on this CPU */
void tsc_delay_us(unsigned int us); /* after calibration */

/* ipi.c */
void ipi_init(void);

/* paging.c: the trampoline's identity map of the low 2 MiB. */
uint32_t paging_kernel_cr3(void);
void paging_map_low_identity(void);
void paging_unmap_low_identity(void);
void paging_reload_cr3(void);

#endif
