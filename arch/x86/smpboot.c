/*
 * Bringing up the other CPUs.
 *
 * At power-on only the boot CPU (BSP) runs; the others (APs) wait for
 * an INIT IPI followed by start-up IPIs (SIPIs). A SIPI carries a page
 * number below 1 MiB, and the AP starts there in 16-bit real mode; that
 * is where the trampoline (boot/trampoline.S) is copied. The classic
 * sequence is INIT, wait 10 ms, SIPI, wait 200 us, SIPI again (the
 * second one is ignored by an AP that already started).
 *
 * APs are started one at a time: the trampoline has a single set of
 * parameters (stack, CPU number), and one at a time keeps the "CPU n
 * online" lines in order. An AP that does not answer within
 * AP_ANSWER_MS is written off (see ap_expected) and sent INIT again,
 * which parks it in wait-for-SIPI, and its CPU number goes to the next
 * AP: numbers stay dense.
 *
 * Each AP, in ap_entry(): its own GDT, TSS and %fs (percpu), its LAPIC
 * and periodic timer, then it marks itself online, says so, and idles.
 *
 * Its stack (that of its idle task, and of every interrupt that lands
 * while it idles) comes from the vmalloc area with a guard page below,
 * like any thread's: an overflow faults into the guard and is reported
 * as "kernel stack overflow in thread idle/N", instead of running on
 * into whatever lowmem lies below. All are allocated before the first
 * AP starts, while the boot CPU is the only one online and nothing can
 * be waiting on the vmalloc area; a stack whose CPU number ends up
 * unused (an AP that never answered) stays allocated: freeing it would
 * need interrupts on.
 */
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/timer.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/format.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mm/vmalloc.h>
#include <x86/acpi.h>
#include <x86/apic.h>
#include <x86/asm.h>

#define AP_STACK_SIZE (16 * 1024)
#define AP_ANSWER_MS  500 /* QEMU TCG answers in 1-5 ms */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200

/* The layout of trampoline_params in boot/trampoline.S. */
struct trampoline_params {
	uint32_t cr3;
	uint32_t stack;	  /* initial %esp, in the higher half */
	uint32_t entry;	  /* ap_entry */
	uint32_t cpu;	  /* its argument */
	uint32_t apic_id; /* the AP being started, or TRAMPOLINE_NO_AP */
};

extern const char trampoline_start[], trampoline_end[];
extern const char trampoline_params[];

/*
 * The start-up handshake. The boot CPU sets ap_expected to the CPU
 * number it is starting; the AP claims it (swapping in -1) as its first
 * act, and sets ap_answered once it is online. A boot CPU that gives up
 * swaps ap_expected back itself: whichever swap succeeds decides, so an
 * AP that wakes up just too late halts instead of running as a CPU the
 * boot CPU has written off (and whose stack it has freed).
 */
static volatile int ap_expected = -1;
static volatile int ap_answered = -1;

/* ap_stacks[n]: CPU n's stack (n >= 1), named after its idle task. */
static void *ap_stacks[NR_CPUS];
static char ap_stack_owner[NR_CPUS][8];
/* Set once every AP is up and the trampoline's identity map is gone. */
static volatile bool smp_boot_done;

/*
 * cpu_apic_ids[n]: the local APIC id of CPU n, the address IPIs to it
 * are sent to. Written by the boot CPU before it starts CPU n (or, for
 * itself, in arch_irq_init), read-only afterwards.
 */
static unsigned int cpu_apic_ids[NR_CPUS];

unsigned int cpu_to_apic_id(unsigned int cpu)
{
	BUG_ON(cpu >= NR_CPUS);
	return cpu_apic_ids[cpu];
}

unsigned int arch_cpu_hw_id(unsigned int cpu)
{
	return cpu_to_apic_id(cpu);
}

static void ap_entry(unsigned int cpu) __noreturn;

/*
 * Fault injection for the test matrix: smp.deaf_apic=ID sends that
 * APIC id no start-up IPI while the boot waits for it, so the "did not
 * start" path (the timeout, the report, dense renumbering) runs on
 * every `make test`. Once the boot is over it sends one after all
 * (deaf_apic_wakes_late). Only an AP's id can work (the boot CPU is
 * already running); that is known once the MADT is read, so
 * deaf_apic_check() says it then.
 */
static int deaf_apic_id = -1;

static bool set_deaf_apic(const char *val)
{
	uint64_t id;

	if (!parse_u64(val, &id) || id > 255)
		return false;
	deaf_apic_id = (int)id;
	return true;
}
DEFINE_PARAM("smp.deaf_apic", set_deaf_apic,
	     "an APIC id to leave unstarted (testing)");

/* Report an smp.deaf_apic= that names no AP, with the ids that would. */
static void deaf_apic_check(unsigned int bsp_apic)
{
	char ids[4 * NR_CPUS + 1] = ""; /* " 255" per AP at most */
	size_t len = 0;

	if (deaf_apic_id < 0)
		return;
	for (unsigned int i = 0; i < madt.nr_cpus; i++) {
		if (madt.apic_ids[i] == bsp_apic)
			continue;
		if ((int)madt.apic_ids[i] == deaf_apic_id)
			return;
		len += snprintf(ids + len, sizeof(ids) - len, " %u",
				madt.apic_ids[i]);
	}
	pr_err("smp.deaf_apic=%d names no AP (the boot CPU is APIC id %u); "
	       "ignored. The APs' APIC ids:%s\n",
	       deaf_apic_id, bsp_apic, len ? ids : " none");
	deaf_apic_id = -1;
}

/*
 * No usable MADT (no ACPI tables at all, or a bad RSDP, RSDT or MADT):
 * nothing lists the other CPUs, and their APIC ids are not guessed:
 * INIT and start-up IPIs sent to a guessed id might wake a CPU the
 * firmware meant to leave off, and each id that answers nothing costs
 * AP_ANSWER_MS. The boot CPU and its local APIC are certain, so the
 * kernel runs on that one CPU, and says why. Call after
 * lapic_init_boot().
 */
static void madt_boot_cpu_only(void)
{
	madt.apic_ids[0] = lapic_id();
	madt.nr_cpus = 1;
	pr_warn("ACPI: no usable MADT, so nothing lists the CPUs or the "
		"IOAPIC: booting on the boot CPU alone (APIC id %u, local "
		"APIC at %#llx from the APIC base MSR)\n",
		madt.apic_ids[0], (unsigned long long)madt.lapic_phys);
}

void arch_irq_init(void)
{
	bool have_madt = acpi_parse_madt();

	acpi_sleep_init();
	pic_disable();
	lapic_init_boot();
	if (!have_madt)
		madt_boot_cpu_only();
	ioapic_init();
	ipi_init();
	cpu_apic_ids[0] = lapic_id();
	set_cpu_online(0);
}

static void ap_entry(unsigned int cpu)
{
	struct percpu *me = &percpu_areas[cpu];

	if (!__sync_bool_compare_and_swap(&ap_expected, (int)cpu, -1))
		arch_halt_forever(); /* written off: see ap_expected */
	arch_cpu_tables_init(me);    /* this_cpu() works from here */
	sched_init_cpu(cpu);	     /* this context is idle/N */
	lapic_setup();
	lapic_timer_start();
	set_cpu_online(cpu);
	printk("CPU %u online (APIC id %u)\n", cpu, lapic_id());
	WRITE_ONCE(ap_answered, (int)cpu);

	/* Idle, with ticks, until the boot CPU removes the identity map. */
	while (!READ_ONCE(smp_boot_done))
		arch_wait_for_interrupt();
	paging_reload_cr3();
	cpu_idle_loop();
}

static void trampoline_install(void)
{
	memcpy(__va(TRAMPOLINE_PHYS), trampoline_start,
	       trampoline_end - trampoline_start);
}

static struct trampoline_params *trampoline_params_copy(void)
{
	return (struct trampoline_params *)(uintptr_t)__va(
		TRAMPOLINE_PHYS + (trampoline_params - trampoline_start));
}

static bool wait_for_answer(unsigned int cpu)
{
	for (unsigned int us = 0; us < AP_ANSWER_MS * 1000; us += 100) {
		if (READ_ONCE(ap_answered) == (int)cpu)
			return true;
		tsc_delay_us(100);
	}
	return READ_ONCE(ap_answered) == (int)cpu;
}

/*
 * The deaf AP's start-up IPI, now that the boot is over: what an AP
 * the boot gave up on may still take on a starved host (see
 * boot/trampoline.S). It must halt in the trampoline; run on, it would
 * turn paging on with the low identity map gone, and reset the
 * machine. Call after paging_unmap_low_identity().
 */
static void deaf_apic_wakes_late(void)
{
	if (deaf_apic_id < 0)
		return;
	lapic_send_ipi((unsigned int)deaf_apic_id,
		       ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
	pr_info("SMP: a start-up IPI sent late to the deaf APIC id %d\n",
		deaf_apic_id);
}

/* INIT, SIPI, SIPI, and wait. True if the AP came online as cpu. */
static bool start_ap(unsigned int cpu, unsigned int apic_id)
{
	struct trampoline_params *tp = trampoline_params_copy();
	void *stack = ap_stacks[cpu];
	bool started;

	percpu_areas[cpu].cpu = cpu;
	cpu_apic_ids[cpu] = apic_id;
	tp->cr3 = paging_kernel_cr3();
	tp->stack = (uint32_t)(uintptr_t)stack + AP_STACK_SIZE;
	tp->entry = (uint32_t)(uintptr_t)ap_entry;
	tp->cpu = cpu;
	WRITE_ONCE(tp->apic_id, apic_id);
	WRITE_ONCE(ap_expected, (int)cpu);

	lapic_send_ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	tsc_delay_us(INIT_DELAY_US);
	for (int i = 0; i < 2 && READ_ONCE(ap_answered) != (int)cpu &&
			(int)apic_id != deaf_apic_id;
	     i++) {
		lapic_send_ipi(apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
		tsc_delay_us(SIPI_DELAY_US);
	}
	started = wait_for_answer(cpu);
	if (!started &&
	    !__sync_bool_compare_and_swap(&ap_expected, (int)cpu, -1)) {
		/* It claimed its number just now: it is on its way. */
		while (READ_ONCE(ap_answered) != (int)cpu)
			arch_cpu_relax();
		started = true;
	}
	/* From here an AP that runs the trampoline halts in it. */
	WRITE_ONCE(tp->apic_id, TRAMPOLINE_NO_AP);
	if (started)
		return true;
	/* Park it in wait-for-SIPI: its stack goes to the next AP. */
	lapic_send_ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	pr_err("CPU %u (APIC id %u) did not start; continuing without it\n",
	       cpu, apic_id);
	return false;
}

/*
 * CPUs beyond NR_CPUS: the per-CPU areas, masks and stacks are sized
 * by it, so those CPUs are never started. Say so once, by APIC id,
 * so that a machine with more CPUs than online is never a mystery.
 */
static void report_ignored_cpus(void)
{
	static char ids[4 * MADT_MAX_APIC_IDS + 1]; /* " 255" each */
	size_t len = 0;

	if (!madt.nr_cpus_ignored)
		return;
	for (unsigned int i = 0; i < madt.nr_cpus_ignored; i++)
		len += snprintf(ids + len, sizeof(ids) - len, " %u",
				madt.ignored_apic_ids[i]);
	pr_warn("SMP: the firmware lists %u CPUs, this kernel has room for "
		"NR_CPUS = %d: %u CPU(s) ignored, never started (APIC "
		"ids%s)\n",
		madt.nr_cpus + madt.nr_cpus_ignored, NR_CPUS,
		madt.nr_cpus_ignored, ids);
}

unsigned int arch_smp_cpus_ignored(void)
{
	return madt.nr_cpus_ignored;
}

void arch_smp_boot_cpus(void)
{
	unsigned int bsp_apic = lapic_id(), next_cpu = 1;

	printk("CPU 0 online (APIC id %u)\n", bsp_apic);
	report_ignored_cpus();
	deaf_apic_check(bsp_apic);
	for (unsigned int cpu = 1; cpu < madt.nr_cpus; cpu++) {
		snprintf(ap_stack_owner[cpu], sizeof(ap_stack_owner[cpu]),
			 "idle/%u", cpu);
		ap_stacks[cpu] =
			vmalloc_stack(AP_STACK_SIZE, ap_stack_owner[cpu]);
		if (!ap_stacks[cpu])
			panic("no memory for CPU %u's stack", cpu);
	}
	trampoline_install();
	paging_map_low_identity();
	for (unsigned int i = 0; i < madt.nr_cpus; i++) {
		if (madt.apic_ids[i] == bsp_apic)
			continue;
		if (next_cpu == NR_CPUS) {
			/* The boot CPU was not among the first NR_CPUS. */
			pr_warn("SMP: APIC id %u not started: NR_CPUS (%d) "
				"CPUs are up\n",
				madt.apic_ids[i], NR_CPUS);
			continue;
		}
		if (start_ap(next_cpu, madt.apic_ids[i]))
			next_cpu++;
	}
	/* APs reload CR3 (dropping the cached PDPT entry) as they leave. */
	paging_unmap_low_identity();
	deaf_apic_wakes_late();
	WRITE_ONCE(smp_boot_done, true);
	pr_info("SMP: %u of %u CPUs online\n", num_online_cpus(), madt.nr_cpus);
}
