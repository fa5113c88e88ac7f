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

_Static_assert(LAST_PKMAP - 1 <= PG_PKMAP_MASK >> PG_PKMAP_SHIFT,
	       "struct page's flags cannot name every pkmap slot");

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

/*
 * Page, whose flags name slot nr, found the slot broken: name what is
 * wrong (panics). Either the slot holds another page (or none), or its
 * count is below the min the caller's use needs.
 */
static noinline void pkmap_slot_broken(const struct page *page, unsigned int nr,
				       int min)
{
	const struct page *holder = pkmap_page[nr];

	if (!holder)
		panic("pkmap: pfn %#lx names slot %u, which holds no page "
		      "(count %d)",
		      (unsigned long)page_to_pfn(page), nr, pkmap_count[nr]);
	if (holder != page)
		panic("pkmap: pfn %#lx names slot %u, which holds pfn %#lx "
		      "(count %d)",
		      (unsigned long)page_to_pfn(page), nr,
		      (unsigned long)page_to_pfn(holder), pkmap_count[nr]);
	pkmap_check_slot(nr);
	panic("pkmap slot %u: count %d, expected %d or more", nr,
	      pkmap_count[nr], min);
}

/*
 * The invariant for slot nr that page holds (count at least min): the
 * slot's page is page, and page names the slot. The caller has nr from
 * page's flags, read under kmap_lock (or has just written it there),
 * so the second half holds by construction and the check is two
 * compares, those of pkmap_page_holds() below, which the fast paths
 * make themselves.
 */
static void pkmap_check_page_slot(const struct page *page, unsigned int nr,
				  int min)
{
	if (unlikely(pkmap_count[nr] < min || pkmap_page[nr] != page))
		pkmap_slot_broken(page, nr, min);
}

/*
 * Does page hold slot nr, the one its flags name, with a count of min
 * or more? For kmap() and kunmap(), under kmap_lock. Two compares
 * answer it for any page, with a slot or without: a page without one
 * names slot 0 (its slot bits are clear), and slot 0 then belongs to
 * another page or to none, because a slot's page and that page's
 * flags always agree (the invariant above). So the fast paths need no
 * test of PG_pkmap; their slow paths tell the cases apart.
 */
static __always_inline bool pkmap_page_holds(const struct page *page,
					     unsigned int nr, int min)
{
	return pkmap_page[nr] == page && pkmap_count[nr] >= min;
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
	unsigned int nr = last_pkmap_nr; /* the cursor, in a register */

	for (unsigned int scanned = 0; scanned < LAST_PKMAP; scanned++) {
		nr = (nr + 1) & (LAST_PKMAP - 1);
		if (nr == 0) {
			stats.wraps++;
			trace_event(TR_PKMAP_WRAP, stats.wraps, 0, 0);
			flush_all_zero_pkmaps();
			scanned = 0; /* every slot at 1 is now free */
		}
		if (pkmap_count[nr] == 0)
			break;
	}
	last_pkmap_nr = nr;
	if (pkmap_count[nr] != 0)
		return -1;
	/* The slot was at 0: its entry is clear, so one install will do. */
	arch_pte_install(arch_pkmap_pte(PKMAP_ADDR(nr)),
			 arch_make_kernel_rw_pte(page_to_phys(page)));
	pkmap_count[nr] = 1;
	pkmap_page[nr] = page;
	page_flags_update(page, PG_pkmap | PG_PKMAP_MASK,
			  PG_pkmap | (nr << PG_PKMAP_SHIFT));
	/* kmap() checks the slot, then raises its count. */
	trace_event(TR_PKMAP_TAKE, nr, page_to_pfn(page), 0);
	return nr;
}

/*
 * The pool is full: sleep until a kunmap() frees a slot. kmap_lock held
 * on entry and on return, dropped while asleep.
 */
static noinline void pkmap_wait_for_slot(struct page *page)
{
	struct waiter w = { 0 };

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

/*
 * Give page, which holds no slot, a slot, sleeping while the pool is
 * full. kmap_lock held on entry and on return (dropped while asleep).
 * Returns the slot, at 1 or more and page's. A page whose flags name
 * a slot it does not hold breaks the invariant: that panics.
 */
static noinline unsigned int pkmap_map_new(struct page *page)
{
	int nr;

	if (page_pkmapped(page))
		pkmap_slot_broken(page, page_pkmap_nr(page), 1);
	stats.misses++;
	while ((nr = pkmap_take_slot(page)) < 0) {
		pkmap_wait_for_slot(page);
		/* Someone else may have mapped it while we slept. */
		if (page_pkmapped(page)) {
			nr = page_pkmap_nr(page);
			break;
		}
	}
	pkmap_check_page_slot(page, nr, 1);
	return nr;
}

/*
 * Everyone who takes kmap_lock from kmap() or kunmap() comes through
 * here first: with interrupts off, or in an interrupt handler that may
 * have interrupted the lock's holder, waiting for kmap_lock can deadlock
 * against the wrap's flush (see the top of the file). Refuse at once,
 * by name, rather than hang until a timeout.
 */
static noinline void pkmap_check_context(const char *who)
{
	if (arch_irqs_disabled() || in_interrupt())
		panic("%s() with interrupts off or in an interrupt handler "
		      "(thread %s): the pool flush could deadlock; use "
		      "kmap_local_page()",
		      who, current_task_name());
}

/* kmap() of a page that is free: say so, and map nothing. */
static noinline void *kmap_refuse_free(struct page *page)
{
	WARN(1,
	     "kmap(pfn %#lx): the page is free (freed, or never "
	     "allocated); refused",
	     (unsigned long)page_to_pfn(page));
	return NULL;
}

/*
 * The context checks of might_sleep() and pkmap_check_context() both
 * start from might_sleep_suspect(): interrupts off or in an interrupt
 * handler means a preempt count or interrupts off, which it tests. So
 * when it finds nothing, neither check can (the common case: two
 * tests, no call).
 */
void *kmap(struct page *page)
{
	uint32_t flags = READ_ONCE(page->flags);
	bool suspect = might_sleep_suspect();
	unsigned int nr;

	if (unlikely(suspect))
		__might_sleep(__FILE__, __LINE__);
	if (unlikely(flags & PG_unowned))
		return kmap_refuse_free(page);
	if (!(flags & PG_highmem))
		return lowmem_page_address(page);
	if (unlikely(suspect))
		pkmap_check_context("kmap");
	spin_lock(&kmap_lock);
	nr = page_pkmap_nr(page); /* under the lock, it stays so */
	if (likely(pkmap_page_holds(page, nr, 1))) {
		stats.hits++;
		trace_event(TR_PKMAP_HIT, nr, page_to_pfn(page), 0);
	} else {
		nr = pkmap_map_new(page);
	}
	pkmap_count[nr]++;
	spin_unlock(&kmap_lock);
	return (void *)PKMAP_ADDR(nr);
}

/*
 * kunmap() of a page with no kmap() to undo: refused, with a warning.
 * A page whose flags name a slot that is not its own breaks the
 * invariant instead: that panics. kmap_lock held; drops it.
 */
static noinline void kunmap_refuse(struct page *page)
{
	bool cached = page_pkmapped(page);

	if (cached && pkmap_page[page_pkmap_nr(page)] != page)
		pkmap_slot_broken(page, page_pkmap_nr(page), 1);

	stats.bad_unmaps++;
	spin_unlock(&kmap_lock);
	WARN(1, "kunmap(pfn %#lx): the page is not kmapped (%s)",
	     (unsigned long)page_to_pfn(page),
	     cached ? "only cached, no users" : "no pkmap slot");
}

/* A slot came free and tasks wait for one: drop kmap_lock, wake them. */
static noinline void pkmap_unlock_and_wake(void)
{
	spin_unlock(&kmap_lock);
	wake_up_all(&pkmap_wait);
}

void kunmap(struct page *page)
{
	unsigned int nr;

	if (!PageHighMem(page))
		return;
	/* The same tests pkmap_check_context() makes, inline: no call. */
	if (unlikely(arch_irqs_disabled() || in_interrupt()))
		pkmap_check_context("kunmap");
	spin_lock(&kmap_lock);
	nr = page_pkmap_nr(page);
	/* A user to drop: at 2 or more (1 is cached, with none). */
	if (unlikely(!pkmap_page_holds(page, nr, 2))) {
		kunmap_refuse(page); /* drops kmap_lock */
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
	pkmap_count[nr]--;
	trace_event(TR_PKMAP_RELEASE, nr, pkmap_count[nr], 0);
	if (unlikely(pkmap_count[nr] == 1 &&
		     !list_empty(&pkmap_wait.waiters))) {
		pkmap_unlock_and_wake();
		return;
	}
	spin_unlock(&kmap_lock);
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
	/* Counted apart, so a hit pays for one increment, not two. */
	out->maps = out->hits + out->misses;
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
	s.maps = s.hits + s.misses;
	printk("maps %lu (hits %lu), unmaps %lu, wraps %lu, shootdowns %lu, "
	       "waits %lu, bad unmaps %lu\n",
	       s.maps, s.hits, s.unmaps, s.wraps, s.shootdowns, s.waits,
	       s.bad_unmaps);
}
DEFINE_MONITOR_CMD("pkmap", cmd_pkmap, "pkmap",
		   "the kmap pool: slots in use, counters");
