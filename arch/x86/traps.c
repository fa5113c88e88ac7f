/*
 * CPU exceptions: what happens when the kernel faults.
 *
 * A page fault first asks the memory manager whether it can resolve
 * it (mm_handle_page_fault: demand paging, exception-table fixups);
 * anything left is a bug, reported as a panic with the registers, the
 * decoded fault and the region of the memory map the address is in.
 * Vectors from 32 up are interrupts, passed to registered handlers.
 */
#include <arch/irq.h>
#include <arch/stacktrace.h>
#include <kernel/ksyms.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/task.h>
#include <lib/format.h>
#include <mm/fault.h>
#include <mm/highmem.h>
#include <mm/layout.h>
#include <mm/vmalloc.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/regs.h>

#define VEC_NMI	       2
#define VEC_PAGE_FAULT 14

/* Page-fault error code bits (Intel SDM vol. 3, 4.7). */
#define PF_PRESENT (1 << 0) /* 0: page not present */
#define PF_WRITE   (1 << 1)
#define PF_USER	   (1 << 2)
#define PF_RSVD	   (1 << 3) /* reserved bit set in an entry */
#define PF_INSTR   (1 << 4) /* instruction fetch (NX) */

static const char *const exception_names[32] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range exceeded",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor segment overrun",
	"invalid TSS",
	"segment not present",
	"stack-segment fault",
	"general protection fault",
	"page fault",
	"reserved",
	"x87 floating-point error",
	"alignment check",
	"machine check",
	"SIMD floating-point error",
	"virtualization exception",
	"control protection exception",
};

static interrupt_handler_t interrupt_handlers[256];

void arch_set_interrupt_handler(unsigned int vector,
				interrupt_handler_t handler)
{
	BUG_ON(vector < FIRST_EXTERNAL_VECTOR || vector > 255);
	interrupt_handlers[vector] = handler;
}

/*
 * What va is, more finely than its layout region, into buf: a kernel
 * stack's guard page (a kthread's or an AP's, in the vmalloc area, or
 * the boot thread's, the unmapped bottom page of the stack in the
 * kernel image) or a page of a vmalloc area. False if nothing is known.
 */
static bool describe_in_region(uintptr_t va, char *buf, size_t len)
{
	if (boot_stack_guard_contains(va)) {
		/* The boot stack belongs to the task named "boot". */
		snprintf(buf, len, "guard page of thread boot's stack");
		return true;
	}
	return vmalloc_describe(va, buf, len);
}

static void print_page_fault(const struct arch_regs *regs)
{
	uint32_t addr = read_cr2();
	uint32_t err = regs->error_code;
	const char *access = (err & PF_INSTR)	? "instruction fetch"
			     : (err & PF_WRITE) ? "write"
						: "read";

	printk(KERN_EMERG "cause: %s of %08x, %s%s\n", access, addr,
	       (err & PF_PRESENT) ? "protection violation (page present)"
				  : "page not present",
	       (err & PF_RSVD) ? ", reserved bit set in a page-table entry"
			       : "");
	char what[96];

	printk(KERN_EMERG "region: %08x is in %s\n", addr,
	       layout_region_describe(addr));
	if (describe_in_region(addr, what, sizeof(what)))
		printk(KERN_EMERG "region: %08x is %s\n", addr, what);
	/* What mm knows beyond the region: a kmap slot, a lazy page. */
	mm_fault_describe(addr);
}

static void print_no_details(const struct arch_regs *regs)
{
}

static void handle_exception(struct arch_regs *regs)
{
	unsigned int vec = regs->vector;
	const char *name = exception_names[vec] ? exception_names[vec]
						: "reserved exception";

	/* arch_power_off() stopping this CPU: not a crash to report. */
	if (vec == VEC_NMI && poweroff_halting())
		arch_halt_forever();
	if (vec == VEC_PAGE_FAULT) {
		struct page_fault pf = {
			.address = read_cr2(),
			.pc = regs->eip,
			.write = regs->error_code & PF_WRITE,
			.exec = regs->error_code & PF_INSTR,
			.present = regs->error_code & PF_PRESENT,
			.irqs_were_enabled = regs->eflags & EFLAGS_IF,
		};
		uintptr_t fixup = 0;

		if (mm_handle_page_fault(&pf, &fixup)) {
			if (fixup)
				regs->eip = fixup;
			return;
		}
		/*
		 * mm may have turned interrupts on (a lazy fill), and a
		 * fault taken meanwhile rewrote CR2. Put this fault's
		 * address back, so the report and its register dump name
		 * the address that faulted here.
		 */
		write_cr2(pf.address);
		panic_regs(regs, print_page_fault,
			   "page fault in kernel mode (vector 14, error %#x)",
			   regs->error_code);
	}
	panic_regs(regs, print_no_details, "%s (vector %u, error %#x)", name,
		   vec, regs->error_code);
}

/*
 * An interrupt: the whole handler runs with the HARDIRQ part of
 * preempt_count raised, so in_interrupt() is true and nothing in it can
 * be preempted or sleep. The EOI tells the LAPIC the vector is done, so
 * it will deliver that vector (and lower ones) again; it is sent after
 * the handler, while interrupts are still off on this CPU, and before
 * the count drops, so whatever runs at interrupt exit finds the LAPIC
 * ready for the next interrupt.
 */
/*
 * A handler must leave the interrupted task as it found it: every
 * preempt_disable() undone, every local map unmapped. What it leaves
 * behind would be blamed later on the task (a migrate_enable() that
 * does not balance, an unmap out of order), far from the handler that
 * did it; so check here, where the culprit is known, and stop.
 */
static noinline void handler_left_state(struct arch_regs *regs,
					unsigned int vec, int count_before,
					int maps_before)
{
	char who[64];

	ksym_format((uintptr_t)interrupt_handlers[vec], who, sizeof(who));
	if (kmap_local_depth() > maps_before)
		panic_regs(regs, print_no_details,
			   "interrupt handler %s (vector %u) returned with %d "
			   "local map(s) of its own still mapped (it must "
			   "kunmap_local what it maps)",
			   who, vec, kmap_local_depth() - maps_before);
	if (kmap_local_depth() < maps_before)
		panic_regs(regs, print_no_details,
			   "interrupt handler %s (vector %u) unmapped %d local "
			   "map(s) of the task it interrupted (it may only "
			   "kunmap_local its own)",
			   who, vec, maps_before - kmap_local_depth());
	panic_regs(regs, print_no_details,
		   "interrupt handler %s (vector %u) returned with "
		   "preempt_count %#x, not %#x (unbalanced preempt_disable)",
		   who, vec, preempt_count(), count_before);
}

static void handle_interrupt(struct arch_regs *regs)
{
	unsigned int vec = regs->vector;
	int maps = kmap_local_depth(), count;

	preempt_count_add(HARDIRQ_OFFSET);
	count = preempt_count();
	if (interrupt_handlers[vec])
		interrupt_handlers[vec](regs);
	else
		pr_warn("interrupt on vector %u with no handler (ignored)\n",
			vec);
	if (unlikely(preempt_count() != count || kmap_local_depth() != maps))
		handler_left_state(regs, vec, count, maps);
	if (apic_vector_needs_eoi(vec))
		lapic_eoi();
	preempt_count_sub(HARDIRQ_OFFSET);
	/*
	 * The interrupt is over: if it asked for a reschedule (a tick that
	 * ended a time slice, a wake-up, a reschedule IPI) and the code it
	 * interrupted was preemptible, switch now.
	 */
	preempt_schedule_irq();
}

void trap_dispatch(struct arch_regs *regs)
{
	if (regs->vector < FIRST_EXTERNAL_VECTOR)
		handle_exception(regs);
	else
		handle_interrupt(regs);
}

/*
 * The double-fault task. The CPU arrives here through a task switch,
 * on this CPU's own double-fault stack, with the state of the faulting
 * code saved in this CPU's main TSS. The usual cause is a kernel stack
 * overflow: the push that crossed into the guard page faulted, and so
 * did the CPU's attempt to push the page fault's frame.
 */
void double_fault_task(void)
{
	struct tss *t = cpu_main_tss(smp_processor_id());
	/*
	 * Field by field: the TSS keeps the registers in the hardware's
	 * order, struct arch_regs in the order the trap entry pushes them.
	 */
	struct arch_regs regs = {
		.eax = t->eax,
		.ebx = t->ebx,
		.ecx = t->ecx,
		.edx = t->edx,
		.esi = t->esi,
		.edi = t->edi,
		.ebp = t->ebp,
		.esp_at_pusha = t->esp - REGS_ESP_ADJUST,
		.eip = t->eip,
		.eflags = t->eflags,
		.cs = t->cs,
		.ds = t->ds,
		.es = t->es,
		.fs = t->fs,
		.gs = t->gs,
		.vector = 8,
	};
	uintptr_t sp = t->esp;
	char what[96] = "";

	/* Say whose guard page it hit. */
	if (describe_in_region(sp - 4, what + 2, sizeof(what) - 2)) {
		what[0] = ',';
		what[1] = ' ';
	}
	if (!layout_kernel_address_mapped(sp - 4))
		panic_regs(&regs, print_no_details,
			   "double fault: kernel stack overflow in thread %s "
			   "(CPU %u): esp %08lx is in %s%s",
			   current_task_name(), smp_processor_id(),
			   (unsigned long)sp, layout_region_describe(sp - 4),
			   what);
	panic_regs(&regs, print_no_details,
		   "double fault in thread %s (CPU %u), esp %08lx",
		   current_task_name(), smp_processor_id(), (unsigned long)sp);
}
