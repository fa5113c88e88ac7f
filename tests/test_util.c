/*
 * Helpers shared by several test suites.
 */
#include <kernel/percpu.h>
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

unsigned long sum_tlb_flushes(void)
{
	unsigned long n = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		n += READ_ONCE(percpu_areas[cpu].tlb_shootdowns) +
		     READ_ONCE(percpu_areas[cpu].tlb_range_flushes) +
		     READ_ONCE(percpu_areas[cpu].tlb_full_flushes);
	return n;
}

struct remote_read {
	const volatile uint32_t *addr;
	uint32_t value;
};

static void read_word(void *arg)
{
	struct remote_read *r = arg;

	r->value = *r->addr;
}

uint32_t kt_read_on_cpu(unsigned int cpu, const void *addr)
{
	struct remote_read r = { addr, 0 };

	smp_call_function_single(cpu, read_word, &r, true);
	return r.value;
}

unsigned int kt_online_cpu_other_than(unsigned int cpu)
{
	unsigned int c;

	for_each_online_cpu(c)
		if (c != cpu)
			return c;
	return cpu;
}
