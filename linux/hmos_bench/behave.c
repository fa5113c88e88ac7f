// SPDX-License-Identifier: GPL-2.0
/*
 * Behaviour, not cost: the properties hmos's tests assert about
 * kmap_local, kmap_atomic and kmap, checked on Linux wherever Linux
 * lets a module see them, printed as KTAP (one suite, one case per
 * property; a failed check names its line and both values).
 * tools/compare.py pairs each case with hmos's test of the same
 * property (its table PROPERTIES).
 *
 * Context: process context, may sleep; the caller has bound this
 * thread to one CPU. The preemption case needs full preemption
 * (tools/linux_bench.py's /init turns it on before this part).
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/uaccess.h>
#include "hmos_bench.h"

/* A spin that needs another thread's progress ends after this many
 * polls and fails by name, whatever the clock does. */
#define SPIN_BOUND (1u << 26)
#define POOL_PAGES 1024 /* twice LAST_PKMAP: every kmap a miss */

struct kt {
	const char *name;
	bool failed;
	const char *skip;
};

#define KT_EXPECT(t, cond) kt_expect(t, (cond), #cond, __LINE__, 0, 0, false)
#define KT_EXPECT_EQ(t, a, b)                                                \
	kt_expect(t, (a) == (b), #a " == " #b, __LINE__, (unsigned long)(a), \
		  (unsigned long)(b), true)

static void kt_expect(struct kt *t, bool ok, const char *expr, int line,
		      unsigned long a, unsigned long b, bool values)
{
	if (ok)
		return;
	t->failed = true;
	if (values)
		pr_notice(
			"    # %s: behave.c:%d: EXPECT %s failed: 0x%lx != 0x%lx\n",
			t->name, line, expr, a, b);
	else
		pr_notice("    # %s: behave.c:%d: EXPECT %s failed\n", t->name,
			  line, expr);
}

#define kt_diag(t, fmt, ...) \
	pr_notice("    # %s: " fmt "\n", (t)->name, ##__VA_ARGS__)

/* A highmem page no kmap() has given an address yet: Linux keeps a
 * freed page's pkmap address until the pool wraps, so a fresh
 * allocation may still carry one; skip those (they are kept, then
 * freed, so the allocator does not hand them straight back). */
static struct page *unmapped_highmem_page(struct kt *t)
{
	struct page *tried[16], *page = NULL;
	unsigned int n = 0;

	while (n < ARRAY_SIZE(tried)) {
		page = alloc_page(GFP_HIGHUSER);
		if (!page || !PageHighMem(page) || !page_address(page))
			break;
		tried[n++] = page;
		page = NULL;
	}
	while (n)
		__free_page(tried[--n]);
	if (page && !PageHighMem(page)) {
		__free_page(page);
		page = NULL;
	}
	if (!page)
		t->skip = "no highmem page without a cached address";
	return page;
}

static void page_address_null_until_kmap(struct kt *t)
{
	struct page *page = unmapped_highmem_page(t);
	void *va;

	if (!page)
		return;
	KT_EXPECT(t, page_address(page) == NULL);
	va = kmap(page);
	KT_EXPECT(t, va != NULL);
	KT_EXPECT_EQ(t, page_address(page), va);
	kunmap(page);
	__free_page(page);
}

static void kmap_local_never_sets_page_address(struct kt *t)
{
	struct page *page = unmapped_highmem_page(t), *low;
	void *va;

	if (!page)
		return;
	va = kmap_local_page(page);
	KT_EXPECT(t, va != NULL);
	KT_EXPECT(t, page_address(page) == NULL);
	kunmap_local(va);
	KT_EXPECT(t, page_address(page) == NULL);
	__free_page(page);
	low = alloc_page(GFP_KERNEL);
	if (!low)
		return;
	va = kmap_local_page(low); /* lowmem: its direct-map address */
	KT_EXPECT_EQ(t, va, page_address(low));
	kunmap_local(va);
	__free_page(low);
}

static void kmap_same_page_shares_one_address(struct kt *t)
{
	struct page *page = unmapped_highmem_page(t);
	void *a, *b, *c;

	if (!page)
		return;
	a = kmap(page);
	b = kmap(page);
	c = kmap(page);
	KT_EXPECT(t, a == b && b == c);
	kunmap(page);
	kunmap(page);
	kunmap(page);
	__free_page(page);
}

static void kunmap_keeps_contents_refcount_and_cached_address(struct kt *t)
{
	struct page *page = unmapped_highmem_page(t);
	int refs;
	u32 *va;

	if (!page)
		return;
	refs = page_ref_count(page);
	va = kmap(page);
	va[0] = 0x600d1dea;
	va[1023] = 0xfeedf00d;
	kunmap(page);
	/* kunmap() released the address, not the page: it stays cached. */
	KT_EXPECT_EQ(t, page_address(page), va);
	KT_EXPECT_EQ(t, page_ref_count(page), refs);
	va = kmap_local_page(page);
	KT_EXPECT_EQ(t, va[0], 0x600d1dea);
	KT_EXPECT_EQ(t, va[1023], 0xfeedf00d);
	kunmap_local(va);
	__free_page(page);
}

static void kmap_freed_page_keeps_its_cached_address(struct kt *t)
{
	struct page *page = unmapped_highmem_page(t);
	void *va;

	if (!page)
		return;
	va = kmap(page);
	kunmap(page);
	__free_page(page);
	/* Linux clears it only when the pool wraps; hmos at the free. */
	KT_EXPECT_EQ(t, page_address(page), va);
}

static void kmap_local_nests_in_order_and_reuses_the_top(struct kt *t)
{
	struct page *p[3] = { unmapped_highmem_page(t) };
	void *a, *b, *c;

	if (!p[0])
		return;
	p[1] = alloc_page(GFP_HIGHUSER);
	p[2] = alloc_page(GFP_HIGHUSER);
	if (!p[1] || !p[2]) {
		t->skip = "out of highmem pages";
		goto out;
	}
	a = kmap_local_page(p[0]);
	b = kmap_local_page(p[1]);
	kt_diag(t, "first map %px, second %px", a, b);
	/* The next slot; the fixmap grows down, so one page lower. */
	KT_EXPECT_EQ(t, (unsigned long)a - (unsigned long)b, PAGE_SIZE);
	kunmap_local(b);
	c = kmap_local_page(p[2]);
	KT_EXPECT_EQ(t, c, b); /* the freed top slot is reused */
	kunmap_local(c);
	kunmap_local(a);
out:
	for (int i = 0; i < 3; i++)
		if (p[i])
			__free_page(p[i]);
}

static void kmap_atomic_disables_preemption_and_page_faults(struct kt *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	void *va;

	if (!page)
		return;
	KT_EXPECT(t, !pagefault_disabled());
	va = kmap_atomic(page);
	KT_EXPECT(t, !preemptible());
	KT_EXPECT(t, pagefault_disabled());
	kunmap_atomic(va);
	KT_EXPECT(t, !pagefault_disabled());
	__free_page(page);
}

static void kmap_local_valid_across_sleep(struct kt *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	unsigned int cpu = raw_smp_processor_id();
	volatile u32 *va;

	if (!page)
		return;
	va = kmap_local_page(page);
	*va = 0x51eeb;
	msleep(20);
	KT_EXPECT_EQ(t, raw_smp_processor_id(), cpu);
	KT_EXPECT_EQ(t, *va, 0x51eeb);
	kunmap_local((void *)va);
	__free_page(page);
}

/* The preemption case: another thread, bound to our CPU, maps its own
 * page while we are preempted with a map held. */
struct intruder {
	struct page *page;
	void *va; /* where its map landed */
	bool ok;  /* it read back its own pattern */
	atomic_t done;
	struct completion exited;
};

static int intruder_thread(void *arg)
{
	struct intruder *in = arg;
	volatile u32 *va = kmap_local_page(in->page);

	*va = 0x1a7e;
	in->va = (void *)va;
	in->ok = *va == 0x1a7e;
	kunmap_local((void *)va);
	atomic_set(&in->done, 1);
	kthread_complete_and_exit(&in->exited, 0);
}

static void kmap_local_valid_across_preemption(struct kt *t)
{
	struct intruder in = { .page = alloc_page(GFP_HIGHUSER) };
	struct page *mine = alloc_page(GFP_HIGHUSER);
	unsigned int cpu = raw_smp_processor_id(), spins = 0;
	struct task_struct *th;
	volatile u32 *va;

	if (!in.page || !mine) {
		t->skip = "out of highmem pages";
		goto out;
	}
	init_completion(&in.exited);
	th = kthread_create(intruder_thread, &in, "intruder");
	if (IS_ERR(th)) {
		t->skip = "no thread";
		goto out;
	}
	kthread_bind(th, cpu);
	va = kmap_local_page(mine);
	*va = 0xc0ffee;
	wake_up_process(th);
	/* No sleep, no schedule(): only a preemption lets it run here. */
	while (!atomic_read(&in.done) && ++spins < SPIN_BOUND)
		cpu_relax();
	KT_EXPECT(t, atomic_read(&in.done));
	KT_EXPECT_EQ(t, raw_smp_processor_id(), cpu);
	KT_EXPECT_EQ(t, *va, 0xc0ffee);
	KT_EXPECT(t, in.ok);
	if (atomic_read(&in.done))
		kt_diag(t, "preempted after %u polls; both maps at %px and %px",
			spins, va, in.va);
	else
		kt_diag(t, "never preempted in %u polls: is preemption full?",
			spins);
	kunmap_local((void *)va);
	wait_for_completion(&in.exited);
out:
	if (in.page)
		__free_page(in.page);
	if (mine)
		__free_page(mine);
}

static atomic_t pkmap_flushes;

static int count_flush(struct kprobe *p, struct pt_regs *regs)
{
	atomic_inc(&pkmap_flushes);
	return 0;
}

/* Three trips round the pool, every page new to the pool (Linux keeps
 * a freed page's cached slot, so pages that come back from the
 * allocator with an address are set aside): count the wraps from the
 * addresses (a kmap address below the one before means the pool
 * started over) and the flushes with a kprobe on mm/highmem.c's
 * flush_all_zero_pkmaps. */
static void kmap_each_wrap_flushes_once(struct kt *t)
{
	static struct page *pages[POOL_PAGES], *aside[64];
	struct kprobe kp = { .symbol_name = "flush_all_zero_pkmaps",
			     .pre_handler = count_flush };
	unsigned long prev = 0;
	unsigned int wraps = 0, n = 0, nr_aside = 0;

	while (n < POOL_PAGES) {
		struct page *page = alloc_page(GFP_HIGHUSER);

		if (!page || !PageHighMem(page) ||
		    nr_aside == ARRAY_SIZE(aside)) {
			if (page)
				__free_page(page);
			t->skip =
				"needs 1,024 highmem pages without an address";
			goto out;
		}
		if (page_address(page))
			aside[nr_aside++] = page;
		else
			pages[n++] = page;
	}
	if (register_kprobe(&kp)) {
		t->skip = "cannot probe flush_all_zero_pkmaps";
		goto out;
	}
	atomic_set(&pkmap_flushes, 0);
	for (unsigned int i = 0; i < 3 * LAST_PKMAP; i++) {
		struct page *page = pages[i % POOL_PAGES];
		unsigned long va = (unsigned long)kmap(page);

		wraps += va < prev;
		prev = va;
		kunmap(page);
	}
	unregister_kprobe(&kp);
	kt_diag(t, "%u wraps, %d flushes (%u pages set aside)", wraps,
		atomic_read(&pkmap_flushes), nr_aside);
	KT_EXPECT(t, wraps >= 2);
	KT_EXPECT_EQ(t, atomic_read(&pkmap_flushes), wraps);
out:
	while (n)
		__free_page(pages[--n]);
	while (nr_aside)
		__free_page(aside[--nr_aside]);
}

typedef void (*kt_case)(struct kt *t);

static const struct {
	const char *name;
	kt_case fn;
} cases[] = {
#define CASE(fn)        \
	{               \
#fn, fn \
	}
	CASE(page_address_null_until_kmap),
	CASE(kmap_local_never_sets_page_address),
	CASE(kmap_same_page_shares_one_address),
	CASE(kunmap_keeps_contents_refcount_and_cached_address),
	CASE(kmap_freed_page_keeps_its_cached_address),
	CASE(kmap_local_nests_in_order_and_reuses_the_top),
	CASE(kmap_atomic_disables_preemption_and_page_faults),
	CASE(kmap_local_valid_across_sleep),
	CASE(kmap_local_valid_across_preemption),
	CASE(kmap_each_wrap_flushes_once),
#undef CASE
};

int behave_run_all(void)
{
	unsigned int passed = 0, failed = 0, skipped = 0;

	pr_notice("KTAP version 1\n1..1\n");
	pr_notice("  KTAP version 1\n  # Subtest: linux_highmem\n  1..%zu\n",
		  ARRAY_SIZE(cases));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct kt t = { .name = cases[i].name };

		cases[i].fn(&t);
		if (t.failed) {
			failed++;
			pr_notice("  not ok %zu %s\n", i + 1, t.name);
		} else if (t.skip) {
			skipped++;
			pr_notice("  ok %zu %s # SKIP %s\n", i + 1, t.name,
				  t.skip);
		} else {
			passed++;
			pr_notice("  ok %zu %s\n", i + 1, t.name);
		}
	}
	pr_notice("%s 1 linux_highmem\n", failed ? "not ok" : "ok");
	pr_notice("# ktest: %u passed, %u failed, %u skipped\n", passed, failed,
		  skipped);
	return failed;
}
