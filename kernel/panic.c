/*
 * panic, warnings and backtraces.
 *
 * The report format is a contract (include/kernel/panic.h). A panic that
 * happens while printing a panic (the recursion guard) prints one line
 * and halts, so a broken report can never loop or triple-fault.
 */
#include <arch/cpu.h>
#include <arch/stacktrace.h>
#include <kernel/ksyms.h>
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/task.h>
#include <lib/format.h>

#define BACKTRACE_MAX_FRAMES 32
#define QEMU_EXIT_PANIC	0x12

static int panic_cpu = -1;	/* the CPU that is panicking, or -1 */
static unsigned long warnings;

void print_backtrace(uintptr_t pc, uintptr_t fp)
{
	char sym[80];

	printk(KERN_EMERG "Backtrace:\n");
	for (int depth = 0; depth < BACKTRACE_MAX_FRAMES; depth++) {
		ksym_format(pc, sym, sizeof(sym));
		printk(KERN_EMERG "  #%-2d %08lx %s\n", depth,
		       (unsigned long)pc, sym);
		/* The return address points after the call: step back. */
		if (!arch_unwind_frame(&pc, &fp))
			return;
		pc -= 1;
	}
	printk(KERN_EMERG "  ... (more frames)\n");
}

void dump_stack(void)
{
	uintptr_t pc, fp;

	arch_current_frame(&pc, &fp);
	print_backtrace(pc - 1, fp);
}

/* Claim the panic, or stop here if another CPU or we already did. */
static void panic_enter(void)
{
	int me = smp_processor_id();

	arch_irq_disable();
	if (!__sync_bool_compare_and_swap(&panic_cpu, -1, me)) {
		if (panic_cpu == me) {
			printk_enter_panic_mode();
			printk(KERN_EMERG "PANIC while panicking: halting\n");
			ktest_emulator_exit(QEMU_EXIT_PANIC);
		}
		arch_halt_forever();	/* another CPU reports */
	}
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
	printk(KERN_EMERG "CPU %u, thread %s\n", smp_processor_id(),
	       current_task_name());
}

void panic_at(const char *file, int line, const char *func,
	      const char *fmt, ...)
{
	char reason[256];
	uintptr_t pc, fp;
	va_list ap;

	panic_enter();
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

	panic_enter();
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	arch_regs_frame(regs, &pc, &fp);
	ksym_format(pc, where, sizeof(where));
	printk(KERN_EMERG "\nPANIC at %s: %s\n", where, reason);
	print_who();
	arch_print_regs(regs);
	print_details(regs);
	print_backtrace(pc, fp);
	panic_finish();
}

void warn_at(const char *file, int line, const char *func,
	     const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	__sync_fetch_and_add(&warnings, 1);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	printk(KERN_WARNING "WARNING at %s:%d in %s(): %s\n", file, line,
	       func, reason);
	printk(KERN_WARNING "CPU %u, thread %s\n", smp_processor_id(),
	       current_task_name());
	dump_stack();
}

unsigned long warn_count(void)
{
	return READ_ONCE(warnings);
}
