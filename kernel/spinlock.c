/*
 * Ticket spinlocks (see include/kernel/spinlock.h for the contract).
 *
 * raw_spin_lock is the algorithm: one locked xadd to take a ticket,
 * then plain reads until our number comes up. A lock spun on for over
 * SPIN_LIMIT rounds is almost certainly a deadlock: recursion on the
 * same CPU is caught at once, anything else after the limit, and both
 * are reported with the holder's CPU and the place it took the lock.
 */
#include <kernel/ksyms.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>

#define SPIN_LIMIT (1u << 30)

void spin_lock_init(spinlock_t *lock, const char *name)
{
	lock->owner = lock->next = 0;
	lock->name = name;
	lock->holder_cpu = -1;
	lock->holder_pc = 0;
}

static noinline void spin_report(spinlock_t *lock, const char *what)
{
	char where[64];

	ksym_format(lock->holder_pc, where, sizeof(where));
	panic("spinlock %s: %s (held by CPU %d, taken at %s)", lock->name,
	      what, lock->holder_cpu, where);
}

static inline void raw_spin_lock_at(spinlock_t *lock, uintptr_t pc)
{
	uint16_t ticket = 1;
	unsigned int spins = 0;

	if (unlikely(lock->holder_cpu == (int)smp_processor_id() &&
		     spin_is_locked(lock)))
		spin_report(lock, "recursive locking on this CPU");
	asm volatile("lock xaddw %0, %1"
		     : "+r"(ticket), "+m"(lock->next)
		     :
		     : "memory");
	while (READ_ONCE(lock->owner) != ticket) {
		arch_cpu_relax();
		if (unlikely(++spins == SPIN_LIMIT))
			spin_report(lock, "spun too long: deadlock?");
	}
	lock->holder_cpu = smp_processor_id();
	lock->holder_pc = pc;
}

void raw_spin_lock(spinlock_t *lock)
{
	raw_spin_lock_at(lock, (uintptr_t)__builtin_return_address(0));
}

void raw_spin_unlock(spinlock_t *lock)
{
	if (unlikely(lock->holder_cpu != (int)smp_processor_id()))
		spin_report(lock, "unlocked by a CPU that does not hold it");
	lock->holder_cpu = -1;
	barrier();
	/* Only the holder writes owner; x86 stores are not reordered. */
	WRITE_ONCE(lock->owner, lock->owner + 1);
}

void spin_lock(spinlock_t *lock)
{
	preempt_disable();
	raw_spin_lock_at(lock, (uintptr_t)__builtin_return_address(0));
}

bool spin_trylock(spinlock_t *lock)
{
	uint32_t old, new;
	uint16_t ticket;

	preempt_disable();
	ticket = READ_ONCE(lock->next);
	if (READ_ONCE(lock->owner) != ticket)
		goto fail;
	/* Take ticket `next` only if nobody else took it meanwhile. */
	old = ((uint32_t)ticket << 16) | ticket;
	new = ((uint32_t)(uint16_t)(ticket + 1) << 16) | ticket;
	if (!__sync_bool_compare_and_swap((uint32_t *)lock, old, new))
		goto fail;
	lock->holder_cpu = smp_processor_id();
	lock->holder_pc = (uintptr_t)__builtin_return_address(0);
	return true;
fail:
	preempt_enable();
	return false;
}

void spin_unlock(spinlock_t *lock)
{
	raw_spin_unlock(lock);
	preempt_enable();
}

unsigned long spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = arch_irq_save();

	preempt_disable();
	raw_spin_lock_at(lock, (uintptr_t)__builtin_return_address(0));
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	raw_spin_unlock(lock);
	/* Interrupts first: a resched may only happen with them on. */
	preempt_count_sub(PREEMPT_OFFSET);
	arch_irq_restore(flags);
	if (preempt_count() == 0 && !arch_irqs_disabled())
		preempt_schedule_if_needed();
}
