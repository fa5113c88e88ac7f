/*
 * Suite "highmem_stress": every CPU mixes all four mapping interfaces
 * on random pages, ktest.stress_ops operations per worker, in a seeded
 * random order.
 *
 * Each page carries a checksum of its contents, kept beside it. A
 * worker locks a page (a mutex, since kmap() may sleep under it), maps
 * it with a random interface, checks the checksum over the whole page,
 * rewrites a few words and stores the new checksum. A wrong mapping, a
 * stale TLB entry or a slot clobbered by a context switch shows up as a
 * mismatch: there must be none. At the end every counter must balance
 * and every page come back.
 *
 * Beside the 48 contended pages, a cold set of twice the pkmap pool's
 * size is swept with kmap(), sixteen pages at a time, so the pool wraps
 * many times while the others work: every wrap's flush is exercised
 * under load, and without it (break=pkmap_flush) a CPU reads a page
 * through a slot that another CPU has since given to another page.
 */
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/mutex.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/time.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>
#include "test_util.h"

#define STRESS_PAGES 48
#define COLD_PAGES   (2 * LAST_PKMAP)
#define SWEEP_PAGES  16
#define WORDS	     (PAGE_SIZE / 4)

enum api {
	API_LOCAL,
	API_ATOMIC,
	API_KMAP,
	API_VMAP,
	NR_APIS
};

struct stress_page {
	struct mutex lock;
	struct page *page;
	uint32_t sum; /* protected by lock */
};

struct stress_run {
	struct stress_page pages[STRESS_PAGES];
	struct stress_page cold[COLD_PAGES];
	unsigned int ops_each;		/* operations per worker */
	volatile unsigned int finished; /* workers done with theirs */
	unsigned long mismatches;
	unsigned long ops[NR_APIS];
	unsigned long vmap_out_of_memory; /* a small machine's NULLs */
	unsigned long nested;
	unsigned long sweeps;
};

struct stress_worker {
	struct stress_run *run;
	struct rng rng;
};

static uint32_t page_sum(const volatile uint32_t *w)
{
	uint32_t sum = 0;

	for (unsigned int i = 0; i < WORDS; i++)
		sum = sum * 31 + w[i];
	return sum;
}

static uint32_t *map_with(enum api api, struct page **page)
{
	switch (api) {
	case API_LOCAL:
		return kmap_local_page(*page);
	case API_ATOMIC:
		return kmap_atomic(*page);
	case API_KMAP:
		return kmap(*page);
	default:
		return vmap(page, 1, MAP_WRITE);
	}
}

static void unmap_with(enum api api, struct page **page, uint32_t *va)
{
	switch (api) {
	case API_LOCAL:
		kunmap_local(va);
		break;
	case API_ATOMIC:
		kunmap_atomic(va);
		break;
	case API_KMAP:
		kunmap(*page);
		break;
	default:
		vunmap(va);
		break;
	}
}

/* Check page sp's checksum through api, then scribble and re-sum. */
static void touch_page(struct stress_worker *w, struct stress_page *sp,
		       enum api api)
{
	uint32_t *va = map_with(api, &sp->page);

	if (!va) {
		/*
		 * vmap needs memory (an area descriptor): on a small
		 * machine it may say no. The kmap family never does.
		 */
		if (api == API_VMAP)
			__sync_fetch_and_add(&w->run->vmap_out_of_memory, 1);
		else
			__sync_fetch_and_add(&w->run->mismatches, 1);
		return;
	}
	/*
	 * kmap_local maps survive being switched out: give the CPU away
	 * now and then with the map live, to a worker that maps the
	 * same slot index for another page.
	 */
	if (api == API_LOCAL && rng_below(&w->rng, 4) == 0)
		yield();
	if (page_sum(va) != sp->sum)
		__sync_fetch_and_add(&w->run->mismatches, 1);
	for (int k = 0; k < 4; k++)
		va[rng_below(&w->rng, WORDS)] = rng_next(&w->rng);
	sp->sum = page_sum(va);
	unmap_with(api, &sp->page, va);
	__sync_fetch_and_add(&w->run->ops[api], 1);
}

/*
 * Two pages at once, one kmap_local nested on another: copy a word
 * across while both are mapped. Pages are locked in index order, so
 * two workers never wait for each other in a cycle.
 */
static void touch_pair(struct stress_worker *w, unsigned int a, unsigned int b)
{
	struct stress_page *pa = &w->run->pages[MIN(a, b)];
	struct stress_page *pb = &w->run->pages[MAX(a, b)];
	uint32_t *va, *vb;

	mutex_lock(&pa->lock);
	mutex_lock(&pb->lock);
	va = kmap_local_page(pa->page);
	vb = kmap_local_page(pb->page);
	if (page_sum(va) != pa->sum || page_sum(vb) != pb->sum)
		__sync_fetch_and_add(&w->run->mismatches, 1);
	vb[0] = va[1];
	pb->sum = page_sum(vb);
	kunmap_local(vb);
	kunmap_local(va);
	mutex_unlock(&pb->lock);
	mutex_unlock(&pa->lock);
	__sync_fetch_and_add(&w->run->nested, 1);
}

/* kmap() a run of cold pages one by one: the pool's wraps come from here. */
static void sweep_cold(struct stress_worker *w)
{
	unsigned int first = rng_below(&w->rng, COLD_PAGES);

	for (unsigned int i = 0; i < SWEEP_PAGES; i++) {
		struct stress_page *sp =
			&w->run->cold[(first + i) % COLD_PAGES];

		mutex_lock(&sp->lock);
		touch_page(w, sp, API_KMAP);
		mutex_unlock(&sp->lock);
	}
	__sync_fetch_and_add(&w->run->sweeps, 1);
}

static int stress_worker(void *arg)
{
	struct stress_worker *w = arg;
	struct stress_run *run = w->run;

	for (unsigned int op = 0; op < run->ops_each; op++) {
		unsigned int a = rng_below(&w->rng, STRESS_PAGES);
		unsigned int b = rng_below(&w->rng, STRESS_PAGES);

		if (rng_below(&w->rng, 4) == 0) {
			sweep_cold(w);
			continue;
		}
		if (a != b && rng_below(&w->rng, 8) == 0) {
			touch_pair(w, a, b);
			continue;
		}
		mutex_lock(&run->pages[a].lock);
		touch_page(w, &run->pages[a], rng_below(&w->rng, NR_APIS));
		mutex_unlock(&run->pages[a].lock);
		if (rng_below(&w->rng, 16) == 0)
			yield();
	}
	__sync_fetch_and_add(&run->finished, 1);
	return 0;
}

static void stress_pages_free(struct stress_page *pages, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		free_page(pages[i].page);
}

/* count pages of random contents; false (all freed) if memory ran out. */
static bool stress_pages_fill(struct ktest *t, struct stress_page *pages,
			      unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		struct stress_page *sp = &pages[i];
		uint32_t *va;

		mutex_init(&sp->lock, "stress_page");
		sp->page = alloc_page(GFP_HIGHUSER);
		if (!sp->page) {
			stress_pages_free(pages, i);
			return false;
		}
		va = kmap_local_page(sp->page);
		for (unsigned int k = 0; k < WORDS; k++)
			va[k] = rng_next(&t->rng);
		sp->sum = page_sum(va);
		kunmap_local(va);
	}
	return true;
}

static bool stress_pages_alloc(struct ktest *t, struct stress_run *run)
{
	if (!stress_pages_fill(t, run->pages, STRESS_PAGES)) {
		kt_skip(t, "out of memory");
		return false;
	}
	if (!stress_pages_fill(t, run->cold, COLD_PAGES)) {
		stress_pages_free(run->pages, STRESS_PAGES);
		kt_skip(t, "out of memory for %u cold pages", COLD_PAGES);
		return false;
	}
	return true;
}

/* Do the sweeps go through the pool? Only if every cold page is high. */
static bool cold_pages_all_highmem(const struct stress_run *run)
{
	for (unsigned int i = 0; i < COLD_PAGES; i++)
		if (!PageHighMem(run->cold[i].page))
			return false;
	return true;
}

static void highmem_stress_all_apis_all_cpus(struct ktest *t)
{
	static struct stress_run run;
	static struct stress_worker workers[2 * NR_CPUS];
	struct kt_workers ws;
	struct kt_free_pages free0;
	unsigned long kmalloc_live;
	struct kmap_stats ks0, ks1;
	struct pkmap_stats ps0, ps1;
	unsigned int n = 0;
	bool pooled;

	kmap_flush_unused();
	vmap_purge();
	free0 = kt_free_pages_now();
	kmalloc_live = kmalloc_live_objects();
	kmap_stats(&ks0);
	pkmap_get_stats(&ps0);
	run = (struct stress_run){ .ops_each = ktest_config.stress_ops };
	if (!stress_pages_alloc(t, &run))
		return;
	/* Two workers per CPU, so maps meet context switches. */
	for (unsigned int i = 0; i < 2 * num_online_cpus(); i++) {
		workers[i] = (struct stress_worker){ .run = &run };
		rng_seed(&workers[i].rng, rng_next(&t->rng));
	}
	n = kt_workers_create(&ws, stress_worker, workers, sizeof(workers[0]),
			      2 * num_online_cpus(), "hm_stress", false);
	KT_ASSERT_EQ(t, n, 2 * num_online_cpus());
	kt_workers_start(&ws);
	/* A worker stuck for good: report it, leave it (run is static). */
	if (!KT_WAIT_UNTIL(t, run.finished == n))
		return;
	kt_workers_join(&ws);
	pooled = cold_pages_all_highmem(&run);
	stress_pages_free(run.pages, STRESS_PAGES);
	stress_pages_free(run.cold, COLD_PAGES);
	pkmap_get_stats(&ps1);
	kt_diag(t,
		"%u workers: kmap_local %lu, kmap_atomic %lu, kmap %lu, "
		"vmap %lu (%lu out of memory), nested pairs %lu, sweeps %lu, "
		"pool wraps %lu, mismatches %lu",
		n, run.ops[API_LOCAL], run.ops[API_ATOMIC], run.ops[API_KMAP],
		run.ops[API_VMAP], run.vmap_out_of_memory, run.nested,
		run.sweeps, ps1.wraps - ps0.wraps, run.mismatches);
	KT_EXPECT_EQ(t, run.mismatches, 0);
	/*
	 * Every operation counted once: a sweep's kmaps are one sweep, and
	 * a vmap that found no memory is an operation too.
	 */
	KT_EXPECT_EQ(t,
		     run.ops[API_LOCAL] + run.ops[API_ATOMIC] +
			     (run.ops[API_KMAP] - run.sweeps * SWEEP_PAGES) +
			     run.ops[API_VMAP] + run.vmap_out_of_memory +
			     run.nested + run.sweeps,
		     (unsigned long)n * run.ops_each);
	/* Each sweep maps 16 new pages: the pool must turn over, often. */
	if (pooled)
		KT_EXPECT_GE(t, ps1.wraps - ps0.wraps, 4);
	for (int api = 0; api < NR_APIS; api++)
		KT_EXPECT_GT(t, run.ops[api], 0);
	kmap_stats_print("after highmem_stress");
	kmap_stats(&ks1);
	KT_EXPECT_EQ(t, ks1.local_maps - ks0.local_maps,
		     ks1.local_unmaps - ks0.local_unmaps);
	KT_EXPECT_EQ(t, ks1.atomic_maps - ks0.atomic_maps,
		     ks1.atomic_unmaps - ks0.atomic_unmaps);
	KT_EXPECT_EQ(t, ps1.maps - ps0.maps, ps1.unmaps - ps0.unmaps);
	KT_EXPECT_EQ(t, ks1.bad_unmaps, ks0.bad_unmaps);
	KT_EXPECT_EQ(t, ks1.out_of_order, ks0.out_of_order);
	/* No page or slot leaked: flush the caches, then count. */
	kmap_flush_unused();
	vmap_purge();
	KT_EXPECT_EQ(t, kmalloc_live_objects(), kmalloc_live);
	kt_expect_pages_given_back(t, &free0);
	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++)
		KT_EXPECT_EQ(t, pkmap_slot_count(nr), 0);
}

static const struct ktest_case highmem_stress_cases[] = {
	KTEST_CASE(highmem_stress_all_apis_all_cpus),
};
KTEST_SUITE(highmem_stress, highmem_stress_cases);
