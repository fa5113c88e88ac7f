/*
 * Clocks: the 8254 PIT as the reference, the local APIC timer as every
 * CPU's tick, and the time stamp counter for short delays.
 *
 * The LAPIC timer counts down at a rate nobody tells us (it depends on
 * the bus clock, or in QEMU on the host), so at boot we count how far it
 * gets while the PIT, whose input is a fixed 1.193182 MHz, measures a
 * known interval. The PIT's channel 2 is the one we can poll: its gate
 * is bit 0 of port 0x61 and its output reads back as bit 5, so no
 * interrupt is needed. The TSC is measured over the same interval.
 *
 * The PIT's own interrupt (ISA IRQ0) is routed through the IOAPIC,
 * following the MADT's override (GSI 2 on QEMU), but kept masked: it is
 * only unmasked by arch_timer_check_legacy_irq(), which proves that the
 * override was read and applied correctly. With no IOAPIC known (no
 * ACPI tables) IRQ0 has no route, and nothing here needs one.
 */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/timer.h>
#include <kernel/cmdline.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/time.h>
#include <lib/parse.h>
#include <x86/apic.h>
#include <x86/cpu.h>

#define PIT_HZ		1193182u
#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_MODE	0x43
#define PIT_CH0_ONESHOT 0x30 /* channel 0, lo/hi byte, mode 0 */
#define PIT_CH2_ONESHOT 0xb0 /* channel 2, lo/hi byte, mode 0 */
#define PORT_B		0x61
#define PORT_B_GATE2	(1u << 0)
#define PORT_B_SPEAKER	(1u << 1)
#define PORT_B_OUT2	(1u << 5)

#define CALIBRATE_MS 10	 /* Linux's first PIT window for the TSC */
#define LAPIC_DIV_16 0x3 /* the divide register's code for 16 */

static uint32_t lapic_ticks_per_period; /* at divide-by-16, for HZ */
static uint32_t tsc_khz;
static volatile unsigned long pit_irqs;

/* Load channel 2 with count, mode 0, gate low: it waits for the gate. */
static void pit_ch2_load(uint16_t count)
{
	outb(PORT_B, inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER));
	outb(PIT_MODE, PIT_CH2_ONESHOT);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
}

/* Raise the gate and poll until the output goes high at zero. */
static void pit_ch2_run(void)
{
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	while (!(inb(PORT_B) & PORT_B_OUT2))
		arch_cpu_relax();
}

static void pit_wait_us(unsigned int us)
{
	while (us) {
		unsigned int chunk = MIN(us, 50000u); /* fits 16 bits */

		pit_ch2_load((uint16_t)((uint64_t)chunk * PIT_HZ / 1000000));
		pit_ch2_run();
		us -= chunk;
	}
}

void tsc_delay_us(unsigned int us)
{
	uint64_t end = rdtsc() + (uint64_t)us * tsc_khz / 1000;

	while (rdtsc() < end)
		arch_cpu_relax();
}

/* The TSC runs at the same rate on every CPU (QEMU, and invariant TSCs). */
uint64_t arch_timestamp_per_ms(void)
{
	return tsc_khz;
}

void arch_udelay(unsigned int us)
{
	if (tsc_khz)
		tsc_delay_us(us);
	else
		pit_wait_us(us);
}

/*
 * Start the LAPIC counting down from the top with its interrupt
 * masked, let the PIT time CALIBRATE_MS, and see how far the LAPIC and
 * the TSC got. Each LAPIC access is bracketed by two TSC reads: the
 * TSC window runs from just after the LAPIC starts to just before it
 * is read, so the two windows differ by the brackets' length. That is
 * a few microseconds, unless the host takes the vCPU away inside one:
 * then one clock counts milliseconds the other does not (a stall just
 * before the last TSC read made the TSC read 1.7 times its rate, and
 * every tick look short by the clock). Stalls outside the brackets
 * stretch both windows alike. Returns the TSC ticks the brackets took.
 */
static uint64_t lapic_timer_measure(uint32_t *lapic_ticks, uint64_t *tsc_ticks,
				    unsigned int stall_us)
{
	uint64_t before_start, tsc0, tsc1, after_read;

	lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LOCAL_TIMER_VECTOR);
	pit_ch2_load(PIT_HZ * CALIBRATE_MS / 1000);
	before_start = rdtsc();
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	tsc0 = rdtsc();
	pit_ch2_run();
	tsc1 = rdtsc();
	pit_wait_us(stall_us); /* timer.calibrate_stall_us=, first try */
	*lapic_ticks = 0xffffffff - lapic_read(LAPIC_TIMER_CUR);
	after_read = rdtsc();
	lapic_write(LAPIC_TIMER_INIT, 0);
	*tsc_ticks = tsc1 - tsc0;
	return (tsc0 - before_start) + (after_read - tsc1);
}

/*
 * Measure until the brackets are short beside the window, at most a
 * CALIBRATE_SLACK-th of it (300 us, a 3% error at worst): the first
 * try's brackets take tens of microseconds on their own, as QEMU
 * translates the code they run, and a host stall takes a millisecond
 * or more. CALIBRATE_TRIES at most; the measurement with the shortest
 * brackets is kept. Every try waits CALIBRATE_MS, so a quiet host
 * pays one.
 */
#define CALIBRATE_TRIES 8
#define CALIBRATE_SLACK 32

/*
 * Fault injection for the test matrix: timer.calibrate_stall_us=N
 * stalls the first try for N microseconds (by the PIT) inside its last
 * bracket, as a host that took the vCPU away there would. The
 * calibrate-stall row boots with it and expects a second try and a
 * tick that keeps time (tools/ktest_matrix.py).
 */
static unsigned int calibrate_stall_us;

static bool set_calibrate_stall(const char *val)
{
	uint64_t us;

	if (!parse_u64(val, &us) || us > 1000000)
		return false;
	calibrate_stall_us = (unsigned int)us;
	return true;
}
DEFINE_PARAM("timer.calibrate_stall_us", set_calibrate_stall,
	     "microseconds to stall the first calibration try (testing)");

static void lapic_timer_calibrate(void)
{
	uint64_t best_tsc = 0, best_brackets = 0;
	uint32_t best_lapic = 0;
	unsigned int tries = 0;

	do {
		uint32_t lapic_ticks;
		uint64_t tsc_ticks, brackets;

		brackets = lapic_timer_measure(&lapic_ticks, &tsc_ticks,
					       tries ? 0 : calibrate_stall_us);
		if (!tries++ || brackets < best_brackets) {
			best_brackets = brackets;
			best_lapic = lapic_ticks;
			best_tsc = tsc_ticks;
		}
	} while (tries < CALIBRATE_TRIES &&
		 best_brackets * CALIBRATE_SLACK > best_tsc);
	lapic_ticks_per_period =
		(uint64_t)best_lapic * 1000 / (CALIBRATE_MS * HZ);
	tsc_khz = best_tsc / CALIBRATE_MS;
	pr_info("timer: LAPIC timer %u kHz (/16), TSC %u kHz; tick %u Hz = "
		"%u LAPIC counts\n",
		best_lapic / CALIBRATE_MS, tsc_khz, HZ, lapic_ticks_per_period);
	if (tries > 1)
		pr_info("timer: calibrated in %u tries: a LAPIC access took "
			"too long beside its clock reads (the host stalled "
			"this CPU?); kept: %llu TSC ticks, 1/%llu of the "
			"window\n",
			tries, (unsigned long long)best_brackets,
			(unsigned long long)(best_tsc / (best_brackets + 1)));
	if (!lapic_ticks_per_period)
		panic("timer: the LAPIC timer did not count during calibration");
}

static void timer_interrupt(struct arch_regs *regs)
{
	tick_periodic();
}

/* This CPU's periodic tick. Each CPU calls it for itself. */
void lapic_timer_start(void)
{
	lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
	lapic_write(LAPIC_TIMER_INIT, lapic_ticks_per_period);
}

static void pit_interrupt(struct arch_regs *regs)
{
	pit_irqs++;
}

void arch_timer_init(void)
{
	arch_set_interrupt_handler(LOCAL_TIMER_VECTOR, timer_interrupt);
	arch_set_interrupt_handler(ISA_VECTOR_BASE + ISA_IRQ_PIT,
				   pit_interrupt);
	if (ioapic_present())
		ioapic_route_isa_irq(ISA_IRQ_PIT, lapic_id(), true);
	lapic_timer_calibrate();
	lapic_timer_start();
}

/*
 * Fire the PIT once (channel 0, 1 ms) with IRQ0 unmasked and wait up to
 * 100 ms for its interrupt. Masks IRQ0 again. Context: interrupts on,
 * on the boot CPU (where IRQ0 is routed).
 */
bool arch_timer_has_legacy_irq(void)
{
	return ioapic_present();
}

bool arch_timer_check_legacy_irq(void)
{
	unsigned long before = pit_irqs;
	uint16_t count = PIT_HZ / 1000;

	if (!ioapic_present())
		return false;
	ioapic_mask_isa_irq(ISA_IRQ_PIT, false);
	outb(PIT_MODE, PIT_CH0_ONESHOT);
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
	for (unsigned int ms = 0; ms < 100 && pit_irqs == before; ms++)
		tsc_delay_us(1000);
	ioapic_mask_isa_irq(ISA_IRQ_PIT, true);
	return pit_irqs != before;
}
