/*
 * The event trace (kernel/trace.c): that it records what happened, in
 * order, on the CPU it happened on; that stopped means silent; that a
 * full ring counts what it drops; that trace= refuses a name it does
 * not know. And trace_scenario, the boot `make trace` draws: tasks on
 * several CPUs nesting local maps across switches, a kmap pool that
 * wraps, a vunmap purge, then the dump and the kernel's own counters
 * for tools/trace_check.py to hold the events to.
 */
#include <kernel/kthread.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/trace.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/maccess.h>
#include <mm/vmalloc.h>
#include "kmap_helpers.h"

/*
 * The records of this CPU's ring from index `from` on that this task
 * made with event id, copied to out (up to max). Return: how many.
 * Other tasks and interrupts record on this CPU too; they are skipped.
 */
static unsigned int my_records(unsigned int from, unsigned int id,
			       struct trace_rec *out, unsigned int max)
{
	unsigned int cpu = smp_processor_id(), n = 0;
	uint32_t me = (uint32_t)(uintptr_t)current_task();
	struct trace_rec e;

	for (unsigned int i = from; n < max && trace_get(cpu, i, &e); i++)
		if (e.id == id && e.task == me && !e.in_irq)
			out[n++] = e;
	return n;
}

/*
 * The rings come from vmalloc at the first start: a small machine (the
 * m4 row) may have no room for them, and that is a skip, not a failure.
 */
static bool start_or_skip(struct ktest *t)
{
	if (trace_start())
		return true;
	kt_skip(t, "no memory for the trace rings on this machine");
	return false;
}

static void trace_records_a_local_map_and_unmap(struct ktest *t)
{
	struct page *p = kt_slot_page(t);
	struct trace_rec maps[2], unmaps[2];
	unsigned int nmaps, nunmaps;
	void *va;

	if (!p)
		return;
	migrate_disable(); /* read back this CPU's ring */
	KT_ASSERT_TRUE(t, trace_select("kmap_local_*"));
	if (!start_or_skip(t))
		goto out;
	va = kmap_local_page(p);
	kunmap_local(va);
	trace_stop();
	nmaps = my_records(0, TR_KMAP_LOCAL_MAP, maps, 2);
	nunmaps = my_records(0, TR_KMAP_LOCAL_UNMAP, unmaps, 2);
	KT_EXPECT_EQ(t, nmaps, 1u);
	KT_EXPECT_EQ(t, nunmaps, 1u);
	if (nmaps != 1 || nunmaps != 1)
		goto out;
	KT_EXPECT_EQ(t, maps[0].arg[0], 0u);
	KT_EXPECT_EQ(t, maps[0].arg[1], (uint32_t)page_to_pfn(p));
	KT_EXPECT_EQ(t, maps[0].cpu, smp_processor_id());
	KT_EXPECT_EQ(t, strncmp(maps[0].comm, current_task_name(), 15), 0);
	KT_EXPECT_LE(t, maps[0].tsc, unmaps[0].tsc);
	KT_EXPECT_EQ(t, unmaps[0].arg[0], 0u);
out:
	migrate_enable();
	free_page(p);
	KT_EXPECT_TRUE(t, trace_select("*"));
	trace_free();
}

static void trace_stopped_records_nothing(struct ktest *t)
{
	struct page *p = kt_slot_page(t);
	unsigned int before;

	if (!p)
		return;
	if (!start_or_skip(t)) {
		free_page(p);
		return;
	}
	migrate_disable();
	trace_stop();
	before = trace_count(smp_processor_id());
	kunmap_local(kmap_local_page(p));
	trace_event(TR_VMAP, 1, 2, 3);
	KT_EXPECT_EQ(t, trace_count(smp_processor_id()), before);
	migrate_enable();
	free_page(p);
	trace_free();
}

static void trace_unchosen_event_is_not_recorded(struct ktest *t)
{
	struct trace_rec e[1];

	KT_ASSERT_TRUE(t, trace_select("vunmap"));
	if (!start_or_skip(t))
		return;
	migrate_disable(); /* this CPU's ring, from here on */
	trace_event(TR_VMAP, 1, 2, 3);
	trace_event(TR_VUNMAP, 4, 5, 6);
	trace_stop();
	KT_EXPECT_EQ(t, my_records(0, TR_VMAP, e, 1), 0u);
	if (my_records(0, TR_VUNMAP, e, 1) == 1)
		KT_EXPECT_EQ(t, e[0].arg[2], 6u);
	else
		KT_EXPECT_TRUE(t, false); /* the chosen event is missing */
	migrate_enable();
	KT_EXPECT_TRUE(t, trace_select("*"));
	trace_free();
}

static void trace_select_refuses_unknown_names(struct ktest *t)
{
	KT_EXPECT_FALSE(t, trace_select("kmap_nosuch*"));
	KT_EXPECT_FALSE(t, trace_select("vmap,nosuch"));
	KT_EXPECT_TRUE(t, trace_select("vmap,pkmap_*"));
	KT_EXPECT_TRUE(t, trace_select("*"));
	trace_free();
}

/* A full ring keeps its oldest records and counts each one it drops. */
static void trace_full_ring_counts_what_it_drops(struct ktest *t)
{
	unsigned int cpu, cap, extra = 5;
	struct trace_rec first, last;

	KT_ASSERT_TRUE(t, trace_select("vmap_purge"));
	if (!start_or_skip(t))
		return;
	migrate_disable();
	cpu = smp_processor_id();
	for (uint32_t i = 0; trace_count(cpu) == i; i++)
		trace_event(TR_VMAP_PURGE, i, 0, 0);
	cap = trace_count(cpu);
	for (unsigned int i = 0; i < extra; i++)
		trace_event(TR_VMAP_PURGE, ~0u, 0, 0);
	trace_stop();
	KT_EXPECT_EQ(t, cap, TRACE_RING_RECS); /* and not one more */
	KT_EXPECT_EQ(t, trace_count(cpu), cap);
	KT_EXPECT_EQ(t, trace_dropped(cpu), (unsigned long)extra + 1);
	KT_EXPECT_TRUE(t, trace_get(cpu, 0, &first));
	KT_EXPECT_TRUE(t, trace_get(cpu, cap - 1, &last));
	KT_EXPECT_EQ(t, first.arg[0], 0u);
	KT_EXPECT_EQ(t, last.arg[0], cap - 1);
	trace_clear();
	KT_EXPECT_EQ(t, trace_dropped(cpu), 0ul);
	migrate_enable();
	KT_EXPECT_TRUE(t, trace_select("*"));
	trace_free();
}

static const struct ktest_case trace_cases[] = {
	KTEST_CASE(trace_records_a_local_map_and_unmap),
	KTEST_CASE(trace_stopped_records_nothing),
	KTEST_CASE(trace_unchosen_event_is_not_recorded),
	KTEST_CASE(trace_select_refuses_unknown_names),
	KTEST_CASE(trace_full_ring_counts_what_it_drops),
};
KTEST_SUITE(trace, trace_cases);

/*
 * trace_scenario: the boot `make trace` draws and tools/trace_check.py
 * checks (ktest=trace_scenario trace=*). It runs only when trace= is on
 * the command line: its dump is thousands of lines.
 */
#define SCEN_WORKERS	4
#define SCEN_ROUNDS	6
#define SCEN_DEPTH	3
#define SCEN_POOL_PAGES (LAST_PKMAP + 16) /* more than fit: wraps */
#define SCEN_VMAPS	3

struct scen_worker {
	struct ktest *t;
	bool bound;	       /* shares its CPU with a partner */
	unsigned int *started; /* workers at the start line */
	const bool *go;	       /* the trace runs: go */
	struct page *page[SCEN_DEPTH];
	unsigned int bad; /* words that were not ours */
	bool done;
};

static uint32_t scen_word(const struct scen_worker *w, int d, unsigned int r)
{
	return (uint32_t)(uintptr_t)w ^ (d << 8) ^ r;
}

/*
 * Is our word still there? Read without risking a fault: under
 * break=kmap_local_switch the slot may have been emptied by another
 * task, and the row that boots that way wants a failed case and a
 * finished trace, not a panic.
 */
static bool scen_word_is(const struct scen_worker *w, const uint32_t *va, int d,
			 unsigned int r)
{
	uint32_t v;

	return !copy_from_kernel_nofault(&v, &va[r], sizeof(v)) &&
	       v == scen_word(w, d, r);
}

/*
 * Keep the CPU, maps held, until the tick preempts us: the partner
 * bound to this CPU is runnable, so it comes within a time slice.
 */
static void scen_wait_preempted(struct scen_worker *w)
{
	unsigned long p0 = current_task()->preemptions;

	if (!KT_WAIT_UNTIL_SPIN(w->t, current_task()->preemptions != p0))
		w->bad++;
}

/*
 * Nest SCEN_DEPTH local maps, write each page, and yield while holding
 * them: the switch saves them and restores them when this task runs
 * again. Then a kmap_atomic, and a yield with no map held, where the
 * task is free to move to another CPU.
 */
static int scen_worker_fn(void *arg)
{
	struct scen_worker *w = arg;
	uint32_t *va[SCEN_DEPTH];

	/* Start together, so that each yield has a partner to run. */
	__atomic_add_fetch(w->started, 1, __ATOMIC_SEQ_CST);
	if (!KT_WAIT_UNTIL_YIELD(w->t, READ_ONCE(*w->go)))
		return 1;
	for (unsigned int r = 0; r < SCEN_ROUNDS; r++) {
		for (int d = 0; d < SCEN_DEPTH; d++) {
			va[d] = kmap_local_page(w->page[d]);
			va[d][r] = scen_word(w, d, r);
		}
		yield();
		if (w->bound && r == SCEN_ROUNDS / 2)
			scen_wait_preempted(w);
		for (int d = SCEN_DEPTH - 1; d >= 0; d--) {
			w->bad += !scen_word_is(w, va[d], d, r);
			kunmap_local(va[d]);
		}
		va[0] = kmap_atomic(w->page[0]);
		va[0][PAGE_SIZE / 4 - 1] = r;
		kunmap_atomic(va[0]);
		yield();
	}
	WRITE_ONCE(w->done, true);
	return 0;
}

static bool scen_all_done(const struct scen_worker *w)
{
	for (unsigned int i = 0; i < SCEN_WORKERS; i++)
		if (!READ_ONCE(w[i].done))
			return false;
	return true;
}

/*
 * Run the workers to the end: tw0 and tw1 bound to one CPU, so that
 * each yield switches between two tasks holding maps; tw2 and tw3
 * unbound, free to move between CPUs when they hold none.
 * Return: false if one never finished.
 */
static bool scen_run_workers(struct ktest *t, struct scen_worker *w)
{
	static const char *const names[SCEN_WORKERS] = { "tw0", "tw1", "tw2",
							 "tw3" };
	struct task *th[SCEN_WORKERS];
	static unsigned int started;
	static bool go;
	bool ok;

	WRITE_ONCE(go, false);
	WRITE_ONCE(started, 0);
	for (unsigned int i = 0; i < SCEN_WORKERS; i++) {
		w[i].t = t;
		w[i].started = &started;
		w[i].go = &go;
		th[i] = kthread_create(scen_worker_fn, &w[i], names[i]);
		w[i].bound = i < 2 && kthread_bind(th[i], kt_other_cpu()) == 0;
	}
	for (unsigned int i = 0; i < SCEN_WORKERS; i++)
		kthread_start(th[i]);
	/*
	 * Trace from the moment they all wait: their yields at the start
	 * line would fill the rings with switches that show nothing.
	 */
	ok = KT_WAIT_UNTIL(t, READ_ONCE(started) == SCEN_WORKERS);
	KT_EXPECT_TRUE(t, trace_start());
	WRITE_ONCE(go, true);
	if (!ok)
		return false;
	ok = KT_WAIT_UNTIL(t, scen_all_done(w));
	for (unsigned int i = 0; ok && i < SCEN_WORKERS; i++)
		kthread_join(th[i]);
	return ok;
}

/* kmap every page once (one twice, nested: a hit); the pool wraps. */
static void scen_wrap_pool(struct page **pool)
{
	for (unsigned int i = 0; i < SCEN_POOL_PAGES; i++) {
		uint32_t *va = kmap(pool[i]);

		va[0] = i;
		if (i == 0) { /* mapped already: a hit */
			kmap(pool[i]);
			kunmap(pool[i]);
		}
		kunmap(pool[i]);
	}
}

struct scen_sleeper {
	struct page *page;
	bool mapped;
};

static int scen_sleeper_fn(void *arg)
{
	struct scen_sleeper *s = arg;

	kmap(s->page); /* the pool is full: sleeps */
	WRITE_ONCE(s->mapped, true);
	kunmap(s->page);
	return 0;
}

static bool scen_pool_waits_grew(unsigned long waits)
{
	struct pkmap_stats now;

	pkmap_get_stats(&now);
	return now.waits > waits;
}

/*
 * Hold every pool slot, then let a thread kmap one more page: it
 * sleeps until a kunmap frees a slot, and takes it after a wrap.
 */
static void scen_pool_full_sleep(struct ktest *t, struct page **pool)
{
	struct scen_sleeper s = { pool[LAST_PKMAP], false };
	struct pkmap_stats before;
	struct task *th;

	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++)
		if (pkmap_slot_count(nr) > 1) {
			kt_diag(t,
				"pkmap slot %u is in use: no full-pool sleep",
				nr);
			return;
		}
	for (unsigned int i = 0; i < LAST_PKMAP; i++)
		kmap(pool[i]);
	pkmap_get_stats(&before);
	th = kthread_run(scen_sleeper_fn, &s, "tw-sleep");
	KT_EXPECT_TRUE(t, KT_WAIT_UNTIL(t, scen_pool_waits_grew(before.waits)));
	kunmap(pool[0]); /* one slot free: the sleeper wakes */
	if (KT_WAIT_UNTIL(t, READ_ONCE(s.mapped)))
		kthread_join(th);
	for (unsigned int i = 1; i < LAST_PKMAP; i++)
		kunmap(pool[i]);
}

/* vmap and vunmap a few areas, then purge them: one shootdown. */
static void scen_vmap_purge(struct page **pages)
{
	void *va[SCEN_VMAPS];

	for (unsigned int i = 0; i < SCEN_VMAPS; i++)
		va[i] = vmap(pages, 2, MAP_READ | MAP_WRITE);
	for (unsigned int i = 0; i < SCEN_VMAPS; i++)
		vunmap(va[i]);
	vmap_purge();
}

/* What the kernel counted between a and b, for trace_check.py. */
static void scen_print_counts(struct ktest *t, const struct kmap_stats *k0,
			      const struct pkmap_stats *p0)
{
	struct kmap_stats k;
	struct pkmap_stats p;

	kmap_stats(&k);
	pkmap_get_stats(&p);
	kt_diag(t,
		"TRACE_COUNTS kmap_local_map=%lu kmap_local_unmap=%lu "
		"kmap_atomic_map=%lu kmap_atomic_unmap=%lu "
		"kmap_local_save=%lu kmap_local_restore=%lu",
		k.local_maps - k0->local_maps,
		k.local_unmaps - k0->local_unmaps,
		k.atomic_maps - k0->atomic_maps,
		k.atomic_unmaps - k0->atomic_unmaps,
		k.switch_saves - k0->switch_saves,
		k.switch_restores - k0->switch_restores);
	kt_diag(t,
		"TRACE_COUNTS pkmap_take=%lu pkmap_hit=%lu "
		"pkmap_release=%lu pkmap_wrap=%lu pkmap_shootdowns=%lu "
		"online=%#x",
		p.maps - p.hits - (p0->maps - p0->hits), p.hits - p0->hits,
		p.unmaps - p0->unmaps, p.wraps - p0->wraps,
		p.shootdowns - p0->shootdowns, (unsigned int)cpu_online_mask());
	KT_EXPECT_GT(t, p.wraps - p0->wraps, 0ul);
}

static void scen_free(struct page **pages, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (pages[i])
			free_page(pages[i]);
}

static void trace_scenario_runs_and_dumps(struct ktest *t)
{
	static struct scen_worker w[SCEN_WORKERS];
	static struct page *pool[SCEN_POOL_PAGES];
	struct kmap_stats k0;
	struct pkmap_stats p0;
	unsigned int bad = 0;

	if (!trace_requested()) {
		kt_skip(t, "runs with trace= on the command line (make trace)");
		return;
	}
	memset(w, 0, sizeof(w));
	memset(pool, 0, sizeof(pool));
	for (unsigned int i = 0; i < SCEN_POOL_PAGES; i++)
		if (!(pool[i] = kt_highmem_page(t)))
			goto out;
	for (unsigned int i = 0; i < SCEN_WORKERS; i++)
		memcpy(w[i].page, &pool[i * SCEN_DEPTH], sizeof(w[i].page));
	kmap_stats(&k0);
	pkmap_get_stats(&p0);
	if (scen_run_workers(t, w)) {
		scen_wrap_pool(pool);
		scen_pool_full_sleep(t, pool);
		scen_vmap_purge(pool);
	}
	trace_stop();
	scen_print_counts(t, &k0, &p0);
	trace_dump();
	trace_free();
	for (unsigned int i = 0; i < SCEN_WORKERS; i++)
		bad += w[i].bad;
	KT_EXPECT_EQ(t, bad, 0u);
out:
	scen_free(pool, SCEN_POOL_PAGES);
}

static const struct ktest_case trace_scenario_cases[] = {
	KTEST_CASE(trace_scenario_runs_and_dumps),
};
KTEST_SUITE(trace_scenario, trace_scenario_cases);
