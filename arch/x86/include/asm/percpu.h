/*
 * x86 bodies of the per-CPU hooks of <arch/percpu.h>. Each CPU's %fs
 * segment starts at its struct percpu (arch/x86/gdt.c sets the
 * descriptor), and the struct's first field holds its own address, so
 * "this CPU" is one load from %fs:0 and any 32-bit field is one
 * instruction at %fs:offset. Included only through <arch/percpu.h>.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <kernel/compiler.h>

struct percpu;

static inline struct percpu *arch_this_cpu(void)
{
	struct percpu *p;
	asm volatile("movl %%fs:0, %0" : "=r"(p));
	return p;
}

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

/* Not volatile: the compiler may keep the value and reuse it. */
#define arch_this_cpu_read_stable(field)               \
	({                                             \
		__typeof__(percpu_areas[0].field) __v; \
		__percpu_check(field);                 \
		asm("movl %%fs:%c1, %0"                \
		    : "=r"(__v)                        \
		    : "i"(__percpu_off(field)));       \
		__v;                                   \
	})

#define arch_this_cpu_write(field, val)                              \
	do {                                                         \
		__percpu_check(field);                               \
		asm volatile("movl %1, %%fs:%c0"                     \
			     :                                       \
			     : "i"(__percpu_off(field)), "ri"(val)); \
	} while (0)

#define arch_this_cpu_add(field, val)                              \
	do {                                                       \
		__percpu_check(field);                             \
		asm volatile("addl %1, %%fs:%c0"                   \
			     :                                     \
			     : "i"(__percpu_off(field)), "ri"(val) \
			     : "cc");                              \
	} while (0)

/*
 * Element i of a per-CPU array of 32-bit words: one load, the index
 * scaled by the address mode. Volatile, so it stays after the compiler
 * barrier that pins the task (the array differs from CPU to CPU).
 */
#define arch_this_cpu_read_elem(field, i)                              \
	({                                                             \
		__typeof__(percpu_areas[0].field[0]) __v;              \
		_Static_assert(sizeof(percpu_areas[0].field[0]) == 4,  \
			       "per-CPU arrays of 32-bit words only"); \
		asm volatile("movl %%fs:%c1(,%2,4), %0"                \
			     : "=r"(__v)                               \
			     : "i"(__percpu_off(field)), "r"(i));      \
		__v;                                                   \
	})

/* The zero flag of the same SUB says whether the field became zero. */
#define arch_this_cpu_sub_and_test(field, val)                       \
	({                                                           \
		bool __zero;                                         \
		__percpu_check(field);                               \
		asm volatile("subl %2, %%fs:%c1"                     \
			     : "=@ccz"(__zero)                       \
			     : "i"(__percpu_off(field)), "ri"(val)); \
		__zero;                                              \
	})

#endif
