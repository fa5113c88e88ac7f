// SPDX-License-Identifier: GPL-2.0
/*
 * The rows of hmos's tests/bench_lock.c, on Linux: an uncontended
 * spinlock and mutex, taken and released. Debian's 686-pae kernel has
 * no lockdep, so these compare with hmos booted lockdep=0, as make
 * bench does.
 */
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <asm/msr.h>
#include "hmos_bench.h"

/* One loop per lock call, alike on purpose (see hmos_bench.h). */
static DEFINE_SPINLOCK(bench_spin);
static DEFINE_MUTEX(bench_mutex);

static u64 bench_lock_spin_pair(struct bench *b, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++) {
		spin_lock(&bench_spin);
		spin_unlock(&bench_spin);
	}
	return rdtsc_ordered() - t0;
}

static u64 bench_lock_spin_irqsave_pair(struct bench *b, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++) {
		unsigned long flags;

		spin_lock_irqsave(&bench_spin, flags);
		spin_unlock_irqrestore(&bench_spin, flags);
	}
	return rdtsc_ordered() - t0;
}

static u64 bench_lock_mutex_pair(struct bench *b, unsigned int n)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned int i = 0; i < n; i++) {
		mutex_lock(&bench_mutex);
		mutex_unlock(&bench_mutex);
	}
	return rdtsc_ordered() - t0;
}

struct bench bench_lock_rows[] = {
	BENCH_ROW(lock_spin_pair, bench_lock_spin_pair, 64, 0, NULL),
	BENCH_ROW(lock_spin_irqsave_pair, bench_lock_spin_irqsave_pair, 64, 0,
		  NULL),
	BENCH_ROW(lock_mutex_pair, bench_lock_mutex_pair, 16, 0, NULL),
	{}
};
