/*
 * Spinlocks: ticket order, or test-and-set under a hypervisor.
 *
 * In ticket mode a CPU takes a ticket (atomic fetch-and-add on `next`)
 * and waits until `owner` reaches it, so waiters are served in arrival
 * order and none starves. In test-and-set mode whoever swaps `taken`
 * from 0 to 1 first gets the lock: unfair, but it never waits for a
 * particular CPU (kernel/spinlock.c says when and why each is used).
 * Holding a spinlock disables preemption; the _irqsave
 * variants also disable interrupts on this CPU, which is required for
 * any lock an interrupt handler also takes.
 *
 * Each lock carries its name, the CPU holding it and where it was taken,
 * so a lock-up report can say who holds what. A CPU that spins far too
 * long reports that and panics. Each also belongs to a lockdep class
 * (include/kernel/lockdep.h), which checks the order locks are taken in.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <arch/barrier.h>
#include <kernel/lockdep.h>
#include <kernel/preempt.h>

typedef struct spinlock {
	volatile uint16_t owner; /* ticket being served */
	volatile uint16_t next;	 /* next ticket to hand out */
	volatile uint16_t taken; /* test-and-set mode: 1 if held */
	int holder_cpu;		 /* -1 when free */
	const struct lockdep_site *holder_site; /* where it was taken */
	struct lockdep_map dep;			/* its name and lockdep class */
} spinlock_t;

/* The lock's lockdep class is this line: where it is defined. */
#define SPINLOCK_INIT(lockname)                                      \
	{                                                            \
		.owner = 0, .next = 0, .taken = 0, .holder_cpu = -1, \
		.dep = LOCKDEP_MAP_INIT(#lockname)                   \
	}
#define DEFINE_SPINLOCK(lockname) spinlock_t lockname = SPINLOCK_INIT(lockname)

/* The lock's lockdep class is the line that calls spin_lock_init(). */
#define spin_lock_init(lock, name) \
	spin_lock_init_at(lock, name, __FILE__, __LINE__)
void spin_lock_init_at(spinlock_t *lock, const char *name, const char *file,
		       int line);

/*
 * Which algorithm every lock uses, chosen once at boot before the other
 * CPUs start (spinlock_select_mode): fair ticket order, or test-and-set
 * under a hypervisor. See kernel/spinlock.c for why.
 */
extern bool spinlock_test_and_set;

/* Boot CPU only, with no lock held: apply spinlock=auto|ticket|tas. */
void spinlock_select_mode(void);

static inline bool spin_is_locked(const spinlock_t *lock)
{
	if (spinlock_test_and_set)
		return READ_ONCE(lock->taken);
	return READ_ONCE(lock->owner) != READ_ONCE(lock->next);
}

/* True if this CPU holds the lock. */
static inline bool spin_held_here(const spinlock_t *lock)
{
	return spin_is_locked(lock) &&
	       lock->holder_cpu == (int)smp_processor_id();
}

/*
 * The fast paths below are inline: an uncontended lock is one atomic
 * instruction and a few tests, with no call. Everything else lives out
 * of line in kernel/spinlock.c: the waits (spin_wait_tas,
 * spin_wait_ticket) and the reports that name the lock, its holder CPU
 * and where it was taken (spin_report, which panics).
 */
void spin_wait_tas(spinlock_t *lock);
void spin_wait_ticket(spinlock_t *lock, uint16_t ticket);
/*
 * lockdep's hooks for a spinlock, out of line: the inline path tests
 * lockdep_on and passes the lock itself, which it has in a register
 * already, so lockdep off costs the test alone. The test reads the
 * flag plainly, one compare with memory: it changes only at boot, or
 * when lockdep gives up after a report, and the hooks test it again
 * (kernel/lockdep.c), so a read a moment late does no harm. They are
 * where a caller's CPU number (the _on and _cpu forms below take it
 * from the caller) is checked against the real one: with lockdep on.
 */
void spin_lockdep_acquire(spinlock_t *lock, int cpu,
			  const struct lockdep_site *site);
void spin_lockdep_release(spinlock_t *lock, int cpu);
__noreturn void spin_report(spinlock_t *lock, const char *what);

/*
 * A test's hold on a waiter: when set, a CPU that finds a lock taken
 * in test-and-set mode calls it with the lock, before it spins.
 * tests/test_sched.c uses it to stop a waker between reading its
 * task's CPU and locking that CPU's run queue. NULL otherwise. Any
 * context, interrupts maybe off: it must take no lock.
 */
extern void (*spin_contended_window)(const spinlock_t *lock);

/*
 * Record who holds the lock, for reports (and spin_held_here): cpu is
 * this CPU's number, which the caller has read already (with preemption
 * off it cannot change).
 */
static __always_inline void spin_mark_held(spinlock_t *lock, int cpu,
					   const struct lockdep_site *site)
{
	lock->holder_cpu = cpu;
	lock->holder_site = site;
}

/*
 * Take the lock on CPU cpu, this one; the caller has dealt with
 * preemption and interrupts, so that number stays true throughout.
 * lockdep hears of an acquisition before the wait, so an order that
 * can deadlock is reported even on the run where it does.
 */
static __always_inline void spin_acquire_on(spinlock_t *lock, int cpu,
					    const struct lockdep_site *site)
{
	if (unlikely(lock->holder_cpu == cpu && spin_is_locked(lock)))
		spin_report(lock, "recursive locking on this CPU");
	if (unlikely(lockdep_on))
		spin_lockdep_acquire(lock, cpu, site);
	if (spinlock_test_and_set) {
		if (unlikely(__atomic_exchange_n(&lock->taken, 1,
						 __ATOMIC_ACQUIRE)))
			spin_wait_tas(lock);
	} else {
		uint16_t ticket =
			__atomic_fetch_add(&lock->next, 1, __ATOMIC_ACQUIRE);

		if (unlikely(READ_ONCE(lock->owner) != ticket))
			spin_wait_ticket(lock, ticket);
	}
	spin_mark_held(lock, cpu, site);
}

static __always_inline void spin_acquire(spinlock_t *lock,
					 const struct lockdep_site *site)
{
	spin_acquire_on(lock, smp_processor_id(), site);
}

/*
 * Give the lock up on CPU cpu, this one; only its holder may. The
 * barrier has the holder read afresh from the lock: the check is for a
 * lock some other CPU took, so it must not compare with what the
 * compiler remembers this CPU writing there when it took the lock
 * (nor keep that in a register all the while).
 */
static __always_inline void spin_release_on(spinlock_t *lock, int cpu)
{
	barrier();
	if (unlikely(lock->holder_cpu != cpu))
		spin_report(lock, "unlocked by a CPU that does not hold it");
	if (unlikely(lockdep_on))
		spin_lockdep_release(lock, cpu);
	lock->holder_cpu = -1;
	barrier();
	/* Only the holder writes owner: a release store, as for taken. */
	if (spinlock_test_and_set)
		__atomic_store_n(&lock->taken, 0, __ATOMIC_RELEASE);
	else
		arch_store_release(&lock->owner, lock->owner + 1);
}

static __always_inline void spin_release(spinlock_t *lock)
{
	spin_release_on(lock, smp_processor_id());
}

/*
 * Each taking macro passes its call site, for lockdep's reports and for
 * a lock-up report's "taken at".
 *
 * Context: any; the caller must not already hold the lock.
 */
#define spin_lock(lock)	   spin_lock_at(lock, LOCKDEP_SITE())
#define spin_trylock(lock) spin_trylock_at(lock, LOCKDEP_SITE())
bool spin_trylock_at(spinlock_t *lock, const struct lockdep_site *site);

static __always_inline void spin_lock_at(spinlock_t *lock,
					 const struct lockdep_site *site)
{
	preempt_disable();
	spin_acquire(lock, site);
}

static __always_inline void spin_unlock(spinlock_t *lock)
{
	spin_release(lock);
	preempt_enable();
}

/* Context: any. Restores the interrupt state saved in flags. */
#define spin_lock_irqsave(lock) spin_lock_irqsave_at(lock, LOCKDEP_SITE())

/*
 * spin_lock_irqsave(), also handing back this CPU's number in *cpu:
 * with interrupts off it stays true until the matching
 * spin_unlock_irqrestore_on(), which takes it instead of reading it
 * again. For a function that locks and unlocks in one place.
 */
#define spin_lock_irqsave_cpu(lock, cpu) \
	spin_lock_irqsave_cpu_at(lock, cpu, LOCKDEP_SITE())

static __always_inline unsigned long
spin_lock_irqsave_cpu_at(spinlock_t *lock, int *cpu,
			 const struct lockdep_site *site)
{
	unsigned long flags = arch_irq_save();

	preempt_disable();
	*cpu = smp_processor_id();
	spin_acquire_on(lock, *cpu, site);
	return flags;
}

static __always_inline unsigned long
spin_lock_irqsave_at(spinlock_t *lock, const struct lockdep_site *site)
{
	int cpu;

	return spin_lock_irqsave_cpu_at(lock, &cpu, site);
}

/* spin_unlock_irqrestore() on CPU cpu, from spin_lock_irqsave_cpu(). */
static __always_inline void
spin_unlock_irqrestore_on(spinlock_t *lock, unsigned long flags, int cpu)
{
	spin_release_on(lock, cpu);
	barrier();
	/*
	 * The decrement's zero flag says whether preemption is back on.
	 * Interrupts first, then a resched: it may only happen with them
	 * on, which preempt_schedule_if_needed() tests (so not here too).
	 * (An interrupt in between gives back whatever count it took.)
	 */
	if (this_cpu_dec_and_test(preempt_count)) {
		arch_irq_restore(flags);
		if (unlikely(this_cpu_read(need_resched)))
			preempt_schedule_if_needed();
	} else {
		arch_irq_restore(flags);
	}
}

static __always_inline void spin_unlock_irqrestore(spinlock_t *lock,
						   unsigned long flags)
{
	spin_unlock_irqrestore_on(lock, flags, smp_processor_id());
}

/*
 * The raw lock without preemption bookkeeping, for the scheduler. The
 * _on forms take this CPU's number from a caller that has it already
 * (interrupts off, so it cannot change).
 */
#define raw_spin_lock(lock)	    raw_spin_lock_at(lock, LOCKDEP_SITE())
#define raw_spin_lock_on(lock, cpu) spin_acquire_on(lock, cpu, LOCKDEP_SITE())

static __always_inline void raw_spin_lock_at(spinlock_t *lock,
					     const struct lockdep_site *site)
{
	spin_acquire(lock, site);
}

static __always_inline void raw_spin_unlock(spinlock_t *lock)
{
	spin_release(lock);
}

static __always_inline void raw_spin_unlock_on(spinlock_t *lock, int cpu)
{
	spin_release_on(lock, cpu);
}

#define assert_spin_locked(lock) BUG_ON(!spin_held_here(lock))

#endif
