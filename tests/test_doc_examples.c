/*
 * Suite "doc_examples": the C examples of docs/examples.rst. The page
 * includes the code between each pair of "doc:NAME" markers below, so
 * every example a student copies is code that compiles with -Werror
 * and runs in every test configuration; the cases check that each
 * example does what the page says it does.
 */
#include <kernel/kthread.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <lib/string.h>
#include <mm/fault.h>
#include <mm/highmem_helpers.h>
#include <mm/vmalloc.h>
#include "kmap_helpers.h"

/* doc:kmap_local begin */
/* Add one to the first word of a page that may be highmem. */
static void example_bump_counter(struct page *page)
{
	uint32_t *counter = kmap_local_page(page);

	*counter += 1; /* may be preempted: that is fine */
	kunmap_local(counter);
}
/* doc:kmap_local end */

/* doc:nested begin */
/* Copy one page to another: two maps, undone in reverse order. */
static void example_copy_page(struct page *to, struct page *from)
{
	const void *src = kmap_local_page(from);
	void *dst = kmap_local_page(to); /* nests on top of src */

	memcpy(dst, src, PAGE_SIZE);
	kunmap_local(dst); /* last mapped, first unmapped */
	kunmap_local(src);
}
/* doc:nested end */

/*
 * The three sums below are one loop written out three times on purpose:
 * docs/examples.rst sets them side by side, and what differs around the
 * loop (the map, the unmap, the disables) is the whole lesson. A shared
 * helper would hide it.
 */
/* doc:atomic_old begin */
/* Before: kmap_atomic() disables preemption and page faults. */
static uint32_t example_sum_atomic(struct page *page)
{
	const uint32_t *w = kmap_atomic(page);
	uint32_t sum = 0;

	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++)
		sum += w[i];
	kunmap_atomic(w);
	return sum;
}
/* doc:atomic_old end */

/* doc:atomic_new begin */
/*
 * After: the same with kmap_local_page(). The loop needs neither
 * disable, so it runs preemptible.
 */
static uint32_t example_sum_local(struct page *page)
{
	const uint32_t *w = kmap_local_page(page);
	uint32_t sum = 0;

	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++)
		sum += w[i];
	kunmap_local(w);
	return sum;
}

/*
 * If the code did rely on one of them (here: it must not sleep, and a
 * fault must fail rather than be resolved), ask for it by name.
 */
static uint32_t example_sum_local_no_preempt(struct page *page)
{
	const uint32_t *w;
	uint32_t sum = 0;

	preempt_disable();
	pagefault_disable();
	w = kmap_local_page(page);
	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++)
		sum += w[i];
	kunmap_local(w);
	pagefault_enable(); /* in the reverse order */
	preempt_enable();
	return sum;
}
/* doc:atomic_new end */

/* doc:handoff begin */
/* A kmap() address is valid on every CPU: another thread may use it. */
struct handoff {
	const uint32_t *word; /* a kmap() address */
	uint32_t seen;
	bool done;
};

static int example_reader(void *arg)
{
	struct handoff *h = arg;

	h->seen = READ_ONCE(*h->word);
	WRITE_ONCE(h->done, true);
	return 0;
}

/* Map page with kmap(), and start a reader on another CPU. */
static struct task *example_handoff_start(struct page *page, unsigned int cpu,
					  struct handoff *h)
{
	struct task *reader;

	h->word = kmap(page); /* may sleep: process context */
	reader = kthread_create(example_reader, h, "reader");
	kthread_bind(reader, cpu);
	kthread_start(reader);
	return reader;
}

/* Once the reader is done with the address, the map may go. */
static void example_handoff_finish(struct task *reader, struct page *page)
{
	kthread_join(reader);
	kunmap(page); /* by page, not by address */
}
/* doc:handoff end */

/* doc:vmap begin */
/* Zero n pages, from any zone, through one contiguous address. */
static bool example_zero_pages(struct page **pages, unsigned int n)
{
	char *va = vmap(pages, n, MAP_READ | MAP_WRITE);

	if (!va)
		return false;
	memset(va, 0, (size_t)n * PAGE_SIZE);
	vunmap(va); /* the pages stay allocated */
	return true;
}
/* doc:vmap end */

/* doc:helpers begin */
/* Write a record at offset off of a page, read it back, clear it. */
static bool example_record_round_trip(struct page *page, size_t off)
{
	const char rec[] = "hmos";
	char back[sizeof(rec)];

	if (!memcpy_to_page(page, off, rec, sizeof(rec)))
		return false; /* off + sizeof(rec) passes the page end */
	memcpy_from_page(back, page, off, sizeof(back));
	memzero_page(page, off, sizeof(rec));
	return memcmp(rec, back, sizeof(rec)) == 0;
}
/* doc:helpers end */

/* ---- the cases: each example does what the page says ---- */

static void doc_examples_kmap_local_bumps_a_highmem_counter(struct ktest *t)
{
	struct page *p = kt_highmem_page(t);
	uint32_t v = 41;

	if (!p)
		return;
	memcpy_to_page(p, 0, &v, sizeof(v));
	example_bump_counter(p);
	memcpy_from_page(&v, p, 0, sizeof(v));
	KT_EXPECT_EQ(t, v, 42);
	KT_EXPECT_EQ(t, kmap_local_depth(), 0);
	free_page(p);
}

static void doc_examples_nested_maps_copy_a_page(struct ktest *t)
{
	struct page *from = kt_highmem_page(t);
	struct page *to = from ? alloc_page(GFP_HIGHUSER) : NULL;
	void *va;

	if (!from || !to)
		goto out;
	va = kmap_local_page(from);
	kt_fill(va, 17);
	kunmap_local(va);
	example_copy_page(to, from);
	va = kmap_local_page(to);
	KT_EXPECT_EQ(t, kt_check(va, 17), 0);
	kunmap_local(va);
	KT_EXPECT_EQ(t, kmap_local_depth(), 0);
out:
	if (from)
		free_page(from);
	if (to)
		free_page(to);
}

static void doc_examples_atomic_and_local_sums_agree(struct ktest *t)
{
	struct page *p = kt_highmem_page(t);
	int pc = preempt_count();
	uint32_t want = 0;

	if (!p)
		return;
	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++) {
		uint32_t w = i * 3;

		memcpy_to_page(p, i * 4, &w, 4);
		want += w;
	}
	KT_EXPECT_EQ(t, example_sum_atomic(p), want);
	KT_EXPECT_EQ(t, example_sum_local(p), want);
	KT_EXPECT_EQ(t, example_sum_local_no_preempt(p), want);
	KT_EXPECT_EQ(t, preempt_count(), pc);
	KT_EXPECT_FALSE(t, pagefault_disabled());
	free_page(p);
}

static void doc_examples_kmap_address_read_on_another_cpu(struct ktest *t)
{
	struct page *p = kt_highmem_page(t);
	struct handoff h = { 0 };
	uint32_t v = 0xfeed;
	struct task *reader;

	if (!p)
		return;
	memcpy_to_page(p, 0, &v, sizeof(v));
	reader = example_handoff_start(p, kt_other_cpu(), &h);
	KT_EXPECT_TRUE(t, KT_WAIT_UNTIL(t, READ_ONCE(h.done)));
	if (!READ_ONCE(h.done))
		return; /* a reader that never ran: leave it be */
	example_handoff_finish(reader, p);
	KT_EXPECT_EQ(t, h.seen, 0xfeed);
	free_page(p);
}

static void doc_examples_vmap_zeroes_many_pages(struct ktest *t)
{
	struct page *pages[4] = { 0 };
	unsigned int n = 0;

	for (; n < 4; n++) {
		pages[n] = alloc_page(GFP_HIGHUSER);
		if (!pages[n])
			break;
		KT_ASSERT_TRUE(t, memzero_page(pages[n], 0, PAGE_SIZE));
		KT_ASSERT_TRUE(t, memcpy_to_page(pages[n], 8, "x", 1));
	}
	KT_ASSERT_EQ(t, n, 4);
	KT_EXPECT_TRUE(t, example_zero_pages(pages, n));
	for (unsigned int i = 0; i < n; i++) {
		char c = 1;

		memcpy_from_page(&c, pages[i], 8, 1);
		KT_EXPECT_EQ(t, c, 0);
		free_page(pages[i]);
	}
}

static void doc_examples_helpers_round_trip(struct ktest *t)
{
	struct page *p = kt_highmem_page(t);
	unsigned long warns;
	char c = 1;

	if (!p)
		return;
	KT_EXPECT_TRUE(t, example_record_round_trip(p, 100));
	memcpy_from_page(&c, p, 100, 1);
	KT_EXPECT_EQ(t, c, 0);
	warns = warn_count();
	KT_EXPECT_FALSE(t, example_record_round_trip(p, PAGE_SIZE - 2));
	KT_EXPECT_WARNED(t, warns, "memcpy_to_page(pfn");
	free_page(p);
}

static const struct ktest_case doc_examples_cases[] = {
	KTEST_CASE(doc_examples_kmap_local_bumps_a_highmem_counter),
	KTEST_CASE(doc_examples_nested_maps_copy_a_page),
	KTEST_CASE(doc_examples_atomic_and_local_sums_agree),
	KTEST_CASE(doc_examples_kmap_address_read_on_another_cpu),
	KTEST_CASE(doc_examples_vmap_zeroes_many_pages),
	KTEST_CASE(doc_examples_helpers_round_trip),
};
KTEST_SUITE(doc_examples, doc_examples_cases);
