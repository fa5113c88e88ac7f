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
 * A page above 4 GiB, the last of the highest highmem block (so the
 * physical address needs PAE's upper bits). On a machine without RAM
 * there the case is skipped, saying so (boot with -m 8G), and NULL
 * returned; NULL too, with the case failed by name, if RAM is there
 * but no block of it is free. Free it with kt_free_page_above_4g.
 */
struct page *kt_page_above_4g(struct ktest *t);
void kt_free_page_above_4g(struct page *page);

/*
 * A group of worker threads: kt_workers_create makes up to n threads
 * running fn, worker i with argument args + i * arg_size, all named
 * name. With per_cpu, worker i is bound to the i-th online CPU, and
 * there are no more workers than online CPUs. The threads do not run
 * until kt_workers_start, so the caller may still set up what they
 * read; kt_workers_join joins them (after the caller's bounded wait,
 * KT_WAIT_UNTIL, for the work: a worker stuck for good must fail the
 * case by name, not hang the join).
 *
 *	static struct worker w[KT_MAX_WORKERS];
 *	struct kt_workers ws;
 *
 *	kt_workers_create(&ws, worker_fn, w, sizeof(w[0]), 4, "w", true);
 *	KT_ASSERT_GT(t, ws.n, 0);
 *	kt_workers_start(&ws);
 *	if (KT_WAIT_UNTIL(t, READ_ONCE(done) == ws.n))
 *		kt_workers_join(&ws);
 *
 * Context: process context, may sleep.
 * Return (create): how many threads it made; fewer than asked when
 * per_cpu found fewer CPUs, or a thread could not be made (out of
 * memory: the case should fail).
 */
#define KT_MAX_WORKERS 16
struct kt_workers {
	unsigned int n;			  /* threads made */
	struct task *th[KT_MAX_WORKERS];  /* joined by kt_workers_join */
	unsigned int cpu[KT_MAX_WORKERS]; /* bound to; NR_CPUS: unbound */
};

unsigned int kt_workers_create(struct kt_workers *ws, int (*fn)(void *arg),
			       void *args, size_t arg_size, unsigned int n,
			       const char *name, bool per_cpu);
void kt_workers_start(struct kt_workers *ws);
void kt_workers_join(struct kt_workers *ws);

/*
 * The first online CPU other than cpu, or cpu itself when it is the
 * only one online.
 */
unsigned int kt_online_cpu_other_than(unsigned int cpu);

/* The highest-numbered online CPU (0 on a uniprocessor). */
unsigned int kt_highest_online_cpu(void);

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

/*
 * The free pages of each zone, and the lowmem pages kmalloc keeps for
 * its slabs, at one moment. kt_expect_pages_given_back checks that a
 * case gave back every page it took since then. kmalloc may have grown
 * meanwhile, and it keeps the pages it grew by: those are counted as
 * given back, not as a leak.
 *
 *	struct kt_free_pages before = kt_free_pages_now();
 *	... allocate, map, free ...
 *	vmap_purge();
 *	kt_expect_pages_given_back(t, &before);
 *
 * Context: any (it reads counters), but a leak check means something
 * only once the caches that hold pages (vmap's lazy areas, the pkmap
 * pool) are emptied.
 */
struct kt_free_pages {
	unsigned long low;	  /* free in ZONE_NORMAL */
	unsigned long high;	  /* free in ZONE_HIGHMEM */
	unsigned long slab_pages; /* kmalloc's, in ZONE_NORMAL */
};

struct kt_free_pages kt_free_pages_now(void);
void kt_expect_pages_given_back(struct ktest *t,
				const struct kt_free_pages *before);

/* IPIs sent and handled, summed over every CPU (struct percpu). */
void sum_ipis(unsigned long *sent, unsigned long *received);

/*
 * Every TLB flush counted so far, summed over every CPU: shootdowns
 * started, range flushes and full flushes done (struct percpu).
 */
unsigned long sum_tlb_flushes(void);

/*
 * Spin until cond(arg) holds or ms milliseconds have passed by the
 * clock (arch_timestamp), not the tick: it serves with interrupts off,
 * and inside an interrupt or a lock's contended path. Returns true as
 * soon as cond(arg) is seen true (a passing state counts), else cond(arg)
 * at the bound. kt_spin_until_set waits so for *flag to be nonzero.
 * Context: any. A bound for a wait that only a broken kernel (or a
 * host that stops the vCPUs) stretches, not a way to time things.
 */
bool kt_spin_until(bool (*cond)(const void *arg), const void *arg,
		   unsigned int ms);
bool kt_spin_until_set(const volatile int *flag, unsigned int ms);

/*
 * The 32-bit word at addr, read on cpu in its call-function interrupt,
 * so through that CPU's TLB.
 * Context: process context, interrupts on (it waits for cpu).
 */
uint32_t kt_read_on_cpu(unsigned int cpu, const void *addr);

#endif
