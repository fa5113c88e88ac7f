/*
 * What the boot itself costs, measured once while it ran and reported
 * here as a benchmark row (bench=boot*).
 *
 * boot_page_init_per_frame  page_alloc_init(): every struct page set
 *                           up and the free RAM handed to the buddy
 *                           lists, per frame of mem_map. Taken at
 *                           boot, so every sample reports the same
 *                           figure; under icount it is exact.
 */
#include <kernel/bench.h>
#include <mm/page_alloc.h>

/* The boot's ticks, as n operations' worth of the per-frame cost. */
static uint64_t bench_boot_page_init(struct bench *b, unsigned int n)
{
	unsigned long frames;
	uint64_t ticks;

	page_alloc_init_cost(&ticks, &frames);
	if (!frames || !ticks) {
		bench_skip(b, "page_alloc_init was not timed");
		return 0;
	}
	return ticks * n / frames;
}
BENCH_SAMPLED(boot_page_init_per_frame, bench_boot_page_init, 64, 1);
