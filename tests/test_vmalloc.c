/*
 * Suite "vmalloc": the vmalloc area allocator, its guard pages, lazy
 * purging, highmem backing, misuse reports, and a seeded multi-CPU
 * stress run that checks data and leaks.
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <kernel/sched.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>

static void vmalloc_to_page_round_trips(struct ktest *t)
{
	struct page *pages[5];
	uint8_t *p;

	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = alloc_page(GFP_HIGHUSER);
		KT_ASSERT_NOT_NULL(t, pages[i]);
	}
	p = vmap(pages, ARRAY_SIZE(pages), MAP_READ | MAP_WRITE);
	KT_ASSERT_NOT_NULL(t, p);
	KT_EXPECT_EQ(t, vmap_addr_state((uintptr_t)p), VMAP_BUSY);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++) {
		KT_EXPECT_EQ(t,
			     (uintptr_t)vmalloc_to_page(p + i * PAGE_SIZE +
							123),
			     (uintptr_t)pages[i]);
		p[i * PAGE_SIZE] = (uint8_t)i;
	}
	KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page(p + 5 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page((void *)PAGE_OFFSET), 0);
	vunmap(p);
	KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page(p), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		free_page(pages[i]);
}

/* The page after every area is unmapped and named in reports. */
static void vmalloc_guard_pages_named(struct ktest *t)
{
	char what[96];
	char *buf = vmalloc(3 * PAGE_SIZE);
	struct task *self = current_task();

	KT_ASSERT_NOT_NULL(t, buf);
	memset(buf, 0x5a, 3 * PAGE_SIZE);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped((uintptr_t)buf +
							3 * PAGE_SIZE));
	KT_ASSERT_TRUE(t, vmalloc_describe((uintptr_t)buf + 3 * PAGE_SIZE, what,
					   sizeof(what)));
	kt_diag(t, "%s", what);
	KT_EXPECT_TRUE(t, strstr(what, "guard page after the vmalloc area"));
	vfree(buf);

	/* A thread's stack: the page below is its guard page. */
	if (self->stack) {
		uintptr_t below = (uintptr_t)self->stack - 4;

		KT_EXPECT_FALSE(t, layout_kernel_address_mapped(below));
		KT_ASSERT_TRUE(t, vmalloc_describe(below, what, sizeof(what)));
		kt_diag(t, "%s", what);
		KT_EXPECT_TRUE(t, strstr(what, "guard page of thread"));
		KT_EXPECT_TRUE(t, strstr(what, self->name));
	}
	KT_EXPECT_FALSE(t, vmalloc_describe(PAGE_OFFSET, what, sizeof(what)));
}

/* Freed ranges wait for a purge before anyone gets them again. */
static void vmap_lazy_purge_reuses_only_after(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	uintptr_t freed[4], again;
	struct vmap_stats s;

	KT_ASSERT_NOT_NULL(t, page);
	vmap_purge();
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++)
		freed[i] = (uintptr_t)vmap(&page, 1, MAP_READ);
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++) {
		KT_ASSERT_TRUE(t, freed[i]);
		vunmap((void *)freed[i]);
		KT_EXPECT_EQ(t, vmap_addr_state(freed[i]), VMAP_LAZY);
	}
	s = vmap_get_stats();
	KT_EXPECT_GE(t, s.lazy_areas, ARRAY_SIZE(freed));
	/* Not reused before the purge... */
	again = (uintptr_t)vmap(&page, 1, MAP_READ);
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++)
		KT_EXPECT_NE(t, again, freed[i]);
	vunmap((void *)again);
	vmap_purge();
	s = vmap_get_stats();
	KT_EXPECT_EQ(t, s.lazy_areas, 0);
	/* ...free, and handed out again, after it (first fit). */
	for (unsigned int i = 0; i < ARRAY_SIZE(freed); i++)
		KT_EXPECT_EQ(t, vmap_addr_state(freed[i]), VMAP_FREE);
	again = (uintptr_t)vmap(&page, 1, MAP_READ);
	KT_EXPECT_EQ(t, again, freed[0]);
	vunmap((void *)again);
	free_page(page);
}

/*
 * The purge sorts only when it must: ranges freed out of address order
 * still go back merged, as one hole again, and only after the purge.
 */
static void vmap_purge_merges_out_of_order(struct ktest *t)
{
	static const unsigned int order[] = { 2, 0, 3, 1 };
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct page *pages[7];
	struct vmap_stats before, after;
	uintptr_t va[4], big;

	KT_ASSERT_NOT_NULL(t, page);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = page;
	vmap_purge();
	before = vmap_get_stats();
	for (unsigned int i = 0; i < ARRAY_SIZE(va); i++) {
		va[i] = (uintptr_t)vmap(&page, 1, MAP_READ);
		KT_ASSERT_TRUE(t, va[i]);
	}
	/* Back to back (a page and its guard each), from one hole. */
	for (unsigned int i = 1; i < ARRAY_SIZE(va); i++)
		KT_ASSERT_EQ(t, va[i], va[i - 1] + 2 * PAGE_SIZE);
	for (unsigned int i = 0; i < ARRAY_SIZE(order); i++)
		vunmap((void *)va[order[i]]);
	for (unsigned int i = 0; i < ARRAY_SIZE(va); i++)
		KT_EXPECT_EQ(t, vmap_addr_state(va[i]), VMAP_LAZY);
	vmap_purge();
	after = vmap_get_stats();
	KT_EXPECT_EQ(t, after.lazy_areas, 0);
	KT_EXPECT_EQ(t, after.free_ranges, before.free_ranges);
	for (unsigned int i = 0; i < ARRAY_SIZE(va); i++)
		KT_EXPECT_EQ(t, vmap_addr_state(va[i]), VMAP_FREE);
	/* Seven pages and a guard fill exactly the four old areas. */
	big = (uintptr_t)vmap(pages, ARRAY_SIZE(pages), MAP_READ);
	KT_EXPECT_EQ(t, big, va[0]);
	vunmap((void *)big);
	vmap_purge();
	free_page(page);
}

/*
 * A hole exactly the size asked for is taken. Five one-page areas (a
 * page and its guard each) back to back; the middle three freed and
 * purged leave a hole of six pages between two live areas, which five
 * pages and a guard fill exactly. Below the first area no hole holds
 * even two pages (first fit would have put it there), so the first fit
 * for six is this hole.
 */
static void vmap_exact_fit_hole_is_used(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct page *pages[5];
	uintptr_t va[5], fit;

	KT_ASSERT_NOT_NULL(t, page);
	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = page;
	vmap_purge();
	for (unsigned int i = 0; i < ARRAY_SIZE(va); i++) {
		va[i] = (uintptr_t)vmap(&page, 1, MAP_READ);
		KT_ASSERT_TRUE(t, va[i]);
	}
	for (unsigned int i = 1; i < ARRAY_SIZE(va); i++)
		KT_ASSERT_EQ(t, va[i], va[i - 1] + 2 * PAGE_SIZE);
	for (unsigned int i = 1; i < 4; i++)
		vunmap((void *)va[i]);
	vmap_purge();
	fit = (uintptr_t)vmap(pages, ARRAY_SIZE(pages), MAP_READ);
	KT_EXPECT_EQ(t, fit, va[1]);
	if (fit)
		vunmap((void *)fit);
	vunmap((void *)va[0]);
	vunmap((void *)va[4]);
	vmap_purge();
	free_page(page);
}

/* Misuse is reported and refused, and changes nothing. */
static void vmap_misuse_refused(struct ktest *t)
{
	unsigned long warns = warn_count();
	struct page *page = alloc_page(GFP_KERNEL);
	struct vmap_stats before, after;
	void *v, *m;

	KT_ASSERT_NOT_NULL(t, page);
	v = vmap(&page, 1, MAP_READ);
	m = vmalloc(100);
	KT_ASSERT_TRUE(t, v && m);
	before = vmap_get_stats();
	vunmap((char *)v + PAGE_SIZE / 2); /* not the start */
	vunmap((void *)PAGE_OFFSET);	   /* not in the area */
	vunmap(m);			   /* a vmalloc area */
	vfree(v);			   /* a vmap area */
	after = vmap_get_stats();
	KT_EXPECT_EQ(t, warn_count() - warns, 4);
	KT_EXPECT_EQ(t, after.busy_areas, before.busy_areas);
	KT_EXPECT_EQ(t, after.busy_pages, before.busy_pages);
	vunmap(v);
	vfree(m);
	warns = warn_count();
	vfree(m); /* double free */
	KT_EXPECT_EQ(t, warn_count() - warns, 1);
	vfree(NULL);
	KT_EXPECT_TRUE(t, vmap(&page, 0, MAP_READ) == NULL);
	KT_EXPECT_TRUE(t, vmalloc(0) == NULL);
	free_page(page);
}

/* More than lowmem holds: only highmem can back it. */
static void vmalloc_more_than_lowmem(struct ktest *t)
{
	size_t lowmem = high_memory - PAGE_OFFSET;
	size_t size = lowmem + (4u << 20), words = size / 4;
	unsigned long high_before = zone_free_pages(ZONE_HIGHMEM);
	unsigned int highmem_pages = 0;
	uint32_t *buf, bad = 0;

	if ((uint64_t)high_before * PAGE_SIZE < size + (8u << 20) ||
	    VMALLOC_END - vmalloc_start < size + (8u << 20)) {
		kt_skip(t,
			"needs more than lowmem (%zu MiB) free in highmem "
			"and in the vmalloc area",
			lowmem >> 20);
		return;
	}
	buf = vmalloc(size);
	KT_ASSERT_NOT_NULL(t, buf);
	for (size_t i = 0; i < words; i++)
		buf[i] = (uint32_t)i * 0x9e3779b1u;
	for (size_t i = 0; i < words; i++)
		bad += buf[i] != (uint32_t)i * 0x9e3779b1u;
	for (size_t off = 0; off < size; off += PAGE_SIZE)
		highmem_pages +=
			PageHighMem(vmalloc_to_page((char *)buf + off));
	kt_diag(t,
		"%zu MiB vmalloc'd over %zu MiB of lowmem, %u highmem "
		"pages",
		size >> 20, lowmem >> 20, highmem_pages);
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_EQ(t, highmem_pages, size / PAGE_SIZE);
	vfree(buf);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_HIGHMEM), high_before);
}

/* Take every free page (highmem and lowmem) onto held. */
static void take_every_page(struct list_head *held)
{
	struct page *page;

	while ((page = alloc_page(GFP_HIGHUSER)))
		list_add(&page->list, held);
}

static void give_back_pages(struct list_head *held, unsigned long n)
{
	while (n-- && !list_empty(held)) {
		struct page *page = list_first_entry(held, struct page, list);

		list_del(&page->list);
		free_page(page);
	}
}

/*
 * A vmalloc that runs out of pages half way returns NULL, gives back
 * every page it took and leaves none of its range mapped. The range it
 * reserved is known in advance: a probe of the same size, freed and
 * purged, leaves the hole first fit will choose again.
 */
#define OOM_GOT	  3 /* pages the failing vmalloc gets */
#define OOM_PAGES (OOM_GOT + 2)
static void vmalloc_out_of_pages_returns_null(struct ktest *t)
{
	unsigned long low0, high0, slab0;
	struct vmap_stats before, after;
	LIST_HEAD(held);
	uintptr_t probe;
	void *v;

	vmap_purge();
	probe = (uintptr_t)vmalloc(OOM_PAGES * PAGE_SIZE);
	KT_ASSERT_TRUE(t, probe);
	vfree((void *)probe);
	vmap_purge();
	take_every_page(&held);
	give_back_pages(&held, OOM_GOT);
	low0 = zone_free_pages(ZONE_NORMAL);
	high0 = zone_free_pages(ZONE_HIGHMEM);
	slab0 = kmalloc_slab_pages();
	before = vmap_get_stats();
	v = vmalloc(OOM_PAGES * PAGE_SIZE);
	after = vmap_get_stats();
	kt_diag(t, "%lu pages free before the vmalloc of %u, %lu after",
		low0 + high0, OOM_PAGES,
		zone_free_pages(ZONE_NORMAL) + zone_free_pages(ZONE_HIGHMEM));
	KT_EXPECT_TRUE(t, v == NULL);
	/* kmalloc may have grown (it keeps its pages): not a leak. */
	KT_EXPECT_EQ(t,
		     zone_free_pages(ZONE_NORMAL) +
			     (kmalloc_slab_pages() - slab0),
		     low0);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_HIGHMEM), high0);
	KT_EXPECT_EQ(t, after.busy_areas, before.busy_areas);
	KT_EXPECT_EQ(t, after.busy_pages, before.busy_pages);
	/* The failed range waits for a purge, with nothing mapped in it. */
	KT_EXPECT_EQ(t, vmap_addr_state(probe), VMAP_LAZY);
	for (unsigned int i = 0; i < OOM_PAGES; i++)
		KT_EXPECT_FALSE(t, layout_kernel_address_mapped(probe +
								i * PAGE_SIZE));
	give_back_pages(&held, ~0ul); /* all */
	vmap_purge();
	KT_EXPECT_EQ(t, vmap_addr_state(probe), VMAP_FREE);
}

/*
 * The small kmalloc classes (16 to 128 bytes: an area descriptor is in
 * one of them), each drained into a chain linked through the objects'
 * first word.
 */
#define SMALL_CLASSES 4
static void hold_small_objects(void *chain[SMALL_CLASSES])
{
	for (unsigned int c = 0; c < SMALL_CLASSES; c++) {
		void **o;

		chain[c] = NULL;
		while ((o = kmalloc(16u << c))) {
			*o = chain[c];
			chain[c] = o;
		}
	}
}

/* Free up to n objects of each chain. */
static void release_small_objects(void *chain[SMALL_CLASSES], unsigned long n)
{
	for (unsigned int c = 0; c < SMALL_CLASSES; c++)
		for (unsigned long i = 0; i < n && chain[c]; i++) {
			void **o = chain[c];

			chain[c] = *o;
			kfree(o);
		}
}

/*
 * With every page taken kmalloc cannot grow; with its small objects
 * held too, only a few are left for area descriptors, and lazily freed
 * areas keep theirs until a purge. A vmap must then purge to get one,
 * not fail. DESC_ROUNDS areas of a page and a guard stay under
 * VMAP_LAZY_MAX_PAGES, so no threshold purge comes first.
 */
#define DESC_ROUNDS 4000
#define DESC_SPARE  8 /* objects given back in each class */
static void vmap_purges_for_its_descriptor(struct ktest *t)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct vmap_stats before, after;
	void *objects[SMALL_CLASSES];
	unsigned int done = 0;
	LIST_HEAD(held);

	KT_ASSERT_NOT_NULL(t, page);
	vmap_purge();
	before = vmap_get_stats();
	take_every_page(&held);
	hold_small_objects(objects);
	release_small_objects(objects, DESC_SPARE);
	for (; done < DESC_ROUNDS; done++) {
		void *v = vmap(&page, 1, MAP_READ);

		if (!v)
			break;
		vunmap(v);
	}
	after = vmap_get_stats();
	release_small_objects(objects, ~0ul); /* all */
	give_back_pages(&held, ~0ul);
	vmap_purge();
	free_page(page);
	kt_diag(t,
		"%u of %u vmap/vunmap rounds with no free page, %lu "
		"purge(s)",
		done, DESC_ROUNDS, after.purges - before.purges);
	KT_EXPECT_EQ(t, done, DESC_ROUNDS);
	KT_EXPECT_GT(t, after.purges, before.purges);
}

/*
 * The stress run: one worker per CPU (up to STRESS_WORKERS), each bound
 * to its CPU, in two phases, both bounded by work.
 *
 * 1. The ring. Worker i owns ring area i and reads ring area i - 1,
 *    which the previous worker maps on another CPU. Each time the
 *    reader has checked a generation, the owner maps the next: fresh
 *    pages, filled through kmap_local_page, the old area unmapped and
 *    purged, the new one mapped (mostly at the old address, which the
 *    purge made free again) and published, and only then the old pages
 *    freed. So the reader's CPU has the address in its TLB when the
 *    owner remaps it; if the purge's shootdown did not reach that CPU,
 *    the reader sees the old page at the old address and its check
 *    fails. That is what break=tlb_shootdown must show (the tlb-broken
 *    row). Nobody writes through a ring address, so a broken shootdown
 *    makes this phase fail without corrupting anything.
 *    Each worker goes on until its area has had RING_ROUNDS generations
 *    all read and it has read as many of its neighbour's, or until
 *    RING_MAX_SPINS turns of its loop: then it reports a stalled ring.
 * 2. Its own slots: STRESS_OPS of a seeded random mix of vmap and
 *    vmalloc, fill, check, unmap and free, with a purge now and then;
 *    then the case checks for leaks. These write through vmap
 *    addresses, so on a kernel whose ring phase saw a stale TLB entry
 *    (any worker's) they would write into freed pages: the phase is
 *    then skipped, and the ring's failure is the report.
 */
#define STRESS_WORKERS 4
#define STRESS_SLOTS   8
#define STRESS_OPS     2000
#define RING_PAGES     2
#define RING_ROUNDS    100
#define RING_MAX_SPINS 40000000

struct stress_slot {
	uint32_t *va;
	unsigned int pages;
	bool vmapped;	    /* else vmalloc'd */
	struct page *pg[8]; /* vmapped: its pages */
	uint32_t seed;
};

/*
 * One ring area. The owner writes va, seed and pg, then publishes gen
 * (release); the reader reads gen (acquire), then va and seed, checks,
 * then sets seen = gen (release), after which the owner may remap.
 */
struct ring_area {
	uint32_t *va;
	uint32_t seed;
	struct page *pg[RING_PAGES];
	unsigned int gen;  /* published generation, 0: none */
	unsigned int seen; /* the last generation read */
};

struct stress_worker {
	struct rng rng;
	unsigned long ops, bad;
	unsigned long fills, out_of_memory; /* fills that got memory, not */
	struct stress_slot slot[STRESS_SLOTS];
	struct ring_area *mine, *theirs;
	unsigned int read_gen; /* of theirs, last checked */
	uint32_t *read_va;     /* of theirs, where it was */
	unsigned long ring_bad, same_va, stalled, spins;
	unsigned int nr_workers;
};

static struct ring_area ring[STRESS_WORKERS];
/* Workers done with the ring, and whether any saw a bad generation. */
static unsigned int ring_finished;
static bool ring_failed;

static uint32_t pattern(uint32_t seed, unsigned int i)
{
	return (seed + i) * 0x9e3779b1u;
}

/* Check the slot's data, then unmap and free it. */
static void stress_release(struct stress_worker *w, struct stress_slot *s)
{
	unsigned int words = s->pages * PAGE_SIZE / 4;

	for (unsigned int i = 0; i < words; i += 61)
		w->bad += s->va[i] != pattern(s->seed, i);
	if (s->vmapped) {
		vunmap(s->va);
		for (unsigned int i = 0; i < s->pages; i++)
			free_page(s->pg[i]);
	} else {
		vfree(s->va);
	}
	s->va = NULL;
}

/*
 * Pages for the slot, then their vmap; NULL, with nothing kept, when
 * memory runs out on the way (vmap must never see a NULL page).
 */
static uint32_t *stress_vmap(struct stress_slot *s)
{
	uint32_t *va = NULL;
	unsigned int got = 0;

	while (got < s->pages && (s->pg[got] = alloc_page(GFP_HIGHUSER)))
		got++;
	if (got == s->pages)
		va = vmap(s->pg, s->pages, MAP_READ | MAP_WRITE);
	if (!va)
		while (got--)
			free_page(s->pg[got]);
	return va;
}

static void stress_fill(struct stress_worker *w, struct stress_slot *s)
{
	bool vm = rng_below(&w->rng, 2);

	s->pages = 1 + rng_below(&w->rng, vm ? 8 : 16);
	s->seed = rng_next(&w->rng);
	s->vmapped = vm;
	s->va = vm ? stress_vmap(s) : vmalloc(s->pages * PAGE_SIZE);
	if (!s->va) {
		w->out_of_memory++; /* a small machine: not an error */
		return;
	}
	w->fills++;
	for (unsigned int i = 0; i < s->pages * PAGE_SIZE / 4; i += 61)
		s->va[i] = pattern(s->seed, i);
}

/* One random operation on the worker's own slots. */
static void stress_own_op(struct stress_worker *w)
{
	struct stress_slot *s = &w->slot[rng_below(&w->rng, STRESS_SLOTS)];

	if (s->va)
		stress_release(w, s);
	else
		stress_fill(w, s);
	w->ops++;
	if (rng_below(&w->rng, 64) == 0)
		vmap_purge();
}

/* Every word of a ring area the pattern touches, in every page. */
static unsigned int ring_check(const uint32_t *va, uint32_t seed)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < RING_PAGES * PAGE_SIZE / 4; i += 61)
		bad += va[i] != pattern(seed, i);
	return bad;
}

/* Fill page n of a ring area, through a slot, not the ring address. */
static void ring_fill_page(struct page *page, unsigned int n, uint32_t seed)
{
	uint32_t *p = kmap_local_page(page);
	unsigned int first = n * PAGE_SIZE / 4;

	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++)
		p[i] = pattern(seed, first + i);
	kunmap_local(p);
}

/*
 * Owner: map generation gen + 1 of ring area a, then free the old
 * generation's pages (not before: a stale TLB entry must find the old
 * contents, not a page someone else has since filled).
 */
static void ring_remap(struct stress_worker *w, struct ring_area *a)
{
	struct page *old[RING_PAGES], *pg[RING_PAGES];
	uint32_t *old_va = a->va, *va;
	uint32_t seed = rng_next(&w->rng);

	for (unsigned int i = 0; i < RING_PAGES; i++) {
		old[i] = a->pg[i];
		pg[i] = alloc_page(GFP_HIGHUSER);
		if (!pg[i]) {
			w->ring_bad++; /* never expected */
			return;
		}
		ring_fill_page(pg[i], i, seed);
	}
	if (old_va)
		vunmap(old_va);
	vmap_purge(); /* the shootdown under test */
	va = vmap(pg, RING_PAGES, MAP_READ);
	if (!va) {
		w->ring_bad++;
		return;
	}
	w->same_va += va == old_va;
	a->va = va;
	a->seed = seed;
	for (unsigned int i = 0; i < RING_PAGES; i++)
		a->pg[i] = pg[i];
	__atomic_store_n(&a->gen, a->gen + 1, __ATOMIC_RELEASE);
	if (old_va)
		for (unsigned int i = 0; i < RING_PAGES; i++)
			free_page(old[i]);
}

/* Reader: check the neighbour's newest generation, once. */
static void ring_read(struct stress_worker *w)
{
	struct ring_area *a = w->theirs;
	unsigned int gen = __atomic_load_n(&a->gen, __ATOMIC_ACQUIRE);

	if (gen == w->read_gen)
		return;
	if (ring_check(a->va, a->seed)) {
		w->ring_bad++;
		WRITE_ONCE(ring_failed, true);
	}
	w->read_va = a->va;
	w->read_gen = gen;
	__atomic_store_n(&a->seen, gen, __ATOMIC_RELEASE);
}

static bool ring_done(const struct stress_worker *w)
{
	return __atomic_load_n(&w->mine->seen, __ATOMIC_ACQUIRE) ==
		       RING_ROUNDS &&
	       w->read_gen == RING_ROUNDS;
}

static void ring_phase(struct stress_worker *w)
{
	struct ring_area *mine = w->mine;

	while (!ring_done(w)) {
		if (++w->spins > RING_MAX_SPINS) {
			w->stalled = 1;
			break;
		}
		if (mine->gen < RING_ROUNDS &&
		    __atomic_load_n(&mine->seen, __ATOMIC_ACQUIRE) == mine->gen)
			ring_remap(w, mine);
		ring_read(w);
		yield();
	}
	__atomic_add_fetch(&ring_finished, 1, __ATOMIC_RELEASE);
	/* No one writes through vmap addresses while anyone reads the ring. */
	while (__atomic_load_n(&ring_finished, __ATOMIC_ACQUIRE) <
	       w->nr_workers) {
		if (++w->spins > 2 * RING_MAX_SPINS) {
			w->stalled = 1;
			break;
		}
		yield();
	}
}

static int stress_thread(void *arg)
{
	struct stress_worker *w = arg;

	ring_phase(w);
	if (READ_ONCE(ring_failed) || w->stalled)
		return 0;
	for (unsigned int op = 0; op < STRESS_OPS; op++)
		stress_own_op(w);
	for (unsigned int i = 0; i < STRESS_SLOTS; i++)
		if (w->slot[i].va)
			stress_release(w, &w->slot[i]);
	return 0;
}

/* After every worker is done: the last generation of each ring area. */
static void ring_release(struct ring_area *a)
{
	if (!a->va)
		return;
	vunmap(a->va);
	for (unsigned int i = 0; i < RING_PAGES; i++)
		free_page(a->pg[i]);
}

static void vmalloc_stress_concurrent(struct ktest *t)
{
	static struct stress_worker w[STRESS_WORKERS];
	struct task *th[STRESS_WORKERS];
	unsigned int cpus[STRESS_WORKERS];
	unsigned long low0, high0, objs0, slab0, same = 0;
	unsigned int n = 0, cpu;

	vmap_purge();
	low0 = zone_free_pages(ZONE_NORMAL);
	high0 = zone_free_pages(ZONE_HIGHMEM);
	objs0 = kmalloc_live_objects();
	slab0 = kmalloc_slab_pages();
	memset(ring, 0, sizeof(ring));
	ring_finished = 0;
	ring_failed = false;
	for_each_online_cpu(cpu) {
		if (n == STRESS_WORKERS)
			break;
		memset(&w[n], 0, sizeof(w[n]));
		rng_seed(&w[n].rng, rng_next(&t->rng) + n);
		th[n] = kthread_create(stress_thread, &w[n], "vm_stress");
		KT_ASSERT_NOT_NULL(t, th[n]);
		kthread_bind(th[n], cpu);
		cpus[n++] = cpu;
	}
	for (unsigned int i = 0; i < n; i++) {
		w[i].mine = &ring[i];
		w[i].theirs = &ring[(i + n - 1) % n];
		w[i].nr_workers = n;
	}
	for (unsigned int i = 0; i < n; i++)
		kthread_start(th[i]);
	for (unsigned int i = 0; i < n; i++) {
		kthread_join(th[i]);
		kt_diag(t,
			"worker %u on CPU %u: ring: %u generations of "
			"CPU %u's area read (%lu stale), %lu remapped at the "
			"same address, %lu spins%s; own slots: %lu operations, "
			"%lu fills, %lu out of memory, %lu bad",
			i, cpus[i], w[i].read_gen, cpus[(i + n - 1) % n],
			w[i].ring_bad, w[i].same_va, w[i].spins,
			w[i].stalled ? ", STALLED" : "", w[i].ops, w[i].fills,
			w[i].out_of_memory, w[i].bad);
		same += w[i].same_va;
		KT_EXPECT_EQ(t, w[i].ring_bad, 0);
		KT_EXPECT_EQ(t, w[i].stalled, 0);
		KT_EXPECT_EQ(t, w[i].bad, 0);
	}
	/* The case proves something only if addresses were reused. */
	KT_EXPECT_GT(t, same, 0);
	for (unsigned int i = 0; i < n; i++)
		ring_release(&ring[i]);
	if (ring_failed) {
		kt_diag(t, "a stale ring read: own-slot phase skipped, leaks "
			   "not checked");
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		KT_EXPECT_EQ(t, w[i].ops, STRESS_OPS);
		KT_EXPECT_GT(t, w[i].fills, 0); /* out of memory every time? */
	}
	vmap_purge();
	/* kmalloc may have grown (it keeps its pages): not a leak. */
	KT_EXPECT_EQ(t,
		     zone_free_pages(ZONE_NORMAL) +
			     (kmalloc_slab_pages() - slab0),
		     low0);
	KT_EXPECT_EQ(t, zone_free_pages(ZONE_HIGHMEM), high0);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), objs0);
}

/*
 * Fill the whole area, then free it all: the ranges go lazy, and an
 * allocation that then finds no room must purge and succeed. The last
 * area's guard page is the area's last page, below the lazy window.
 */
#define FILL_CHUNK 1024
static void vmap_fill_area_then_reuse(struct ktest *t)
{
	static uintptr_t got[1024];
	static struct page *same[FILL_CHUNK];
	struct page *page = alloc_page(GFP_HIGHUSER);
	unsigned long nr_free =
		zone_free_pages(ZONE_NORMAL) + zone_free_pages(ZONE_HIGHMEM);
	unsigned int n = 0, small = 0;
	uintptr_t top = 0;
	void *again;

	KT_ASSERT_NOT_NULL(t, page);
	KT_ASSERT_GE(t, nr_free, 2);
	for (unsigned int i = 0; i < FILL_CHUNK; i++)
		same[i] = page;
	vmap_purge();
	while (n < ARRAY_SIZE(got)) {
		void *v = vmap(same, FILL_CHUNK, MAP_READ);

		if (!v)
			break;
		got[n++] = (uintptr_t)v;
	}
	/* Then single pages, down to the very last hole. */
	while (n < ARRAY_SIZE(got)) {
		void *v = vmap(same, 1, MAP_READ);

		if (!v)
			break;
		got[n++] = (uintptr_t)v;
		small++;
	}
	kt_diag(t, "%u areas (%u single pages)", n, small);
	KT_ASSERT_LT(t, n, ARRAY_SIZE(got));
	for (unsigned int i = 0; i < n; i++) {
		uintptr_t end =
			got[i] + (i < n - small ? FILL_CHUNK : 1) * PAGE_SIZE;

		top = MAX(top, end);
		KT_EXPECT_EQ(t, (uintptr_t)vmalloc_to_page((void *)got[i]),
			     (uintptr_t)page);
	}
	kt_diag(t, "highest area ends at %08lx, lazy window at %08lx",
		(unsigned long)top, (unsigned long)VMALLOC_LAZY_START);
	KT_EXPECT_LE(t, top + PAGE_SIZE, VMALLOC_LAZY_START);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(top));
	for (unsigned int i = 0; i < n; i++)
		vunmap((void *)got[i]);
	/* Purge-before-failing: all of it is reusable now. */
	again = vmap(same, FILL_CHUNK, MAP_READ);
	KT_EXPECT_NOT_NULL(t, again);
	vunmap(again);
	/* As much as a quarter chunk, but no more than half of free RAM. */
	again = vmalloc(MIN(FILL_CHUNK / 4, nr_free / 2) * PAGE_SIZE);
	KT_EXPECT_NOT_NULL(t, again);
	vfree(again);
	vmap_purge();
	free_page(page);
}

static const struct ktest_case vmalloc_cases[] = {
	KTEST_CASE(vmalloc_to_page_round_trips),
	KTEST_CASE(vmalloc_guard_pages_named),
	KTEST_CASE(vmap_lazy_purge_reuses_only_after),
	KTEST_CASE(vmap_purge_merges_out_of_order),
	KTEST_CASE(vmap_exact_fit_hole_is_used),
	KTEST_CASE(vmap_misuse_refused),
	KTEST_CASE(vmalloc_more_than_lowmem),
	KTEST_CASE(vmalloc_out_of_pages_returns_null),
	KTEST_CASE(vmap_purges_for_its_descriptor),
	KTEST_CASE(vmalloc_stress_concurrent),
	KTEST_CASE(vmap_fill_area_then_reuse),
};
KTEST_SUITE(vmalloc, vmalloc_cases);
