/*
 * lockdep: the lock-order validator (include/kernel/lockdep.h says what
 * it finds and why that matters).
 *
 * The state, all fixed-size so the lock path never allocates:
 *
 *   classes[]    one per lock definition site, found by the first
 *                acquisition of a lock and cached in its lockdep_map;
 *   edges[]      "class A was held when class B was taken", each with
 *                the call site where that order was first seen;
 *   edge_bits    the same edges as a bit matrix, so the question every
 *                acquisition asks, "is this order known already?", is
 *                one bit test;
 *   cpu_held[]   the spinlocks each CPU holds, innermost last. Per CPU,
 *                not per task: a spinlock is never held across a sleep,
 *                and the run queue lock, taken by one task and released
 *                by the next, stays on the one CPU. Interrupt handlers
 *                push on top and pop before they return.
 *   task->lockdep the mutexes a task holds, which travel with it.
 *
 * Only the newest held lock gives an edge: if A, then B, are held when
 * C is taken, A -> B is already known, and B -> C completes A's order
 * through it. A new edge that closes a cycle is found by searching the
 * graph from the new lock back to the held one, breadth first, which
 * also gives the shortest chain to print.
 *
 * What is known grows only on the slow path, under graph_lock, which
 * is a bare flag: lockdep cannot check its own lock. Nothing prints
 * under it, because printing takes console_lock, which comes back here.
 */
#include <arch/cpu.h>
#include <kernel/cmdline.h>
#include <kernel/lockdep.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/task.h>
#include <lib/string.h>

#define LOCKDEP_CLASSES	     128
#define LOCKDEP_EDGES	     512
#define LOCKDEP_CPU_HELD_MAX 16
#define CLASS_WORDS	     (LOCKDEP_CLASSES / 32)
#define CHAIN_PRINT_MAX	     8 /* links of a chain a report prints */

struct lock_class {
	const char *name;
	const char *file;
	int line;
	/* Protected by graph_lock: */
	const struct lockdep_site *irq_site;	 /* first in a handler */
	const struct lockdep_site *irqs_on_site; /* first with irqs on */
	bool irq_reported;
};

struct lock_edge {
	uint8_t from, to;		 /* class numbers */
	bool live;			 /* false: free, or forgotten */
	const struct lockdep_site *site; /* where it was first seen */
};

struct cpu_held {
	unsigned int depth;
	struct lockdep_held held[LOCKDEP_CPU_HELD_MAX];
};

bool lockdep_on = true;
static unsigned long reports;
static volatile int graph_lock_word;

/* Protected by graph_lock (edge_bits is also read without it). */
static struct lock_class classes[LOCKDEP_CLASSES];
static unsigned int nr_classes;
static struct lock_edge edges[LOCKDEP_EDGES];
static unsigned int nr_edges;
static uint32_t edge_bits[LOCKDEP_CLASSES][CLASS_WORDS];

/* Each written by its own CPU only, with interrupts off. */
static struct cpu_held cpu_held[NR_CPUS];

static bool set_lockdep(const char *val)
{
	return param_bool01(val, &lockdep_on);
}
DEFINE_PARAM("lockdep", set_lockdep, "0 or 1");

bool lockdep_enabled(void)
{
	return READ_ONCE(lockdep_on);
}

unsigned long lockdep_report_count(void)
{
	return READ_ONCE(reports);
}

/* Interrupts off. */
static void graph_lock(void)
{
	while (__atomic_exchange_n(&graph_lock_word, 1, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

static void graph_unlock(void)
{
	__atomic_store_n(&graph_lock_word, 0, __ATOMIC_RELEASE);
}

static unsigned int class_nr(const struct lock_class *c)
{
	return c - classes;
}

static bool edge_known(const struct lock_class *from,
		       const struct lock_class *to)
{
	unsigned int t = class_nr(to);

	return READ_ONCE(edge_bits[class_nr(from)][t / 32]) & (1u << (t % 32));
}

/* A fixed table ran out: say so loudly, and stop checking. */
static noinline void lockdep_full(const char *what)
{
	WRITE_ONCE(lockdep_on, false);
	__sync_fetch_and_add(&reports, 1);
	WARN(1, "lockdep: no room for more %s: lockdep is off from here on",
	     what);
}

static bool class_is(const struct lock_class *c, const struct lockdep_map *m)
{
	return c->line == m->line && !strcmp(c->file, m->file) &&
	       !strcmp(c->name, m->name);
}

/* The map's class, found or made on its lock's first acquisition. */
static noinline struct lock_class *class_lookup(struct lockdep_map *map)
{
	struct lock_class *c = NULL;

	graph_lock();
	for (unsigned int i = 0; i < nr_classes && !c; i++)
		if (class_is(&classes[i], map))
			c = &classes[i];
	if (!c && nr_classes < LOCKDEP_CLASSES) {
		c = &classes[nr_classes];
		*c = (struct lock_class){ .name = map->name,
					  .file = map->file,
					  .line = map->line };
		nr_classes++;
	}
	graph_unlock();
	if (!c)
		lockdep_full("lock classes");
	else
		WRITE_ONCE(map->class, c);
	return c;
}

static inline struct lock_class *class_of(struct lockdep_map *map)
{
	struct lock_class *c = READ_ONCE(map->class);

	return likely(c) ? c : class_lookup(map);
}

/*
 * The lock an acquisition in this context is ordered after: the newest
 * spinlock this CPU holds in the same context (a handler starts afresh:
 * what it interrupted is not its caller), else the task's newest
 * mutex. Interrupts off.
 */
static const struct lockdep_held *held_prev(bool in_irq)
{
	const struct cpu_held *ch = &cpu_held[smp_processor_id()];
	const struct task *t;

	if (ch->depth) {
		const struct lockdep_held *top = &ch->held[ch->depth - 1];

		if (top->in_irq || !in_irq)
			return top;
	}
	t = current_task();
	if (in_irq || !t || !t->lockdep.depth)
		return NULL;
	return &t->lockdep.held[t->lockdep.depth - 1];
}

static void held_push(struct lockdep_held *held, unsigned int *depth,
		      unsigned int max, const struct lockdep_held *entry)
{
	if (unlikely(*depth == max)) {
		lockdep_full("held locks");
		return;
	}
	held[*depth] = *entry;
	(*depth)++;
}

/* Take map off a held stack, wherever it is (unlocks need not nest). */
static bool held_remove(struct lockdep_held *held, unsigned int *depth,
			const struct lockdep_map *map)
{
	for (unsigned int i = *depth; i-- > 0;) {
		if (held[i].map != map)
			continue;
		memmove(&held[i], &held[i + 1],
			(*depth - i - 1) * sizeof(held[0]));
		(*depth)--;
		return true;
	}
	return false;
}

/* One edge of a chain, copied out so it prints without graph_lock. */
struct chain_link {
	const char *from, *to;
	const struct lockdep_site *site;
};

/*
 * Search the graph from `start` for `goal`, breadth first. Returns the
 * number of edges on the path found, 0 if goal is unreachable; chain[]
 * gets the first CHAIN_PRINT_MAX of them, in order. graph_lock held.
 */
static unsigned int find_chain(unsigned int start, unsigned int goal,
			       struct chain_link chain[CHAIN_PRINT_MAX])
{
	static int16_t via[LOCKDEP_CLASSES]; /* edge that reached a class */
	static uint8_t queue[LOCKDEP_CLASSES];
	unsigned int head = 0, tail = 0, n = 0;

	for (unsigned int i = 0; i < LOCKDEP_CLASSES; i++)
		via[i] = -1;
	queue[tail++] = start;
	while (head < tail && via[goal] < 0) {
		unsigned int u = queue[head++];

		for (unsigned int e = 0; e < nr_edges; e++) {
			unsigned int v = edges[e].to;

			if (!edges[e].live || edges[e].from != u ||
			    v == start || via[v] >= 0)
				continue;
			via[v] = e;
			queue[tail++] = v;
		}
	}
	if (via[goal] < 0)
		return 0;
	for (unsigned int c = goal; c != start; c = edges[via[c]].from)
		n++;
	for (unsigned int c = goal, i = n; c != start; c = edges[via[c]].from) {
		const struct lock_edge *e = &edges[via[c]];

		if (--i < CHAIN_PRINT_MAX)
			chain[i] = (struct chain_link){ classes[e->from].name,
							classes[e->to].name,
							e->site };
	}
	return n;
}

static void print_link(const char *label, const struct chain_link *l)
{
	printk(KERN_WARNING "lockdep: %-14s %s -> %s at %s:%d in %s()\n", label,
	       l->from, l->to, l->site->file, l->site->line, l->site->func);
}

static noinline void report_cycle(const struct chain_link *taken,
				  const struct chain_link *chain,
				  unsigned int n)
{
	const struct lockdep_site *site = taken->site;

	__sync_fetch_and_add(&reports, 1);
	warn_at(site->file, site->line, site->func,
		"lockdep: lock order inversion: %s -> %s closes a cycle "
		"(%s was already taken before %s)",
		taken->from, taken->to, taken->to, taken->from);
	print_link("this order:", taken);
	for (unsigned int i = 0; i < n && i < CHAIN_PRINT_MAX; i++)
		print_link(i ? "" : "the other:", &chain[i]);
	if (n > CHAIN_PRINT_MAX)
		printk(KERN_WARNING "lockdep: (and %u more links)\n",
		       n - CHAIN_PRINT_MAX);
}

static int edge_slot(void)
{
	if (nr_edges < LOCKDEP_EDGES)
		return nr_edges++;
	for (unsigned int e = 0; e < LOCKDEP_EDGES; e++)
		if (!edges[e].live)
			return e;
	return -1;
}

/*
 * A new order, from -> to: record it, and report it if the graph
 * already leads from `to` back to `from`. It is recorded even then, so
 * the same inversion is reported once, not on every acquisition.
 */
static noinline void edge_add(struct lock_class *from, struct lock_class *to,
			      const struct lockdep_site *site)
{
	struct chain_link chain[CHAIN_PRINT_MAX];
	unsigned int f = class_nr(from), t = class_nr(to), n;
	int slot;

	graph_lock();
	if (edge_known(from, to)) { /* another CPU was first */
		graph_unlock();
		return;
	}
	n = find_chain(t, f, chain);
	slot = edge_slot();
	if (slot >= 0) {
		edges[slot] = (struct lock_edge){
			.from = f, .to = t, .live = true, .site = site
		};
		__atomic_fetch_or(&edge_bits[f][t / 32], 1u << (t % 32),
				  __ATOMIC_RELEASE);
	}
	graph_unlock();
	if (slot < 0)
		lockdep_full("lock order edges");
	else if (n)
		report_cycle(&(struct chain_link){ from->name, to->name, site },
			     chain, n);
}

static noinline void irq_usage_mark(struct lock_class *c, bool in_irq,
				    const struct lockdep_site *site)
{
	const struct lockdep_site *irq = NULL, *on = NULL;

	graph_lock();
	if (in_irq && !c->irq_site)
		c->irq_site = site;
	if (!in_irq && !c->irqs_on_site)
		c->irqs_on_site = site;
	if (c->irq_site && c->irqs_on_site && !c->irq_reported) {
		c->irq_reported = true;
		irq = c->irq_site;
		on = c->irqs_on_site;
	}
	graph_unlock();
	if (!irq)
		return;
	__sync_fetch_and_add(&reports, 1);
	warn_at(site->file, site->line, site->func,
		"lockdep: irq-unsafe lock %s: taken in an interrupt handler "
		"at %s:%d in %s() and with interrupts on at %s:%d in %s()",
		c->name, irq->file, irq->line, irq->func, on->file, on->line,
		on->func);
}

/*
 * The checks every waiting acquisition makes, in the usual case two
 * loads and a bit test: is this use of the class in or out of
 * interrupts new, and is the order after the held lock new?
 * Interrupts off.
 */
static void check_acquire(struct lock_class *c, const struct lockdep_site *site,
			  bool in_irq, bool irqs_were_on)
{
	const struct lockdep_held *prev = held_prev(in_irq);
	struct lock_class *pc;

	if (unlikely(in_irq ? !c->irq_site : irqs_were_on && !c->irqs_on_site))
		irq_usage_mark(c, in_irq, site);
	if (!prev)
		return;
	pc = READ_ONCE(prev->map->class);
	if (pc != c && unlikely(!edge_known(pc, c)))
		edge_add(pc, c, site);
}

/*
 * Take map at site in lockdep's books: check the order against what
 * this CPU holds (check), then count it as held here (hold). A trylock
 * holds without checking, as it never waits and so cannot close a
 * cycle; a mutex waiter checks without holding, as the mutex is held
 * by its task, not by the CPU (__lockdep_mutex_acquired).
 */
static void acquire_map(struct lockdep_map *map,
			const struct lockdep_site *site, bool in_irq,
			bool irqs_were_on, bool check, bool hold)
{
	struct lockdep_held entry = { map, site, in_irq, false };
	struct cpu_held *ch;
	struct lock_class *c;
	unsigned long flags;

	if (!READ_ONCE(lockdep_on))
		return;
	flags = arch_irq_save();
	c = class_of(map);
	if (c && check)
		check_acquire(c, site, in_irq, irqs_were_on);
	ch = &cpu_held[smp_processor_id()];
	if (c && hold && READ_ONCE(lockdep_on))
		held_push(ch->held, &ch->depth, LOCKDEP_CPU_HELD_MAX, &entry);
	arch_irq_restore(flags);
}

void __lockdep_acquire(struct lockdep_map *map, const struct lockdep_site *site,
		       bool trylock)
{
	bool irqs_were_on = !arch_irqs_disabled(), in_irq = in_interrupt();

	acquire_map(map, site, in_irq, irqs_were_on, !trylock, true);
}

static noinline void release_unheld(const struct lockdep_map *map,
				    const char *holder)
{
	__sync_fetch_and_add(&reports, 1);
	WARN(1,
	     "lockdep: %s released, but %s does not hold it by lockdep's "
	     "count",
	     map->name, holder);
}

void __lockdep_release(struct lockdep_map *map)
{
	struct cpu_held *ch;
	unsigned long flags;

	if (!READ_ONCE(lockdep_on))
		return;
	flags = arch_irq_save();
	ch = &cpu_held[smp_processor_id()];
	if (unlikely(!held_remove(ch->held, &ch->depth, map)))
		release_unheld(map, "this CPU");
	arch_irq_restore(flags);
}

void __lockdep_mutex_wait(struct lockdep_map *map,
			  const struct lockdep_site *site)
{
	acquire_map(map, site, in_interrupt(), false, true, false);
}

/* Context: the task that now owns the mutex. */
void __lockdep_mutex_acquired(struct lockdep_map *map,
			      const struct lockdep_site *site)
{
	struct lockdep_held entry = { map, site, false, false };
	struct task *t = current_task();
	struct lock_class *c;
	unsigned long flags;

	if (!READ_ONCE(lockdep_on) || !t)
		return;
	/*
	 * A mutex_trylock() may be the mutex's first acquisition: the
	 * lookup then takes graph_lock, which needs interrupts off.
	 */
	flags = arch_irq_save();
	c = class_of(map);
	arch_irq_restore(flags);
	if (!c)
		return;
	held_push(t->lockdep.held, &t->lockdep.depth, LOCKDEP_TASK_HELD_MAX,
		  &entry);
}

void __lockdep_mutex_release(struct lockdep_map *map)
{
	struct task *t = current_task();

	if (!READ_ONCE(lockdep_on) || !t)
		return;
	if (unlikely(!held_remove(t->lockdep.held, &t->lockdep.depth, map)))
		release_unheld(map, "this thread");
}

bool __lockdep_sleep_check(const char *file, int line)
{
	struct lockdep_held top = { 0 };
	struct cpu_held *ch;
	unsigned long flags;
	bool held, first = false;

	if (!READ_ONCE(lockdep_on) || in_interrupt())
		return false;
	/* Interrupts off: the task stays on this CPU while it looks. */
	flags = arch_irq_save();
	ch = &cpu_held[smp_processor_id()];
	held = ch->depth > 0;
	if (held) {
		first = !ch->held[ch->depth - 1].sleep_reported;
		ch->held[ch->depth - 1].sleep_reported = true;
		top = ch->held[ch->depth - 1];
	}
	arch_irq_restore(flags);
	if (!held || !first)
		return held;
	__sync_fetch_and_add(&reports, 1);
	warn_at(file, line, "might_sleep",
		"lockdep: thread %s may sleep while holding spinlock %s "
		"(taken at %s:%d in %s())",
		current_task_name(), top.map->name, top.site->file,
		top.site->line, top.site->func);
	return true;
}

void lockdep_forget(struct lockdep_map *map)
{
	struct lock_class *c = READ_ONCE(map->class);
	unsigned int n;
	unsigned long flags;

	if (!c)
		return;
	n = class_nr(c);
	flags = arch_irq_save();
	graph_lock();
	for (unsigned int e = 0; e < nr_edges; e++) {
		struct lock_edge *ed = &edges[e];

		if (!ed->live || (ed->from != n && ed->to != n))
			continue;
		ed->live = false;
		__atomic_fetch_and(&edge_bits[ed->from][ed->to / 32],
				   ~(1u << (ed->to % 32)), __ATOMIC_RELEASE);
	}
	c->irq_site = c->irqs_on_site = NULL;
	c->irq_reported = false;
	graph_unlock();
	arch_irq_restore(flags);
}

void lockdep_print_edges(void)
{
	if (!lockdep_enabled()) {
		pr_report("# lockdep: off\n");
		return;
	}
	pr_report("# lockdep: %u classes, %u edge slots, %lu reports\n",
		  READ_ONCE(nr_classes), READ_ONCE(nr_edges), reports);
	for (unsigned int e = 0; e < READ_ONCE(nr_edges); e++) {
		const struct lock_edge *ed = &edges[e];
		const struct lock_class *a = &classes[ed->from];
		const struct lock_class *b = &classes[ed->to];

		if (!ed->live)
			continue;
		pr_report("LOCKDEP_EDGE %s (%s:%d) -> %s (%s:%d) first at "
			  "%s:%d in %s()\n",
			  a->name, a->file, a->line, b->name, b->file, b->line,
			  ed->site->file, ed->site->line, ed->site->func);
	}
}
