/*
 * struct arch_regs: the registers an interrupt or exception saves, in
 * the order arch/x86/trap_entry.S pushes them (lowest address first).
 */
#ifndef X86_REGS_H
#define X86_REGS_H

#include <stdbool.h>
#include <stdint.h>

struct arch_regs {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error_code;
	/* pushed by the CPU */
	uint32_t eip, cs, eflags;
	/*
	 * No esp/ss: the kernel runs only in ring 0, so the CPU pushes
	 * them only on a privilege change, which never happens. The
	 * interrupted stack pointer is the address just past eflags.
	 */
};

/*
 * The stack pointer of the interrupted code. pushal saved the stack
 * pointer as it was after the CPU pushed eip, cs and eflags and the
 * stub pushed the error code and vector: 5 words below it.
 */
#define REGS_ESP_ADJUST 20

static inline uint32_t regs_interrupted_esp(const struct arch_regs *regs)
{
	return regs->esp_at_pusha + REGS_ESP_ADJUST;
}

/* The 32-bit task-state segment, as the CPU reads and writes it. */
struct tss {
	uint32_t link;
	uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
	uint32_t cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs;
	uint32_t ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));

/* Per-CPU tables (arch/x86/gdt.c). */
struct tss *cpu_main_tss(unsigned int cpu);
void gdt_set_kernel_cr3(uint32_t cr3);

/* The boot stack's unmapped lowest page (arch/x86/paging.c). */
bool boot_stack_guard_contains(uintptr_t va);

/* Is arch_power_off() stopping every CPU (arch/x86/poweroff.c)? */
bool poweroff_halting(void);

/* Exceptions (arch/x86/traps.c) and the IDT (arch/x86/idt.c). */
void idt_init(void);
void idt_load(void);
void trap_dispatch(struct arch_regs *regs);
void double_fault_task(void);

#endif
