/*
 * Spinlocks (see include/kernel/spinlock.h for the contract).
 *
 * Two algorithms, one chosen for the whole kernel at boot:
 *
 * Ticket order. One locked xadd takes a ticket, then plain reads wait
 * until `owner` reaches it. Fair: CPUs get the lock in the order they
 * asked. On real hardware, where every CPU always runs, this is what
 * you want, and it is the default there.
 *
 * Test-and-set. Swap `taken` to 1; whoever saw 0 holds the lock. Any
 * waiter may win. Under a hypervisor this is the better lock, because
 * a virtual CPU is a host thread the host may deschedule at any time.
 * Ticket order then hands the lock to one particular vCPU, and if that
 * vCPU is not running, every other waiter spins until the host runs
 * it: each hand-over costs a host scheduling delay. Measured here,
 * under QEMU with -smp 4 on two host cores, four CPUs incrementing a
 * counter managed about 2,000 ticket hand-overs a second, and
 * 4,000,000 test-and-set acquisitions in under two seconds. Linux
 * makes the same choice for guests that have no paravirtual way to
 * wake a waiting vCPU.
 *
 * spinlock=auto (the default) picks test-and-set when CPUID says a
 * hypervisor is present (QEMU sets that bit), ticket otherwise;
 * spinlock=ticket or spinlock=tas forces one.
 *
 * A lock spun on for over SPIN_LIMIT rounds is almost certainly a
 * deadlock: recursion on the same CPU is caught at once, anything else
 * after the limit, and both are reported with the holder's CPU and the
 * place it took the lock.
 */
#include <arch/barrier.h>
#include <arch/cpu.h>
#include <kernel/cmdline.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <lib/string.h>

#define SPIN_LIMIT (1u << 30)

enum spin_mode_choice {
	SPIN_AUTO,
	SPIN_TICKET,
	SPIN_TAS
};

static const char *const spin_words[] = {
	[SPIN_AUTO] = "auto", [SPIN_TICKET] = "ticket", [SPIN_TAS] = "tas"
};
static unsigned int spin_choice = SPIN_AUTO;
bool spinlock_test_and_set;

DEFINE_PARAM_CHOICE("spinlock", spin_words, spin_choice, "auto, ticket or tas");

/*
 * Switching is safe only while no lock is held and no other CPU runs:
 * an unheld lock reads as free in both modes (owner == next, taken 0).
 */
void spinlock_select_mode(void)
{
	bool hypervisor = arch_hypervisor_present();

	spinlock_test_and_set = spin_choice == SPIN_TAS ||
				(spin_choice == SPIN_AUTO && hypervisor);
	pr_info("spinlock: %s (%s%s)\n",
		spinlock_test_and_set ? "test-and-set" : "ticket order",
		spin_choice == SPIN_AUTO ? "auto: " : "spinlock=",
		spin_choice != SPIN_AUTO ? spin_words[spin_choice]
		: hypervisor		 ? "a hypervisor is present"
					 : "no hypervisor");
}

void spin_lock_init_at(spinlock_t *lock, const char *name, const char *file,
		       int line)
{
	lock->owner = lock->next = 0;
	lock->taken = 0;
	lock->holder_cpu = -1;
	lock->holder_site = NULL;
	lock->dep = (struct lockdep_map){ .name = name,
					  .file = file,
					  .line = line };
}

noinline void spin_report(spinlock_t *lock, const char *what)
{
	const struct lockdep_site *site = lock->holder_site;

	if (!site)
		panic("spinlock %s: %s (held by CPU %d)", lock->dep.name, what,
		      lock->holder_cpu);
	panic("spinlock %s: %s (held by CPU %d, taken at %s:%d in %s())",
	      lock->dep.name, what, lock->holder_cpu, site->file, site->line,
	      site->func);
}

/* The inline path has tested lockdep_on already. */
/*
 * A caller of the _on and _cpu forms read its CPU number once, for the
 * lock and its holder record; one that read it before it could still
 * move would record, and later check, the wrong holder.
 */
static void spin_check_cpu(const spinlock_t *lock, int cpu, const char *op)
{
	WARN(cpu != (int)smp_processor_id(),
	     "%s %s (%s:%d) on CPU %u, told it was CPU %d", op, lock->dep.name,
	     lock->dep.file, lock->dep.line, smp_processor_id(), cpu);
}

noinline void spin_lockdep_acquire(spinlock_t *lock, int cpu,
				   const struct lockdep_site *site)
{
	spin_check_cpu(lock, cpu, "lock of");
	__lockdep_acquire(&lock->dep, site, false);
}

noinline void spin_lockdep_release(spinlock_t *lock, int cpu)
{
	spin_check_cpu(lock, cpu, "unlock of");
	__lockdep_release(&lock->dep);
}

/*
 * See include/kernel/spinlock.h. Looked at only here, once a lock has
 * been found taken: the uncontended path never reads it.
 */
void (*spin_contended_window)(const spinlock_t *lock);

/*
 * The waits live out of line, so the uncontended path through
 * spin_acquire() (include/kernel/spinlock.h) is one atomic instruction
 * and a not-taken branch.
 */
noinline void spin_wait_tas(spinlock_t *lock)
{
	unsigned int spins = 0;

	if (unlikely(spin_contended_window))
		spin_contended_window(lock);

	/* Read until it looks free, then try: no bus-locked spin. */
	do {
		while (READ_ONCE(lock->taken)) {
			arch_cpu_relax();
			if (unlikely(++spins == SPIN_LIMIT))
				spin_report(lock, "spun too long: deadlock?");
		}
	} while (__atomic_exchange_n(&lock->taken, 1, __ATOMIC_ACQUIRE));
}

noinline void spin_wait_ticket(spinlock_t *lock, uint16_t ticket)
{
	unsigned int spins = 0;

	while (READ_ONCE(lock->owner) != ticket) {
		arch_cpu_relax();
		if (unlikely(++spins == SPIN_LIMIT))
			spin_report(lock, "spun too long: deadlock?");
	}
}

bool spin_trylock_at(spinlock_t *lock, const struct lockdep_site *site)
{
	uint32_t old, new;
	uint16_t ticket;

	preempt_disable();
	if (spinlock_test_and_set) {
		if (__atomic_exchange_n(&lock->taken, 1, __ATOMIC_ACQUIRE))
			goto fail;
		goto taken;
	}
	ticket = READ_ONCE(lock->next);
	if (READ_ONCE(lock->owner) != ticket)
		goto fail;
	/* Take ticket `next` only if nobody else took it meanwhile. */
	old = ((uint32_t)ticket << 16) | ticket;
	new = ((uint32_t)(uint16_t)(ticket + 1) << 16) | ticket;
	if (!__sync_bool_compare_and_swap((uint32_t *)lock, old, new))
		goto fail;
taken:
	spin_mark_held(lock, smp_processor_id(), site);
	lockdep_acquire(&lock->dep, site, true);
	return true;
fail:
	preempt_enable();
	return false;
}
