/*
 * How generic code finds its CPU's struct percpu (<kernel/percpu.h>).
 * The arch defines these in <asm/percpu.h> (x86: through the %fs
 * segment, arch/x86/include/asm/percpu.h).
 *
 * The field accessors are macros, because they take a field name. Each
 * reads or changes one 32-bit field of this CPU's struct percpu in a
 * single instruction. One instruction matters twice: it is the fastest
 * way there, and nothing can come between finding "this CPU" and
 * touching the field. this_cpu()->field takes two, and a task
 * preempted between them and moved to another CPU would touch the old
 * CPU's field, racing with its owner. (They expand where
 * <kernel/percpu.h> has declared struct percpu and percpu_areas.)
 *
 *   arch_this_cpu_read(field)         the field's value; read afresh
 *                                     each time (volatile)
 *   arch_this_cpu_read_stable(field)  the same, for a field that reads
 *                                     the same on whichever CPU the task
 *                                     runs (`current` is always the
 *                                     reading task itself, migrated or
 *                                     not): the compiler may keep it in
 *                                     a register and reuse it; only the
 *                                     context switch, which changes it,
 *                                     must not (it writes the field
 *                                     through this_cpu() and reads it
 *                                     no more)
 *   arch_this_cpu_read_elem(field, i) element i of an array of 32-bit
 *                                     words, read afresh each time
 *   arch_this_cpu_write(field, val)   store val
 *   arch_this_cpu_add(field, val)     add val
 *   arch_this_cpu_sub_and_test(field, val)
 *                                     subtract val; true if the field
 *                                     became zero
 *
 * None is a compiler barrier. Context: any.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

struct percpu;

/* This CPU's struct percpu. Context: any (stable while pinned). */
static inline struct percpu *arch_this_cpu(void);

/* Load this CPU's descriptor tables and make arch_this_cpu() find pcpu. */
void arch_cpu_tables_init(struct percpu *pcpu);

#include <asm/percpu.h>

#if !defined(arch_this_cpu_read) || !defined(arch_this_cpu_read_stable) ||  \
	!defined(arch_this_cpu_read_elem) || !defined(arch_this_cpu_add) || \
	!defined(arch_this_cpu_sub_and_test) || !defined(arch_this_cpu_write)
#error "<asm/percpu.h> must define the six per-CPU field accessors"
#endif

#endif
