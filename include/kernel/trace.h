/*
 * The event trace: what the mapping code did, when, on which CPU and
 * for which task, recorded so a student can watch it over time
 * (docs/trace.rst; kernel/trace.c).
 *
 * Each CPU owns a ring of fixed-size records and is the only writer of
 * its ring, so recording takes no lock: the CPU turns its interrupts
 * off for the few stores that claim and fill one record, and nothing
 * else can write there. A full ring keeps the oldest records and counts
 * the ones it drops, so a trace never silently loses its beginning.
 *
 * Every event site is one call to trace_event(): an inline test of one
 * global word, false while tracing is off (a predicted branch), with
 * the recording out of line.
 *
 * The control calls below (trace_select, trace_start, trace_stop,
 * trace_clear, trace_free, trace_dump) are for one thread at a time:
 * the boot's tests or the monitor, which never run together, or a
 * benchmark whose threads hand the trace on through their own wait
 * (tests/bench_latency.c: its sleeper stops what the waker started),
 * so they take no lock of their own.
 *
 * Usage:
 *	trace=kmap_local*,sched_switch      (command line: which events)
 *	trace_start();  ...  trace_stop();  trace_dump();
 * or the monitor's `trace start`, `trace stop`, `trace dump`.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <kernel/compiler.h>

/* Names in kernel/trace.c (trace_event_names), in this order. */
enum trace_event_id {
	TR_KMAP_LOCAL_MAP,     /* idx, pfn */
	TR_KMAP_LOCAL_UNMAP,   /* idx */
	TR_KMAP_ATOMIC_MAP,    /* pfn */
	TR_KMAP_ATOMIC_UNMAP,  /* address */
	TR_KMAP_LOCAL_SAVE,    /* prev's depth (its slots left this CPU) */
	TR_KMAP_LOCAL_RESTORE, /* next's depth (its slots came back) */
	TR_SCHED_SWITCH,       /* prev depth, next task, next depth */
	TR_SCHED_WAKEUP,       /* task woken, its CPU */
	TR_PREEMPT_OFF,	       /* preempt count after */
	TR_PREEMPT_ON,	       /* preempt count before */
	TR_PKMAP_TAKE,	       /* slot, pfn */
	TR_PKMAP_HIT,	       /* slot, pfn */
	TR_PKMAP_RELEASE,      /* slot, count left */
	TR_PKMAP_WRAP,	       /* wraps so far */
	TR_PKMAP_FLUSH, /* 1 if cached slots were freed (a shootdown follows) */
	TR_PKMAP_SLEEP, /* pfn waited for */
	TR_PKMAP_WAKE,	/* pfn waited for */
	TR_TLB_SEND,	/* CPU mask, start, end */
	TR_TLB_RECV,	/* sender CPU */
	TR_TLB_ACK,	/* sender CPU (just before the sender may see it) */
	TR_SMP_CALL,	/* CPU mask, function */
	TR_SMP_CALL_RUN, /* function */
	TR_VMAP,	 /* address, pages */
	TR_VUNMAP,	 /* address, pages */
	TR_VMAP_PURGE,	 /* start, end */
	TR_NR_EVENTS
};

_Static_assert(TR_NR_EVENTS <= 32, "one bit per event in trace_on");

/*
 * The events being recorded now, one bit each: 0 while tracing is
 * stopped. Written by trace_start and trace_stop only; read by every
 * event site.
 */
extern uint32_t trace_on;

/* The out-of-line half of trace_event(). Context: any. */
void trace_record(enum trace_event_id id, uint32_t a, uint32_t b, uint32_t c);

/*
 * trace_event - record event id with up to three arguments, if chosen.
 * Context: any (interrupt handlers, interrupts off, locks held).
 *
 * trace_on is read plainly, so the test is one instruction on memory
 * (as lockdep_on's in include/kernel/spinlock.h): it changes only when
 * a trace starts or stops. A site that sees a start a moment late
 * records one event fewer; one that sees a stop late finds it in
 * trace_record, which tests again with interrupts off.
 */
#define trace_event(id, a, b, c)                                         \
	do {                                                             \
		if (unlikely(trace_on & (1u << (id))))                   \
			trace_record((id), (uint32_t)(a), (uint32_t)(b), \
				     (uint32_t)(c));                     \
	} while (0)

/* Records per CPU: enough for `make trace`'s scenario, with room. */
#define TRACE_RING_RECS 8192

/* One record, as the ring holds it. */
struct trace_rec {
	uint64_t tsc;  /* arch_timestamp() when recorded */
	uint32_t task; /* the task's address: its id in the dump */
	char comm[16]; /* its name, cut to 15 characters */
	uint8_t id;    /* enum trace_event_id */
	uint8_t cpu;
	uint8_t in_irq; /* recorded inside an interrupt handler */
	uint8_t pad;
	uint32_t arg[3];
};

/*
 * trace_select - choose the events trace_start records, by a glob list
 * ("kmap_local*,sched_switch", "*"). Return: false, with a message
 * listing every event name, if a glob matches none (nothing changes).
 * Context: any thread, tracing stopped.
 */
bool trace_select(const char *globs);

/*
 * trace_start - empty the rings and record the chosen events (all of
 * them if trace_select was never called). Allocates the rings the
 * first time. Return: false if there is no memory for them.
 * Context: thread, may sleep.
 */
bool trace_start(void);

/* Was trace= on the command line? (The scenario `make trace` boots.) */
bool trace_requested(void);

/*
 * trace_stop - record nothing more; the rings keep what they hold.
 * Context: thread, may sleep (it waits for every CPU to leave the
 * record it is filling).
 */
void trace_stop(void);

/* trace_clear - empty every ring. Context: tracing stopped. */
void trace_clear(void);

/*
 * trace_free - give the rings' memory back (the next trace_start
 * allocates them again). Context: thread, tracing stopped.
 */
void trace_free(void);

/*
 * trace_dump - print every record, oldest first across CPUs, one line
 * each (format in docs/trace.rst), between a header and a footer that
 * give the clock rate and each CPU's count of dropped records.
 * Context: thread, tracing stopped.
 */
void trace_dump(void);

/* How many records CPU cpu's ring holds, and how many it dropped. */
unsigned int trace_count(unsigned int cpu);
unsigned long trace_dropped(unsigned int cpu);

/* Record i (0 = oldest) of CPU cpu's ring. Return: false past the end. */
bool trace_get(unsigned int cpu, unsigned int i, struct trace_rec *out);

#endif
