/*
 * The monitor's narrated demonstrations: demo kmap_local, demo kmap,
 * demo shootdown. Each walks through one interface step by step on the
 * live kernel, printing the addresses, slots, counts and page-table
 * entries as they change, so a reader can watch what docs/highmem.rst
 * describes happen. Run from the monitor thread (process context).
 */
#include <arch/mmu.h>
#include <kernel/monitor.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/page_alloc.h>
#include <mm/tlbflush.h>
#include <mm/vmalloc.h>

static struct page *demo_page(const char *why)
{
	struct page *page = alloc_page(GFP_HIGHUSER);

	if (!page)
		return NULL;
	printk("  allocated %s: pfn %#lx (phys %#llx), %s\n", why,
	       (unsigned long)page_to_pfn(page),
	       (unsigned long long)page_to_phys(page),
	       PageHighMem(page) ? "highmem: no permanent address"
				 : "lowmem (this machine has no highmem)");
	return page;
}

static void show_slot(const char *what, const void *va)
{
	struct task *self = current_task();

	printk("  %s at %08lx on CPU %u; this task holds %d local map(s); "
	       "PTE %016llx\n",
	       what, (unsigned long)va, smp_processor_id(), self->kmap_ctrl.idx,
	       (unsigned long long)arch_get_kernel_pte((uintptr_t)va &
						       PAGE_MASK));
}

static void demo_kmap_local(void)
{
	struct page *a = demo_page("page A"), *b = demo_page("page B");
	uint32_t *pa, *pb;

	if (!a || !b)
		goto out;
	printk("1. kmap_local_page(A): migration off, push a slot of this "
	       "CPU, write its PTE\n");
	pa = kmap_local_page(a);
	show_slot("A mapped", pa);
	printk("   page_address(A) = %p (local maps are never recorded)\n",
	       page_address(a));
	printk("2. kmap_local_page(B) nests on top: the next slot\n");
	pb = kmap_local_page(b);
	show_slot("B mapped", pb);
	pa[0] = 0xA;
	pb[0] = 0xB;
	printk("3. kunmap_local(B) first (strict stack order): clear its "
	       "PTE, invlpg here, pop\n");
	kunmap_local(pb);
	printk("   B's slot PTE is now %016llx\n",
	       (unsigned long long)arch_get_kernel_pte((uintptr_t)pb));
	printk("4. kunmap_local(A): the stack is empty, migration back on\n");
	kunmap_local(pa);
	show_slot("A's old slot", pa);
out:
	if (a)
		free_page(a);
	if (b)
		free_page(b);
}

static void demo_kmap(void)
{
	struct page *page = demo_page("a page");
	struct pkmap_stats s0, s1;
	unsigned int nr;
	void *p;

	if (!page)
		return;
	if (!PageHighMem(page)) {
		printk("  lowmem: kmap() just returns %p\n", kmap(page));
		kunmap(page);
		free_page(page);
		return;
	}
	pkmap_get_stats(&s0);
	printk("1. kmap(page): take the next free pool slot, write its PTE\n");
	p = kmap(page);
	nr = PKMAP_NR(p);
	printk("   address %p (slot %u), pkmap_count %d = 1 user + 1; "
	       "valid on every CPU\n",
	       p, nr, pkmap_slot_count(nr));
	printk("2. kmap(page) again: the same slot, one more user\n");
	kmap(page);
	printk("   pkmap_count %d\n", pkmap_slot_count(nr));
	printk("3. kunmap(page) twice: releases the address, not the page\n");
	kunmap(page);
	kunmap(page);
	printk("   pkmap_count %d (cached: PTE kept, page_address = %p)\n",
	       pkmap_slot_count(nr), page_address(page));
	printk("4. kmap_flush_unused(): cached slots back to 0, one "
	       "shootdown\n");
	kmap_flush_unused();
	pkmap_get_stats(&s1);
	printk("   pkmap_count %d, page_address = %p, shootdowns +%lu\n",
	       pkmap_slot_count(nr), page_address(page),
	       s1.shootdowns - s0.shootdowns);
	free_page(page);
}

static void read_through(void *arg)
{
	(void)READ_ONCE(*(volatile uint32_t *)arg);
}

static void print_flush_counters(void)
{
	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (cpu_is_online(c))
			printk("   CPU %u: range flushes %lu, full flushes %lu\n",
			       c, percpu_areas[c].tlb_range_flushes,
			       percpu_areas[c].tlb_full_flushes);
}

static void demo_shootdown(void)
{
	struct page *page = demo_page("a page");
	uint32_t *v;

	if (!page)
		return;
	printk("1. vmap(page) and read it on every CPU: each TLB caches "
	       "the translation\n");
	v = vmap(&page, 1, MAP_READ | MAP_WRITE);
	if (!v) {
		free_page(page);
		return;
	}
	printk("   mapped at %p\n", v);
	on_each_cpu(read_through, v, true);
	print_flush_counters();
	printk("2. vunmap clears the PTE now; vmap_purge() makes the range "
	       "reusable, after one shootdown: an IPI to every other CPU\n");
	vunmap(v);
	vmap_purge();
	print_flush_counters();
	free_page(page);
}

static void cmd_demo(const char *args)
{
	if (!strcmp(args, "kmap_local"))
		demo_kmap_local();
	else if (!strcmp(args, "kmap"))
		demo_kmap();
	else if (!strcmp(args, "shootdown"))
		demo_shootdown();
	else
		printk("usage: demo kmap_local|kmap|shootdown\n");
}
DEFINE_MONITOR_CMD("demo", cmd_demo, "demo kmap_local|kmap|shootdown",
		   "narrated walk-through, with addresses");
