/*
 * Taking CPUs out of service and back.
 *
 * cpu_offline(n) moves every task off CPU n and parks it (it stays in
 * its idle loop and takes no work). A task inside migrate_disable() -
 * for instance one holding a kmap_local_page() mapping - cannot be
 * moved, so cpu_offline waits for it to call migrate_enable(): a CPU
 * never goes away under a local mapping. cpu_online(n) brings the CPU
 * back into service.
 *
 * cpu_offline(n) refuses a caller pinned to n (bound to it, or with
 * migration disabled there, as under a kmap_local_page() map): it would
 * wait for itself. Offline it from another thread instead.
 *
 * Context: both may sleep. CPU 0 (the boot CPU) stays online.
 * Return: 0, or a negative code with a message naming the reason (no
 * such CPU, the boot CPU, already in that state, the caller pinned).
 */
#ifndef KERNEL_HOTPLUG_H
#define KERNEL_HOTPLUG_H

#include <kernel/compiler.h>

#define HOTPLUG_EINVAL (-1) /* no such CPU, or CPU 0 */
#define HOTPLUG_EBUSY  (-2) /* already in that state */
#define HOTPLUG_ESELF  (-3) /* offlining the caller's own pinned CPU */

int cpu_offline(unsigned int cpu);
int cpu_online(unsigned int cpu);

/* How many times cpu_offline() has had to wait for a pinned task. */
unsigned long hotplug_pinned_waits(void);

/*
 * The thread name cpu_offline()'s last "waiting for thread" report
 * printed ("" before the first). Read it once cpu_offline() returned.
 */
const char *hotplug_last_pinned_name(void);

/*
 * For tests only: if set, cpu_offline() calls it (in its own thread,
 * with hotplug_lock held and no spinlock) after it found a pinned task
 * and dropped the run queue locks, just before it reports that task:
 * the window in which the task may exit and be freed. NULL otherwise.
 */
extern void (*hotplug_report_window)(void);

/*
 * For tests only: if set, cpu_offline() calls it between taking the
 * first and the second of the two run queue locks it moves tasks
 * under (interrupts off, that one lock held), with the locks of the
 * CPU being emptied and of the CPU taking its tasks. It must neither
 * sleep nor take a lock. NULL otherwise.
 */
struct spinlock;
extern void (*hotplug_lock_window)(struct spinlock *src_lock,
				   struct spinlock *dst_lock);

/*
 * For tests only: if set, the CPU that cpu_online() brings back calls
 * it between its two steps, the TLB flush and joining the online mask
 * (in its call-function interrupt, interrupts off). It must neither
 * sleep nor take a lock. NULL otherwise.
 */
extern void (*hotplug_online_window)(void);

#endif
