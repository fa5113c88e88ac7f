/*
 * The pkmap pool: kmap() and kunmap() (see include/mm/highmem.h).
 *
 * LAST_PKMAP page-sized slots at PKMAP_BASE, all in one page table that
 * paging.c allocated at boot. A slot is in one of three states, kept in
 * pkmap_count[] (the invariant every function below checks):
 *
 *   0     free, and no CPU's TLB can hold its old translation;
 *   1     free, but its page-table entry is still in place: the page
 *         it mapped still answers page_address(), a new kmap() of that
 *         page reuses it at no cost, and other CPUs may still have the
 *         translation cached, so it cannot be given to another page;
 *         if that page has since been freed, the slot keeps waiting
 *         for the flush but belongs to no page (pkmap_page[] NULL):
 *         a freed page has no address, and its next owner starts
 *         with page_address() == NULL;
 *   n+1   mapped, with n users (n kmap()s not yet kunmap()ed); such a
 *         page cannot be freed (free_pages refuses it by name).
 *
 * A new mapping takes the next slot at 0 after the rotating cursor.
 * When the cursor wraps round to slot 0, every slot at 1 is cleared to
 * 0 and one TLB shootdown covers them all: one global flush per trip
 * round the pool, instead of one per kunmap(). When no slot is free,
 * kmap() sleeps until a kunmap() frees one.
 *
 * The flush sends IPIs and waits for the other CPUs while holding
 * kmap_lock. So kmap_lock is never taken with interrupts off (a CPU
 * spinning on it with interrupts off could never answer the IPI), and
 * kmap() is never called from an interrupt handler.
 */
#include <kernel/breaks.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/trace.h>
#include <kernel/wait.h>
#include <mm/highmem.h>
#include <mm/tlbflush.h>
#include <arch/mmu.h>
#include <arch/pte.h>

/*
 * Protects pkmap_count, pkmap_page, last_pkmap_nr, the PG_pkmap flag
 * and slot number in struct page, and the pool's PTEs. Waited for with
 * interrupts ON, always (see above); with them off it is only tried
 * (pkmap_page_freeing). Lock order: kmap_lock, then a wait queue's lock.
 */
static DEFINE_SPINLOCK(kmap_lock);
static int pkmap_count[LAST_PKMAP];
static struct page *pkmap_page[LAST_PKMAP];
static unsigned int last_pkmap_nr;
static struct pkmap_stats stats;
/* Tasks waiting for a slot to come free. */
static struct wait_queue_head pkmap_wait = WAIT_QUEUE_HEAD_INIT(pkmap_wait);

static inline bool page_pkmapped(const struct page *page)
{
	return READ_ONCE(page->flags) & PG_pkmap;
}

static inline unsigned int page_pkmap_nr(const struct page *page)
{
	return (READ_ONCE(page->flags) & PG_PKMAP_MASK) >> PG_PKMAP_SHIFT;
}

void *page_address(const struct page *page)
{
	uint32_t flags = READ_ONCE(page->flags);

	if (!(flags & PG_highmem))
		return lowmem_page_address(page);
	if (!(flags & PG_pkmap))
		return NULL;
	return (void *)PKMAP_ADDR((flags & PG_PKMAP_MASK) >> PG_PKMAP_SHIFT);
}

/* The slot invariant, checked wherever a slot changes. */
static void pkmap_check_slot(unsigned int nr)
{
	struct page *page = pkmap_page[nr];

	BUG_ON(pkmap_count[nr] < 0);
	if (pkmap_count[nr] == 0) {
		BUG_ON(page != NULL);
	} else if (pkmap_count[nr] == 1 && page == NULL) {
		/* cached for a page that was freed: waits for the flush */
	} else {
		BUG_ON(page == NULL || !page_pkmapped(page) ||
		       page_pkmap_nr(page) != nr);
	}
}

/* A slot broke the invariant: name it (panics). */
static noinline void pkmap_slot_broken(unsigned int nr, int min)
{
	pkmap_check_slot(nr);
	panic("pkmap slot %u: count %d, expected %d or more", nr,
	      pkmap_count[nr], min);
}

/*
 * The invariant for a slot that a page holds (count at least min, 1 or
 * 2): the page names the slot. Inline, as every kmap() and kunmap()
 * checks it once: one compare of the page's flags; the report is out
 * of line.
 */
static __always_inline void pkmap_check_page_slot(unsigned int nr, int min)
{
	const struct page *page = pkmap_page[nr];
	uint32_t want = PG_pkmap | (nr << PG_PKMAP_SHIFT);

	if (unlikely(pkmap_count[nr] < min || !page ||
		     (READ_ONCE(page->flags) & (PG_pkmap | PG_PKMAP_MASK)) !=
			     want))
		pkmap_slot_broken(nr, min);
}

/*
 * Return every slot at 1 to 0 and flush all TLBs once. kmap_lock held,
 * interrupts on.
 */
static void flush_all_zero_pkmaps(void)
{
	bool need_flush;
	unsigned int cleared = 0;

	/*
	 * The entries by index (arch_pkmap_pte): no walk per slot. A wrap
	 * usually finds every slot at 1, so the loop body is most of its
	 * cost: unrolled, the loop's own test runs a quarter as often.
	 */
#pragma GCC unroll 4
	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++) {
		struct page *page = pkmap_page[nr];

		if (pkmap_count[nr] != 1)
			continue;
		pkmap_count[nr] = 0;
		pkmap_page[nr] = NULL;
		if (page) /* NULL: its page was freed meanwhile */
			page_flags_clear(page, PG_pkmap | PG_PKMAP_MASK);
		arch_pte_clear(arch_pkmap_pte(PKMAP_ADDR(nr)));
		cleared++;
	}
	need_flush = cleared != 0;
	trace_event(TR_PKMAP_FLUSH, need_flush, 0, 0);
	if (!need_flush)
		return;
	if (break_enabled(BREAK_PKMAP_FLUSH)) {
		/* The teaching bug: forget the other CPUs' TLBs. */
		flush_tlb_local_range(PKMAP_BASE, PKMAP_END);
		return;
	}
	flush_tlb_kernel_range(PKMAP_BASE, PKMAP_END);
	stats.shootdowns++;
}

/* A free slot for page, or -1 if the pool is full. kmap_lock held. */
static int pkmap_take_slot(struct page *page)
{
	for (unsigned int scanned = 0; scanned < LAST_PKMAP; scanned++) {
		last_pkmap_nr = (last_pkmap_nr + 1) & (LAST_PKMAP - 1);
		if (last_pkmap_nr == 0) {
			stats.wraps++;
			trace_event(TR_PKMAP_WRAP, stats.wraps, 0, 0);
			flush_all_zero_pkmaps();
			scanned = 0; /* every slot at 1 is now free */
		}
		if (pkmap_count[last_pkmap_nr] == 0)
			break;
	}
	if (pkmap_count[last_pkmap_nr] != 0)
		return -1;
	/* The slot was at 0: its entry is clear, so one install will do. */
	arch_pte_install(arch_pkmap_pte(PKMAP_ADDR(last_pkmap_nr)),
			 arch_make_kernel_rw_pte(page_to_phys(page)));
	pkmap_count[last_pkmap_nr] = 1;
	pkmap_page[last_pkmap_nr] = page;
	page_flags_update(page, PG_pkmap | PG_PKMAP_MASK,
			  PG_pkmap | (last_pkmap_nr << PG_PKMAP_SHIFT));
	/* kmap() checks the slot once its count is raised. */
	trace_event(TR_PKMAP_TAKE, last_pkmap_nr, page_to_pfn(page), 0);
	return last_pkmap_nr;
}

/*
 * Give page a slot, sleeping while the pool is full. kmap_lock held on
 * entry and on return (dropped while asleep). Returns the slot.
 */
static unsigned int pkmap_map_new(struct page *page)
{
	for (;;) {
		struct waiter w = { 0 };
		int nr;

		/* Someone else may have mapped it while we slept. */
		if (page_pkmapped(page))
			return page_pkmap_nr(page);
		nr = pkmap_take_slot(page);
		if (nr >= 0)
			return nr;
		if (in_atomic() && preempt_count() != PREEMPT_OFFSET)
			panic("kmap: the pool is full and the caller is in "
			      "atomic context: cannot sleep for a slot");
		stats.waits++;
		prepare_to_wait(&pkmap_wait, &w);
		spin_unlock(&kmap_lock);
		trace_event(TR_PKMAP_SLEEP, page_to_pfn(page), 0, 0);
		schedule();
		trace_event(TR_PKMAP_WAKE, page_to_pfn(page), 0, 0);
		finish_wait(&pkmap_wait, &w);
		spin_lock(&kmap_lock);
	}
}

/*
 * Everyone who takes kmap_lock from kmap() or kunmap() comes through
 * here first: with interrupts off, or in an interrupt handler that may
 * have interrupted the lock's holder, waiting for kmap_lock can deadlock
 * against the wrap's flush (see the top of the file). Refuse at once,
 * by name, rather than hang until a timeout.
 */
static void pkmap_check_context(const char *who)
{
	if (arch_irqs_disabled() || in_interrupt())
		panic("%s() with interrupts off or in an interrupt handler "
		      "(thread %s): the pool flush could deadlock; use "
		      "kmap_local_page()",
		      who, current_task_name());
}

void *kmap(struct page *page)
{
	unsigned int nr;

	might_sleep();
	if (WARN(READ_ONCE(page->flags) & PG_unowned,
		 "kmap(pfn %#lx): the page is free (freed, or never "
		 "allocated); refused",
		 (unsigned long)page_to_pfn(page)))
		return NULL;
	if (!PageHighMem(page))
		return lowmem_page_address(page);
	pkmap_check_context("kmap");
	spin_lock(&kmap_lock);
	stats.maps++;
	if (page_pkmapped(page)) {
		nr = page_pkmap_nr(page);
		stats.hits++;
		trace_event(TR_PKMAP_HIT, nr, page_to_pfn(page), 0);
	} else {
		nr = pkmap_map_new(page);
	}
	pkmap_count[nr]++;
	pkmap_check_page_slot(nr, 2);
	spin_unlock(&kmap_lock);
	return (void *)PKMAP_ADDR(nr);
}

void kunmap(struct page *page)
{
	unsigned int nr;
	bool wake;

	if (!PageHighMem(page))
		return;
	pkmap_check_context("kunmap");
	spin_lock(&kmap_lock);
	nr = page_pkmap_nr(page);
	if (!page_pkmapped(page) || pkmap_count[nr] < 2) {
		stats.bad_unmaps++;
		spin_unlock(&kmap_lock);
		WARN(1, "kunmap(pfn %#lx): the page is not kmapped (%s)",
		     (unsigned long)page_to_pfn(page),
		     page_pkmapped(page) ? "only cached, no users"
					 : "no pkmap slot");
		return;
	}
	stats.unmaps++;
	/*
	 * The PTE stays: the slot goes to 1, "free but cached". Waiters
	 * queue themselves under kmap_lock, so looking at the queue here
	 * cannot miss one, and the common case skips the wake-up's lock.
	 *
	 * Wake them all, not one: a waiter wants a page, not a slot, and
	 * may find on waking that another waiter has mapped its page
	 * meanwhile. It then takes no slot, and had it been the only one
	 * woken, the slot would stay free while the waiters behind it
	 * slept on (kmap_freed_slot_wakes_a_waiter_that_needs_it). Those
	 * that find no slot queue themselves again.
	 */
	wake = --pkmap_count[nr] == 1 && !list_empty(&pkmap_wait.waiters);
	trace_event(TR_PKMAP_RELEASE, nr, pkmap_count[nr], 0);
	pkmap_check_page_slot(nr, 1);
	spin_unlock(&kmap_lock);
	if (wake)
		wake_up_all(&pkmap_wait);
}

const char *pkmap_page_freeing(struct page *page)
{
	const char *refusal = NULL;
	unsigned int nr;

	if (!page_pkmapped(page))
		return NULL;
	/*
	 * With interrupts off, or in a handler, kmap_lock must not be
	 * waited for (see the top of the file), but trying it never waits.
	 * If it is busy, look without it: only the page's owner, who is
	 * freeing it, maps or unmaps it, so a count of 2 or more read
	 * while the flag still names the slot is this page's (the flush
	 * clears the flag before the slot goes to another page, and x86
	 * keeps both the stores and these loads in order). The cached
	 * slot then stays the page's until the next wrap.
	 */
	if (arch_irqs_disabled() || in_interrupt()) {
		if (!spin_trylock(&kmap_lock)) {
			uint32_t flags = READ_ONCE(page->flags);

			nr = (flags & PG_PKMAP_MASK) >> PG_PKMAP_SHIFT;
			if ((flags & PG_pkmap) &&
			    READ_ONCE(pkmap_count[nr]) >= 2 &&
			    READ_ONCE(page->flags) == flags)
				return "the page is still kmapped: kunmap it "
				       "first";
			return NULL;
		}
	} else {
		spin_lock(&kmap_lock);
	}
	nr = page_pkmap_nr(page);
	if (!page_pkmapped(page)) {
		/* a wrap's flush took the slot meanwhile */
	} else if (pkmap_count[nr] >= 2) {
		refusal = "the page is still kmapped: kunmap it first";
	} else {
		pkmap_page[nr] = NULL; /* the slot waits for the flush */
		page_flags_clear(page, PG_pkmap | PG_PKMAP_MASK);
		stats.freed_while_cached++;
		pkmap_check_slot(nr);
	}
	spin_unlock(&kmap_lock);
	return refusal;
}

void kmap_flush_unused(void)
{
	might_sleep();
	pkmap_check_context("kmap_flush_unused");
	spin_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	spin_unlock(&kmap_lock);
}

void pkmap_get_stats(struct pkmap_stats *out)
{
	pkmap_check_context("pkmap_get_stats");
	spin_lock(&kmap_lock);
	*out = stats;
	spin_unlock(&kmap_lock);
}

int pkmap_slot_count(unsigned int nr)
{
	return nr < LAST_PKMAP ? READ_ONCE(pkmap_count[nr]) : -1;
}

/* The monitor's pkmap: how the pool stands, and its counters. */
static void cmd_pkmap(const char *args)
{
	unsigned int state[3] = { 0 }, shown = 0;
	struct pkmap_stats s;

	spin_lock(&kmap_lock);
	for (unsigned int nr = 0; nr < LAST_PKMAP; nr++)
		state[MIN(pkmap_count[nr], 2)]++;
	printk("pkmap pool at %08x: %u free, %u cached (count 1), %u in use;"
	       " cursor at %u\n",
	       PKMAP_BASE, state[0], state[1], state[2], last_pkmap_nr);
	for (unsigned int nr = 0; nr < LAST_PKMAP && shown < 16; nr++) {
		if (pkmap_count[nr] < 2)
			continue;
		printk("  slot %3u %08lx: pfn %#lx, %d users\n", nr,
		       (unsigned long)PKMAP_ADDR(nr),
		       (unsigned long)page_to_pfn(pkmap_page[nr]),
		       pkmap_count[nr] - 1);
		shown++;
	}
	s = stats;
	spin_unlock(&kmap_lock);
	printk("maps %lu (hits %lu), unmaps %lu, wraps %lu, shootdowns %lu, "
	       "waits %lu, bad unmaps %lu\n",
	       s.maps, s.hits, s.unmaps, s.wraps, s.shootdowns, s.waits,
	       s.bad_unmaps);
}
DEFINE_MONITOR_CMD("pkmap", cmd_pkmap, "pkmap",
		   "the kmap pool: slots in use, counters");
