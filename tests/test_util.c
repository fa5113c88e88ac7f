/*
 * Helpers shared by several test suites.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kernel/kthread.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/task.h>
#include <kernel/smp.h>
#include <mm/kmalloc.h>
#include <mm/memblock.h>
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

struct kt_free_pages kt_free_pages_now(void)
{
	return (struct kt_free_pages){
		.low = zone_free_pages(ZONE_NORMAL),
		.high = zone_free_pages(ZONE_HIGHMEM),
		.slab_pages = kmalloc_slab_pages(),
	};
}

void kt_expect_pages_given_back(struct ktest *t,
				const struct kt_free_pages *before)
{
	struct kt_free_pages now = kt_free_pages_now();

	KT_EXPECT_EQ(t, now.low + (now.slab_pages - before->slab_pages),
		     before->low);
	KT_EXPECT_EQ(t, now.high, before->high);
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

bool kt_spin_until(bool (*cond)(const void *arg), const void *arg,
		   unsigned int ms)
{
	uint64_t end = arch_timestamp() + ms * arch_timestamp_per_ms();

	while (arch_timestamp() < end) {
		if (cond(arg))
			return true; /* as seen: it may not last */
		arch_cpu_relax();
	}
	return cond(arg); /* a last look, at the bound */
}

static bool flag_set(const void *flag)
{
	return READ_ONCE(*(const volatile int *)flag) != 0;
}

bool kt_spin_until_set(const volatile int *flag, unsigned int ms)
{
	return kt_spin_until(flag_set, (const void *)flag, ms);
}

unsigned int kt_online_cpu_other_than(unsigned int cpu)
{
	unsigned int c;

	for_each_online_cpu(c)
		if (c != cpu)
			return c;
	return cpu;
}

unsigned int kt_highest_online_cpu(void)
{
	unsigned int last = 0;

	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (cpu_is_online(c))
			last = c;
	return last;
}

struct page *kt_page_above_4g(struct ktest *t)
{
	struct page *block, *page;

	if (memblock_usable_end() <= (1ull << 32)) {
		kt_skip(t, "no RAM above 4 GiB (boot with -m 8G)");
		return NULL;
	}
	block = alloc_highest_block();
	if (!block) {
		KT_FAIL(t, "RAM ends at %#llx, but no free highmem block",
			(unsigned long long)memblock_usable_end());
		return NULL;
	}
	page = block + (1u << MAX_ORDER) - 1;
	if (page_to_phys(page) <= 0xFFFFFFFFull) {
		KT_FAIL(t, "the highest free block ends at %#llx, below 4 GiB",
			(unsigned long long)page_to_phys(page));
		free_pages(block, MAX_ORDER);
		return NULL;
	}
	return page;
}

void kt_free_page_above_4g(struct page *page)
{
	free_pages(page - ((1u << MAX_ORDER) - 1), MAX_ORDER);
}

unsigned int kt_workers_create(struct kt_workers *ws, int (*fn)(void *arg),
			       void *args, size_t arg_size, unsigned int n,
			       const char *name, bool per_cpu)
{
	unsigned int cpu = 0;

	BUG_ON(n > KT_MAX_WORKERS);
	ws->n = 0;
	while (ws->n < n) {
		struct task *th;

		if (per_cpu) {
			while (cpu < NR_CPUS && !cpu_is_online(cpu))
				cpu++;
			if (cpu == NR_CPUS)
				break;
		}
		th = kthread_create(fn, (char *)args + ws->n * arg_size, name);
		if (!th)
			break;
		if (per_cpu)
			kthread_bind(th, cpu);
		ws->cpu[ws->n] = per_cpu ? cpu++ : NR_CPUS;
		ws->th[ws->n++] = th;
	}
	return ws->n;
}

void kt_workers_start(struct kt_workers *ws)
{
	for (unsigned int i = 0; i < ws->n; i++)
		kthread_start(ws->th[i]);
}

void kt_workers_join(struct kt_workers *ws)
{
	for (unsigned int i = 0; i < ws->n; i++)
		kthread_join(ws->th[i]);
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
