/*
 * Benchmarks for the locks themselves (bench=lock*): an uncontended
 * spinlock and mutex, taken and released. Under -icount the figure is
 * the path length of one pair, which is what lockdep adds to: make
 * bench boots with lockdep=0, and tools/bench.py boots these once more
 * with it on (docs/bench.rst gives both). Each row writes its own
 * loop, as in tests/bench_mm.c: the lock calls must be inlined where
 * they are inline, not reached through a pointer.
 */
#include <arch/cpu.h>
#include <kernel/bench.h>
#include <kernel/mutex.h>
#include <kernel/spinlock.h>

static DEFINE_SPINLOCK(bench_spin);
static DEFINE_MUTEX(bench_mutex);

static uint64_t bench_lock_spin_pair(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++) {
		spin_lock(&bench_spin);
		spin_unlock(&bench_spin);
	}
	return arch_timestamp() - t0;
}
BENCH(lock_spin_pair, bench_lock_spin_pair, 64);

static uint64_t bench_lock_spin_irqsave_pair(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++) {
		unsigned long flags = spin_lock_irqsave(&bench_spin);

		spin_unlock_irqrestore(&bench_spin, flags);
	}
	return arch_timestamp() - t0;
}
BENCH(lock_spin_irqsave_pair, bench_lock_spin_irqsave_pair, 64);

static uint64_t bench_lock_mutex_pair(struct bench *b, unsigned int n)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < n; i++) {
		mutex_lock(&bench_mutex);
		mutex_unlock(&bench_mutex);
	}
	return arch_timestamp() - t0;
}
BENCH(lock_mutex_pair, bench_lock_mutex_pair, 16);
