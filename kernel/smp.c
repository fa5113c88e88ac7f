/*
 * Cross-CPU calls and the online CPU set (include/kernel/smp.h has the
 * contract and the deadlock rule).
 *
 * Each CPU has a call queue: a list of call_single_data (csd) entries,
 * under that queue's lock. A caller fills a csd, appends it to the
 * target's queue and, only if the queue was empty, sends the target a
 * call-function IPI. The target's handler takes the whole queue at
 * once and runs each entry. A CPU waiting with interrupts off runs its
 * own queue by hand (csd_claim_pending), while the IPI for what it
 * took may still be pending at its interrupt controller; the next
 * caller then finds the queue empty again. So a caller sends only if
 * no call IPI is pending at the target either (call_ipi_pending, set
 * by the sender, cleared by the handler before it takes the queue).
 * Then at most one IPI is ever pending at a CPU, its interrupt
 * controller never merges two (x86's local APIC keeps one pending bit
 * per vector), and every IPI sent is one IPI received: the counters
 * can be checked exactly. A call to several
 * CPUs queues on all of them first and then sends the IPIs it owes in
 * one go, so the architecture can use a single broadcast when they are
 * every other CPU.
 *
 * csd->busy is the handshake: the caller sets it before queueing, the
 * target clears it when the caller may forget the csd. For a waiting
 * call that is after fn returns (the csd lives on the caller's stack);
 * for an asynchronous one, as soon as fn and arg have been read, so the
 * caller's per-target async csd can be reused at once.
 */
#include <arch/cpu.h>
#include <arch/smp.h>
#include <kernel/cpu_wait.h>
#include <kernel/errno.h>
#include <kernel/list.h>
#include <kernel/panic.h>
#include <kernel/preempt.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/spinlock.h>
#include <kernel/trace.h>

struct call_single_data {
	struct list_head node; /* in the target's queue */
	void (*fn)(void *);
	void *arg;
	bool wait;	   /* the caller spins on busy */
	unsigned int cpu;  /* the target, for a timeout's report */
	volatile int busy; /* see the top of the file */
};

struct call_queue {
	spinlock_t lock;
	struct list_head list; /* protected by lock */
};

static struct call_queue call_queues[NR_CPUS];
/* async_csd[me][target]: the asynchronous csd CPU me uses per target. */
static struct call_single_data async_csd[NR_CPUS][NR_CPUS];
static volatile int resched_pending[NR_CPUS];
/* A call IPI is on its way to the CPU, not yet taken: send no other. */
static volatile int call_ipi_pending[NR_CPUS];
static volatile cpumask_t online_mask;
/* CPUs that have come up: their queues exist, they take IPIs. */
static volatile cpumask_t started_mask;

unsigned int num_online_cpus(void)
{
	return cpumask_weight(online_mask);
}

bool cpu_is_online(unsigned int cpu)
{
	return cpu < NR_CPUS && (online_mask & CPU_MASK(cpu));
}

cpumask_t cpu_online_mask(void)
{
	return online_mask;
}

void set_cpu_online(unsigned int cpu)
{
	struct call_queue *q = &call_queues[cpu];

	/* Nobody queues to a CPU before it is online: init it here. */
	spin_lock_init(&q->lock, "call_queue");
	list_init(&q->list);
	percpu_areas[cpu].online = true;
	__sync_fetch_and_or(&started_mask, CPU_MASK(cpu));
	__sync_fetch_and_or(&online_mask, CPU_MASK(cpu));
}

/*
 * Can cpu be sent an IPI? Online or not: hotplug takes a CPU out of
 * the online mask but it keeps taking interrupts, and a sender may
 * have looked at the mask just before it went.
 */
static bool cpu_takes_ipis(unsigned int cpu)
{
	return cpu < NR_CPUS && (started_mask & CPU_MASK(cpu));
}

void set_cpu_online_state(unsigned int cpu, bool online)
{
	percpu_areas[cpu].online = online;
	if (online)
		__sync_fetch_and_or(&online_mask, CPU_MASK(cpu));
	else
		__sync_fetch_and_and(&online_mask, ~CPU_MASK(cpu));
}

/*
 * Append csd to cpu's queue; true if the queue was empty, so the
 * caller owes cpu an IPI. Interrupts off.
 *
 * The IPI is sent after the queue lock is dropped, never while holding
 * it. The target's handler starts by taking that very lock, so an IPI
 * sent under it makes a target that wakes promptly spin until the
 * sender has finished sending (an ICR write, then polling the ICR for
 * delivery). On real hardware that is a short wait; under QEMU TCG the
 * sender's ICR accesses go through QEMU's global lock, which the
 * target's spin loop keeps grabbing, and a round trip measured 2M-39M
 * ticks instead of ~100k (bench ipi_roundtrip_*, host clock).
 *
 * Sending late loses no entry: one added behind another goes with it
 * (the queue is only ever taken whole), and one added to an empty queue
 * is reached either by our IPI or, if send_call_ipis finds one pending
 * already, by that IPI's handler, which has yet to take the queue.
 * Interrupts stay off until the IPI is out, so nothing on this CPU
 * delays it (and ipi_sent needs them off).
 */
static bool csd_enqueue(unsigned int cpu, struct call_single_data *csd)
{
	struct call_queue *q = &call_queues[cpu];
	bool first;

	raw_spin_lock(&q->lock);
	first = list_empty(&q->list);
	list_add_tail(&csd->node, &q->list);
	raw_spin_unlock(&q->lock);
	return first;
}

/*
 * Pay the IPIs csd_enqueue() said are owed, but none to a CPU that has
 * one pending: its handler has yet to take the queue, and will run our
 * entry. Interrupts off.
 */
static void send_call_ipis(cpumask_t owed)
{
	unsigned int cpu;

	for_each_cpu_in(cpu, owed)
		if (__sync_lock_test_and_set(&call_ipi_pending[cpu], 1))
			owed &= ~CPU_MASK(cpu);
	if (!owed)
		return;
	arch_send_call_function_ipi_mask(owed);
	this_cpu()->ipi_sent += cpumask_weight(owed);
}

/*
 * The waits below end in a panic naming the targets that never let go
 * of their csd (include/kernel/cpu_wait.h); no wait here is unbounded.
 */
#define CALL_WHAT "cross-CPU call"

/* CPU csd->cpu if it still holds csd (a wait_for_cpus callback). */
static cpumask_t csd_pending(const void *arg)
{
	const struct call_single_data *csd = arg;

	return READ_ONCE(csd->busy) ? CPU_MASK(csd->cpu) : 0;
}

static void csd_wait(struct call_single_data *csd)
{
	wait_for_cpus(CALL_WHAT, csd_pending, csd);
}

/* A waiting call to several CPUs: csd[cpu] for each cpu in cpus. */
struct csd_set {
	cpumask_t cpus;
	struct call_single_data *const *csd;
};

/* The CPUs of a csd_set still holding theirs (wait_for_cpus callback). */
static cpumask_t csd_set_pending(const void *arg)
{
	const struct csd_set *set = arg;
	cpumask_t late = 0;
	unsigned int cpu;

	for_each_cpu_in(cpu, set->cpus)
		if (READ_ONCE(set->csd[cpu]->busy))
			late |= CPU_MASK(cpu);
	return late;
}

/* Wait for every csd of the set; a panic names all the laggards. */
static void csd_wait_all(cpumask_t cpus, struct call_single_data *const *csd)
{
	struct csd_set set = { .cpus = cpus, .csd = csd };

	wait_for_cpus(CALL_WHAT, csd_set_pending, &set);
}

static void run_queued_calls(void);

/*
 * As csd_pending, for a caller that may have interrupts off: it cannot
 * take the call IPI, so while it waits it runs its own queued calls by
 * hand. Otherwise two CPUs that each claim a csd the other holds, both
 * with interrupts off, would wait for each other until the deadline.
 */
static cpumask_t csd_claim_pending(const void *arg)
{
	if (arch_irqs_disabled())
		run_queued_calls();
	return csd_pending(arg);
}

/*
 * Claim a csd: wait until the target has finished with its last use.
 * The swap fails only while a target still holds the csd, so each
 * failure waits for that target, with the same deadline.
 */
static void csd_claim(struct call_single_data *csd)
{
	while (!__sync_bool_compare_and_swap(&csd->busy, 0, 1))
		wait_for_cpus(CALL_WHAT, csd_claim_pending, csd);
}

/* A macro, so the warning names the public function that was misused. */
#define warn_if_deadlock_prone(wait)         \
	WARN((wait) && arch_irqs_disabled(), \
	     "cross-CPU call waits with interrupts off: may deadlock")

static void run_here(void (*fn)(void *), void *arg)
{
	unsigned long flags = arch_irq_save();

	fn(arg);
	arch_irq_restore(flags);
}

/*
 * The csd for a call to cpu, filled in: the caller's stack_csd if it
 * will wait, else this CPU's asynchronous csd for cpu, once the target
 * has let go of its last use. Claiming may spin on the target, so it
 * happens with interrupts as the caller had them, before any queueing.
 */
static struct call_single_data *csd_prepare(unsigned int cpu,
					    void (*fn)(void *), void *arg,
					    bool wait,
					    struct call_single_data *stack_csd)
{
	struct call_single_data *csd =
		wait ? stack_csd : &async_csd[smp_processor_id()][cpu];

	BUG_ON(!cpu_takes_ipis(cpu));
	csd->cpu = cpu; /* the target never reads it: no race */
	if (wait)
		csd->busy = 1;
	else
		csd_claim(csd);
	csd->fn = fn;
	csd->arg = arg;
	csd->wait = wait;
	return csd;
}

/* Queue csd on cpu and pay the IPI if one is owed. */
static void queue_one(unsigned int cpu, struct call_single_data *csd)
{
	unsigned long flags = arch_irq_save();

	send_call_ipis(csd_enqueue(cpu, csd) ? CPU_MASK(cpu) : 0);
	arch_irq_restore(flags);
}

/*
 * Only online CPUs take calls: an offline one got no shootdowns, so
 * until cpu_online() has flushed it, its TLB may map the caller's
 * stack (where a waiting call's csd lives) to a page freed long ago.
 * The check is made with preemption off, so "this CPU" stays this one.
 *
 * A call queued while cpu was online still runs if cpu goes offline
 * before taking it: an offline CPU keeps taking interrupts and empties
 * its queue (cpu_takes_ipis), and cpu_offline() does not wait for it.
 */
int smp_call_function_single(unsigned int cpu, void (*fn)(void *), void *arg,
			     bool wait)
{
	struct call_single_data stack_csd;

	warn_if_deadlock_prone(wait);
	preempt_disable();
	if (cpu == smp_processor_id()) {
		run_here(fn, arg);
	} else if (WARN(!cpu_is_online(cpu),
			"smp_call_function_single: CPU %u is %s; call refused",
			cpu, cpu < NR_CPUS ? "offline" : "not a CPU")) {
		preempt_enable();
		return -EINVAL;
	} else {
		struct call_single_data *csd =
			csd_prepare(cpu, fn, arg, wait, &stack_csd);

		queue_one(cpu, csd);
		if (wait)
			csd_wait(csd);
	}
	preempt_enable();
	return 0;
}

int smp_call_function_offline(unsigned int cpu, void (*fn)(void *), void *arg)
{
	preempt_disable();
	if (WARN(!cpu_takes_ipis(cpu) || cpu_is_online(cpu),
		 "smp_call_function_offline: CPU %u is %s; call refused", cpu,
		 cpu_is_online(cpu) ? "online" : "not started")) {
		preempt_enable();
		return -EINVAL;
	}
	/* Never the stack: see include/kernel/smp.h. */
	queue_one(cpu, csd_prepare(cpu, fn, arg, false, NULL));
	preempt_enable();
	return 0;
}

/*
 * Queue everywhere first and send the owed IPIs together, so the
 * targets run fn in parallel and, when they are every other CPU, one
 * broadcast IPI reaches them all (include/arch/smp.h).
 */
static void call_many(cpumask_t mask, void (*fn)(void *), void *arg, bool wait,
		      bool here)
{
	struct call_single_data stack_csd[NR_CPUS], *csd[NR_CPUS];
	unsigned int me;

	warn_if_deadlock_prone(wait);
	preempt_disable();
	me = smp_processor_id();
	mask &= cpu_online_mask() & ~CPU_MASK(me);
	if (mask) {
		cpumask_t owed = 0;
		unsigned long flags;
		unsigned int cpu;

		for_each_cpu_in(cpu, mask)
			csd[cpu] = csd_prepare(cpu, fn, arg, wait,
					       &stack_csd[cpu]);
		flags = arch_irq_save();
		for_each_cpu_in(cpu, mask)
			if (csd_enqueue(cpu, csd[cpu]))
				owed |= CPU_MASK(cpu);
		send_call_ipis(owed);
		trace_event(TR_SMP_CALL, mask, (uintptr_t)fn, 0);
		arch_irq_restore(flags);
	}
	if (here)
		run_here(fn, arg);
	if (wait && mask)
		csd_wait_all(mask, csd);
	preempt_enable();
}

void smp_call_function_many(cpumask_t mask, void (*fn)(void *), void *arg,
			    bool wait)
{
	call_many(mask, fn, arg, wait, false);
}

void on_each_cpu(void (*fn)(void *), void *arg, bool wait)
{
	call_many(cpu_online_mask(), fn, arg, wait, true);
}

/* Move every entry of q into the empty list out. q->lock is held. */
static void queue_take_all(struct call_queue *q, struct list_head *out)
{
	list_init(out);
	if (list_empty(&q->list))
		return;
	out->next = q->list.next;
	out->prev = q->list.prev;
	out->next->prev = out;
	out->prev->next = out;
	list_init(&q->list);
}

/*
 * Run every call queued for this CPU. Interrupts off: from the call IPI,
 * or from a CPU that claims a csd with interrupts off (csd_claim).
 */
static void run_queued_calls(void)
{
	struct percpu *me = this_cpu();
	struct call_queue *q = &call_queues[me->cpu];
	struct list_head *pos, *next, todo;

	raw_spin_lock(&q->lock);
	queue_take_all(q, &todo);
	raw_spin_unlock(&q->lock);

	/* Once busy is 0 the caller may reuse csd: read it all first. */
	for (pos = todo.next; pos != &todo; pos = next) {
		struct call_single_data *csd =
			list_entry(pos, struct call_single_data, node);
		void (*fn)(void *) = csd->fn;
		void *arg = csd->arg;
		bool wait = csd->wait;

		next = pos->next;
		barrier();
		if (!wait)
			WRITE_ONCE(csd->busy, 0);
		trace_event(TR_SMP_CALL_RUN, (uintptr_t)fn, 0, 0);
		fn(arg);
		me->calls_run++;
		barrier();
		if (wait)
			WRITE_ONCE(csd->busy, 0);
	}
}

void smp_call_function_interrupt(void)
{
	struct percpu *me = this_cpu();

	/*
	 * Before the queue is taken: an entry added after needs an IPI.
	 * barrier() keeps the compiler from sinking the store past the
	 * queue lock; the lock's locked instruction makes the CPU publish
	 * it before the queue is read.
	 */
	WRITE_ONCE(call_ipi_pending[me->cpu], 0);
	barrier();
	me->ipi_received++;
	run_queued_calls(); /* interrupts are already off */
}

void smp_send_reschedule(unsigned int cpu)
{
	unsigned long flags;

	BUG_ON(!cpu_takes_ipis(cpu));
	/* One IPI per handler run, however many requests: see the top. */
	if (__sync_lock_test_and_set(&resched_pending[cpu], 1))
		return;
	flags = arch_irq_save();
	arch_send_reschedule_ipi(cpu);
	this_cpu()->ipi_sent++;
	arch_irq_restore(flags);
}

void smp_reschedule_interrupt(void)
{
	struct percpu *me = this_cpu();

	/*
	 * A full barrier (xchg), not a plain store: the interrupt's exit
	 * reads need_resched next, and a load may pass an earlier store.
	 * A sender that set need_resched in between would find the flag
	 * still set and send nothing, leaving its request to the next tick.
	 */
	__atomic_store_n(&resched_pending[me->cpu], 0, __ATOMIC_SEQ_CST);
	me->ipi_received++;
	scheduler_ipi();
}
