/*
 * lockdep: a lock-order validator, teaching-sized.
 *
 * Two CPUs deadlock when one holds A and waits for B while the other
 * holds B and waits for A. That needs luck to happen in a test run, but
 * it is *possible* as soon as the kernel has once taken B while holding
 * A, and once (anywhere, any time) A while holding B. lockdep remembers
 * every such order and says so the first time the second one appears,
 * long before the two CPUs ever meet.
 *
 * It reasons about classes, not lock instances: a class is a lock's
 * definition site (its name, file and line: DEFINE_SPINLOCK,
 * SPINLOCK_INIT, spin_lock_init, DEFINE_MUTEX, mutex_init), so every
 * wait queue initialised by wait_queue_init() is one class. Each
 * acquisition while another lock is held records the edge
 * held-class -> new-class; an edge that closes a cycle is reported with
 * both chains, each edge with where it was first seen, and the kernel
 * goes on. Two locks of one class nested (two run queues) are not
 * ordered by it: that order is between instances, kept by code.
 *
 * It also reports a class taken in an interrupt handler and elsewhere
 * with interrupts on (the handler can interrupt its own CPU's holder
 * and spin for ever), and a task that may sleep while it holds a
 * spinlock, naming the lock.
 *
 * lockdep=0 on the command line turns it off (the benchmarks do).
 * Context: all of it runs in any context; reports are WARN()s.
 */
#ifndef KERNEL_LOCKDEP_H
#define KERNEL_LOCKDEP_H

#include <kernel/compiler.h>

/* Where a lock was taken: one constant per call site, in .rodata. */
struct lockdep_site {
	const char *file;
	int line;
	const char *func;
};

/*
 * The site of the code this expands in. A statement expression, so
 * only inside a function: the lock macros use it.
 */
#define LOCKDEP_SITE()                                              \
	({                                                          \
		static const struct lockdep_site __lockdep_site = { \
			__FILE__, __LINE__, __func__                \
		};                                                  \
		&__lockdep_site;                                    \
	})

struct lock_class;

/*
 * What every spinlock and mutex carries for lockdep: its class's
 * identity, and the class itself once the first acquisition has looked
 * it up (written once, to the same value by whoever gets there first).
 */
struct lockdep_map {
	const char *name;
	const char *file; /* where the lock is defined or initialised */
	int line;
	struct lock_class *class;
};

#define LOCKDEP_MAP_INIT(lname)                                    \
	{                                                          \
		.name = lname, .file = __FILE__, .line = __LINE__, \
		.class = NULL                                      \
	}

/* A lock held: by this CPU (spinlocks) or this task (mutexes). */
struct lockdep_held {
	struct lockdep_map *map;
	const struct lockdep_site *site;
	bool in_irq;	     /* taken in an interrupt handler */
	bool sleep_reported; /* a sleep under it was reported */
};

#define LOCKDEP_TASK_HELD_MAX 8

/* The mutexes a task holds, in struct task (it may sleep with them). */
struct lockdep_task {
	unsigned int depth;
	struct lockdep_held held[LOCKDEP_TASK_HELD_MAX];
};

/*
 * lockdep=0 (the benchmarks' setting) must cost the lock path one
 * predicted branch, not a call: each test below is inline, the work
 * out of line. Written at boot, and cleared if a table overflows.
 */
extern bool lockdep_on;

/*
 * Called by the lock code: after a spinlock is taken (sleeps false) or
 * before a task waits for a mutex (sleeps true; lockdep_mutex_acquired
 * once it has it). A trylock records no order (it never waits) but
 * counts as held. Context: any.
 */
void __lockdep_acquire(struct lockdep_map *map, const struct lockdep_site *site,
		       bool trylock);
void __lockdep_release(struct lockdep_map *map);

static inline void lockdep_acquire(struct lockdep_map *map,
				   const struct lockdep_site *site,
				   bool trylock)
{
	if (READ_ONCE(lockdep_on))
		__lockdep_acquire(map, site, trylock);
}

static inline void lockdep_release(struct lockdep_map *map)
{
	if (READ_ONCE(lockdep_on))
		__lockdep_release(map);
}
void __lockdep_mutex_wait(struct lockdep_map *map,
			  const struct lockdep_site *site);
void __lockdep_mutex_acquired(struct lockdep_map *map,
			      const struct lockdep_site *site);
void __lockdep_mutex_release(struct lockdep_map *map);

static inline void lockdep_mutex_wait(struct lockdep_map *map,
				      const struct lockdep_site *site)
{
	if (READ_ONCE(lockdep_on))
		__lockdep_mutex_wait(map, site);
}

static inline void lockdep_mutex_acquired(struct lockdep_map *map,
					  const struct lockdep_site *site)
{
	if (READ_ONCE(lockdep_on))
		__lockdep_mutex_acquired(map, site);
}

static inline void lockdep_mutex_release(struct lockdep_map *map)
{
	if (READ_ONCE(lockdep_on))
		__lockdep_mutex_release(map);
}

/*
 * The caller (file:line) may sleep: report it, naming the lock, if this
 * CPU holds a spinlock in task context (once per time the lock is
 * held). Returns true if a spinlock is held: the caller need not
 * report the atomic context again.
 */
bool __lockdep_sleep_check(const char *file, int line);

static inline bool lockdep_sleep_check(const char *file, int line)
{
	return READ_ONCE(lockdep_on) && __lockdep_sleep_check(file, line);
}

/* Reports since boot (every kind), for tests. */
unsigned long lockdep_report_count(void);

/*
 * Remove map's class from the graph: its edges, its interrupt usage.
 * For tests that plant bugs, so a second run reports them again and
 * the graph dumped at the end holds only the kernel's own order.
 * Context: no lock of that class held anywhere.
 */
void lockdep_forget(struct lockdep_map *map);

/* Print every edge as "LOCKDEP_EDGE a (file:line) -> b (file:line)". */
void lockdep_print_edges(void);

bool lockdep_enabled(void);

#endif
