/*
 * The boot phase: how far the kernel has come, as a name rather than
 * a guess from hardware state. Code whose rules differ during boot
 * asks this (mm/vmalloc.c: whether a caller may sleep, and whether a
 * failing allocation may purge and wait for other CPUs).
 */
#ifndef KERNEL_SYSTEM_STATE_H
#define KERNEL_SYSTEM_STATE_H

#include <kernel/compiler.h>

enum system_state {
	/*
	 * kmain's set-up: the boot CPU runs alone (other CPUs only come
	 * up at its end, each in its idle loop), with interrupts off and
	 * no thread switches. Nothing can sleep, and nothing needs to:
	 * nobody else can hold a lock or a stale translation to wait for.
	 */
	SYSTEM_BOOTING,
	/*
	 * From the moment the boot CPU turns interrupts on: the scheduler
	 * switches threads, and every online CPU runs and fills its TLB.
	 */
	SYSTEM_RUNNING,
};

/* Written only by system_state_enter, read anywhere. */
extern enum system_state system_state;

/*
 * Move to phase next, which must be the one after the current one (a
 * phase is never left backwards or skipped: that is a panic).
 * Context: the boot CPU, at the line it names (kernel/main.c).
 */
void system_state_enter(enum system_state next);

/* Is the kernel still in kmain's set-up? Context: any. */
static inline bool system_booting(void)
{
	return READ_ONCE(system_state) == SYSTEM_BOOTING;
}

#endif
