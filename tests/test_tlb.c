/*
 * Suite "tlb": TLB shootdown, proved by what a CPU can still read.
 *
 * The central case is the stale-TLB test: one CPU caches a translation,
 * another unmaps it, reuses the address for a different page and must
 * be sure the first CPU sees the new page. Under break=tlb_shootdown
 * it must fail; the runner boots that configuration (tlb-broken) and
 * checks that it does, so the test cannot silently become one that
 * always passes. The counter cases check the bookkeeping the
 * benchmarks rely on.
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <mm/page_alloc.h>
#include <mm/tlbflush.h>
#include <mm/vmalloc.h>

/* The reader/remapper handshake, one pair of CPUs at a time. */
struct stale_run {
	struct page *p1, *p2;
	volatile uint32_t *v1, *v2;	/* the pages through the direct map */
	volatile uintptr_t addr;	/* what the reader reads through */
	volatile int phase;		/* 1: read, 2: done; 3: reread, 4 */
	volatile uint32_t seen;
	volatile int quit;
	unsigned int iters, stale, not_reused, wrong_first;
};

static bool wait_phase(struct stale_run *r, int want)
{
	while (READ_ONCE(r->phase) != want)
		if (READ_ONCE(r->quit))
			return false;
		else
			arch_cpu_relax();	/* interrupts on: we ack IPIs */
	return true;
}

static int stale_reader(void *arg)
{
	struct stale_run *r = arg;

	for (;;) {
		if (!wait_phase(r, 1))
			return 0;
		r->seen = *(volatile uint32_t *)r->addr;  /* now cached */
		WRITE_ONCE(r->phase, 2);
		if (!wait_phase(r, 3))
			return 0;
		r->seen = *(volatile uint32_t *)r->addr;  /* the same va */
		WRITE_ONCE(r->phase, 4);
	}
}

static int stale_remapper(void *arg)
{
	struct stale_run *r = arg;

	for (unsigned int i = 0; i < r->iters; i++) {
		uint32_t old_val = 0x01d00000 | i, new_val = 0x0e500000 | i;
		uintptr_t a, b;

		*r->v1 = old_val;
		*r->v2 = new_val;
		/* A clean free list, so the same hole comes back below. */
		vmap_purge();
		a = (uintptr_t)vmap(&r->p1, 1, MAP_READ | MAP_WRITE);
		if (!a)
			break;
		r->addr = a;
		WRITE_ONCE(r->phase, 1);
		wait_phase(r, 2);
		r->wrong_first += r->seen != old_val;
		vunmap((void *)a);
		vmap_purge();	/* the shootdown under test */
		b = (uintptr_t)vmap(&r->p2, 1, MAP_READ | MAP_WRITE);
		if (b != a) {
			r->not_reused++;
			WRITE_ONCE(r->phase, 3);
			wait_phase(r, 4);
		} else {
			WRITE_ONCE(r->phase, 3);
			wait_phase(r, 4);
			r->stale += r->seen != new_val;
		}
		WRITE_ONCE(r->phase, 0);
		if (b)
			vunmap((void *)b);
	}
	WRITE_ONCE(r->quit, 1);
	return 0;
}

static void tlb_stale_after_remap(struct ktest *t)
{
	unsigned int n = num_online_cpus(), pairs = n * (n - 1);
	unsigned int total_stale = 0, total_iters = 0, total_skipped = 0;
	unsigned int a, b;

	if (n < 2) {
		kt_skip(t, "needs two CPUs");
		return;
	}
	for_each_online_cpu(a) {
		for_each_online_cpu(b) {
			struct stale_run r = { .iters = MAX(2u, 120 / pairs) };
			struct task *ta, *tb;

			if (a == b)
				continue;
			r.p1 = alloc_page(GFP_KERNEL);
			r.p2 = alloc_page(GFP_KERNEL);
			KT_ASSERT_TRUE(t, r.p1 && r.p2);
			r.v1 = lowmem_page_address(r.p1);
			r.v2 = lowmem_page_address(r.p2);
			ta = kthread_create(stale_remapper, &r, "tlb_remap");
			tb = kthread_create(stale_reader, &r, "tlb_reader");
			KT_ASSERT_TRUE(t, ta && tb);
			kthread_bind(ta, a);
			kthread_bind(tb, b);
			kthread_start(tb);
			kthread_start(ta);
			kthread_join(ta);
			kthread_join(tb);
			if (r.stale)
				kt_diag(t, "CPU %u read a stale page %u of %u "
					"times after CPU %u remapped it", b,
					r.stale, r.iters - r.not_reused, a);
			KT_EXPECT_EQ(t, r.wrong_first, 0);
			total_stale += r.stale;
			total_iters += r.iters - r.not_reused;
			total_skipped += r.not_reused;
			free_page(r.p1);
			free_page(r.p2);
		}
	}
	kt_diag(t, "%u CPU pairs, %u remaps checked, %u stale reads, %u "
		"iterations without address reuse", pairs, total_iters,
		total_stale, total_skipped);
	/* Most iterations must really reuse the address, or we test nothing. */
	KT_EXPECT_GT(t, total_iters, total_skipped);
	KT_EXPECT_EQ(t, total_stale, 0);
}

struct tlb_counts {
	unsigned long shootdowns[NR_CPUS], range[NR_CPUS], full[NR_CPUS];
};

static void snapshot(struct tlb_counts *c)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		c->shootdowns[cpu] = READ_ONCE(percpu_areas[cpu].tlb_shootdowns);
		c->range[cpu] = READ_ONCE(percpu_areas[cpu].tlb_range_flushes);
		c->full[cpu] = READ_ONCE(percpu_areas[cpu].tlb_full_flushes);
	}
}

/*
 * Did exactly one flush of the given kind happen on every online CPU,
 * after one shootdown sent by this one? One set of checks serves four
 * scenarios, so a failure first says which scenario and which CPU.
 */
static void expect_one_flush(struct ktest *t, const char *scenario,
			     const struct tlb_counts *was, bool full,
			     unsigned int me)
{
	unsigned long want_sd = num_online_cpus() > 1, sd;
	struct tlb_counts now;
	unsigned int cpu;

	snapshot(&now);
	sd = now.shootdowns[me] - was->shootdowns[me];
	if (sd != want_sd)
		kt_diag(t, "%s: CPU %u (sender) made %lu shootdowns, want %lu",
			scenario, me, sd, want_sd);
	KT_EXPECT_EQ(t, sd, want_sd);
	for_each_online_cpu(cpu) {
		unsigned long range = now.range[cpu] - was->range[cpu];
		unsigned long all = now.full[cpu] - was->full[cpu];

		if (range != !full || all != full)
			kt_diag(t, "%s: CPU %u made %lu range and %lu full "
				"flushes, want %u and %u", scenario, cpu,
				range, all, !full, full);
		KT_EXPECT_EQ(t, range, !full);
		KT_EXPECT_EQ(t, all, full);
	}
}

static void tlb_counters_match_flushes(struct ktest *t)
{
	uintptr_t base = vmalloc_start;
	struct tlb_counts c;
	unsigned int me;

	migrate_disable();
	me = smp_processor_id();
	snapshot(&c);
	flush_tlb_kernel_range(base, base + PAGE_SIZE);
	expect_one_flush(t, "one page", &c, false, me);

	snapshot(&c);
	flush_tlb_kernel_range(base, base + TLB_FLUSH_CEILING_PAGES * PAGE_SIZE);
	expect_one_flush(t, "range at the ceiling", &c, false, me);

	/* One page over the ceiling: a full flush instead. */
	snapshot(&c);
	flush_tlb_kernel_range(base, base + (TLB_FLUSH_CEILING_PAGES + 1) *
					     PAGE_SIZE);
	expect_one_flush(t, "range over the ceiling", &c, true, me);

	snapshot(&c);
	flush_tlb_all();
	expect_one_flush(t, "flush_tlb_all", &c, true, me);
	migrate_enable();
}

/* An empty range flushes nothing and bothers nobody. */
static void tlb_empty_range_is_free(struct ktest *t)
{
	struct tlb_counts was, now;

	migrate_disable();
	snapshot(&was);
	flush_tlb_kernel_range(vmalloc_start, vmalloc_start);
	snapshot(&now);
	migrate_enable();
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		KT_EXPECT_EQ(t, now.shootdowns[cpu], was.shootdowns[cpu]);
		KT_EXPECT_EQ(t, now.range[cpu], was.range[cpu]);
	}
}

KTEST_SUITE(tlb,
	    KTEST_CASE(tlb_stale_after_remap),
	    KTEST_CASE(tlb_counters_match_flushes),
	    KTEST_CASE(tlb_empty_range_is_free));
