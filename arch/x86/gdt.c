/*
 * Segment descriptors, per CPU.
 *
 * Paging does the protection here; segments are flat 4 GiB, except
 * %fs, whose base is the CPU's struct percpu so that this_cpu() is one
 * load. Each CPU has its own GDT because the %fs base and the TSS
 * descriptors (busy bits included) differ per CPU.
 *
 * Two TSSes per CPU: the main one, which the CPU needs to exist, and
 * one for the double fault. A double fault is reached through a task
 * gate, so the CPU switches to a fresh stack from the second TSS even
 * when the fault came from running out of stack: that is how a kernel
 * stack overflow is reported instead of ending in a triple fault.
 */
#include <kernel/percpu.h>
#include <lib/string.h>
#include <x86/cpu.h>
#include <x86/regs.h>

#define DF_STACK_SIZE 8192

struct gdt_desc {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static uint64_t gdt[NR_CPUS][GDT_ENTRIES] __aligned(8);
static struct tss main_tss[NR_CPUS] __aligned(128);
static struct tss df_tss[NR_CPUS] __aligned(128);
static uint8_t df_stack[NR_CPUS][DF_STACK_SIZE] __aligned(16);

struct percpu percpu_areas[NR_CPUS];

/* access: P, DPL, S, type; flags: G, D/B in the high nibble. */
static uint64_t make_desc(uint32_t base, uint32_t limit, uint8_t access,
			  uint8_t flags)
{
	uint64_t d = 0;

	d |= limit & 0xFFFF;
	d |= (uint64_t)(base & 0xFFFFFF) << 16;
	d |= (uint64_t)access << 40;
	d |= (uint64_t)((limit >> 16) & 0xF) << 48;
	d |= (uint64_t)(flags & 0xF0) << 48;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

#define ACC_CODE    0x9A /* present, ring 0, code, readable */
#define ACC_DATA    0x92 /* present, ring 0, data, writable */
#define ACC_TSS	    0x89 /* present, ring 0, 32-bit TSS available */
#define FLAGS_4K_32 0xC0 /* 4 KiB granularity, 32-bit */

struct tss *cpu_main_tss(unsigned int cpu)
{
	return &main_tss[cpu];
}

static void df_tss_init(unsigned int cpu, uint32_t cr3)
{
	struct tss *t = &df_tss[cpu];

	memset(t, 0, sizeof(*t));
	t->eip = (uint32_t)(uintptr_t)double_fault_task;
	t->esp = (uint32_t)(uintptr_t)&df_stack[cpu][DF_STACK_SIZE];
	t->cs = GDT_KERNEL_CS;
	t->ds = t->es = t->ss = t->gs = GDT_KERNEL_DS;
	t->fs = GDT_PERCPU;
	t->eflags = 0x2; /* interrupts off */
	t->cr3 = cr3;
	t->iomap_base = sizeof(*t);
}

/*
 * The double-fault task loads CR3 from its TSS, so it must follow the
 * kernel's page tables when paging.c replaces the boot ones.
 */
void gdt_set_kernel_cr3(uint32_t cr3)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		df_tss[cpu].cr3 = cr3;
}

void arch_cpu_tables_init(struct percpu *pcpu)
{
	unsigned int cpu = pcpu->cpu;
	uint64_t *g = gdt[cpu];
	struct gdt_desc desc = { sizeof(gdt[cpu]) - 1, (uint32_t)(uintptr_t)g };

	pcpu->self = pcpu;
	memset(&main_tss[cpu], 0, sizeof(main_tss[cpu]));
	main_tss[cpu].ss0 = GDT_KERNEL_DS;
	main_tss[cpu].iomap_base = sizeof(struct tss);
	df_tss_init(cpu, read_cr3());

	g[0] = 0;
	g[GDT_KERNEL_CS / 8] = make_desc(0, 0xFFFFF, ACC_CODE, FLAGS_4K_32);
	g[GDT_KERNEL_DS / 8] = make_desc(0, 0xFFFFF, ACC_DATA, FLAGS_4K_32);
	g[GDT_PERCPU / 8] = make_desc((uint32_t)(uintptr_t)pcpu,
				      sizeof(*pcpu) - 1, ACC_DATA, 0x40);
	g[GDT_TSS / 8] = make_desc((uint32_t)(uintptr_t)&main_tss[cpu],
				   sizeof(struct tss) - 1, ACC_TSS, 0);
	g[GDT_DF_TSS / 8] = make_desc((uint32_t)(uintptr_t)&df_tss[cpu],
				      sizeof(struct tss) - 1, ACC_TSS, 0);

	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "movw %w2, %%ds\n\t"
		     "movw %w2, %%es\n\t"
		     "movw %w2, %%ss\n\t"
		     "movw %w2, %%gs\n\t"
		     "movw %w3, %%fs\n\t"
		     "ltr %w4"
		     :
		     : "m"(desc), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS),
		       "r"(GDT_PERCPU), "r"(GDT_TSS)
		     : "memory");
	idt_load();
}
