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
__noreturn void spin_report(spinlock_t *lock, const char *what);

/*
 * A test's hold on a waiter: when set, a CPU that finds a lock taken
 * in test-and-set mode calls it with the lock, before it spins.
 * tests/test_sched.c uses it to stop a waker between reading its
 * task's CPU and locking that CPU's run queue. NULL otherwise. Any
 * context, interrupts maybe off: it must take no lock.
 */
extern void (*spin_contended_window)(const spinlock_t *lock);

/* Record who holds the lock, for reports (and spin_held_here). */
static __always_inline void spin_mark_held(spinlock_t *lock,
					   const struct lockdep_site *site)
{
	lock->holder_cpu = smp_processor_id();
	lock->holder_site = site;
}

/*
 * Take the lock; the caller has dealt with preemption and interrupts.
 * lockdep hears of an acquisition before the wait, so an order that can
 * deadlock is reported even on the run where it does.
 */
static __always_inline void spin_acquire(spinlock_t *lock,
					 const struct lockdep_site *site)
{
	if (unlikely(lock->holder_cpu == (int)smp_processor_id() &&
		     spin_is_locked(lock)))
		spin_report(lock, "recursive locking on this CPU");
	lockdep_acquire(&lock->dep, site, false);
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
	spin_mark_held(lock, site);
}

/* Give the lock up; only its holder may. */
static __always_inline void spin_release(spinlock_t *lock)
{
	if (unlikely(lock->holder_cpu != (int)smp_processor_id()))
		spin_report(lock, "unlocked by a CPU that does not hold it");
	lockdep_release(&lock->dep);
	lock->holder_cpu = -1;
	barrier();
	/* Only the holder writes owner: a release store, as for taken. */
	if (spinlock_test_and_set)
		__atomic_store_n(&lock->taken, 0, __ATOMIC_RELEASE);
	else
		arch_store_release(&lock->owner, lock->owner + 1);
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

static __always_inline unsigned long
spin_lock_irqsave_at(spinlock_t *lock, const struct lockdep_site *site)
{
	unsigned long flags = arch_irq_save();

	preempt_disable();
	spin_acquire(lock, site);
	return flags;
}

static __always_inline void spin_unlock_irqrestore(spinlock_t *lock,
						   unsigned long flags)
{
	spin_release(lock);
	/* Interrupts first: a resched may only happen with them on. */
	preempt_count_sub(PREEMPT_OFFSET);
	arch_irq_restore(flags);
	if (preempt_count() == 0 && unlikely(this_cpu_read(need_resched)) &&
	    !arch_irqs_disabled())
		preempt_schedule_if_needed();
}

/* The raw lock without preemption bookkeeping, for the scheduler. */
#define raw_spin_lock(lock) raw_spin_lock_at(lock, LOCKDEP_SITE())

static __always_inline void raw_spin_lock_at(spinlock_t *lock,
					     const struct lockdep_site *site)
{
	spin_acquire(lock, site);
}

static __always_inline void raw_spin_unlock(spinlock_t *lock)
{
	spin_release(lock);
}

#define assert_spin_locked(lock) BUG_ON(!spin_held_here(lock))

#endif
