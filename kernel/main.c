/*
 * kmain: the boot CPU's path from the first C instruction to the tests.
 *
 * The order matters and each step says what it needs:
 *   1. CPU tables, this_cpu() working    (printk's lock needs this_cpu)
 *   2. console                            (everything after can report)
 *   3. boot information, command line     (copied before memory is reused)
 *   4. boot allocator, final page tables  (uses the boot tables' 1 GiB map)
 *   5. page allocator, kmalloc, the vmalloc area (thread stacks need it)
 *   6. interrupt controllers, the timer calibrated against a reference
 *      clock, the other CPUs (on x86 found in the ACPI tables); then
 *      interrupts on, which ends the SYSTEM_BOOTING phase
 *      (include/kernel/system_state.h)
 *   7. the tests selected by ktest=, then the benchmarks bench= selects
 */
#include <arch/console.h>
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/timer.h>
#include <kernel/bench.h>
#include <kernel/bootinfo.h>
#include <kernel/cmdline.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/system_state.h>
#include <lib/parse.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/memblock.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>

void kmain(uint32_t magic, uint32_t info_phys);

static bool set_loglevel(const char *val)
{
	uint64_t level;

	if (!parse_u64(val, &level) || level > 7)
		return false;
	printk_set_loglevel((int)level);
	return true;
}
DEFINE_PARAM("loglevel", set_loglevel, "a level from 0 to 7");

void kmain(uint32_t magic, uint32_t info_phys)
{
	struct percpu *boot_cpu = &percpu_areas[0];

	boot_cpu->cpu = 0;
	boot_cpu->online = true;
	arch_cpu_init_boot();
	arch_cpu_tables_init(boot_cpu);
	arch_console_init();
	printk("\nhmos: a teaching kernel for highmem on 32-bit x86 (PAE)\n");

	if (!arch_parse_boot_info(magic, info_phys))
		panic("cannot continue without boot information");
	printk("boot loader: %s\n", boot_info.loader);
	printk("command line: %s\n", boot_info.cmdline);
	cmdline_parse(boot_info.cmdline);
	spinlock_select_mode();
	arch_relax_select();

	memblock_init();
	arch_paging_init();
	page_alloc_init();
	memblock_print();
	kmalloc_init();
	layout_print();
	vmalloc_init();
	kmap_local_init();
	sched_init();

	arch_irq_init();
	arch_timer_init();
	arch_smp_boot_cpus();
	arch_irq_enable();
	/* From here threads switch and sleep, and other CPUs run. */
	system_state_enter(SYSTEM_RUNNING);

	ktest_run_all();
	bench_run_all();
	printk("hmos: boot complete\n");
	monitor_run();
}
