/*
 * Suite "tlb": TLB shootdown, proved by what a CPU can still read.
 *
 * The central case is the stale-TLB test: one CPU caches a translation,
 * another unmaps it, reuses the address for a different page and must
 * be sure the first CPU sees the new page. Under break=tlb_shootdown
 * it must fail; the runner boots that configuration (lab-tlb-shootdown) and
 * checks that it does, so the test cannot silently become one that
 * always passes. The counter cases check the bookkeeping the
 * benchmarks rely on.
 */
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/wait.h>
#include <mm/page_alloc.h>
#include <mm/tlbflush.h>
#include <mm/vmalloc.h>

/*
 * The reader/remapper handshake, one pair of CPUs at a time. Between
 * its two reads of the address the reader spins, touching nothing but
 * the phase: a sleep would run the scheduler and the idle loop, whose
 * accesses can evict the entry under test from a small TLB (QEMU's
 * is), and the second read would then find the new page through the
 * page tables even with the shootdown broken. Before its first read
 * it has nothing to keep, and sleeps: the remapper's purge and vmap
 * take a while, and on a host with fewer cores than vCPUs a spinning
 * reader would hold a core that the CPUs of that purge's shootdown
 * need. The remapper's waits are short (the reader's reads) and spin,
 * within the case's watchdog: if one times out, the case fails by name
 * and the remapper ends the run, which wakes the reader and stops it.
 */
struct stale_run {
	struct ktest *t;
	struct page *p1, *p2;
	volatile uint32_t *v1, *v2; /* the pages through the direct map */
	volatile uintptr_t addr;    /* what the reader reads through */
	volatile int phase; /* 1: read, 2: done; 3: reread (5: skip it), 4 */
	volatile uint32_t seen;
	volatile int quit;		/* the remapper is done */
	bool gave_up;			/* its watchdog fired */
	uintptr_t leftover;		/* mapped when it gave up */
	struct wait_queue_head read_wq; /* the reader sleeps for phase 1 */
	unsigned int iters, stale, not_reused, wrong_first;
};

/*
 * The reader, between its reads: spin until told to reread (3) or to
 * skip it (5: the address was not reused, and is no longer mapped);
 * that phase, or 0 at the end of the run.
 */
static int wait_reread(struct stale_run *r)
{
	int phase;

	while ((phase = READ_ONCE(r->phase)) != 3 && phase != 5)
		if (READ_ONCE(r->quit))
			return 0;
		else
			arch_cpu_relax(); /* interrupts on: we ack IPIs */
	return phase;
}

/* Wake the reader: a new address to read, or the end of the run. */
static void reader_wake(struct stale_run *r, int phase)
{
	WRITE_ONCE(r->phase, phase);
	wake_up_all(&r->read_wq);
}

static int stale_reader(void *arg)
{
	struct stale_run *r = arg;

	for (;;) {
		int phase;

		wait_event(&r->read_wq,
			   READ_ONCE(r->phase) == 1 || READ_ONCE(r->quit));
		if (READ_ONCE(r->quit))
			return 0;
		r->seen = *(volatile uint32_t *)r->addr; /* now cached */
		WRITE_ONCE(r->phase, 2);
		phase = wait_reread(r);
		if (!phase)
			return 0;
		if (phase == 3)
			r->seen = *(volatile uint32_t *)r->addr; /* same va */
		WRITE_ONCE(r->phase, 4);
	}
}

/* The end of the run: the reader, awake or asleep, leaves. */
static void remapper_quit(struct stale_run *r)
{
	WRITE_ONCE(r->quit, 1);
	wake_up_all(&r->read_wq);
}

static bool reader_answered(const struct stale_run *r, int phase)
{
	return READ_ONCE(r->phase) == phase;
}

/*
 * The remapper: wait for the reader's answer, within the watchdog. Past
 * it the case has failed by name, and the run ends; va, which the
 * reader may be reading at this very moment, stays mapped until the
 * case has joined the reader (leftover).
 */
static bool remapper_wait(struct stale_run *r, int phase, uintptr_t va)
{
	if (KT_WAIT_UNTIL_SPIN(r->t, reader_answered(r, phase)))
		return true;
	r->gave_up = true;
	r->leftover = va;
	remapper_quit(r);
	return false;
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
		reader_wake(r, 1);
		if (!remapper_wait(r, 2, a))
			break;
		r->wrong_first += r->seen != old_val;
		vunmap((void *)a);
		vmap_purge(); /* the shootdown under test */
		b = (uintptr_t)vmap(&r->p2, 1, MAP_READ | MAP_WRITE);
		/* Not reused (or no vmap at all): a is unmapped, skip it. */
		WRITE_ONCE(r->phase, b == a ? 3 : 5);
		if (!remapper_wait(r, 4, b))
			break;
		if (b != a)
			r->not_reused++;
		else
			r->stale += r->seen != new_val;
		WRITE_ONCE(r->phase, 0);
		if (b)
			vunmap((void *)b);
	}
	remapper_quit(r);
	return 0;
}

/* One CPU pair's run, and its two threads. */
struct stale_pair {
	struct stale_run r;
	struct task *remapper, *reader;
	unsigned int a, b;
};

/*
 * Every pair's threads are created, bound, before the first purge.
 * Under break=tlb_shootdown a purge leaves other CPUs with stale
 * entries for whatever it freed, thread stacks included; a stack
 * allocated after it, at a recycled address, would run on a CPU that
 * still maps the old page there, and the kernel would crash instead of
 * failing this case by name. Stacks made first never meet a stale
 * entry.
 */
static bool stale_pairs_create(struct ktest *t, struct stale_pair *pair,
			       unsigned int *count)
{
	unsigned int n = num_online_cpus(), a, b;

	*count = 0;
	for_each_online_cpu(a) {
		for_each_online_cpu(b) {
			struct stale_pair *p = &pair[*count];

			if (a == b)
				continue;
			*p = (struct stale_pair){
				.r = { .t = t,
				       .iters = MAX(2u, 120 / (n * (n - 1))) },
				.a = a,
				.b = b
			};
			p->r.p1 = alloc_page(GFP_KERNEL);
			p->r.p2 = alloc_page(GFP_KERNEL);
			p->remapper = kthread_create(stale_remapper, &p->r,
						     "tlb_remap");
			p->reader = kthread_create(stale_reader, &p->r,
						   "tlb_reader");
			(*count)++;
			if (!p->r.p1 || !p->r.p2 || !p->remapper ||
			    !p->reader) {
				KT_FAIL(t, "out of memory for CPU pair %u, %u",
					a, b);
				return false;
			}
			p->r.v1 = lowmem_page_address(p->r.p1);
			p->r.v2 = lowmem_page_address(p->r.p2);
			wait_queue_init(&p->r.read_wq);
			kthread_bind(p->remapper, a);
			kthread_bind(p->reader, b);
		}
	}
	return true;
}

static void tlb_stale_after_remap(struct ktest *t)
{
	static struct stale_pair pair[NR_CPUS * (NR_CPUS - 1)];
	unsigned int total_stale = 0, total_iters = 0, total_skipped = 0;
	unsigned int count;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs two CPUs");
		return;
	}
	if (!stale_pairs_create(t, pair, &count))
		return; /* nothing started: the threads are leaked */
	for (unsigned int i = 0; i < count; i++) {
		struct stale_pair *p = &pair[i];

		kthread_start(p->reader);
		kthread_start(p->remapper);
		kthread_join(p->remapper);
		kthread_join(p->reader);
		if (p->r.leftover)
			vunmap((void *)p->r.leftover);
		if (p->r.gave_up)
			return; /* failed by name: later pairs left unstarted */
		if (p->r.stale)
			kt_diag(t,
				"CPU %u read a stale page %u of %u times "
				"after CPU %u remapped it",
				p->b, p->r.stale, p->r.iters - p->r.not_reused,
				p->a);
		KT_EXPECT_EQ(t, p->r.wrong_first, 0);
		total_stale += p->r.stale;
		total_iters += p->r.iters - p->r.not_reused;
		total_skipped += p->r.not_reused;
		free_page(p->r.p1);
		free_page(p->r.p2);
	}
	kt_diag(t,
		"%u CPU pairs, %u remaps checked, %u stale reads, %u "
		"iterations without address reuse",
		count, total_iters, total_stale, total_skipped);
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
		c->shootdowns[cpu] =
			READ_ONCE(percpu_areas[cpu].tlb_shootdowns);
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
			kt_diag(t,
				"%s: CPU %u made %lu range and %lu full "
				"flushes, want %u and %u",
				scenario, cpu, range, all, !full, full);
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
	flush_tlb_kernel_range(base,
			       base + TLB_FLUSH_CEILING_PAGES * PAGE_SIZE);
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

/*
 * A target flushes, then answers: when a shootdown returns, every other
 * online CPU has already flushed. A target that answered first and
 * flushed a moment later would leave the sender free to reuse the range
 * while a stale entry still stood; its flush counter, read the moment
 * the shootdown returns, would not have moved yet. The window is a few
 * dozen instructions wide, so the case asks many times, on a range at
 * the ceiling (the longest flush a range gets): up to TLB_ANSWER_ROUNDS
 * shootdowns, or TLB_ANSWER_CHECKS answers if that comes first.
 */
#define TLB_ANSWER_ROUNDS 5000
#define TLB_ANSWER_CHECKS 15000 /* answers looked at, over all targets */

static unsigned int targets_not_yet_flushed(const struct tlb_counts *was,
					    unsigned int me)
{
	unsigned int cpu, late = 0;

	for_each_online_cpu(cpu) {
		if (cpu != me &&
		    READ_ONCE(percpu_areas[cpu].tlb_range_flushes) ==
			    was->range[cpu])
			late++;
	}
	return late;
}

static void tlb_targets_flush_before_they_answer(struct ktest *t)
{
	uintptr_t end = vmalloc_start + TLB_FLUSH_CEILING_PAGES * PAGE_SIZE;
	unsigned int round, rounds, late = 0, me;
	struct tlb_counts was;

	if (num_online_cpus() < 2) {
		kt_skip(t, "needs a second CPU to answer");
		return;
	}
	/*
	 * Each round looks at every target's answer: with seven targets
	 * (smp8) fewer rounds look at as many answers, and each round
	 * waits for seven vCPUs, which a two-core host runs by turns.
	 */
	rounds = MIN(TLB_ANSWER_ROUNDS,
		     TLB_ANSWER_CHECKS / (num_online_cpus() - 1));
	migrate_disable();
	me = smp_processor_id();
	for (round = 0; round < rounds && !late; round++) {
		snapshot(&was);
		flush_tlb_kernel_range(vmalloc_start, end);
		late = targets_not_yet_flushed(&was, me);
	}
	migrate_enable();
	if (late)
		kt_diag(t, "round %u: %u CPU(s) answered before they flushed",
			round, late);
	KT_EXPECT_EQ(t, late, 0);
}

/*
 * A range flush reaches every page of the range, the last one too. Two
 * pages of a vmap area would not show it: under QEMU's TCG an invlpg
 * inside the span it tracks for large pages flushes its whole software
 * TLB, so the first page's flush would hide a skipped last one. The
 * range is one page, then: its first and its last. The entry is changed behind
 * the TLB's back (no flush), then the range is flushed: the next read must see
 * the new page.
 */
static void tlb_range_flush_reaches_its_last_page(struct ktest *t)
{
	struct page *p[2] = { alloc_page(GFP_KERNEL), alloc_page(GFP_KERNEL) };
	uint32_t before = 0, after = 0;
	uintptr_t va = 0;
	pte_t was;

	if (!p[0] || !p[1])
		goto out;
	*(uint32_t *)lowmem_page_address(p[0]) = 0x01d01d01;
	*(uint32_t *)lowmem_page_address(p[1]) = 0x0e50e50e;
	va = (uintptr_t)vmap(&p[0], 1, MAP_READ | MAP_WRITE);
	KT_ASSERT_TRUE(t, va != 0);
	migrate_disable();
	before = *(volatile uint32_t *)va; /* now in this CPU's TLB */
	was = arch_get_kernel_pte(va);
	arch_set_kernel_pte(va, arch_make_pte(page_to_phys(p[1]),
					      MAP_READ | MAP_WRITE));
	flush_tlb_kernel_range(va, va + PAGE_SIZE);
	after = *(volatile uint32_t *)va;
	arch_set_kernel_pte(va, was);
	flush_tlb_kernel_range(va, va + PAGE_SIZE);
	migrate_enable();
	KT_EXPECT_EQ(t, before, 0x01d01d01);
	KT_EXPECT_EQ(t, after, 0x0e50e50e);
	vunmap((void *)va);
out:
	KT_EXPECT_TRUE(t, p[0] && p[1]);
	for (unsigned int i = 0; i < 2; i++)
		if (p[i])
			free_page(p[i]);
}

static const struct ktest_case tlb_cases[] = {
	KTEST_CASE(tlb_stale_after_remap),
	KTEST_CASE(tlb_counters_match_flushes),
	KTEST_CASE(tlb_empty_range_is_free),
	KTEST_CASE(tlb_targets_flush_before_they_answer),
	KTEST_CASE(tlb_range_flush_reaches_its_last_page),
};
KTEST_SUITE(tlb, tlb_cases);
