/*
 * The event trace (include/kernel/trace.h, docs/trace.rst): one ring of
 * records per CPU, filled by that CPU alone, printed over serial as
 * text for tools/trace2chrome.py and tools/trace_check.py to read.
 *
 * Why no lock. A ring has one writer, the CPU that owns it; that CPU
 * turns its interrupts off while it claims a record and fills it, so
 * not even an interrupt handler on the same CPU can step into the
 * middle. The count is raised only after the record is whole, so a
 * reader on another CPU never sees half of one.
 *
 * Why no reader races a writer. The rings are read (dumped) and emptied
 * only while tracing is stopped; trace_stop makes sure by running a
 * cross-CPU call on every CPU and waiting for it: a CPU that ran the
 * call had its interrupts on, so it was in no record's middle.
 *
 * The rings take about 3 MiB of vmalloc space, allocated the first time
 * tracing starts, never at boot: a kernel that never traces pays
 * nothing but the test at each event site.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kernel/cmdline.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/percpu.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/trace.h>
#include <lib/format.h>
#include <lib/glob.h>
#include <lib/string.h>
#include <mm/vmalloc.h>

struct trace_ring {
	/* Written by the owner CPU only, interrupts off. */
	unsigned int count;    /* records filled: rec[0..count) */
	unsigned long dropped; /* records lost to a full ring */
	struct trace_rec rec[TRACE_RING_RECS];
};

uint32_t trace_on;
static uint32_t trace_chosen = ~0u >> (32 - TR_NR_EVENTS);
static struct trace_ring *rings; /* NR_CPUS of them, or NULL */
static uint64_t trace_start_tsc;

/* How each event's three arguments print (unused ones are ignored). */
static const struct {
	const char *name;
	const char *args;
} events[TR_NR_EVENTS] = {
	[TR_KMAP_LOCAL_MAP] = { "kmap_local_map", "idx=%u pfn=%#x" },
	[TR_KMAP_LOCAL_UNMAP] = { "kmap_local_unmap", "idx=%u" },
	[TR_KMAP_ATOMIC_MAP] = { "kmap_atomic_map", "pfn=%#x" },
	[TR_KMAP_ATOMIC_UNMAP] = { "kmap_atomic_unmap", "addr=%#x" },
	[TR_KMAP_LOCAL_SAVE] = { "kmap_local_save", "depth=%u" },
	[TR_KMAP_LOCAL_RESTORE] = { "kmap_local_restore", "depth=%u" },
	[TR_SCHED_SWITCH] = { "sched_switch",
			      "prev_depth=%u next=%08x next_depth=%u" },
	[TR_SCHED_WAKEUP] = { "sched_wakeup", "task=%08x cpu=%u" },
	[TR_PREEMPT_OFF] = { "preempt_off", "count=%#x" },
	[TR_PREEMPT_ON] = { "preempt_on", "count=%#x" },
	[TR_PKMAP_TAKE] = { "pkmap_take", "slot=%u pfn=%#x" },
	[TR_PKMAP_HIT] = { "pkmap_hit", "slot=%u pfn=%#x" },
	[TR_PKMAP_RELEASE] = { "pkmap_release", "slot=%u count=%u" },
	[TR_PKMAP_WRAP] = { "pkmap_wrap", "wraps=%u" },
	[TR_PKMAP_FLUSH] = { "pkmap_flush", "shootdown=%u" },
	[TR_PKMAP_SLEEP] = { "pkmap_sleep", "pfn=%#x" },
	[TR_PKMAP_WAKE] = { "pkmap_wake", "pfn=%#x" },
	[TR_TLB_SEND] = { "tlb_send", "mask=%#x start=%#x end=%#x" },
	[TR_TLB_RECV] = { "tlb_recv", "from=%u" },
	[TR_TLB_ACK] = { "tlb_ack", "from=%u" },
	[TR_SMP_CALL] = { "smp_call", "mask=%#x fn=%#x" },
	[TR_SMP_CALL_RUN] = { "smp_call_run", "fn=%#x" },
	[TR_VMAP] = { "vmap", "addr=%#x pages=%u" },
	[TR_VUNMAP] = { "vunmap", "addr=%#x pages=%u" },
	[TR_VMAP_PURGE] = { "vmap_purge", "start=%#x end=%#x" },
};

/* Every event name, comma-separated, for the refusal message. */
static void print_event_names(void)
{
	char line[PRINTK_LINE_MAX - 16];
	size_t n = 0;

	for (unsigned int i = 0; i < TR_NR_EVENTS && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%s",
			      events[i].name, i + 1 < TR_NR_EVENTS ? ", " : "");
	pr_err("trace: the events are: %s\n", line);
}

/* The events one glob names, as a mask (0: none). */
static uint32_t events_matching(const char *glob)
{
	uint32_t mask = 0;

	for (unsigned int i = 0; i < TR_NR_EVENTS; i++)
		if (glob_match(glob, events[i].name))
			mask |= 1u << i;
	return mask;
}

bool trace_select(const char *globs)
{
	char glob[40];
	const char *p = globs;
	uint32_t mask = 0;
	size_t len;

	while (p && glob_list_next(&p, glob, sizeof(glob), &len)) {
		uint32_t one = events_matching(glob);

		if (!len)
			continue; /* "a,,b": nothing between the commas */
		if (!one) {
			if (glob[0])
				pr_err("trace: '%s' names no event\n", glob);
			else
				pr_err("trace: a glob of %zu characters is too "
				       "long\n",
				       len);
			print_event_names();
			return false;
		}
		mask |= one;
	}
	if (!mask) {
		pr_err("trace: no event named in '%s'\n", globs);
		return false;
	}
	WRITE_ONCE(trace_chosen, mask);
	return true;
}

static bool trace_on_cmdline;

static bool set_trace(const char *val)
{
	trace_on_cmdline = trace_select(val);
	return trace_on_cmdline;
}

bool trace_requested(void)
{
	return trace_on_cmdline;
}
DEFINE_PARAM("trace", set_trace,
	     "event globs, comma-separated (kmap_local*,sched_switch, or *)");

void trace_record(enum trace_event_id id, uint32_t a, uint32_t b, uint32_t c)
{
	unsigned long flags = arch_irq_save();
	unsigned int cpu = smp_processor_id();
	struct task *t = current_task();
	struct trace_ring *r;
	struct trace_rec *e;

	/*
	 * The event site tested trace_on with interrupts on: trace_stop's
	 * call may have landed since, and the rings be in a dump or freed.
	 * Tested again now, with interrupts off, a stop cannot finish
	 * until this record is whole.
	 */
	if (unlikely(!(READ_ONCE(trace_on) & (1u << id)) || !rings)) {
		arch_irq_restore(flags);
		return;
	}
	r = &rings[cpu];
	if (unlikely(r->count >= TRACE_RING_RECS)) {
		r->dropped++;
		arch_irq_restore(flags);
		return;
	}
	e = &r->rec[r->count];
	e->tsc = arch_timestamp();
	e->task = (uint32_t)(uintptr_t)t;
	strlcpy(e->comm, t ? t->name : "-", sizeof(e->comm));
	e->id = id;
	e->cpu = cpu;
	e->in_irq = in_interrupt();
	e->arg[0] = a;
	e->arg[1] = b;
	e->arg[2] = c;
	barrier(); /* fill, then publish */
	r->count++;
	arch_irq_restore(flags);
}

void trace_clear(void)
{
	BUG_ON(READ_ONCE(trace_on));
	if (!rings)
		return;
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		rings[cpu].count = 0;
		rings[cpu].dropped = 0;
	}
}

void trace_free(void)
{
	BUG_ON(READ_ONCE(trace_on));
	vfree(rings);
	rings = NULL;
}

bool trace_start(void)
{
	might_sleep();
	if (!rings) {
		rings = vmalloc(NR_CPUS * sizeof(*rings));
		if (!rings) {
			pr_err("trace: no memory for %u rings of %u records\n",
			       NR_CPUS, TRACE_RING_RECS);
			return false;
		}
	}
	trace_stop();
	trace_clear();
	trace_start_tsc = arch_timestamp();
	barrier();
	WRITE_ONCE(trace_on, READ_ONCE(trace_chosen));
	return true;
}

static void trace_quiesce(void *unused)
{
}

void trace_stop(void)
{
	might_sleep();
	WRITE_ONCE(trace_on, 0);
	/* Every CPU leaves any record it is filling (see the top). */
	on_each_cpu(trace_quiesce, NULL, true);
}

unsigned int trace_count(unsigned int cpu)
{
	return rings && cpu < NR_CPUS ? READ_ONCE(rings[cpu].count) : 0;
}

unsigned long trace_dropped(unsigned int cpu)
{
	return rings && cpu < NR_CPUS ? READ_ONCE(rings[cpu].dropped) : 0;
}

bool trace_get(unsigned int cpu, unsigned int i, struct trace_rec *out)
{
	if (i >= trace_count(cpu))
		return false;
	*out = rings[cpu].rec[i];
	return true;
}

/* Print one record as a line (format in docs/trace.rst). */
static void dump_one(const struct trace_rec *e, uint64_t per_ms)
{
	uint64_t ns = (e->tsc - trace_start_tsc) * 1000000ull / per_ms;
	char args[96];

	snprintf(args, sizeof(args), events[e->id].args, e->arg[0], e->arg[1],
		 e->arg[2]);
	pr_report("%16s-%08x [%03u] %c %6llu.%06llu: %s: %s\n", e->comm,
		  (unsigned int)e->task, e->cpu, e->in_irq ? 'h' : '.',
		  (unsigned long long)(ns / 1000000000ull),
		  (unsigned long long)(ns % 1000000000ull / 1000),
		  events[e->id].name, args);
}

/* The CPU whose next record (pos[cpu]) is oldest, or -1 at the end. */
static int oldest_next(const unsigned int pos[NR_CPUS])
{
	int best = -1;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (pos[cpu] >= trace_count(cpu))
			continue;
		if (best < 0 || rings[cpu].rec[pos[cpu]].tsc <
					rings[best].rec[pos[best]].tsc)
			best = cpu;
	}
	return best;
}

void trace_dump(void)
{
	unsigned int pos[NR_CPUS] = { 0 }, total = 0;
	uint64_t per_ms = arch_timestamp_per_ms();
	int cpu;

	BUG_ON(READ_ONCE(trace_on));
	pr_report("# tracer: hmos events, %u CPUs, clock %llu counts/ms\n",
		  num_online_cpus(), (unsigned long long)per_ms);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (trace_dropped(c))
			pr_report("# dropped: cpu %u lost %lu records (ring "
				  "full)\n",
				  c, trace_dropped(c));
	pr_report("#             TASK-ID       CPU  IRQ  TIMESTAMP  "
		  "EVENT: ARGS\n");
	while (rings && per_ms && (cpu = oldest_next(pos)) >= 0) {
		dump_one(&rings[cpu].rec[pos[cpu]++], per_ms);
		total++;
	}
	pr_report("# end of trace: %u records\n", total);
}

/* The monitor's trace: start, stop, dump or clear. */
static void cmd_trace(const char *args)
{
	if (!strcmp(args, "start")) {
		if (trace_start())
			printk("trace: recording\n");
	} else if (!strcmp(args, "stop")) {
		trace_stop();
		printk("trace: stopped\n");
	} else if (!strcmp(args, "dump")) {
		trace_stop();
		trace_dump();
	} else if (!strcmp(args, "clear")) {
		trace_stop();
		trace_clear();
		printk("trace: cleared\n");
	} else {
		printk("trace: say start, stop, dump or clear\n");
	}
}
DEFINE_MONITOR_CMD("trace", cmd_trace, "trace start|stop|dump|clear",
		   "the event trace (events chosen with trace= at boot)");
