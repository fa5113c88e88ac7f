/*
 * Helpers shared by the test suites that map pages (kmap, kmap_local,
 * kmap_atomic, misuse, ...): getting a highmem page or skipping the
 * case, filling and checking pages.
 */
#ifndef TESTS_KMAP_HELPERS_H
#define TESTS_KMAP_HELPERS_H

#include <kernel/ktest.h>
#include <kernel/smp.h>
#include <mm/highmem.h>
#include <mm/page_alloc.h>
#include "test_util.h"

/* A highmem page, or NULL with the case marked skipped. */
static inline struct page *kt_highmem_page(struct ktest *t)
{
	struct page *p = alloc_pages_zone(ZONE_HIGHMEM, 0);

	if (!p)
		kt_skip(t, "no highmem on this machine");
	return p;
}

/*
 * A page that kmap_local_page maps through a slot: highmem, or any page
 * under kmap.force_map=1. NULL (and skipped) if there is none.
 */
static inline struct page *kt_slot_page(struct ktest *t)
{
	struct page *p = alloc_pages_zone(ZONE_HIGHMEM, 0);

	if (!p && kmap_force_map_enabled())
		p = alloc_page(GFP_KERNEL);
	if (!p)
		kt_skip(t, "no highmem, and kmap.force_map=0");
	return p;
}

/* Fill a mapped page with a pattern derived from seed. */
static inline void kt_fill(void *va, uint32_t seed)
{
	uint32_t *w = va;

	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++)
		w[i] = seed ^ (i * 0x9e3779b9u);
}

/* How many words of a mapped page differ from kt_fill(va, seed). */
static inline unsigned int kt_check(const void *va, uint32_t seed)
{
	const uint32_t *w = va;
	unsigned int bad = 0;

	for (unsigned int i = 0; i < PAGE_SIZE / 4; i++)
		bad += w[i] != (seed ^ (i * 0x9e3779b9u));
	return bad;
}

static inline bool kt_in_kmap_slots(const void *va)
{
	uintptr_t a = (uintptr_t)va;

	return a >= FIXADDR_START && a < FIXADDR_TOP;
}

/* Cases of suite kmap_local that live in test_kmap_local_ctx.c. */
void kmap_local_switch_keeps_each_threads_own_maps(struct ktest *t);
void kmap_local_holder_never_changes_cpu(struct ktest *t);
void kmap_local_cpu_offline_waits_until_the_holder_unmaps(struct ktest *t);
void kmap_local_timer_interrupt_maps_on_top_of_the_task(struct ktest *t);
void kmap_local_ipi_handler_maps_on_top_of_the_task(struct ktest *t);
void kmap_local_preempted_map_is_not_reported_stale(struct ktest *t);

#endif
