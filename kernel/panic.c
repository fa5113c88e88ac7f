/*
 * panic, warnings and backtraces.
 *
 * The report format is a contract (include/kernel/panic.h). A panic that
 * happens while printing a panic (the recursion guard) prints one line
 * and halts, so a broken report can never loop or triple-fault.
 *
 * The panicking CPU first stops the others (an NMI each, which reaches
 * a CPU even with interrupts off): each enters panic itself, finds
 * another CPU reporting, counts itself stopped and halts. So nothing
 * else runs, or prints into the middle of the report, while it is
 * written.
 */
#include <arch/cpu.h>
#include <arch/smp.h>
#include <arch/stacktrace.h>
#include <kernel/emulator_exit.h>
#include <kernel/ksyms.h>
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <lib/format.h>
#include <lib/string.h>

#define BACKTRACE_MAX_FRAMES 32

static int panic_cpu = -1;	  /* the CPU that is panicking, or -1 */
static volatile int cpus_stopped; /* CPUs halted by a panic */
static unsigned long warnings;

/*
 * The reason of the newest WARN(), kept so a test that plants a misuse
 * can check it got exactly the report it expects, not just "a warning".
 * Protected by last_warning_lock; a raw lock, as WARN() may fire with
 * any lock held.
 */
static DEFINE_SPINLOCK(last_warning_lock);
static char last_warning[160];

/*
 * The backtrace is printed at the level of the report it belongs to,
 * so a console level that shows the report's header shows its
 * backtrace too, and one that hides the header hides both. (The level
 * must lead printk's format itself: hence a choice of two literals.)
 */
#define backtrace_printk(warning, fmt, ...) \
	printk((warning) ? KERN_WARNING fmt : KERN_EMERG fmt, ##__VA_ARGS__)

static void backtrace_at_level(bool warning, uintptr_t pc, uintptr_t fp)
{
	char sym[80];

	backtrace_printk(warning, "Backtrace:\n");
	for (int depth = 0; depth < BACKTRACE_MAX_FRAMES; depth++) {
		ksym_format(pc, sym, sizeof(sym));
		backtrace_printk(warning, "  #%-2d %08lx %s\n", depth,
				 (unsigned long)pc, sym);
		/* The return address points after the call: step back. */
		if (!arch_unwind_frame(&pc, &fp))
			return;
		pc -= 1;
	}
	backtrace_printk(warning, "  ... (more frames)\n");
}

void print_backtrace(uintptr_t pc, uintptr_t fp)
{
	backtrace_at_level(false, pc, fp);
}

void dump_stack(void)
{
	uintptr_t pc, fp;

	arch_current_frame(&pc, &fp);
	backtrace_at_level(true, pc - 1, fp);
}

/*
 * Stop every other online CPU and wait, at most 100 ms, until each has
 * halted: one stuck with interrupts off still takes the NMI, but one
 * that never answers must not keep the report from being written.
 */
static void stop_other_cpus(void)
{
	int others = (int)num_online_cpus() - 1;

	if (others <= 0)
		return;
	arch_stop_other_cpus();
	for (int i = 0; i < 1000 && READ_ONCE(cpus_stopped) < others; i++)
		arch_udelay(100);
}

/*
 * Claim the panic, or stop here if another CPU or we already did. where
 * says where this panic was called from, for the one line a panic
 * inside a panic gets.
 */
static void panic_enter(const char *where)
{
	int me = smp_processor_id();

	arch_irq_disable();
	if (!__sync_bool_compare_and_swap(&panic_cpu, -1, me)) {
		if (panic_cpu == me) {
			printk_enter_panic_mode();
			printk(KERN_EMERG
			       "PANIC while panicking, at %s (the "
			       "report above is cut short there): halting\n",
			       where);
			ktest_emulator_exit(QEMU_EXIT_PANIC);
		}
		/* Another CPU reports: it stopped us (or we crashed too). */
		__sync_fetch_and_add(&cpus_stopped, 1);
		arch_halt_forever();
	}
	stop_other_cpus();
	printk_enter_panic_mode();
}

static __noreturn void panic_finish(void)
{
	printk(KERN_EMERG "---[ end of panic ]---\n");
	ktest_emulator_exit(QEMU_EXIT_PANIC);
	arch_halt_forever();
}

static void print_who(void)
{
	int others = (int)num_online_cpus() - 1;

	printk(KERN_EMERG "CPU %u, thread %s\n", smp_processor_id(),
	       current_task_name());
	if (others > 0)
		printk(KERN_EMERG "other CPUs: %d of %d stopped\n",
		       READ_ONCE(cpus_stopped), others);
}

void panic_at(const char *file, int line, const char *func, const char *fmt,
	      ...)
{
	char reason[256], where[96];
	uintptr_t pc, fp;
	va_list ap;

	snprintf(where, sizeof(where), "%s:%d in %s()", file, line, func);
	panic_enter(where);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "\nPANIC at %s:%d in %s(): %s\n", file, line, func,
	       reason);
	print_who();
	arch_print_regs(NULL);
	arch_current_frame(&pc, &fp);
	print_backtrace(pc - 1, fp);
	panic_finish();
}

void panic_regs(const struct arch_regs *regs,
		void (*print_details)(const struct arch_regs *regs),
		const char *fmt, ...)
{
	char reason[256], where[80];
	uintptr_t pc, fp;
	va_list ap;

	arch_regs_frame(regs, &pc, &fp);
	ksym_format(pc, where, sizeof(where));
	panic_enter(where);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "\nPANIC at %s: %s\n", where, reason);
	print_who();
	arch_print_regs(regs);
	print_details(regs);
	print_backtrace(pc, fp);
	panic_finish();
}

static void record_last_warning(const char *reason)
{
	unsigned long flags = arch_irq_save();

	raw_spin_lock(&last_warning_lock);
	strlcpy(last_warning, reason, sizeof(last_warning));
	raw_spin_unlock(&last_warning_lock);
	arch_irq_restore(flags);
}

bool warn_last_contains(const char *needle)
{
	unsigned long flags = arch_irq_save();
	bool found;

	raw_spin_lock(&last_warning_lock);
	found = strstr(last_warning, needle) != NULL;
	raw_spin_unlock(&last_warning_lock);
	arch_irq_restore(flags);
	return found;
}

void warn_at(const char *file, int line, const char *func, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	__sync_fetch_and_add(&warnings, 1);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	record_last_warning(reason);
	printk(KERN_WARNING "WARNING at %s:%d in %s(): %s\n", file, line, func,
	       reason);
	printk(KERN_WARNING "CPU %u, thread %s\n", smp_processor_id(),
	       current_task_name());
	dump_stack();
}

unsigned long warn_count(void)
{
	return READ_ONCE(warnings);
}
