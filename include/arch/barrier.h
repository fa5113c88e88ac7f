/*
 * Memory-ordering hooks: what one CPU's accesses look like, in order,
 * to another CPU. The compiler's own reordering is stopped by
 * barrier() (<kernel/compiler.h>); these also order the CPU's.
 *
 *   arch_store_release(p, v)  store v at *p (a scalar of at most 32
 *                             bits) after every load and store before
 *                             it in program order has been done: a
 *                             CPU that sees the new value sees them
 *                             too. For handing over a lock. Context:
 *                             any.
 *
 * The arch defines them in <asm/barrier.h> (x86:
 * arch/x86/include/asm/barrier.h).
 */
#ifndef ARCH_BARRIER_H
#define ARCH_BARRIER_H

#include <kernel/compiler.h>

#include <asm/barrier.h>

#ifndef arch_store_release
#error "<asm/barrier.h> must define arch_store_release"
#endif

#endif
