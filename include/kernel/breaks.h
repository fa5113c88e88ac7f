/*
 * Break switches: deliberate bugs a student can turn on from the
 * command line (break=NAME[,NAME...]) to watch a test catch them.
 *
 * Each switch removes one safety step the kernel normally takes, so
 * the test that guards that step fails. The runner boots some of them
 * on purpose and checks that the right test fails: a test that cannot
 * fail when its safety step is gone would be a test that proves
 * nothing. A switch that is on is announced at boot in capitals, so a
 * log of a broken kernel can never be mistaken for a healthy one.
 *
 * There is one mechanism for all of them: add a name to enum break_id
 * and to the table in kernel/breaks.c, then ask break_enabled() at the
 * step being skipped.
 */
#ifndef KERNEL_BREAKS_H
#define KERNEL_BREAKS_H

#include <kernel/compiler.h>

enum break_id {
	/* Remote TLB flushes are skipped: only this CPU flushes. */
	BREAK_TLB_SHOOTDOWN,
	/* kmap_local slots are not saved and restored on a switch. */
	BREAK_KMAP_LOCAL_SWITCH,
	/* The pkmap pool's wrap flushes this CPU only (mm/highmem.c). */
	BREAK_PKMAP_FLUSH,
	NR_BREAKS
};

/* Which switches break= turned on; written only while parsing it. */
extern bool break_switch_on[NR_BREAKS];

/*
 * Is the break switch id on? Inline: the steps that ask are on hot
 * paths (a context switch, a pool wrap), and a healthy kernel should
 * pay one load and a branch not taken for each.
 * Context: any (a read of a flag set once at boot).
 * Return: true if break= named it on the command line.
 */
static inline bool break_enabled(enum break_id id)
{
	return id < NR_BREAKS && READ_ONCE(break_switch_on[id]);
}

#endif
