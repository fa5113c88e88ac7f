/*
 * Tests of the state every CPU is put in at start-up, boot CPU and APs
 * alike: what the firmware or the reset left behind must not survive
 * into the running kernel. Each property is read on every online CPU
 * through a cross-CPU call, because an AP starts from a different path
 * (boot/trampoline.S) than the boot CPU (boot/entry.S).
 */
#include <arch/cpu.h>
#include <kernel/ktest.h>
#include <kernel/smp.h>

static volatile int caches_on[NR_CPUS];

static void record_caches(void *arg)
{
	caches_on[smp_processor_id()] = arch_cpu_caches_enabled() ? 1 : 0;
}

/*
 * An AP leaves reset with its caches disabled; unless start-up turns
 * them on, that CPU runs every access uncached: correct, but many
 * times slower, and invisible unless asked.
 */
static void cpu_caches_enabled_on_every_cpu(struct ktest *t)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		caches_on[cpu] = -1;
	on_each_cpu(record_caches, NULL, true);
	for_each_online_cpu(cpu) {
		if (caches_on[cpu] != 1)
			kt_diag(t, "CPU %u runs with its caches %s", cpu,
				caches_on[cpu] < 0 ? "unread (no answer)"
						   : "disabled");
		KT_EXPECT_EQ(t, caches_on[cpu], 1);
	}
}

static const struct ktest_case cpu_setup_cases[] = {
	KTEST_CASE(cpu_caches_enabled_on_every_cpu),
};
KTEST_SUITE(cpu_setup, cpu_setup_cases);
