/* Helpers shared by several test suites (tests/test_util.c). */
#ifndef TESTS_TEST_UTIL_H
#define TESTS_TEST_UTIL_H

#include <kernel/smp.h>
#include <mm/page.h>

/*
 * The highest-addressed block of 2^MAX_ORDER highmem pages (above
 * 4 GiB when the machine has RAM there), or NULL without highmem.
 * Free it with free_pages(block, MAX_ORDER).
 */
struct page *alloc_highest_block(void);

/*
 * The first online CPU other than cpu, or cpu itself when it is the
 * only one online.
 */
unsigned int kt_online_cpu_other_than(unsigned int cpu);

/* A CPU other than the caller's, or the caller's on a uniprocessor. */
static inline unsigned int kt_other_cpu(void)
{
	return kt_online_cpu_other_than(smp_processor_id());
}

/* IPIs sent and handled, summed over every CPU (struct percpu). */
void sum_ipis(unsigned long *sent, unsigned long *received);

/*
 * Every TLB flush counted so far, summed over every CPU: shootdowns
 * started, range flushes and full flushes done (struct percpu).
 */
unsigned long sum_tlb_flushes(void);

/*
 * The 32-bit word at addr, read on cpu in its call-function interrupt,
 * so through that CPU's TLB.
 * Context: process context, interrupts on (it waits for cpu).
 */
uint32_t kt_read_on_cpu(unsigned int cpu, const void *addr);

#endif
