/*
 * The interrupt descriptor table: one gate per vector, all pointing at
 * the stubs in trap_entry.S, except the double fault, which is a task
 * gate (see gdt.c for why). Vectors 0-31 are CPU exceptions; the rest
 * are for device and inter-processor interrupts, which register a
 * handler with arch_set_interrupt_handler().
 */
#include <kernel/compiler.h>
#include <x86/asm.h>
#include <x86/regs.h>

#define GATE_INTR32	    0x8E /* present, ring 0, 32-bit interrupt gate */
#define GATE_TASK	    0x85 /* present, ring 0, task gate */
#define VECTOR_DOUBLE_FAULT 8

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;
	uint16_t offset_high;
} __packed;

struct idt_desc {
	uint16_t limit;
	uint32_t base;
} __packed;

extern char trap_stubs[];
static struct idt_gate idt[256] __aligned(8);

static void set_gate(unsigned int vec, uint32_t offset, uint16_t sel,
		     uint8_t type)
{
	idt[vec].offset_low = offset & 0xFFFF;
	idt[vec].offset_high = offset >> 16;
	idt[vec].selector = sel;
	idt[vec].zero = 0;
	idt[vec].type = type;
}

void idt_init(void)
{
	for (unsigned int v = 0; v < 256; v++)
		set_gate(v,
			 (uint32_t)(uintptr_t)(trap_stubs + v * TRAP_STUB_SIZE),
			 GDT_KERNEL_CS, GATE_INTR32);
	set_gate(VECTOR_DOUBLE_FAULT, 0, GDT_DF_TSS, GATE_TASK);
}

void idt_load(void)
{
	struct idt_desc desc = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	asm volatile("lidt %0" : : "m"(desc));
}
