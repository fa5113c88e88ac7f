/*
 * How generic code finds its CPU's struct percpu: %fs:0 holds its own
 * address (arch/x86/gdt.c points each CPU's %fs descriptor at it).
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

struct percpu;

static inline struct percpu *arch_this_cpu(void)
{
	struct percpu *p;
	asm volatile("movl %%fs:0, %0" : "=r"(p));
	return p;
}

/* Load this CPU's descriptor tables and point %fs at its percpu. */
void arch_cpu_tables_init(struct percpu *pcpu);

#endif
