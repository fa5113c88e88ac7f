/*
 * Suite "kmap_bench": path lengths of the local mapping interfaces, in
 * time-stamp ticks per operation (instructions under QEMU's -icount
 * shift=0; host-clock ticks otherwise). A stand-in until the bench=
 * framework lands: each row is printed as a diagnostic line and as one
 * JSON object, and the cases never fail on a figure.
 *
 * An operation is map + write one 32-bit word + unmap, over 1,024
 * pages; a pass over all of them is timed, and min and median are over
 * the passes. baseline_lowmem_write is the loop with the write alone.
 * ctxsw_* time a completion handed between two threads bound to one
 * CPU, per switch, with 0, 1 or 4 live local maps in each thread.
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/printk.h>
#include <kernel/wait.h>
#include <mm/kmalloc.h>
#include "kmap_helpers.h"

#define BENCH_PAGES	1024
#define BENCH_PASSES	9

static void sort_u64(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
}

static void report(struct ktest *t, const char *name, uint64_t *s,
		   unsigned int n)
{
	sort_u64(s, n);
	kt_diag(t, "{\"bench\": \"%s\", \"unit\": \"ticks\", \"smp\": %u, "
		"\"min\": %llu, \"median\": %llu, \"samples\": %u}", name,
		num_online_cpus(), (unsigned long long)s[0],
		(unsigned long long)s[n / 2], n);
}

enum op { OP_BASE, OP_LOCAL, OP_ATOMIC, OP_NESTED4 };

static uint64_t one_pass(struct page **pages, enum op op)
{
	uint64_t t0 = arch_timestamp();

	for (unsigned int i = 0; i < BENCH_PAGES; i++) {
		uint32_t *a, *b, *c, *d;

		switch (op) {
		case OP_BASE:
			*(volatile uint32_t *)page_address(pages[i]) = i;
			break;
		case OP_LOCAL:
			a = kmap_local_page(pages[i]);
			*(volatile uint32_t *)a = i;
			kunmap_local(a);
			break;
		case OP_ATOMIC:
			a = kmap_atomic(pages[i]);
			*(volatile uint32_t *)a = i;
			kunmap_atomic(a);
			break;
		case OP_NESTED4:
			a = kmap_local_page(pages[i]);
			b = kmap_local_page(pages[(i + 1) % BENCH_PAGES]);
			c = kmap_local_page(pages[(i + 2) % BENCH_PAGES]);
			d = kmap_local_page(pages[(i + 3) % BENCH_PAGES]);
			*(volatile uint32_t *)d = i;
			kunmap_local(d);
			kunmap_local(c);
			kunmap_local(b);
			kunmap_local(a);
			break;
		}
	}
	return (arch_timestamp() - t0) / BENCH_PAGES;
}

static void bench_rows(struct ktest *t, struct page **pages, const char *name,
		       enum op op)
{
	uint64_t s[BENCH_PASSES];

	one_pass(pages, op);	/* warm up */
	for (unsigned int i = 0; i < BENCH_PASSES; i++)
		s[i] = one_pass(pages, op);
	report(t, name, s, BENCH_PASSES);
}

/* 1,024 pages of one zone, or NULL. */
static struct page **bench_pages(enum zone_type z)
{
	struct page **p = kzalloc(BENCH_PAGES * sizeof(*p));

	for (unsigned int i = 0; p && i < BENCH_PAGES; i++) {
		p[i] = alloc_pages_zone(z, 0);
		if (!p[i]) {
			while (i--)
				free_page(p[i]);
			kfree(p);
			return NULL;
		}
	}
	return p;
}

static void bench_pages_free(struct page **p)
{
	for (unsigned int i = 0; i < BENCH_PAGES; i++)
		free_page(p[i]);
	kfree(p);
}

static void kmap_bench_map_write_unmap(struct ktest *t)
{
	struct page **low = bench_pages(ZONE_NORMAL);
	struct page **high = bench_pages(ZONE_HIGHMEM);

	KT_ASSERT_NOT_NULL(t, low);
	bench_rows(t, low, "baseline_lowmem_write", OP_BASE);
	bench_rows(t, low, "kmap_local_lowmem", OP_LOCAL);
	if (high) {
		bench_rows(t, high, "kmap_local_highmem", OP_LOCAL);
		bench_rows(t, high, "kmap_atomic", OP_ATOMIC);
		bench_rows(t, high, "kmap_local_nested4", OP_NESTED4);
		bench_pages_free(high);
	} else {
		kt_diag(t, "no highmem: highmem rows not measured");
	}
	bench_pages_free(low);
	kt_diag(t, "struct page: %u bytes per 4 KiB page",
		(unsigned int)sizeof(struct page));
}

#define CTXSW_ROUNDS 1000

struct ctxsw {
	struct completion turn[2];
	struct page *page;
	int maps;
	uint64_t t0, t1;
};

struct ctxsw_arg {
	struct ctxsw *c;
	unsigned int me;
};

static int ctxsw_thread(void *arg)
{
	struct ctxsw_arg *a = arg;
	struct ctxsw *c = a->c;
	void *va[4];

	for (int i = 0; i < c->maps; i++)
		va[i] = kmap_local_page(c->page);
	if (a->me == 0)
		c->t0 = arch_timestamp();
	for (unsigned int r = 0; r < CTXSW_ROUNDS; r++) {
		if (a->me == 0)
			complete(&c->turn[1]);
		wait_for_completion(&c->turn[a->me]);
		if (a->me == 1)
			complete(&c->turn[0]);
	}
	if (a->me == 0)
		c->t1 = arch_timestamp();
	for (int i = c->maps - 1; i >= 0; i--)
		kunmap_local(va[i]);
	return 0;
}

static uint64_t ctxsw_once(struct page *page, int maps, unsigned int cpu)
{
	struct ctxsw c = { .page = page, .maps = maps };
	struct ctxsw_arg a[2] = { { &c, 0 }, { &c, 1 } };
	struct task *th[2];

	for (int i = 0; i < 2; i++) {
		completion_init(&c.turn[i]);
		th[i] = kthread_create(ctxsw_thread, &a[i], "kctxsw");
		if (!th[i])
			return 0;
		kthread_bind(th[i], cpu);
	}
	kthread_start(th[1]);
	kthread_start(th[0]);
	kthread_join(th[0]);
	kthread_join(th[1]);
	/* Two switches per round. */
	return (c.t1 - c.t0) / (2 * CTXSW_ROUNDS);
}

static void kmap_bench_context_switch(struct ktest *t)
{
	static const char *const names[] = { "ctxsw_0maps", "ctxsw_1map",
					     "ctxsw_4maps" };
	static const int maps[] = { 0, 1, 4 };
	struct page *page = alloc_page(GFP_HIGHUSER);
	uint64_t s[5];

	KT_ASSERT_NOT_NULL(t, page);
	for (unsigned int k = 0; k < ARRAY_SIZE(maps); k++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(s); i++)
			s[i] = ctxsw_once(page, maps[k], kt_other_cpu());
		report(t, names[k], s, ARRAY_SIZE(s));
	}
	free_page(page);
}

KTEST_SUITE(kmap_bench,
	    KTEST_CASE(kmap_bench_map_write_unmap),
	    KTEST_CASE(kmap_bench_context_switch));
