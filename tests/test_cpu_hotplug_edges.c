/*
 * Suite "cpu_hotplug_edges": the edges of CPU hotplug, where misuse is
 * refused by name and a CPU that comes back has a clean TLB.
 *
 * The central case replays a review's finding: a CPU caches a vmalloc
 * translation, goes offline, the address is purged and mapped to
 * another page while it is away (no shootdown reaches an offline CPU),
 * and the CPU comes back. Whoever sees it online first must find its
 * TLB already flushed, and a cross-CPU call there must read the new
 * page.
 */
#include <arch/cpu.h>
#include <kernel/hotplug.h>
#include <kernel/kthread.h>
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/errno.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>

#include "test_util.h"

#define OLD_WORD 0x01d01d01u /* in the page the CPU cached */
#define NEW_WORD 0x0e50e50eu /* in the page mapped there since */

/* Some online CPU other than 0 and avoid, or 0 if none is left. */
static unsigned int third_cpu(unsigned int avoid)
{
	for (unsigned int c = 1; c < NR_CPUS; c++)
		if (c != avoid && cpu_is_online(c))
			return c;
	return 0;
}

struct read_req {
	uintptr_t addr;
	uint32_t seen;
};

/* A cross-CPU call: read a word where the target's TLB says it is. */
static void read_word(void *arg)
{
	struct read_req *r = arg;

	r->seen = *(volatile uint32_t *)r->addr;
}

/*
 * Holds the victim in its call-function interrupt, interrupts off, so
 * that nothing (a flush request, a shootdown) can reach it until the
 * watcher lets go. Queued while the victim is online: such a call still
 * runs after it goes offline. Bounded by work, in case nobody lets go.
 */
struct irq_hold {
	volatile bool holding;
	volatile bool release;
	bool gave_up;
};

#define HOLD_SPINS_MAX 400000000ul

static void hold_irqs_off(void *arg)
{
	struct irq_hold *h = arg;
	unsigned long spins = 0;

	WRITE_ONCE(h->holding, true);
	while (!READ_ONCE(h->release))
		if (++spins == HOLD_SPINS_MAX) {
			h->gave_up = true;
			break;
		}
}

struct first_look {
	unsigned int victim, onliner_cpu;
	uintptr_t addr;
	struct irq_hold hold;
	volatile bool ready;	   /* the watcher is spinning */
	volatile bool entering;	   /* cpu_online() is being called */
	volatile bool onlined;	   /* cpu_online() has returned */
	unsigned long sent_before; /* the onliner CPU's IPIs, shootdowns */
	bool saw_online;
	volatile unsigned long looks; /* the watcher's looks for it online */
	bool window_gave_up;	      /* the hook below stopped waiting */
	unsigned long flushes_then;   /* the victim's, at first sight */
	uint32_t seen;		      /* what a call there read then */
	int online_ret;
};

/* What the onliner's CPU has sent: calls and shootdowns. */
static unsigned long sent_by(unsigned int cpu)
{
	return READ_ONCE(percpu_areas[cpu].ipi_sent) +
	       READ_ONCE(percpu_areas[cpu].tlb_shootdowns);
}

/* First sight of the victim online: what has it flushed by then? */
static void look_if_online(struct first_look *f)
{
	if (!f->saw_online && cpu_is_online(f->victim)) {
		f->saw_online = true;
		f->flushes_then =
			READ_ONCE(percpu_areas[f->victim].tlb_full_flushes);
	}
}

/*
 * Preemption off, interrupts on (we ack shootdowns). Wait until the
 * onliner has sent something: a flush request or a shootdown. Whichever
 * order cpu_online() uses, the victim cannot have flushed yet (it is
 * held), so if it is online now, it was published unflushed. Then let
 * it go, wait for it to come online, and read through its TLB.
 * Bounded by the onliner: the waits end when cpu_online() returns.
 */
static int first_look_thread(void *arg)
{
	struct first_look *f = arg;
	struct read_req r = { .addr = f->addr };

	preempt_disable();
	WRITE_ONCE(f->ready, true);
	while (!READ_ONCE(f->entering))
		arch_cpu_relax();
	while (sent_by(f->onliner_cpu) == f->sent_before &&
	       !cpu_is_online(f->victim) && !READ_ONCE(f->onlined))
		arch_cpu_relax();
	look_if_online(f);
	WRITE_ONCE(f->hold.release, true);
	while (!cpu_is_online(f->victim) && !READ_ONCE(f->onlined)) {
		f->looks++;
		arch_cpu_relax();
	}
	look_if_online(f);
	if (f->saw_online &&
	    smp_call_function_single(f->victim, read_word, &r, true) == 0)
		f->seen = r.seen;
	preempt_enable();
	return 0;
}

/*
 * The victim's two steps, flush then join the online mask, are a few
 * instructions apart: a watcher on another CPU would almost never look
 * in between. This hook runs there, between them, and waits (bounded)
 * until the watcher has looked twice more, or has seen the victim
 * online: it sees the order either way, never by luck.
 */
static struct first_look *watched;

static void let_the_watcher_look(void)
{
	struct first_look *f = watched;
	unsigned long spins = 0, from = f->looks;

	hotplug_online_window = NULL; /* once is enough */
	while (!READ_ONCE(f->saw_online) && f->looks < from + 2) {
		if (++spins == HOLD_SPINS_MAX) {
			f->window_gave_up = true;
			break;
		}
		arch_cpu_relax();
	}
}

static int onliner_thread(void *arg)
{
	struct first_look *f = arg;

	while (!READ_ONCE(f->ready))
		msleep(1);
	preempt_disable();
	f->sent_before = sent_by(smp_processor_id());
	WRITE_ONCE(f->entering, true);
	preempt_enable();
	f->online_ret = cpu_online(f->victim);
	WRITE_ONCE(f->onlined, true);
	return 0;
}

/*
 * Unmap addr, hold the victim, offline it, purge, and map page new:
 * at addr again, if the allocator gives it back.
 */
static uintptr_t remap_while_offline(struct ktest *t, struct first_look *f,
				     struct page *new)
{
	uintptr_t again;

	vunmap((void *)f->addr);
	if (smp_call_function_single(f->victim, hold_irqs_off, &f->hold,
				     false) != 0)
		return 0;
	while (!READ_ONCE(f->hold.holding))
		msleep(1);
	if (cpu_offline(f->victim) != 0)
		return 0;
	vmap_purge(); /* the shootdown the victim does not get */
	again = (uintptr_t)vmap(&new, 1, MAP_READ | MAP_WRITE);
	if (again != f->addr)
		kt_diag(t, "vmap gave %#lx, not %#lx again",
			(unsigned long)again, (unsigned long)f->addr);
	return again;
}

static void cpu_hotplug_edges_online_cpu_flushed_before_seen(struct ktest *t)
{
	static struct first_look f;
	unsigned int victim = kt_highest_online_cpu(), watcher;
	struct page *old = alloc_page(GFP_KERNEL),
		    *new = alloc_page(GFP_KERNEL);
	struct read_req r;
	struct task *look, *on;
	unsigned long before;

	watcher = third_cpu(victim);
	if (victim == 0 || watcher == 0) {
		kt_skip(t, "needs three CPUs");
		goto out;
	}
	KT_ASSERT_TRUE(t, old && new);
	*(uint32_t *)lowmem_page_address(old) = OLD_WORD;
	*(uint32_t *)lowmem_page_address(new) = NEW_WORD;
	f = (struct first_look){ .victim = victim, .onliner_cpu = 0 };
	vmap_purge(); /* a clean free list: the hole comes back below */
	f.addr = (uintptr_t)vmap(&old, 1, MAP_READ | MAP_WRITE);
	KT_ASSERT_NE(t, f.addr, 0);
	r = (struct read_req){ .addr = f.addr };
	KT_ASSERT_EQ(t, smp_call_function_single(victim, read_word, &r, true),
		     0);
	KT_ASSERT_EQ(t, r.seen, OLD_WORD); /* now in the victim's TLB */
	if (remap_while_offline(t, &f, new) != f.addr) {
		f.hold.release = true;
		cpu_online(victim);
		kt_skip(t, "the address was not reused");
		goto out;
	}
	before = READ_ONCE(percpu_areas[victim].tlb_full_flushes);
	look = kthread_create(first_look_thread, &f, "first_look");
	on = kthread_create(onliner_thread, &f, "onliner");
	KT_ASSERT_TRUE(t, look && on);
	kthread_bind(look, watcher);
	kthread_bind(on, f.onliner_cpu);
	watched = &f;
	hotplug_online_window = let_the_watcher_look;
	kthread_start(look);
	kthread_start(on);
	kthread_join(look);
	kthread_join(on);
	hotplug_online_window = NULL;
	KT_EXPECT_EQ(t, f.online_ret, 0);
	KT_EXPECT_FALSE(t, f.hold.gave_up);
	KT_EXPECT_FALSE(t, f.window_gave_up);
	KT_ASSERT_TRUE(t, f.saw_online);
	kt_diag(t,
		"CPU %u: full flushes %lu while offline, %lu when CPU %u "
		"first saw it online; a call there read %#x",
		victim, before, f.flushes_then, watcher, f.seen);
	KT_EXPECT_GT(t, f.flushes_then, before);
	KT_EXPECT_EQ(t, f.seen, NEW_WORD);
	vunmap((void *)f.addr);
out:
	if (old)
		free_page(old);
	if (new)
		free_page(new);
}

static volatile int calls_ran;

static void count_call(void *arg)
{
	__sync_fetch_and_add(&calls_ran, 1);
}

/* A call to an offline CPU is refused with a warning, never sent. */
static void cpu_hotplug_edges_call_to_offline_cpu_refused(struct ktest *t)
{
	unsigned int victim = kt_highest_online_cpu();
	unsigned long warns;

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	calls_ran = 0;
	warns = warn_count();
	KT_EXPECT_EQ(t,
		     smp_call_function_single(victim, count_call, NULL, true),
		     -EINVAL);
	KT_EXPECT_EQ(t,
		     smp_call_function_single(victim, count_call, NULL, false),
		     -EINVAL);
	KT_EXPECT_EQ(t,
		     smp_call_function_single(NR_CPUS, count_call, NULL, true),
		     -EINVAL);
	KT_EXPECT_EQ(t, warn_count(), warns + 3);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
	/* Anything queued by mistake has surely run by the next call. */
	KT_EXPECT_EQ(t,
		     smp_call_function_single(victim, count_call, NULL, true),
		     0);
	KT_EXPECT_EQ(t, calls_ran, 1);
}

struct self_offliner {
	unsigned int cpu;
	bool kmap; /* pin by a kmap_local map */
	struct page *page;
	volatile bool pinned; /* pinned to cpu, about to ask */
	volatile bool done;
	int ret;
};

/* Pin ourselves to our CPU, then ask to take that very CPU offline. */
static int self_offliner(void *arg)
{
	struct self_offliner *s = arg;
	void *map = NULL;

	if (s->kmap)
		map = s->page ? kmap_local_page(s->page) : NULL;
	if (s->kmap && !map)
		migrate_disable(); /* no highmem: the pin kmap takes */
	s->cpu = smp_processor_id();
	WRITE_ONCE(s->pinned, true);
	s->ret = cpu_offline(s->cpu);
	if (map)
		kunmap_local(map);
	else if (s->kmap)
		migrate_enable();
	WRITE_ONCE(s->done, true);
	return 0;
}

/*
 * Run one self_offliner. Its end is the bound: it either returns, or
 * cpu_offline reports a wait for a pinned task, which can only be the
 * caller itself, and that wait never ends (the thread is then lost).
 */
static bool run_self_offliner(struct ktest *t, struct self_offliner *s,
			      unsigned int victim)
{
	unsigned long waits = hotplug_pinned_waits();
	struct task *th = kthread_create(self_offliner, s, "self_offliner");

	KT_EXPECT_NOT_NULL(t, th);
	if (!th)
		return false;
	kthread_bind(th, victim);
	kthread_start(th);
	while (!READ_ONCE(s->pinned))
		msleep(1);
	if (s->kmap)
		th->bound_cpu = -1; /* only the kmap pin holds it now */
	while (!READ_ONCE(s->done) && hotplug_pinned_waits() == waits)
		msleep(1);
	if (!READ_ONCE(s->done)) {
		kt_diag(t, "cpu_offline(%u) waits for its own caller", victim);
		return false;
	}
	kthread_join(th);
	return true;
}

static void cpu_hotplug_edges_pinned_caller_refused(struct ktest *t)
{
	static struct self_offliner s;
	unsigned int victim = kt_highest_online_cpu();
	unsigned long warns = warn_count();

	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	s = (struct self_offliner){ .kmap = true,
				    .page = alloc_pages_zone(ZONE_HIGHMEM, 0) };
	KT_ASSERT_TRUE(t, run_self_offliner(t, &s, victim));
	KT_EXPECT_EQ(t, s.cpu, victim);
	KT_EXPECT_EQ(t, s.ret, HOTPLUG_ESELF);
	KT_EXPECT_TRUE(t, cpu_is_online(victim));
	if (s.page)
		free_page(s.page);
	/* Bound to the CPU, no pin: the same refusal. */
	s = (struct self_offliner){ .kmap = false };
	KT_ASSERT_TRUE(t, run_self_offliner(t, &s, victim));
	KT_EXPECT_EQ(t, s.ret, HOTPLUG_ESELF);
	KT_EXPECT_TRUE(t, cpu_is_online(victim));
	KT_EXPECT_EQ(t, warn_count(), warns + 2);
}

/* Each refusal has its own reason: a second offline is "already". */
static void cpu_hotplug_edges_refusals_say_why(struct ktest *t)
{
	unsigned int victim = kt_highest_online_cpu();

	KT_EXPECT_EQ(t, cpu_offline(0), HOTPLUG_EINVAL);
	KT_EXPECT_EQ(t, cpu_offline(NR_CPUS), HOTPLUG_EINVAL);
	KT_EXPECT_EQ(t, cpu_online(NR_CPUS), HOTPLUG_EINVAL);
	if (victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	KT_ASSERT_EQ(t, cpu_offline(victim), 0);
	KT_EXPECT_EQ(t, cpu_offline(victim), HOTPLUG_EBUSY);
	KT_EXPECT_EQ(t, cpu_online(victim), 0);
	KT_EXPECT_EQ(t, cpu_online(victim), HOTPLUG_EBUSY);
}

/*
 * cpu_offline() names the pinned task it waits for, but prints that
 * name after it has dropped the run queue locks that kept the task
 * alive. If it read the name from the task then, a task that exited in
 * between would be named from freed memory: kfree() writes its free-list
 * link over the first bytes of the slot, and the name is the first field
 * of struct task. The window is a few instructions wide, so the test
 * widens it: the hook lets the holder go and waits, inside the window,
 * until the test thread has joined it (which frees its struct task);
 * the report must still carry the name the holder had. The join runs
 * in the test thread, not in the hook, so that cpu_offline()'s
 * hotplug_lock is not held across kfree and vfree: the lock order
 * stays the one docs/smp.rst lists.
 */
#define WINDOW_HOLDER_NAME "offline_window"

static struct {
	struct ktest *t;
	struct task *holder;
	unsigned int victim;
	int offline_result;
	volatile unsigned int pinned;  /* migrate_disable() done */
	volatile unsigned int release; /* the hook says: exit now */
	volatile unsigned int freed;   /* the test thread joined it */
} window;

static int window_holder(void *arg)
{
	(void)arg;
	migrate_disable();
	window.pinned = 1;
	KT_WAIT_UNTIL(window.t, window.release);
	migrate_enable();
	return 0;
}

/* Runs in cpu_offline(), between its scan and its report. */
static void wait_for_the_holder_to_be_freed(void)
{
	hotplug_report_window = NULL; /* once is enough */
	window.release = 1;
	KT_WAIT_UNTIL(window.t, window.freed);
}

static int window_offliner(void *arg)
{
	(void)arg;
	window.offline_result = cpu_offline(window.victim);
	return 0;
}

static void cpu_hotplug_edges_pinned_task_freed_before_report(struct ktest *t)
{
	struct task *offliner;

	window = (typeof(window)){ .t = t, .victim = kt_highest_online_cpu() };
	if (window.victim == 0) {
		kt_skip(t, "needs a second CPU");
		return;
	}
	window.holder = kthread_create(window_holder, NULL, WINDOW_HOLDER_NAME);
	KT_ASSERT_NOT_NULL(t, window.holder);
	kthread_bind(window.holder, window.victim);
	kthread_start(window.holder);
	KT_WAIT_UNTIL(t, window.pinned);
	window.holder->bound_cpu = -1; /* only migrate_disable() holds it */
	hotplug_report_window = wait_for_the_holder_to_be_freed;
	offliner = kthread_create(window_offliner, NULL, "offliner");
	KT_ASSERT_NOT_NULL(t, offliner);
	kthread_start(offliner);
	KT_WAIT_UNTIL(t, window.release);
	kthread_join(window.holder); /* waits for its exit, then frees it */
	window.freed = 1;
	kthread_join(offliner);
	hotplug_report_window = NULL;
	KT_EXPECT_EQ(t, window.offline_result, 0);
	kt_diag(t, "the report named \"%s\"", hotplug_last_pinned_name());
	KT_EXPECT_TRUE(t, strcmp(hotplug_last_pinned_name(),
				 WINDOW_HOLDER_NAME) == 0);
	KT_EXPECT_EQ(t, cpu_online(window.victim), 0);
}

static const struct ktest_case cpu_hotplug_edges_cases[] = {
	KTEST_CASE(cpu_hotplug_edges_online_cpu_flushed_before_seen),
	KTEST_CASE(cpu_hotplug_edges_call_to_offline_cpu_refused),
	KTEST_CASE(cpu_hotplug_edges_refusals_say_why),
	KTEST_CASE(cpu_hotplug_edges_pinned_caller_refused),
	KTEST_CASE(cpu_hotplug_edges_pinned_task_freed_before_report),
};
KTEST_SUITE(cpu_hotplug_edges, cpu_hotplug_edges_cases);
