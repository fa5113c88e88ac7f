/*
 * The interrupt controllers: the legacy 8259 PIC pair (turned off), the
 * local APIC of each CPU, and the IOAPIC that carries ISA interrupts.
 *
 * Every CPU has a local APIC: it receives interrupts for its CPU,
 * prioritises them, runs the CPU's timer and sends inter-processor
 * interrupts. Its registers are memory-mapped at the same physical
 * address on every CPU (each CPU sees its own), so one fixmap slot
 * serves all: the boot CPU maps it before any AP starts. Device
 * interrupts go to the IOAPIC, whose redirection table says which
 * vector and which CPU each input line (GSI) is delivered to.
 *
 * The old PIC would otherwise deliver the PIT's IRQ0 on vector 8 (the
 * double-fault vector, as the BIOS leaves it), so it is moved out of
 * the exception range and then masked entirely.
 *
 * Boot CPU: pic_disable, lapic_init_boot, ioapic_init. Each AP:
 * lapic_setup. All register access is uncached (MAP_NOCACHE).
 *
 * Without ACPI's MADT the local APIC is still there, at the address the
 * APIC base MSR holds. An IOAPIC is not assumed: 0xfec00000 is only a
 * convention, and registers written blind might belong to something
 * else. ISA interrupts then stay off, which this kernel can afford: its
 * tick is the LAPIC timer, calibrated by polling the PIT.
 */
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <mm/fixmap.h>
#include <x86/apic.h>
#include <x86/cpu.h>

#define PIC1_CMD       0x20
#define PIC1_DATA      0x21
#define PIC2_CMD       0xa0
#define PIC2_DATA      0xa1
#define PIC_SPURIOUS_1 (PIC_VECTOR_BASE + 7)
#define PIC_SPURIOUS_2 (PIC_VECTOR_BASE + 15)

#define MSR_APIC_BASE	    0x1b
#define APIC_BASE_ENABLE    (1u << 11)
#define APIC_BASE_ADDR_MASK 0xffffff000ull /* bits 12-35 */
#define SVR_ENABLE	    (1u << 8)
#define LVT_NMI		    (4u << 8)

#define IOAPIC_REGSEL	 0x00
#define IOAPIC_WINDOW	 0x10
#define IOAPIC_REG_VER	 0x01
#define IOAPIC_REDIR(n)	 (0x10 + 2 * (n))
#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL	 (1u << 15)
#define REDIR_MASKED	 (1u << 16)

/* MPS INTI flags in an interrupt source override (ACPI MADT). */
#define INTI_POLARITY_MASK 0x3
#define INTI_POLARITY_LOW  0x3
#define INTI_TRIGGER_MASK  0xc
#define INTI_TRIGGER_LEVEL 0xc

static volatile uint32_t *lapic_base;
static volatile uint32_t *ioapic_base;
/* Keeps an index write and its data access together across CPUs. */
static DEFINE_SPINLOCK(ioapic_lock);
static unsigned int ioapic_nr_pins;
static unsigned long spurious_count;

/*
 * Remap the PICs to 0x20-0x2f (the standard four-word initialisation:
 * edge mode, vector base, cascade wiring, 8086 mode), then mask all
 * their lines. A masked PIC can still raise a spurious IRQ 7 or 15;
 * those land on harmless vectors that trap_dispatch ignores.
 */
void pic_disable(void)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 1 << 2); /* the slave is on line 2 */
	outb(PIC2_DATA, 2);	 /* ... and knows it */
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

uint32_t lapic_read(unsigned int reg)
{
	return lapic_base[reg / 4];
}

void lapic_write(unsigned int reg, uint32_t val)
{
	lapic_base[reg / 4] = val;
}

unsigned int lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

bool apic_vector_needs_eoi(unsigned int vec)
{
	/* The PIC's (spurious) vectors and the LAPIC's own spurious one. */
	if (vec >= PIC_VECTOR_BASE && vec < ISA_VECTOR_BASE)
		return false;
	return vec != APIC_SPURIOUS_VECTOR;
}

static void spurious_interrupt(struct arch_regs *regs)
{
	spurious_count++;
}

static void error_interrupt(struct arch_regs *regs)
{
	uint32_t esr;

	lapic_write(LAPIC_ESR, 0); /* latch the errors, then read */
	esr = lapic_read(LAPIC_ESR);
	pr_err("APIC error on CPU %u: ESR %#x\n", smp_processor_id(), esr);
}

/*
 * Make this CPU's LAPIC accept interrupts: software-enable it through
 * the spurious-vector register, accept every priority (TPR 0), and mask
 * every local source until someone wants it. LINT1 stays the NMI pin.
 */
void lapic_setup(void)
{
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	lapic_write(LAPIC_LVT_ERROR, APIC_ERROR_VECTOR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	lapic_eoi(); /* in case the firmware left one in service */
}

void lapic_init_boot(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	if (!madt.lapic_phys) /* no MADT: the MSR is the only word */
		madt.lapic_phys = base & APIC_BASE_ADDR_MASK;
	lapic_base = (volatile uint32_t *)set_fixmap(FIX_LAPIC, madt.lapic_phys,
						     MAP_WRITE | MAP_NOCACHE);
	arch_set_interrupt_handler(APIC_SPURIOUS_VECTOR, spurious_interrupt);
	arch_set_interrupt_handler(APIC_ERROR_VECTOR, error_interrupt);
	lapic_setup();
	pr_info("APIC: local APIC at %#llx, version %#x, boot CPU APIC id %u\n",
		(unsigned long long)madt.lapic_phys,
		lapic_read(LAPIC_VERSION) & 0xff, lapic_id());
}

/* Wait until the LAPIC has handed the IPI to the bus; false if never. */
static bool lapic_icr_wait_sent(void)
{
	unsigned int spins = 0;

	while (lapic_read(LAPIC_ICR_LOW) & ICR_BUSY)
		if (++spins > 1000000)
			return false;
	return true;
}

/*
 * Send an IPI and wait until it has left (the delivery-status bit
 * clears). The destination goes in first: writing the low word is what
 * sends. False if it never left.
 */
bool lapic_send_ipi(unsigned int apic_id, uint32_t icr_low)
{
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, icr_low);
	return lapic_icr_wait_sent();
}

/*
 * The same to every APIC on the bus but this CPU's, with the
 * destination shorthand: one ICR write, and no destination field.
 */
bool lapic_send_ipi_all_but_self(uint32_t icr_low)
{
	lapic_write(LAPIC_ICR_LOW, icr_low | ICR_ALL_BUT_SELF);
	return lapic_icr_wait_sent();
}

/* The IOAPIC: an index register and a data window. */
static uint32_t ioapic_read(unsigned int reg)
{
	ioapic_base[IOAPIC_REGSEL / 4] = reg;
	return ioapic_base[IOAPIC_WINDOW / 4];
}

static void ioapic_write(unsigned int reg, uint32_t val)
{
	ioapic_base[IOAPIC_REGSEL / 4] = reg;
	ioapic_base[IOAPIC_WINDOW / 4] = val;
}

void ioapic_init(void)
{
	if (!madt.has_ioapic) {
		pr_warn("IOAPIC: none known (no MADT, or it lists none): ISA "
			"interrupts stay off; the legacy PIC stays masked\n");
		return;
	}
	ioapic_base =
		(volatile uint32_t *)set_fixmap(FIX_IOAPIC, madt.ioapic_phys,
						MAP_WRITE | MAP_NOCACHE);
	ioapic_nr_pins = ((ioapic_read(IOAPIC_REG_VER) >> 16) & 0xff) + 1;
	for (unsigned int pin = 0; pin < ioapic_nr_pins; pin++)
		ioapic_write(IOAPIC_REDIR(pin), REDIR_MASKED);
	pr_info("IOAPIC: at %#llx, %u pins from GSI %u\n",
		(unsigned long long)madt.ioapic_phys, ioapic_nr_pins,
		madt.ioapic_gsi_base);
}

bool ioapic_present(void)
{
	return ioapic_base != NULL;
}

static unsigned int isa_irq_pin(unsigned int irq)
{
	uint32_t gsi = madt.isa_gsi[irq];

	if (gsi < madt.ioapic_gsi_base ||
	    gsi - madt.ioapic_gsi_base >= ioapic_nr_pins)
		panic("ISA IRQ %u is on GSI %u, which the IOAPIC lacks", irq,
		      gsi);
	return gsi - madt.ioapic_gsi_base;
}

/*
 * Deliver ISA interrupt irq (on whatever GSI the MADT overrides it to)
 * as vector ISA_VECTOR_BASE + irq to the CPU with this APIC id. ISA
 * lines are active-high and edge-triggered unless the override says
 * otherwise.
 */
void ioapic_route_isa_irq(unsigned int irq, unsigned int apic_id, bool masked)
{
	unsigned int pin = isa_irq_pin(irq);
	uint16_t flags = madt.isa_flags[irq];
	uint32_t low = ISA_VECTOR_BASE + irq;
	unsigned long flags_irq;

	if ((flags & INTI_POLARITY_MASK) == INTI_POLARITY_LOW)
		low |= REDIR_ACTIVE_LOW;
	if ((flags & INTI_TRIGGER_MASK) == INTI_TRIGGER_LEVEL)
		low |= REDIR_LEVEL;
	if (masked)
		low |= REDIR_MASKED;
	/* Masked while half-written, so no interrupt sees a mix. */
	flags_irq = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(IOAPIC_REDIR(pin), REDIR_MASKED);
	ioapic_write(IOAPIC_REDIR(pin) + 1, apic_id << 24);
	ioapic_write(IOAPIC_REDIR(pin), low);
	spin_unlock_irqrestore(&ioapic_lock, flags_irq);
}

void ioapic_mask_isa_irq(unsigned int irq, bool masked)
{
	unsigned int pin = isa_irq_pin(irq);
	unsigned long flags = spin_lock_irqsave(&ioapic_lock);
	uint32_t low = ioapic_read(IOAPIC_REDIR(pin));

	low = masked ? low | REDIR_MASKED : low & ~REDIR_MASKED;
	ioapic_write(IOAPIC_REDIR(pin), low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}
