/*
 * bench: in-kernel micro-benchmarks (docs/bench.rst).
 *
 * A benchmark is a function that runs one operation `iters` times and
 * returns how many timestamp ticks that took; the framework calls it
 * for many samples and reports the min and median per operation.
 * Under QEMU -icount shift=0 a tick is one guest instruction, so the
 * figure is an exact path length; under plain TCG it follows the host
 * clock. Registered with BENCH(), which drops it into the .benches
 * linker section (no central list, as with ktest suites). bench=GLOB
 * on the command line picks which run, after the tests.
 *
 *	static uint64_t bench_nothing(struct bench *b, unsigned int iters)
 *	{
 *		uint64_t t0 = arch_timestamp();
 *
 *		for (unsigned int i = 0; i < iters; i++)
 *			barrier();
 *		return arch_timestamp() - t0;
 *	}
 *	BENCH(nothing, bench_nothing, 16);
 *
 * Output, per benchmark: a KTAP-style diagnostic line and one JSON
 * object on its own line, for tools/bench.py to pick up:
 *
 *	# bench nothing: min 3 median 3 ticks/op (200 samples x 16, smp 4)
 *	BENCH_JSON {"bench": "nothing", "unit": "ticks", "smp": 4, ...}
 *
 * Benchmarks never fail anything; one that cannot run (say, it needs
 * two CPUs) calls bench_skip() and is reported as skipped.
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include <kernel/compiler.h>

struct bench {
	const char *name;
	/* Run the operation iters times; return the ticks that took. */
	uint64_t (*run)(struct bench *b, unsigned int iters);
	unsigned int iters;   /* operations per sample */
	unsigned int samples; /* 0: BENCH_SAMPLES */
	/* Optional: free what run() set up in priv; called once, after. */
	void (*teardown)(struct bench *b);
	/* Per run, reset by the framework: */
	const char *skip_reason;
	void *priv; /* the benchmark's own state */
};

#define BENCH(bname, fn, n) BENCH_SAMPLED(bname, fn, n, 0)
/* For long operations: fewer samples (at most BENCH_SAMPLES). */
#define BENCH_SAMPLED(bname, fn, n, nsamples) \
	BENCH_SAMPLED_TEARDOWN(bname, fn, n, nsamples, NULL)
/* A benchmark whose run() keeps state in b->priv, freed by td(). */
#define BENCH_TEARDOWN(bname, fn, n, td) \
	BENCH_SAMPLED_TEARDOWN(bname, fn, n, 0, td)
/* Both: nsamples samples (0: BENCH_SAMPLES) and a teardown td. */
#define BENCH_SAMPLED_TEARDOWN(bname, fn, n, nsamples, td)               \
	static struct bench __bench_##bname __used __section(".benches") \
		__aligned(4) = { .name = #bname,                         \
				 .run = fn,                              \
				 .iters = n,                             \
				 .samples = nsamples,                    \
				 .teardown = td }

/* Samples per benchmark (each of b->iters operations). */
#define BENCH_SAMPLES 200

/*
 * Run the benchmarks bench=GLOB selects and print their figures.
 * Context: process context, interrupts on, after SMP start-up.
 * Return: how many benchmarks ran.
 */
unsigned int bench_run_all(void);

/*
 * Mark the running benchmark skipped; its run() then returns 0.
 * Context: inside run(). Return: nothing.
 */
void bench_skip(struct bench *b, const char *reason);

#endif
