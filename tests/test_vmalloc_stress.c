/*
 * Suite "vmalloc_stress": a seeded multi-CPU stress run of vmap,
 * vmalloc and the lazy purge that checks data, stale TLB entries and
 * leaks. A suite of its own so that the tlb-broken-vmalloc row can
 * boot it alone (tools/ktest_matrix.py).
 */
#include <arch/cpu.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/wait.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/kmalloc.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>
#include "test_util.h"

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
 *    fails. That is what break=tlb_shootdown must show (the tlb-broken-vmalloc
 *    row). Nobody writes through a ring address, so a broken shootdown
 *    makes this phase fail without corrupting anything.
 *    Each worker goes on until its area has had RING_ROUNDS generations
 *    all read and it has read as many of its neighbour's. Between two
 *    steps it sleeps on its own wait queue until its reader has seen
 *    its newest generation or its neighbour has published one (whoever
 *    does so wakes it). It must sleep, not spin: on a host with fewer
 *    cores than this machine has CPUs, a CPU that spins keeps its core
 *    from the very CPU it waits for, while a sleeping CPU halts, gives
 *    its core back, and is woken by an interrupt. A sleeping CPU keeps
 *    its TLB, unless what it runs meanwhile (the switch, the idle loop)
 *    evicts the entry: under break=tlb_shootdown 64 to 92 of each
 *    worker's 100 reads still came out stale, plenty to fail the case.
 *    Two bounds make a stuck ring fail by name: a worker that takes more
 *    than RING_MAX_STEPS steps reports a stalled ring (and stops the
 *    ring at once: its neighbours wait on it), and
 *    the case waits for its workers with KT_WAIT_UNTIL, whose watchdog
 *    stops the ring and wakes every sleeper if the wait times out.
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
/*
 * Every step but the first remaps or reads at least one generation, so
 * a worker takes at most 2 * RING_ROUNDS + 1 of them; twice that is a
 * bound no working ring reaches.
 */
#define RING_MAX_STEPS (4 * RING_ROUNDS)

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
	struct wait_queue_head wq;    /* it sleeps here during the ring phase */
	struct stress_worker *reader; /* of its area: wake it on a new gen */
	struct stress_worker *owner;  /* of theirs: wake it once seen */
	struct rng rng;
	unsigned long ops, bad;
	unsigned long fills, out_of_memory; /* fills that got memory, not */
	struct stress_slot slot[STRESS_SLOTS];
	struct ring_area *mine, *theirs;
	unsigned int read_gen; /* of theirs, last checked */
	uint32_t *read_va;     /* of theirs, where it was */
	unsigned long ring_bad, same_va, stalled, steps, sleeps;
	unsigned int nr_workers;
};

static struct ring_area ring[STRESS_WORKERS];
static struct stress_worker workers[STRESS_WORKERS];
/*
 * Workers done with the ring, done with everything, whether any saw a
 * bad generation, and whether the case's watchdog stopped the ring.
 */
static unsigned int ring_finished, workers_done;
static bool ring_failed, ring_stopped;

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
	wake_up_all(&w->reader->wq);
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
	wake_up_all(&w->owner->wq);
}

static bool ring_done(const struct stress_worker *w)
{
	return __atomic_load_n(&w->mine->seen, __ATOMIC_ACQUIRE) ==
		       RING_ROUNDS &&
	       w->read_gen == RING_ROUNDS;
}

/* Owner: its newest generation has been read, and it has more to make. */
static bool ring_may_remap(const struct stress_worker *w)
{
	const struct ring_area *mine = w->mine;

	return mine->gen < RING_ROUNDS &&
	       __atomic_load_n(&mine->seen, __ATOMIC_ACQUIRE) == mine->gen;
}

/* Reader: the neighbour has published a generation not yet checked. */
static bool ring_news(const struct stress_worker *w)
{
	return __atomic_load_n(&w->theirs->gen, __ATOMIC_ACQUIRE) !=
	       w->read_gen;
}

/* Anything for w to do, or a reason to stop: the end of its sleep. */
static bool ring_wake_reason(const struct stress_worker *w)
{
	return ring_may_remap(w) || ring_news(w) || ring_done(w) ||
	       READ_ONCE(ring_stopped);
}

static void ring_sleep(struct stress_worker *w)
{
	if (ring_wake_reason(w))
		return;
	w->sleeps++;
	wait_event(&w->wq, ring_wake_reason(w));
}

static bool ring_all_finished(const struct stress_worker *w)
{
	return __atomic_load_n(&ring_finished, __ATOMIC_ACQUIRE) ==
		       w->nr_workers ||
	       READ_ONCE(ring_stopped);
}

static void wake_all_workers(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		wake_up_all(&workers[i].wq);
}

/* Stop the ring, and wake every sleeper to see it. */
static void ring_stop(unsigned int n)
{
	WRITE_ONCE(ring_stopped, true);
	wake_all_workers(n);
}

static void ring_phase(struct stress_worker *w)
{
	while (!ring_done(w) && !READ_ONCE(ring_stopped)) {
		if (++w->steps > RING_MAX_STEPS)
			break;
		if (ring_may_remap(w))
			ring_remap(w, w->mine);
		ring_read(w);
		ring_sleep(w);
	}
	w->stalled = !ring_done(w);
	if (w->stalled)
		ring_stop(w->nr_workers); /* its neighbours wait on it */
	/* No one writes through vmap addresses while anyone reads the ring. */
	if (__atomic_add_fetch(&ring_finished, 1, __ATOMIC_ACQ_REL) ==
	    w->nr_workers)
		wake_all_workers(w->nr_workers);
	wait_event(&w->wq, ring_all_finished(w));
}

static int stress_thread(void *arg)
{
	struct stress_worker *w = arg;

	ring_phase(w);
	if (!READ_ONCE(ring_failed) && !READ_ONCE(ring_stopped) &&
	    !w->stalled) {
		for (unsigned int op = 0; op < STRESS_OPS; op++)
			stress_own_op(w);
		for (unsigned int i = 0; i < STRESS_SLOTS; i++)
			if (w->slot[i].va)
				stress_release(w, &w->slot[i]);
	}
	__atomic_add_fetch(&workers_done, 1, __ATOMIC_RELEASE);
	return 0;
}

static bool all_workers_done(unsigned int n)
{
	return __atomic_load_n(&workers_done, __ATOMIC_ACQUIRE) == n;
}

/*
 * The case's watchdog over its workers: true once all n are done. If
 * the wait times out (it fails the case, by name), the ring is stopped
 * and every sleeper woken so that the workers end and can be joined;
 * false if even that does not bring them home (they are left behind).
 */
static bool stress_workers_done(struct ktest *t, unsigned int n)
{
	if (KT_WAIT_UNTIL(t, all_workers_done(n)))
		return true;
	ring_stop(n);
	return KT_WAIT_UNTIL(t, all_workers_done(n));
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
	struct stress_worker *w = workers;
	struct kt_free_pages free0;
	unsigned long objs0, same = 0;
	struct kt_workers ws;
	unsigned int n;

	vmap_purge();
	free0 = kt_free_pages_now();
	objs0 = kmalloc_live_objects();
	memset(ring, 0, sizeof(ring));
	memset(workers, 0, sizeof(workers));
	ring_finished = workers_done = 0;
	ring_failed = ring_stopped = false;
	n = kt_workers_create(&ws, stress_thread, w, sizeof(w[0]),
			      MIN(num_online_cpus(), STRESS_WORKERS),
			      "vm_stress", true);
	KT_ASSERT_EQ(t, n, MIN(num_online_cpus(), STRESS_WORKERS));
	for (unsigned int i = 0; i < n; i++) {
		rng_seed(&w[i].rng, rng_next(&t->rng) + i);
		w[i].mine = &ring[i];
		w[i].theirs = &ring[(i + n - 1) % n];
		w[i].reader = &w[(i + 1) % n];
		w[i].owner = &w[(i + n - 1) % n];
		w[i].nr_workers = n;
		wait_queue_init(&w[i].wq);
	}
	kt_workers_start(&ws);
	if (!stress_workers_done(t, n))
		return; /* workers left behind, and what they use */
	kt_workers_join(&ws);
	for (unsigned int i = 0; i < n; i++) {
		kt_diag(t,
			"worker %u on CPU %u: ring: %u generations of "
			"CPU %u's area read (%lu stale), %lu remapped at the "
			"same address, %lu steps, %lu sleeps%s; own slots: "
			"%lu operations, %lu fills, %lu out of memory, %lu bad",
			i, ws.cpu[i], w[i].read_gen, ws.cpu[(i + n - 1) % n],
			w[i].ring_bad, w[i].same_va, w[i].steps, w[i].sleeps,
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
	if (ring_failed || ring_stopped) {
		kt_diag(t, "%s: own-slot phase skipped, leaks not checked",
			ring_failed ? "a stale ring read" : "the ring stopped");
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		KT_EXPECT_EQ(t, w[i].ops, STRESS_OPS);
		KT_EXPECT_GT(t, w[i].fills, 0); /* out of memory every time? */
	}
	vmap_purge();
	kt_expect_pages_given_back(t, &free0);
	KT_EXPECT_EQ(t, kmalloc_live_objects(), objs0);
}

static const struct ktest_case vmalloc_stress_cases[] = {
	KTEST_CASE(vmalloc_stress_concurrent),
};
KTEST_SUITE(vmalloc_stress, vmalloc_stress_cases);
