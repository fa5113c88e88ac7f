/* Helpers shared by several test suites (tests/test_util.c). */
#ifndef TESTS_TEST_UTIL_H
#define TESTS_TEST_UTIL_H

#include <kernel/ktest.h>
#include <kernel/smp.h>
#include <mm/page.h>

struct task;

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

/*
 * Join th once it has ended, within a KT_WAIT watchdog, into *code. A
 * thread that never ends (a lost wake-up leaves it asleep) would hang
 * kthread_join() and the whole run; it is left behind instead, and the
 * case fails, naming it. Whatever it uses must outlive the case.
 * Context: may sleep. Return: true if it was joined.
 */
bool kt_join_bounded(struct ktest *t, struct task *th, int *code);

/* IPIs sent and handled, summed over every CPU (struct percpu). */
void sum_ipis(unsigned long *sent, unsigned long *received);

#endif
