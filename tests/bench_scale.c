/*
 * Scaling benchmarks (bench=*_scale): every online CPU maps, writes and
 * unmaps highmem pages at once, and the figure is the whole machine's
 * time per pair. tools/bench.py boots them with 1, 2, 4 and 8 CPUs;
 * docs/bench.rst ("How kmap and kmap_local scale") reads the curve.
 *
 * kmap_scale        kmap() + write + kunmap(): one pool and one lock
 *                   for all CPUs, and a shootdown to every CPU at each
 *                   wrap of the pool
 * kmap_local_scale  kmap_local_page() + write + kunmap_local(): each
 *                   CPU's own fixmap slots, no shared lock
 * baseline_scale    the write alone, to lowmem pages through the direct
 *                   map: nothing shared, nothing mapped, so its curve is
 *                   the ceiling the machine (or the emulator's host)
 *                   sets on any of them
 *
 * One worker thread is bound to each online CPU. Each walks the whole
 * set of BENCH_PAGES pages, twice the pool, starting at its own share of
 * the way round: a worker running alone comes back to a page only after
 * mapping the pool's worth of others, so its kmap() is a miss, and in
 * lockstep each page comes round only after the whole machine mapped as
 * many. The pool wraps once per LAST_PKMAP misses, from whichever CPU;
 * the report counts the wraps and the hits, since CPUs that do not run
 * in step (the host's threads take turns) do hit each other's pages.
 *
 * A sample is bound by work, never by time: each worker does its fixed
 * share of the row's pairs. The clock starts when the last worker is
 * ready (it takes the timestamp and lets the others go) and stops when
 * the last one finishes. Workers wait at that start line with a
 * watchdog, so a CPU that never comes fails the row by name instead of
 * hanging it.
 *
 * Each row also prints, in its teardown, one SCALE_JSON line with each
 * CPU's own time (median of samples, from the start to its last pair)
 * and how far the last CPU had got when the first one finished:
 * under TCG a guest CPU is a host thread, and on a host with fewer cores
 * than guest CPUs those lines show the CPUs taking turns.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kernel/bench.h>
#include <kernel/kthread.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/format.h>
#include <mm/highmem.h>
#include "bench_pages.h"

/*
 * Pairs per sample, shared out among the CPUs. A sample must last well
 * over a host scheduler's time slice (a few ms), or one vCPU's thread
 * can finish before the host has run the others at all: about 0.1 s
 * on a quiet host for kmap_local alone and for the bare writes, and at
 * least that for kmap once CPUs contend.
 */
#define SCALE_KMAP_PAIRS  8192
#define SCALE_LOCAL_PAIRS 65536
#define SCALE_BASE_PAIRS  (1u << 19)
#define SCALE_SAMPLES	  5
#define SCALE_WATCHDOG_MS 15000 /* at the start line: a CPU that never came */

struct scale_run;

/*
 * One CPU's worker. Padded to a cache line of its own: each writes its
 * progress after every pair, and on the host two vCPU threads writing
 * one line would pay for sharing it.
 */
struct scale_worker {
	struct scale_run *run;
	struct page **pages; /* the whole page set */
	unsigned int npages;
	unsigned int first; /* where this CPU starts in it */
	unsigned int pairs; /* this CPU's fixed share */
	unsigned int cpu;
	volatile unsigned int done; /* pairs done so far */
	uint64_t finish;	    /* ticks from the start to its last pair */
	unsigned int done_at_first; /* done when the first worker finished */
} __aligned(64);

/* One sample: written by the workers; the runner reads it after join. */
struct scale_run {
	void (*loop)(struct scale_worker *w);
	unsigned int workers;
	unsigned int ready;    /* workers at the start line (atomic) */
	unsigned int finished; /* workers done (atomic) */
	volatile bool go;      /* set by the last worker ready */
	volatile bool abort;   /* a thread did not start, or one never came */
	unsigned int late_cpu; /* the worker whose watchdog fired */
	uint64_t t0, t1;
	struct scale_worker w[NR_CPUS];
};

/* What a row keeps across its samples, for the SCALE_JSON line. */
struct scale_row {
	const char *name;
	void (*loop)(struct scale_worker *w);
	bool highmem; /* which pages the loop takes */
	unsigned int samples, workers, pairs_per_cpu;
	uint64_t finish[NR_CPUS][SCALE_SAMPLES]; /* each worker's, in ticks */
	/* The least any worker had done when the first finished, in %. */
	uint64_t laggard[SCALE_SAMPLES];
	unsigned long wraps, hits; /* pool wraps and kmap() hits, all samples */
	struct scale_run run;
};

/* Context: a worker thread; kmap() may sleep for a free slot. */
static void scale_kmap_loop(struct scale_worker *w)
{
	for (unsigned int i = 0; i < w->pairs; i++) {
		struct page *page = w->pages[(w->first + i) % w->npages];
		volatile uint32_t *p = kmap(page);

		*p = i;
		kunmap(page);
		w->done = i + 1;
	}
}

/* Context: a worker thread. */
static void scale_kmap_local_loop(struct scale_worker *w)
{
	for (unsigned int i = 0; i < w->pairs; i++) {
		struct page *page = w->pages[(w->first + i) % w->npages];
		volatile uint32_t *p = kmap_local_page(page);

		*p = i;
		kunmap_local((void *)p);
		w->done = i + 1;
	}
}

/* Context: a worker thread. */
static void scale_baseline_loop(struct scale_worker *w)
{
	for (unsigned int i = 0; i < w->pairs; i++) {
		struct page *page = w->pages[(w->first + i) % w->npages];
		volatile uint32_t *p = lowmem_page_address(page);

		*p = i;
		w->done = i + 1;
	}
}

/*
 * Arrive at the start line; the last to arrive starts the clock and
 * lets everyone go. Return: false if the run was called off, or if
 * this worker waited SCALE_WATCHDOG_MS for the others (it then calls
 * the run off and names itself). Context: a worker thread, may yield.
 */
static bool scale_start_line(struct scale_worker *w)
{
	struct scale_run *r = w->run;
	uint64_t deadline;

	might_sleep();
	if (__atomic_add_fetch(&r->ready, 1, __ATOMIC_ACQ_REL) == r->workers) {
		r->t0 = arch_timestamp();
		r->go = true;
		return true;
	}
	deadline =
		arch_timestamp() + SCALE_WATCHDOG_MS * arch_timestamp_per_ms();
	while (!r->go && !r->abort) {
		if (arch_timestamp() > deadline) {
			r->late_cpu = w->cpu;
			r->abort = true;
			break;
		}
		/* The runner may share this CPU until it sleeps in join. */
		yield();
	}
	return !r->abort;
}

/* The first worker to finish notes how far each of the others got. */
static int scale_worker_fn(void *arg)
{
	struct scale_worker *w = arg;
	struct scale_run *r = w->run;
	unsigned int n;

	if (!scale_start_line(w))
		return 0;
	w->run->loop(w);
	w->finish = arch_timestamp() - r->t0;
	n = __atomic_add_fetch(&r->finished, 1, __ATOMIC_ACQ_REL);
	if (n == 1)
		for (unsigned int i = 0; i < r->workers; i++)
			r->w[i].done_at_first = r->w[i].done;
	if (n == r->workers)
		r->t1 = arch_timestamp();
	return 0;
}

/* Lay the run out: one worker per online CPU, each from its own start. */
static void scale_plan(struct scale_row *row, struct page_set *set,
		       unsigned int pairs)
{
	struct scale_run *r = &row->run;
	unsigned int cpus = num_online_cpus(), i = 0, cpu;

	*r = (struct scale_run){ .loop = row->loop, .workers = cpus };
	for_each_online_cpu(cpu) {
		r->w[i] = (struct scale_worker){
			.run = r,
			.pages = set->pages,
			.npages = set->count,
			.first = i * (set->count / cpus),
			.pairs = MAX(pairs / cpus, 1u),
			.cpu = cpu,
		};
		i++;
	}
}

/* Start every worker, wait for them all; false if any did not start. */
static bool scale_go(struct scale_run *r)
{
	struct task *th[NR_CPUS];
	bool ok = true;

	for (unsigned int i = 0; i < r->workers; i++) {
		th[i] = kthread_create(scale_worker_fn, &r->w[i], "scale");
		if (th[i])
			kthread_bind(th[i], r->w[i].cpu);
		else
			ok = false;
	}
	/* The workers that did start see the run called off and return. */
	r->abort = !ok;
	for (unsigned int i = 0; i < r->workers; i++)
		if (th[i])
			kthread_start(th[i]);
	for (unsigned int i = 0; i < r->workers; i++)
		if (th[i])
			kthread_join(th[i]);
	return ok;
}

/*
 * One sample of row: `pairs` map-write-unmap pairs shared out among
 * the online CPUs. Return: ticks from the last worker ready to the
 * last one done. Context: the benchmark runner, may sleep.
 */
static uint64_t scale_sample(struct bench *b, struct scale_row *row,
			     unsigned int pairs)
{
	struct page_set *set = bench_pages(b, row->highmem, BENCH_PAGES);
	struct scale_run *r = &row->run;
	struct pkmap_stats before, after;

	might_sleep();
	if (!set)
		return 0;
	scale_plan(row, set, pairs);
	pkmap_get_stats(&before);
	if (!scale_go(r)) {
		bench_skip(b, "out of memory for a worker thread");
		return 0;
	}
	if (r->abort) {
		pr_report("# bench %s: CPU %u's worker waited %u ms at the "
			  "start line; %u of %u workers came\n",
			  b->name, r->late_cpu, SCALE_WATCHDOG_MS, r->ready,
			  r->workers);
		bench_skip(b, "a worker never reached the start line");
		return 0;
	}
	/* The warm-up (one pair) is not a sample of the row. */
	if (pairs == b->iters && row->samples < SCALE_SAMPLES) {
		unsigned int least = r->w[0].pairs;

		for (unsigned int i = 0; i < r->workers; i++) {
			row->finish[i][row->samples] = r->w[i].finish;
			least = MIN(least, r->w[i].done_at_first);
		}
		row->laggard[row->samples] = least * 100ull / r->w[0].pairs;
		pkmap_get_stats(&after);
		row->wraps += after.wraps - before.wraps;
		row->hits += after.hits - before.hits;
		row->workers = r->workers;
		row->pairs_per_cpu = r->w[0].pairs;
		row->samples++;
	}
	return r->t1 - r->t0;
}

/* The median of v[0 .. n-1], n <= SCALE_SAMPLES (an insertion sort). */
static uint64_t scale_median(const uint64_t *v, unsigned int n)
{
	uint64_t s[SCALE_SAMPLES] = { 0 };

	for (unsigned int i = 0; i < n; i++) {
		unsigned int j = i;

		for (; j && s[j - 1] > v[i]; j--)
			s[j] = s[j - 1];
		s[j] = v[i];
	}
	return s[n / 2];
}

/* Append to a line being built: each printk is written whole. */
static __printf(3, 4) void scale_append(char *buf, size_t *len, const char *fmt,
					...)
{
	va_list ap;

	va_start(ap, fmt);
	*len += vsnprintf(buf + *len, PRINTK_LINE_MAX - *len, fmt, ap);
	va_end(ap);
	*len = MIN(*len, (size_t)PRINTK_LINE_MAX - 1);
}

/*
 * Print what the n samples of row showed per CPU: a line for people
 * and a SCALE_JSON line for tools/bench.py.
 */
static void scale_print(struct scale_row *row, unsigned int n)
{
	static char text[PRINTK_LINE_MAX], json[PRINTK_LINE_MAX];
	unsigned int laggard = (unsigned int)scale_median(row->laggard, n);
	size_t t = 0, j = 0;

	scale_append(text, &t,
		     "# bench %s: %u CPUs x %u pairs; a "
		     "sample: %lu pool wraps, %lu kmap() hits, the "
		     "last CPU %u%% done when the first finished; "
		     "ticks from the start to each CPU's last pair:",
		     row->name, row->workers, row->pairs_per_cpu,
		     row->wraps / n, row->hits / n, laggard);
	scale_append(json, &j,
		     "SCALE_JSON {\"bench\": \"%s\", "
		     "\"cpus\": %u, \"pairs_per_cpu\": %u, "
		     "\"ticks_per_ms\": %llu, \"wraps_per_sample\": "
		     "%lu, \"hits_per_sample\": %lu, "
		     "\"laggard_pct\": %u, \"cpu_finish_ticks\": [",
		     row->name, row->workers, row->pairs_per_cpu,
		     (unsigned long long)arch_timestamp_per_ms(),
		     row->wraps / n, row->hits / n, laggard);
	for (unsigned int i = 0; i < row->workers; i++) {
		unsigned long long finish = scale_median(row->finish[i], n);

		scale_append(text, &t, " cpu%u %llu", row->run.w[i].cpu,
			     finish);
		scale_append(json, &j, "%s%llu", i ? ", " : "", finish);
	}
	pr_report("%s\n", text);
	pr_report("%s]}\n", json);
}

/* Print the row's samples (unless it was skipped), then forget them. */
static void scale_report(struct bench *b, struct scale_row *row)
{
	if (row->samples && !b->skip_reason)
		scale_print(row, row->samples);
	row->samples = 0;
	row->wraps = row->hits = 0;
}

static struct scale_row kmap_row = { .name = "kmap_scale",
				     .loop = scale_kmap_loop,
				     .highmem = true };
static struct scale_row kmap_local_row = { .name = "kmap_local_scale",
					   .loop = scale_kmap_local_loop,
					   .highmem = true };
static struct scale_row baseline_row = { .name = "baseline_scale",
					 .loop = scale_baseline_loop };

static uint64_t bench_kmap_scale(struct bench *b, unsigned int n)
{
	return scale_sample(b, &kmap_row, n);
}

static uint64_t bench_kmap_local_scale(struct bench *b, unsigned int n)
{
	return scale_sample(b, &kmap_local_row, n);
}

static uint64_t bench_baseline_scale(struct bench *b, unsigned int n)
{
	return scale_sample(b, &baseline_row, n);
}

/* Report, then give the pages back and drop the pool's cached slots. */
static void kmap_scale_teardown(struct bench *b)
{
	scale_report(b, &kmap_row);
	bench_page_set_free(b);
	kmap_flush_unused();
}

static void kmap_local_scale_teardown(struct bench *b)
{
	scale_report(b, &kmap_local_row);
	bench_page_set_free(b);
}

static void baseline_scale_teardown(struct bench *b)
{
	scale_report(b, &baseline_row);
	bench_page_set_free(b);
}

BENCH_SAMPLED_TEARDOWN(kmap_scale, bench_kmap_scale, SCALE_KMAP_PAIRS,
		       SCALE_SAMPLES, kmap_scale_teardown);
BENCH_SAMPLED_TEARDOWN(kmap_local_scale, bench_kmap_local_scale,
		       SCALE_LOCAL_PAIRS, SCALE_SAMPLES,
		       kmap_local_scale_teardown);
BENCH_SAMPLED_TEARDOWN(baseline_scale, bench_baseline_scale, SCALE_BASE_PAIRS,
		       SCALE_SAMPLES, baseline_scale_teardown);
