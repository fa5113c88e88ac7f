/*
 * Suite "kmap_local", the cases about context: context switches, CPU
 * pinning and hotplug, interrupt handlers. They are registered with the
 * rest of the suite in test_kmap_local.c (declared in kmap_helpers.h).
 */
#include <arch/cpu.h>
#include <kernel/breaks.h>
#include <kernel/hotplug.h>
#include <kernel/kthread.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "kmap_helpers.h"

/*
 * Two threads bound to one CPU, each holding its own page in the same
 * slot indices, hand a completion back and forth: every hand-over is a
 * context switch, and each must always read its own data.
 */
#define SWITCH_ROUNDS 1200 /* some hand-overs need no switch */

struct switch_pair {
	struct completion turn[2];
	struct page *page[2][2];
	unsigned int bad[2];
	unsigned long switches[2];
	struct ktest *t;
	unsigned int checked; /* workers past their last check */
};

/* Which of the pair a worker is (see busy_arg, test_cpu_hotplug.c). */
struct switch_worker_arg {
	struct switch_pair *sp;
	unsigned int me;
};

static int switch_worker(void *arg)
{
	struct switch_worker_arg *wa = arg;
	struct switch_pair *sp = wa->sp;
	unsigned int me = wa->me, other = !me;
	uint32_t *a = kmap_local_page(sp->page[me][0]);
	uint32_t *b = kmap_local_page(sp->page[me][1]);
	unsigned long in0 = current_task()->switches_in;

	for (unsigned int r = 0; r < SWITCH_ROUNDS; r++) {
		a[r % 1024] = (me << 24) | r;
		b[1023 - r % 1024] = ~((me << 24) | r);
		if (me == 0 || r > 0)
			complete(&sp->turn[other]);
		wait_for_completion(&sp->turn[me]);
		sp->bad[me] += a[r % 1024] != ((me << 24) | r);
		sp->bad[me] += b[1023 - r % 1024] != ~((me << 24) | r);
	}
	complete(&sp->turn[other]);
	sp->switches[me] = current_task()->switches_in - in0;
	/*
	 * Unmap only once both have made their last check: with the
	 * switch broken (break=kmap_local_switch) the two share slots, and
	 * one's unmap would pull the page from under the other's read, a
	 * page fault instead of the miscount the case reports.
	 */
	__sync_fetch_and_add(&sp->checked, 1);
	KT_WAIT_UNTIL_YIELD(sp->t, READ_ONCE(sp->checked) == 2);
	kunmap_local(b);
	kunmap_local(a);
	return 0;
}

void kmap_local_switch_keeps_each_threads_own_maps(struct ktest *t)
{
	struct switch_pair sp = { .t = t };
	struct switch_worker_arg wa[2] = { { &sp, 0 }, { &sp, 1 } };
	struct kmap_stats before, after;
	unsigned int cpu = kt_other_cpu();
	struct task *w[2];
	bool have = true;

	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			have &= (sp.page[i][j] = kt_slot_page(t)) != NULL;
	if (!have)
		goto out;
	kmap_stats(&before);
	for (int i = 0; i < 2; i++) {
		completion_init(&sp.turn[i]);
		w[i] = kthread_create(switch_worker, &wa[i],
				      i ? "kswitch1" : "kswitch0");
		KT_ASSERT_NOT_NULL(t, w[i]);
		kthread_bind(w[i], cpu);
	}
	kthread_start(w[0]);
	kthread_start(w[1]);
	kthread_join(w[0]);
	kthread_join(w[1]);
	kmap_stats(&after);
	kt_diag(t, "CPU %u: %lu and %lu switches in, %lu saves, %lu restores",
		cpu, sp.switches[0], sp.switches[1],
		after.switch_saves - before.switch_saves,
		after.switch_restores - before.switch_restores);
	KT_EXPECT_EQ(t, sp.bad[0], 0);
	KT_EXPECT_EQ(t, sp.bad[1], 0);
	KT_EXPECT_GE(t, sp.switches[0], 1000);
	KT_EXPECT_GE(t, sp.switches[1], 1000);
	KT_EXPECT_EQ(t, after.stale_slots, before.stale_slots);
out:
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (sp.page[i][j])
				free_page(sp.page[i][j]);
}

/* A thread holding a local map: it must stay on one CPU throughout. */
struct holder {
	struct page *page;
	struct completion mapped;
	volatile bool release;
	bool sleep; /* msleep while waiting, not just yield */
	unsigned int cpu_at_map, moved;
	unsigned int bad;
};

static int holder_thread(void *arg)
{
	struct holder *h = arg;
	void *va = kmap_local_page(h->page);

	kt_fill(va, 0xc0ffee);
	h->cpu_at_map = smp_processor_id();
	complete(&h->mapped);
	while (!h->release) {
		/* Sleep and wake: every wake-up is a chance to move. */
		if (h->sleep)
			msleep(1);
		yield();
		h->moved += smp_processor_id() != h->cpu_at_map;
	}
	h->bad = kt_check(va, 0xc0ffee);
	kunmap_local(va);
	return 0;
}

/*
 * The balancer against a holder. The holder maps a page and yields, on a
 * CPU crowded with threads bound to it, while every other CPU idles and
 * pulls work: each crowd thread wakes the idle CPUs before it yields,
 * and each wake-up runs a pull (cpu_idle_loop), which finds the holder
 * queued behind the crowd. It must pass it over, and the balancer counts
 * that (sched_balance_pinned_refusals). The holder yields until the
 * count has moved PIN_REFUSALS times, at most PIN_ROUNDS times: the
 * attempts are a fact the case checks, reached by work, not a hope
 * about timing.
 */
#define PIN_CROWD    3
#define PIN_REFUSALS 8
#define PIN_ROUNDS   100000

struct pinned {
	struct page *page;
	struct completion mapped, crowded;
	volatile bool done;
	unsigned int cpu_at_map, moved, bad, rounds;
	unsigned long refusals;
};

static int pinned_holder_thread(void *arg)
{
	struct pinned *p = arg;
	void *va = kmap_local_page(p->page);
	unsigned long before;

	kt_fill(va, 0xc0ffee);
	p->cpu_at_map = smp_processor_id();
	complete(&p->mapped);
	wait_for_completion(&p->crowded);
	before = sched_balance_pinned_refusals(p->cpu_at_map);
	while (sched_balance_pinned_refusals(p->cpu_at_map) - before <
		       PIN_REFUSALS &&
	       p->rounds < PIN_ROUNDS) {
		yield();
		p->rounds++;
		p->moved += smp_processor_id() != p->cpu_at_map;
	}
	p->refusals = sched_balance_pinned_refusals(p->cpu_at_map) - before;
	p->bad = kt_check(va, 0xc0ffee);
	kunmap_local(va);
	p->done = true;
	return 0;
}

static int pinned_crowd_thread(void *arg)
{
	struct pinned *p = arg;
	unsigned int cpu;

	while (!p->done) {
		for_each_online_cpu(cpu)
			if (cpu != p->cpu_at_map)
				resched_cpu(cpu);
		yield();
	}
	return 0;
}

void kmap_local_holder_never_changes_cpu(struct ktest *t)
{
	struct pinned p = { 0 };
	struct task *th, *busy[PIN_CROWD];

	if (kt_other_cpu() == smp_processor_id()) {
		kt_skip(t, "one CPU: there is nowhere to move the holder to");
		return;
	}
	p.page = kt_slot_page(t);
	if (!p.page)
		return;
	completion_init(&p.mapped);
	completion_init(&p.crowded);
	th = kthread_run(pinned_holder_thread, &p, "kholder");
	KT_ASSERT_NOT_NULL(t, th);
	wait_for_completion(&p.mapped);
	/* Crowd its CPU, so an idle CPU's pull finds it the busiest. */
	for (int i = 0; i < PIN_CROWD; i++) {
		busy[i] = kthread_create(pinned_crowd_thread, &p, "kcrowd");
		KT_ASSERT_NOT_NULL(t, busy[i]);
		kthread_bind(busy[i], p.cpu_at_map);
		kthread_start(busy[i]);
	}
	complete(&p.crowded);
	kthread_join(th);
	for (int i = 0; i < PIN_CROWD; i++)
		kthread_join(busy[i]);
	kt_diag(t,
		"held on CPU %u: %u yields, %lu pulls refused by "
		"migrate_disable",
		p.cpu_at_map, p.rounds, p.refusals);
	KT_EXPECT_GE(t, p.refusals, PIN_REFUSALS);
	KT_EXPECT_EQ(t, p.moved, 0);
	KT_EXPECT_EQ(t, p.bad, 0);
	free_page(p.page);
}

struct offliner {
	unsigned int cpu;
	volatile bool done;
	int ret;
};

static int offline_thread(void *arg)
{
	struct offliner *o = arg;

	o->ret = cpu_offline(o->cpu);
	o->done = true;
	return 0;
}

void kmap_local_cpu_offline_waits_until_the_holder_unmaps(struct ktest *t)
{
	struct holder h = { .page = kt_slot_page(t), .sleep = true };
	struct offliner o = { .cpu = 0 };
	unsigned long waits = hotplug_pinned_waits();
	struct task *th, *off;

	if (!h.page)
		return;
	/* Any CPU but 0 will do (CPU 0 never goes offline). */
	o.cpu = kt_online_cpu_other_than(0);
	if (!o.cpu) {
		kt_skip(t, "needs a second CPU (CPU 0 stays online)");
		free_page(h.page);
		return;
	}
	completion_init(&h.mapped);
	th = kthread_create(holder_thread, &h, "kholder");
	KT_ASSERT_NOT_NULL(t, th);
	kthread_bind(th, o.cpu);
	kthread_start(th);
	wait_for_completion(&h.mapped);
	off = kthread_run(offline_thread, &o, "koffline");
	KT_ASSERT_NOT_NULL(t, off);
	/* Until cpu_offline() has found the holder and waits for it. */
	KT_WAIT_UNTIL(t, hotplug_pinned_waits() > waits);
	/* The holder still has its map: the CPU must still be there. */
	KT_EXPECT_FALSE(t, o.done);
	KT_EXPECT_TRUE(t, cpu_is_online(o.cpu));
	KT_EXPECT_GT(t, hotplug_pinned_waits(), waits);
	h.release = true;
	kthread_join(th);
	kthread_join(off);
	KT_EXPECT_TRUE(t, o.done);
	KT_EXPECT_EQ(t, o.ret, 0);
	KT_EXPECT_FALSE(t, cpu_is_online(o.cpu));
	KT_EXPECT_EQ(t, h.moved, 0);
	KT_EXPECT_EQ(t, h.bad, 0);
	KT_EXPECT_EQ(t, cpu_online(o.cpu), 0);
	free_page(h.page);
}

/*
 * An interrupt handler's maps go on top of the interrupted task's: it
 * gets the next index, and when it returns the task's maps are exactly
 * as they were.
 */
struct irq_probe {
	struct page *page;
	struct task *task;
	int idx_seen, idx_after;
	uintptr_t va;
	unsigned int bad;
	bool in_irq;
	volatile bool done;
};

static void irq_probe_fn(void *arg)
{
	struct irq_probe *ip = arg;
	void *va;

	ip->in_irq = in_interrupt() && current_task() == ip->task;
	ip->idx_seen = current_task()->kmap_ctrl.idx;
	va = kmap_local_page(ip->page);
	ip->va = (uintptr_t)va;
	kt_fill(va, 0x1a1a1a1a);
	ip->bad = kt_check(va, 0x1a1a1a1a);
	kunmap_local(va);
	ip->idx_after = current_task()->kmap_ctrl.idx;
	ip->done = true;
}

struct ipi_sender {
	unsigned int target;
	struct irq_probe *ip;
};

static int ipi_sender_thread(void *arg)
{
	struct ipi_sender *s = arg;

	smp_call_function_single(s->target, irq_probe_fn, s->ip, true);
	return 0;
}

/*
 * Holding two maps, let an interrupt run irq_probe_fn on this CPU: the
 * next timer tick (by_ipi false), or an IPI sent by a thread on another
 * CPU (by_ipi true).
 */
static void irq_maps_on_top(struct ktest *t, bool by_ipi)
{
	struct page *p[3] = { kt_slot_page(t), kt_slot_page(t),
			      kt_slot_page(t) };
	struct irq_probe ip = { .page = p[2], .task = current_task() };
	struct ipi_sender snd = { .ip = &ip };
	struct task *sender = NULL;
	unsigned int cpu;
	void *a, *b;

	if (!p[0] || !p[1] || !p[2])
		goto out;
	if (by_ipi && kt_other_cpu() == smp_processor_id()) {
		kt_skip(t, "needs a second CPU to send the IPI");
		goto out;
	}
	a = kmap_local_page(p[0]);
	b = kmap_local_page(p[1]);
	kt_fill(a, 0xa);
	kt_fill(b, 0xb);
	cpu = smp_processor_id(); /* stable: the maps pin us */
	if (by_ipi) {
		snd.target = cpu;
		sender = kthread_create(ipi_sender_thread, &snd, "kipi");
		KT_ASSERT_NOT_NULL(t, sender);
		kthread_bind(sender, kt_other_cpu());
		kthread_start(sender);
	} else {
		tick_call_once(irq_probe_fn, &ip);
	}
	/* Interrupts on, not sleeping: the interrupt lands on top of us. */
	KT_WAIT_UNTIL_SPIN(t, READ_ONCE(ip.done));
	if (sender)
		kthread_join(sender);
	KT_EXPECT_TRUE(t, ip.done);
	KT_EXPECT_TRUE(t, ip.in_irq);
	KT_EXPECT_EQ(t, ip.idx_seen, 2);
	KT_EXPECT_EQ(t, ip.idx_after, 2);
	KT_EXPECT_EQ(t, ip.va, kmap_local_slot_address(cpu, 2));
	KT_EXPECT_EQ(t, ip.bad, 0);
	KT_EXPECT_EQ(t, current_task()->kmap_ctrl.idx, 2);
	KT_EXPECT_EQ(t, kt_check(a, 0xa), 0);
	KT_EXPECT_EQ(t, kt_check(b, 0xb), 0);
	KT_EXPECT_FALSE(t, layout_kernel_address_mapped(ip.va));
	kunmap_local(b);
	kunmap_local(a);
out:
	for (int i = 0; i < 3; i++)
		if (p[i])
			free_page(p[i]);
}

void kmap_local_timer_interrupt_maps_on_top_of_the_task(struct ktest *t)
{
	irq_maps_on_top(t, false);
}

void kmap_local_ipi_handler_maps_on_top_of_the_task(struct ktest *t)
{
	irq_maps_on_top(t, true);
}

/*
 * A map preempted half-way is not reported as a stale slot. Two
 * threads bound to one CPU map and unmap in a loop while another CPU
 * keeps asking that CPU to reschedule, so switches land inside maps.
 * When a map saved its PTE value before it looked at the slot, a
 * switch between the two restored the saved value into the slot, and
 * the map then called its own slot "still mapped" (I1 was not broken:
 * the entry was its own). Now the look comes first (mm/kmap_local.c).
 * The same switches catch the opposite slip: a map that installed its
 * PTE before it recorded it in the thread would, switched out between
 * the two, come back to an empty slot and fault on its first write.
 * Only -singlestep lets an interrupt land between two stores of one
 * translated block: the singlestep-smp2 row runs this case.
 */
struct preempt_mapper {
	struct page *page;
	volatile bool stop;
	bool started;	   /* in0 is set: the loop runs */
	unsigned long in0; /* switches_in when the loop began */
	unsigned long rounds, switches;
	unsigned int bad;
};

static int preempt_mapper_fn(void *arg)
{
	struct preempt_mapper *pm = arg;

	pm->in0 = current_task()->switches_in;
	__atomic_store_n(&pm->started, true, __ATOMIC_RELEASE); /* in0 first */
	while (!pm->stop) {
		uint32_t *va = kmap_local_page(pm->page);

		va[pm->rounds % 1024] = (uint32_t)pm->rounds;
		pm->bad += va[pm->rounds % 1024] != (uint32_t)pm->rounds;
		kunmap_local(va);
		pm->rounds++;
	}
	pm->switches = current_task()->switches_in - pm->in0;
	return 0;
}

#define PREEMPT_SWITCHES 1000	/* switches in, each mapper, inside its loop */
#define KICK_WAIT_MAX	 100000 /* relaxes a kick may wait for its switch */

/*
 * The switches into mapper i since its loop began: switches into a
 * thread still on its way to the loop (a kick can land there too) map
 * nothing, and would let the case end having tested nothing.
 */
static unsigned long loop_switches(const struct preempt_mapper *pm,
				   struct task *const *w, int i)
{
	if (!__atomic_load_n(&pm[i].started, __ATOMIC_ACQUIRE))
		return 0;
	return READ_ONCE(w[i]->switches_in) - pm[i].in0;
}

/*
 * One reschedule IPI, then a wait for the switch it asks for; true
 * once both mappers had enough. A kick while the last is still pending
 * asks nothing new, and only takes that CPU's run-queue lock from under
 * the switch that would answer it: kicked flat out, a switch took the
 * better part of a millisecond under QEMU.
 */
static bool kick_until_switched(unsigned int cpu,
				const struct preempt_mapper *pm,
				struct task *const *w, unsigned long *kicks)
{
	unsigned long was = loop_switches(pm, w, 0) + loop_switches(pm, w, 1);

	resched_cpu(cpu);
	(*kicks)++;
	for (int i = 0;
	     i < KICK_WAIT_MAX &&
	     loop_switches(pm, w, 0) + loop_switches(pm, w, 1) == was;
	     i++)
		arch_cpu_relax();
	return loop_switches(pm, w, 0) >= PREEMPT_SWITCHES &&
	       loop_switches(pm, w, 1) >= PREEMPT_SWITCHES;
}

void kmap_local_preempted_map_is_not_reported_stale(struct ktest *t)
{
	struct preempt_mapper pm[2] = { { .page = kt_slot_page(t) },
					{ .page = kt_slot_page(t) } };
	unsigned int cpu = kt_other_cpu();
	struct kmap_stats before, after;
	unsigned long warns, kicks = 0, saves;
	struct task *w[2];

	if (!pm[0].page || !pm[1].page)
		goto out;
	if (cpu == smp_processor_id()) {
		kt_skip(t, "needs a second CPU to send reschedule IPIs");
		goto out;
	}
	/*
	 * This case tests the map's order of steps against a switch that
	 * works; without the switch the two threads unmap each other's
	 * slot and fault, which is the other case's failure to show.
	 */
	if (break_enabled(BREAK_KMAP_LOCAL_SWITCH)) {
		kt_skip(t, "break=kmap_local_switch: the switch is off");
		goto out;
	}
	kmap_stats(&before);
	warns = warn_count();
	for (int i = 0; i < 2; i++) {
		w[i] = kthread_create(preempt_mapper_fn, &pm[i],
				      i ? "kpmap1" : "kpmap0");
		KT_ASSERT_NOT_NULL(t, w[i]);
		kthread_bind(w[i], cpu);
		kthread_start(w[i]);
	}
	/* Reschedule IPIs: each one may be a switch on that CPU. */
	KT_WAIT_UNTIL_SPIN(t, kick_until_switched(cpu, pm, w, &kicks));
	pm[0].stop = pm[1].stop = true;
	kthread_join(w[0]);
	kthread_join(w[1]);
	kmap_stats(&after);
	saves = after.switch_saves - before.switch_saves;
	kt_diag(t,
		"CPU %u: %lu kicks, %lu + %lu rounds, %lu + %lu switches "
		"in, %lu saves, %lu stale",
		cpu, kicks, pm[0].rounds, pm[1].rounds, pm[0].switches,
		pm[1].switches, saves, after.stale_slots - before.stale_slots);
	/* The switches landed in maps: each with a map live saves it. */
	KT_EXPECT_GE(t, pm[0].switches, PREEMPT_SWITCHES);
	KT_EXPECT_GE(t, pm[1].switches, PREEMPT_SWITCHES);
	KT_EXPECT_GE(t, saves, PREEMPT_SWITCHES / 2);
	KT_EXPECT_EQ(t, pm[0].bad + pm[1].bad, 0);
	KT_EXPECT_EQ(t, after.stale_slots, before.stale_slots);
	KT_EXPECT_EQ(t, warn_count(), warns);
out:
	for (int i = 0; i < 2; i++)
		if (pm[i].page)
			free_page(pm[i].page);
}
