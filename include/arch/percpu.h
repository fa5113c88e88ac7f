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

/*
 * One 32-bit field of this CPU's struct percpu, read or changed in a
 * single instruction through %fs. One instruction matters twice: it is
 * the fastest way there, and nothing can come between finding "this
 * CPU" and touching the field. this_cpu()->field takes two, and a task
 * preempted between them and moved to another CPU would touch the old
 * CPU's field, racing with its owner. (These macros expand where
 * <kernel/percpu.h> has declared struct percpu and percpu_areas.)
 */
#define __percpu_off(field) offsetof(struct percpu, field)
#define __percpu_check(field)                              \
	_Static_assert(sizeof(percpu_areas[0].field) == 4, \
		       "per-CPU accessors handle 32-bit fields only")

#define arch_this_cpu_read(field)                         \
	({                                                \
		__typeof__(percpu_areas[0].field) __v;    \
		__percpu_check(field);                    \
		asm volatile("movl %%fs:%c1, %0"          \
			     : "=r"(__v)                  \
			     : "i"(__percpu_off(field))); \
		__v;                                      \
	})

/*
 * The same, for a field that reads the same on whichever CPU the task
 * runs: `current` is always the reading task itself, migrated or not.
 * Not volatile, so the compiler may keep it in a register and reuse
 * it; only the context switch, which changes it, must not (it writes
 * the field through this_cpu() and reads it no more).
 */
#define arch_this_cpu_read_stable(field)               \
	({                                             \
		__typeof__(percpu_areas[0].field) __v; \
		__percpu_check(field);                 \
		asm("movl %%fs:%c1, %0"                \
		    : "=r"(__v)                        \
		    : "i"(__percpu_off(field)));       \
		__v;                                   \
	})

#define arch_this_cpu_add(field, val)                              \
	do {                                                       \
		__percpu_check(field);                             \
		asm volatile("addl %1, %%fs:%c0"                   \
			     :                                     \
			     : "i"(__percpu_off(field)), "ri"(val) \
			     : "cc");                              \
	} while (0)

/* Subtract val; true if the field became zero (the flag of the same sub). */
#define arch_this_cpu_sub_and_test(field, val)                       \
	({                                                           \
		bool __zero;                                         \
		__percpu_check(field);                               \
		asm volatile("subl %2, %%fs:%c1"                     \
			     : "=@ccz"(__zero)                       \
			     : "i"(__percpu_off(field)), "ri"(val)); \
		__zero;                                              \
	})

/* Load this CPU's descriptor tables and point %fs at its percpu. */
void arch_cpu_tables_init(struct percpu *pcpu);

#endif
