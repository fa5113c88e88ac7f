/*
 * Walking the stack through frame pointers, and printing registers.
 *
 * Every function built with -fno-omit-frame-pointer starts with
 * "push %ebp; mov %esp, %ebp", so [ebp] is the caller's ebp and
 * [ebp + 4] the return address into the caller. The walk checks each
 * frame pointer against the page tables before reading through it, so
 * a corrupt or overflowed stack ends the backtrace instead of faulting
 * inside the panic.
 */
#include <arch/stacktrace.h>
#include <kernel/printk.h>
#include <mm/layout.h>
#include <x86/cpu.h>
#include <x86/regs.h>

#define MAX_FRAME_SIZE (64 * 1024)

bool arch_unwind_frame(uintptr_t *pc, uintptr_t *fp)
{
	uintptr_t frame = *fp;
	uintptr_t next_fp, ret;

	if (!frame || (frame & 3) || frame < PAGE_OFFSET)
		return false;
	if (!layout_kernel_address_mapped(frame) ||
	    !layout_kernel_address_mapped(frame + 4))
		return false;
	next_fp = ((uintptr_t *)frame)[0];
	ret = ((uintptr_t *)frame)[1];
	/* Stacks grow down: callers' frames sit at higher addresses. */
	if (next_fp && (next_fp <= frame || next_fp - frame > MAX_FRAME_SIZE))
		next_fp = 0;
	if (!ret)
		return false;
	*pc = ret;
	*fp = next_fp;
	return true;
}

void arch_current_frame(uintptr_t *pc, uintptr_t *fp)
{
	uintptr_t *frame = __builtin_frame_address(0);

	/* Start at our caller: this function's own frame is noise. */
	*fp = frame[0];
	*pc = frame[1];
}

void arch_regs_frame(const struct arch_regs *regs, uintptr_t *pc, uintptr_t *fp)
{
	*pc = regs->eip;
	*fp = regs->ebp;
}

void arch_print_regs(const struct arch_regs *regs)
{
	struct arch_regs now;

	if (!regs) {
		asm volatile("movl %%eax, %0\n\tmovl %%ebx, %1\n\t"
			     "movl %%ecx, %2\n\tmovl %%edx, %3\n\t"
			     "movl %%esi, %4\n\tmovl %%edi, %5\n\t"
			     "movl %%ebp, %6\n\tmovl %%esp, %7"
			     : "=m"(now.eax), "=m"(now.ebx), "=m"(now.ecx),
			       "=m"(now.edx), "=m"(now.esi), "=m"(now.edi),
			       "=m"(now.ebp), "=m"(now.esp_at_pusha));
		now.esp_at_pusha -= REGS_ESP_ADJUST;
		now.eip = (uint32_t)(uintptr_t)__builtin_return_address(0);
		now.eflags = read_eflags();
		asm volatile("movl %%cs, %0\n\tmovl %%ds, %1\n\t"
			     "movl %%es, %2\n\tmovl %%fs, %3\n\tmovl %%gs, %4"
			     : "=r"(now.cs), "=r"(now.ds), "=r"(now.es),
			       "=r"(now.fs), "=r"(now.gs));
		regs = &now;
	}
	printk(KERN_EMERG "EAX %08x  EBX %08x  ECX %08x  EDX %08x\n", regs->eax,
	       regs->ebx, regs->ecx, regs->edx);
	printk(KERN_EMERG "ESI %08x  EDI %08x  EBP %08x  ESP %08x\n", regs->esi,
	       regs->edi, regs->ebp, regs_interrupted_esp(regs));
	printk(KERN_EMERG "EIP %08x  EFLAGS %08x  CS %04x  DS %04x  "
			  "ES %04x  FS %04x  GS %04x\n",
	       regs->eip, regs->eflags, regs->cs & 0xFFFF, regs->ds & 0xFFFF,
	       regs->es & 0xFFFF, regs->fs & 0xFFFF, regs->gs & 0xFFFF);
	printk(KERN_EMERG "CR0 %08x  CR2 %08x  CR3 %08x  CR4 %08x\n",
	       read_cr0(), read_cr2(), read_cr3(), read_cr4());
}
