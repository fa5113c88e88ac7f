/*
 * Helpers shared by several test suites.
 */
#include <kernel/kthread.h>
#include <kernel/percpu.h>
#include <kernel/task.h>
#include <kernel/smp.h>
#include <mm/page_alloc.h>
#include "test_util.h"

/*
 * The highest-addressed highmem frame we can get: above 4 GiB when the
 * machine has RAM there. Takes every 4 MiB block of highmem, keeps the
 * highest and gives back the rest.
 */
struct page *alloc_highest_block(void)
{
	struct page *best = NULL, *page;
	LIST_HEAD(held);

	while ((page = alloc_pages_zone(ZONE_HIGHMEM, MAX_ORDER)))
		list_add(&page->list, &held);
	while (!list_empty(&held)) {
		page = list_first_entry(&held, struct page, list);
		list_del(&page->list);
		if (!best || page_to_pfn(page) > page_to_pfn(best)) {
			if (best)
				free_pages(best, MAX_ORDER);
			best = page;
		} else {
			free_pages(page, MAX_ORDER);
		}
	}
	return best;
}

void sum_ipis(unsigned long *sent, unsigned long *received)
{
	*sent = *received = 0;
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		*sent += READ_ONCE(percpu_areas[cpu].ipi_sent);
		*received += READ_ONCE(percpu_areas[cpu].ipi_received);
	}
}

unsigned int kt_online_cpu_other_than(unsigned int cpu)
{
	unsigned int c;

	for_each_online_cpu(c)
		if (c != cpu)
			return c;
	return cpu;
}

bool kt_join_bounded(struct ktest *t, struct task *th, int *code)
{
	if (!KT_WAIT_UNTIL(t, READ_ONCE(th->state) == TASK_DEAD &&
				      !READ_ONCE(th->on_cpu))) {
		kt_diag(t, "thread %s never ended: left behind, not joined",
			th->name);
		return false;
	}
	*code = kthread_join(th);
	return true;
}
