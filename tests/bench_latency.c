/*
 * What kmap_atomic's non-preemptible section costs somebody else
 * (bench=latency_*, docs/trace.rst).
 *
 * On one CPU a worker goes through pages, each mapped, written
 * LAT_PASSES times over and unmapped: under kmap_atomic in
 * latency_kmap_atomic, under kmap_local_page in latency_kmap_local.
 * A sleeper bound to the same CPU is woken from another CPU after a
 * random pause; one operation is the time from the wake-up to the
 * sleeper running. kmap_local leaves the worker preemptible, so the
 * sleeper runs as soon as the reschedule IPI lands; under kmap_atomic
 * it waits for the worker's kunmap_atomic, whose preempt_enable is the
 * first moment the CPU may switch. The teardown prints the median,
 * 99th percentile and maximum as a LATENCY line.
 */
#include <arch/cpu.h>
#include <kernel/bench.h>
#include <kernel/kthread.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/trace.h>
#include <kernel/wait.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <lib/string.h>

#define LAT_PAGES  16
#define LAT_PASSES 8 /* writes of a whole page per map */

struct lat_state {
	struct page *page[LAT_PAGES];
	struct task *worker, *sleeper;
	bool atomic;
	bool stop;
	bool traced; /* this wake-up is traced: the sleeper ends the trace */
	struct completion kick, done;
	uint64_t woke_at, ran_at;
	uint64_t lat[BENCH_SAMPLES + 1];
	unsigned int n;
	uint32_t rng;
};

static void lat_write_page(uint32_t *va)
{
	for (unsigned int pass = 0; pass < LAT_PASSES; pass++)
		for (unsigned int w = 0; w < PAGE_SIZE / 4; w++)
			WRITE_ONCE(va[w], pass ^ w);
}

/* Works until told to stop: the load the sleeper has to get past. */
static int lat_worker(void *arg)
{
	struct lat_state *s = arg;

	for (unsigned int i = 0; !READ_ONCE(s->stop); i++) {
		struct page *p = s->page[i % LAT_PAGES];

		if (s->atomic) {
			uint32_t *va = kmap_atomic(p);

			lat_write_page(va);
			kunmap_atomic(va);
		} else {
			uint32_t *va = kmap_local_page(p);

			lat_write_page(va);
			kunmap_local(va);
		}
	}
	return 0;
}

static int lat_sleeper(void *arg)
{
	struct lat_state *s = arg;

	for (;;) {
		wait_for_completion(&s->kick);
		WRITE_ONCE(s->ran_at, arch_timestamp());
		if (READ_ONCE(s->traced))
			trace_stop();
		if (READ_ONCE(s->stop))
			return 0;
		complete(&s->done);
	}
}

/* A CPU other than this one, or NR_CPUS if there is none. */
static unsigned int lat_other_cpu(void)
{
	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (c != smp_processor_id() && cpu_is_online(c))
			return c;
	return NR_CPUS;
}

static struct lat_state *lat_setup(struct bench *b, bool atomic)
{
	unsigned int cpu = lat_other_cpu();
	struct lat_state *s;

	if (cpu == NR_CPUS) {
		bench_skip(b, "needs two CPUs: the waker and the worker's");
		return NULL;
	}
	s = kmalloc(sizeof(*s));
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < LAT_PAGES; i++) {
		s->page[i] = alloc_pages_zone(ZONE_HIGHMEM, 0);
		if (!s->page[i])
			s->page[i] = alloc_page(GFP_KERNEL);
	}
	s->atomic = atomic;
	s->rng = 0x2545f491;
	completion_init(&s->kick);
	completion_init(&s->done);
	s->worker = kthread_create(lat_worker, s, "lat-worker");
	s->sleeper = kthread_create(lat_sleeper, s, "lat-sleeper");
	kthread_bind(s->worker, cpu);
	kthread_bind(s->sleeper, cpu);
	kthread_start(s->sleeper);
	kthread_start(s->worker);
	b->priv = s;
	return s;
}

/*
 * With trace= on the command line, one wake-up in the middle of the run
 * is traced and dumped: the wake, what the worker did until it let the
 * CPU go, and the switch to the sleeper (docs/trace.rst). The trace
 * starts after the random pause and the sleeper stops it as soon as it
 * runs, so it holds that and no more: traced longer, the worker's maps
 * while a busy host kept the waker's CPU from running would fill it
 * with thousands of records.
 */
static bool lat_trace_this_one(const struct lat_state *s)
{
	return trace_requested() && s->n == BENCH_SAMPLES / 2;
}

/* One wake-up: a random pause, then wake, then wait for the report. */
static uint64_t bench_latency(struct bench *b, bool atomic)
{
	struct lat_state *s = b->priv ? b->priv : lat_setup(b, atomic);
	bool traced;
	uint64_t lat;

	if (!s)
		return 0;
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	for (unsigned int n = s->rng % 20000; n; n--)
		barrier();
	traced = lat_trace_this_one(s) && trace_start();
	WRITE_ONCE(s->traced, traced);
	migrate_disable(); /* wake from a CPU that is not theirs */
	s->woke_at = arch_timestamp();
	complete(&s->kick);
	wait_for_completion(&s->done);
	migrate_enable();
	lat = READ_ONCE(s->ran_at) - s->woke_at;
	if (traced) {
		/* The sleeper stopped the trace before it completed done. */
		WRITE_ONCE(s->traced, false);
		pr_report("LATENCY %s: this wake-up took %llu ticks:\n",
			  b->name, (unsigned long long)lat);
		trace_dump();
		trace_free();
	}
	if (s->n < ARRAY_SIZE(s->lat))
		s->lat[s->n++] = lat;
	return lat;
}

static uint64_t bench_latency_kmap_atomic(struct bench *b, unsigned int n)
{
	return bench_latency(b, true);
}

static uint64_t bench_latency_kmap_local(struct bench *b, unsigned int n)
{
	return bench_latency(b, false);
}

static void lat_sort(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* Stop both threads, print the distribution, free everything. */
static void lat_teardown(struct bench *b)
{
	struct lat_state *s = b->priv;

	if (!s)
		return;
	WRITE_ONCE(s->stop, true);
	complete(&s->kick);
	kthread_join(s->sleeper);
	kthread_join(s->worker);
	lat_sort(s->lat, s->n);
	if (s->n)
		pr_report("LATENCY %s: wake-up to run, %u samples: median %llu "
			  "p99 %llu max %llu ticks\n",
			  b->name, s->n, (unsigned long long)s->lat[s->n / 2],
			  (unsigned long long)s->lat[s->n * 99 / 100],
			  (unsigned long long)s->lat[s->n - 1]);
	for (unsigned int i = 0; i < LAT_PAGES; i++)
		if (s->page[i])
			free_page(s->page[i]);
	kfree(s);
}

BENCH_TEARDOWN(latency_kmap_atomic, bench_latency_kmap_atomic, 1, lat_teardown);
BENCH_TEARDOWN(latency_kmap_local, bench_latency_kmap_local, 1, lat_teardown);
