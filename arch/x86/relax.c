/*
 * What a waiting CPU does while it spins: arch_cpu_relax().
 *
 * On hardware the answer is PAUSE. It tells the core that this is a
 * spin-wait loop, so the core does not fill its pipeline with
 * speculative reads of the flag (and then pay to throw them away when
 * the flag changes), and a hyperthread sibling gets the execution
 * units meanwhile. Under KVM, PAUSE is also the hypervisor's cue that
 * a vCPU is spinning on a lock whose holder may not be running.
 *
 * Under QEMU's TCG (the plain software emulator this project runs in)
 * PAUSE is the wrong answer. TCG implements it by leaving the
 * translated code and returning to the vCPU thread's outer loop, which
 * takes QEMU's global lock before it decides to carry on. So every
 * PAUSE in a spin loop is one round trip through that lock, thousands
 * a millisecond. The CPU we are waiting for needs the same lock: a
 * halted vCPU takes it to wake up, and again to take the IPI and to
 * write the APIC's end-of-interrupt. The waiter's PAUSEs make the
 * answer they are waiting for slow to come. Measured with -smp 4 on
 * this project's two-core build machine (bench ipi_roundtrip_all, an
 * on_each_cpu no-op, host clock): a median of ~190,000 ticks with
 * PAUSE, ~95,000 without; tlb_shootdown_all went from ~176,000 to
 * ~105,000.
 *
 * cpu_relax=auto (the default) spins without PAUSE when CPUID names
 * QEMU's TCG as the hypervisor, and with it everywhere else (hardware,
 * KVM, other hypervisors). cpu_relax=pause or cpu_relax=none forces
 * one. One case wants cpu_relax=pause by hand: QEMU with -icount and
 * several CPUs runs all vCPUs on one host thread in turn, and there
 * PAUSE is what passes the turn on; without it a spinning vCPU keeps
 * its turn until the next timer event.
 */
#include <arch/cpu.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <x86/cpu.h>

/* CPUID leaf 0x40000000 names the hypervisor in ebx, ecx, edx. */
#define CPUID_HYPERVISOR_LEAF 0x40000000u

enum relax_choice {
	RELAX_AUTO,
	RELAX_PAUSE,
	RELAX_NONE
};

static const char *const relax_words[] = {
	[RELAX_AUTO] = "auto", [RELAX_PAUSE] = "pause", [RELAX_NONE] = "none"
};
static unsigned int relax_choice = RELAX_AUTO;

/* PAUSE until arch_relax_select() runs: the right default on hardware. */
bool arch_relax_with_pause = true;

DEFINE_PARAM_CHOICE("cpu_relax", relax_words, relax_choice,
		    "auto, pause or none");

/* The hypervisor's 12-character name, or "" on hardware. */
static void hypervisor_name(char name[13])
{
	struct cpuid_regs r;

	name[0] = '\0';
	if (!arch_hypervisor_present())
		return;
	r = cpuid(CPUID_HYPERVISOR_LEAF, 0);
	memcpy(name, &r.ebx, 4);
	memcpy(name + 4, &r.ecx, 4);
	memcpy(name + 8, &r.edx, 4);
	name[12] = '\0';
}

void arch_relax_select(void)
{
	char name[13];
	bool tcg;

	hypervisor_name(name);
	tcg = !strcmp(name, "TCGTCGTCGTCG");
	arch_relax_with_pause = relax_choice == RELAX_PAUSE ||
				(relax_choice == RELAX_AUTO && !tcg);
	if (relax_choice == RELAX_AUTO)
		pr_info("cpu_relax: %s (auto: %s)\n",
			arch_relax_with_pause ? "pause" : "none",
			tcg	  ? "QEMU TCG"
			: name[0] ? name
				  : "no hypervisor");
	else
		pr_info("cpu_relax: %s (cpu_relax=%s)\n",
			relax_words[relax_choice], relax_words[relax_choice]);
}
