/*
 * Suite "crash": bugs on purpose, to check the reports they produce.
 *
 * Each case ends the boot in a panic, so each runs only when the
 * command line asks for it (ktest.crash=NAME) and is skipped otherwise;
 * the runner has one configuration per case and checks the panic
 * report line by line (tools/ktest_matrix.py, crash-*).
 */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/cmdline.h>
#include <kernel/kthread.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <kernel/ktest.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mm/tlbflush.h>
#include <mm/highmem.h>
#include <mm/page_alloc.h>
#include <mm/vmalloc.h>
#include "test_util.h"

static const char *crash_choice = "";

/*
 * Only the names below: a misspelt ktest.crash= would otherwise skip
 * every case quietly, and a run meant to end in a panic would not.
 */
static const char *const crash_names[] = {
	"null",
	"stack_overflow",
	"kthread_stack_overflow",
	"vmalloc_guard",
	"kmap_guard",
	"kmap_past_slots",
	"kunmap_irqs_off",
	"irq_leaks_kmap",
	"panic_stops_others",
	"ap_stack_overflow",
	"deaf_cpu_shootdown",
	"deaf_cpu_call",
	"deaf_cpu_call_async",
	"kmap_irqs_off",
	"kmap_in_irq",
	"vmap_in_irq",
};

static bool set_crash(const char *val)
{
	return param_choose_word(val, crash_names, ARRAY_SIZE(crash_names),
				 &crash_choice);
}
DEFINE_PARAM("ktest.crash", set_crash,
	     "null, stack_overflow, kthread_stack_overflow, vmalloc_guard, "
	     "kmap_guard, kmap_past_slots, kunmap_irqs_off, irq_leaks_kmap, "
	     "panic_stops_others, ap_stack_overflow, deaf_cpu_shootdown, "
	     "deaf_cpu_call, deaf_cpu_call_async, kmap_irqs_off, "
	     "kmap_in_irq or vmap_in_irq");

/*
 * ktest.deaf_cpu=N: the CPU the deaf_cpu_* cases silence. CPU 0 is a
 * valid choice and the interesting one: its tick is the only one that
 * advances jiffies, so a wait timed in jiffies never ends while CPU 0
 * is the one not answering. Whether N is online is only known once
 * the CPUs have started; the cases check that themselves.
 */
static unsigned int deaf_cpu;

static bool set_deaf_cpu(const char *val)
{
	uint64_t cpu;

	if (!parse_u64(val, &cpu) || cpu >= NR_CPUS)
		return false;
	deaf_cpu = (unsigned int)cpu;
	return true;
}
DEFINE_PARAM("ktest.deaf_cpu", set_deaf_cpu,
	     "a CPU number from 0 to 7, the CPU the deaf_cpu_* crash cases "
	     "silence");
_Static_assert(NR_CPUS == 8, "ktest.deaf_cpu's help names 0 to 7");

static bool crash_selected(struct ktest *t, const char *name)
{
	if (strcmp(crash_choice, name)) {
		kt_skip(t, "ends the boot; runs with ktest.crash=%s", name);
		return false;
	}
	return true;
}

static noinline void crash_null_dereference(struct ktest *t)
{
	if (!crash_selected(t, "null"))
		return;
	/* A read of address 0: nothing is mapped below PAGE_OFFSET. */
	// cppcheck-suppress nullPointer ; the bug is the point
	(void)*(volatile uint32_t *)0;
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/* Each call pushes a 1 KiB frame the compiler cannot remove. */
static noinline unsigned int crash_recurse(unsigned int depth)
{
	volatile uint8_t frame[1024];

	frame[0] = (uint8_t)depth;
	if (depth == UINT32_MAX) /* never: the guard page comes first */
		return 0;
	return crash_recurse(depth + 1) + frame[0];
}

static void crash_stack_overflow(struct ktest *t)
{
	if (!crash_selected(t, "stack_overflow"))
		return;
	KT_EXPECT_EQ(t, crash_recurse(0), 0); /* not reached */
}

static int crash_deep_thread(void *arg)
{
	return (int)crash_recurse(0); /* never returns */
}

static void crash_recurse_here(void *arg)
{
	(void)crash_recurse(0);
}

/*
 * The same recursion in a cross-CPU call to an idle AP: it runs in the
 * IPI handler on the AP's idle stack, which also has a guard page.
 */
static void crash_ap_stack_overflow(struct ktest *t)
{
	unsigned int me = smp_processor_id(), other = me, cpu;

	if (!crash_selected(t, "ap_stack_overflow"))
		return;
	for_each_online_cpu(cpu)
		if (cpu != me)
			other = cpu;
	KT_ASSERT_NE(t, other, me);
	smp_call_function_single(other, crash_recurse_here, NULL, true);
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/* The same recursion on a kthread's stack, which is in the vmalloc area. */
static void crash_kthread_stack_overflow(struct ktest *t)
{
	struct task *deep;

	if (!crash_selected(t, "kthread_stack_overflow"))
		return;
	deep = kthread_run(crash_deep_thread, NULL, "crash_deep");
	KT_ASSERT_NOT_NULL(t, deep);
	kthread_join(deep);
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/* One byte past a two-page vmalloc buffer: its guard page. */
static noinline void crash_vmalloc_guard(struct ktest *t)
{
	volatile char *buf;

	if (!crash_selected(t, "vmalloc_guard"))
		return;
	buf = vmalloc(2 * PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, buf);
	buf[2 * PAGE_SIZE] = 1;
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/*
 * kmap.debug=1 puts a guard page after every kmap_local slot: a write
 * that runs off the end of a mapped page must fault, and the report
 * must name the slot, the page and the thread.
 */
static void crash_kmap_guard_overrun(struct ktest *t)
{
	struct page *page;
	uint8_t *va;

	if (!crash_selected(t, "kmap_guard"))
		return;
	page = alloc_page(GFP_HIGHUSER);
	KT_ASSERT_NOT_NULL(t, page);
	va = kmap_local_page(page);
	kt_diag(t, "page pfn %#x mapped at %08lx",
		(unsigned int)page_to_pfn(page), (unsigned long)va);
	for (unsigned int i = 0; i <= PAGE_SIZE; i++) /* one too many */
		((volatile uint8_t *)va)[i] = 0xee;
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/*
 * The kmap range has room for more slots than NR_CPUS CPUs use (the
 * fixmap keeps enough for kmap.debug's guard pages). A wild access just
 * past the last CPU's slots maps nothing, and the report must say so,
 * not decode the address as a slot of a CPU that does not exist.
 */
static noinline void crash_kmap_past_slots(struct ktest *t)
{
	uintptr_t va;

	if (!crash_selected(t, "kmap_past_slots"))
		return;
	/* The fixmap grows down: one page below the last CPU's last slot. */
	va = kmap_local_slot_address(NR_CPUS - 1, KM_MAX_IDX - 1) - PAGE_SIZE;
	kt_diag(t, "reading %08lx", (unsigned long)va);
	(void)*(volatile uint32_t *)va;
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/*
 * kunmap() with interrupts off. kmap_lock is held across the pool's
 * wrap flush, which waits for every other CPU to answer its IPI; a CPU
 * spinning for kmap_lock with interrupts off never answers, so the two
 * wait for each other for good. kmap() refuses that context; kunmap()
 * must too, at once and by name, not as a shootdown timeout seconds
 * later. A thread on another CPU wraps the pool over and over while
 * this one kunmaps with interrupts off.
 */
#define CRASH_POOL_PAGES (LAST_PKMAP + 1)

static struct page *crash_pool[CRASH_POOL_PAGES];

static int crash_pool_wrapper(void *arg)
{
	for (unsigned int i = 0;; i++) {
		struct page *page = crash_pool[i % CRASH_POOL_PAGES];

		kmap(page);
		kunmap(page);
	}
	return 0;
}

static void crash_kunmap_irqs_off(struct ktest *t)
{
	struct page *mine;
	struct task *w;

	if (!crash_selected(t, "kunmap_irqs_off"))
		return;
	for (unsigned int i = 0; i < CRASH_POOL_PAGES; i++) {
		crash_pool[i] = alloc_page(GFP_HIGHUSER);
		KT_ASSERT_NOT_NULL(t, crash_pool[i]);
		KT_ASSERT_TRUE(t, PageHighMem(crash_pool[i]));
	}
	mine = alloc_page(GFP_HIGHUSER);
	KT_ASSERT_NOT_NULL(t, mine);
	w = kthread_create(crash_pool_wrapper, NULL, "kwrapper");
	KT_ASSERT_NOT_NULL(t, w);
	kthread_bind(w, smp_processor_id() ? 0 : 1);
	kthread_start(w);
	for (;;) {
		unsigned long flags;

		kmap(mine);
		flags = arch_irq_save();
		kunmap(mine); /* the bug under test */
		arch_irq_restore(flags);
	}
}

/*
 * An interrupt handler that maps a page with kmap_local_page() and
 * returns without unmapping it. The map would become the interrupted
 * task's, to be found much later as an unbalanced migrate_enable() or
 * an unmap out of order; interrupt dispatch must catch it on the spot
 * and name the handler.
 */
#define LEAKY_VECTOR (FIRST_EXTERNAL_VECTOR + 0x20)

static struct page *leaky_page;

static void crash_leaky_irq_handler(struct arch_regs *regs)
{
	(void)kmap_local_page(leaky_page); /* the bug under test */
}

static void crash_irq_leaks_kmap(struct ktest *t)
{
	if (!crash_selected(t, "irq_leaks_kmap"))
		return;
	leaky_page = alloc_page(GFP_HIGHUSER);
	KT_ASSERT_NOT_NULL(t, leaky_page);
	arch_set_interrupt_handler(LEAKY_VECTOR, crash_leaky_irq_handler);
	KT_ASSERT_FALSE(t, arch_irqs_disabled());
	arch_raise_interrupt(LEAKY_VECTOR);
	KT_EXPECT_TRUE(t, false); /* not reached */
}

/*
 * kmap() where the pool's wrap flush could never finish: with
 * interrupts off, or in an interrupt handler. docs/highmem.rst says
 * both are refused by name; these three cases are what shows it, one
 * boot each (crash-kmap-irqs-off, crash-kmap-in-irq, crash-vmap-in-irq).
 * A lowmem page would be let through: it takes no slot, so only a
 * highmem page tests the refusal.
 */
#define MISUSE_VECTOR (FIRST_EXTERNAL_VECTOR + 0x21)

static struct page *misuse_page;
static void (*misuse)(void);

static void misuse_kmap(void)
{
	kmap(misuse_page); /* the bug under test */
}

static void misuse_vmap(void)
{
	vmap(&misuse_page, 1, MAP_READ); /* the bug under test */
}

static void crash_misuse_irq_handler(struct arch_regs *regs)
{
	misuse();
}

/* Do what on a highmem page, with interrupts off or in a handler. */
static void crash_misuse(struct ktest *t, const char *name, void (*what)(void),
			 bool in_irq)
{
	if (!crash_selected(t, name))
		return;
	misuse_page = alloc_page(GFP_HIGHUSER);
	KT_ASSERT_NOT_NULL(t, misuse_page);
	KT_ASSERT_TRUE(t, PageHighMem(misuse_page));
	misuse = what;
	if (in_irq) {
		arch_set_interrupt_handler(MISUSE_VECTOR,
					   crash_misuse_irq_handler);
		KT_ASSERT_FALSE(t, arch_irqs_disabled());
		arch_raise_interrupt(MISUSE_VECTOR);
	} else {
		unsigned long flags = arch_irq_save();

		misuse();
		arch_irq_restore(flags);
	}
	KT_EXPECT_TRUE(t, false); /* not reached */
}

static void crash_kmap_irqs_off(struct ktest *t)
{
	crash_misuse(t, "kmap_irqs_off", misuse_kmap, false);
}

static void crash_kmap_in_irq(struct ktest *t)
{
	crash_misuse(t, "kmap_in_irq", misuse_kmap, true);
}

static void crash_vmap_in_irq(struct ktest *t)
{
	crash_misuse(t, "vmap_in_irq", misuse_vmap, true);
}

/*
 * A panic while another CPU prints in a loop with interrupts off: the
 * panicking CPU must stop it first (an NMI gets through), so not one
 * of its lines lands inside or after the report.
 */
static volatile unsigned int chatter_started;

static int crash_chatter(void *arg)
{
	unsigned long flags = arch_irq_save();

	for (unsigned int n = 0;; n++) {
		chatter_started = 1;
		printk("chatter %u\n", n);
	}
	arch_irq_restore(flags);
	return 0;
}

static void crash_panic_stops_others(struct ktest *t)
{
	struct task *chatter;

	if (!crash_selected(t, "panic_stops_others"))
		return;
	KT_ASSERT_GT(t, num_online_cpus(), 1);
	chatter = kthread_create(crash_chatter, NULL, "chatter");
	KT_ASSERT_NOT_NULL(t, chatter);
	kthread_bind(chatter, smp_processor_id() ? 0 : 1);
	kthread_start(chatter);
	while (!chatter_started)
		yield();
	panic("deliberate, with another CPU printing");
}

/*
 * A deaf CPU: a thread bound to ktest.deaf_cpu turns interrupts off
 * there for good and halts, so that CPU takes no tick and answers no
 * IPI (only panic's NMI reaches it). Another CPU, the asker, then waits
 * for it: the wait must end in a panic that names the deaf CPU, on the
 * asker's own clock, whichever CPU is deaf. Halted rather than
 * spinning, the deaf CPU leaves the host's cores to the CPUs that do
 * answer, which under an emulator are host threads too.
 */
static volatile bool deaf_cpu_silent;

static int crash_deaf_thread(void *arg)
{
	(void)arch_irq_save(); /* for good: the point of the case */
	WRITE_ONCE(deaf_cpu_silent, true);
	arch_halt_forever();
	return 0;
}

static void crash_call_nothing(void *arg)
{
}

static void ask_shootdown(void)
{
	flush_tlb_all();
}

/* A waiting call to every other CPU: the wait for several csds. */
static void ask_call_all(void)
{
	on_each_cpu(crash_call_nothing, NULL, true);
}

/*
 * Two calls that do not wait: the first stays queued at the deaf CPU,
 * so the second must claim a csd the deaf CPU never lets go of.
 */
static void ask_call_async_twice(void)
{
	smp_call_function_single(deaf_cpu, crash_call_nothing, NULL, false);
	smp_call_function_single(deaf_cpu, crash_call_nothing, NULL, false);
}

struct deaf_question {
	const char *crash; /* its ktest.crash= name */
	void (*ask)(void); /* must not return */
};

static const struct deaf_question *deaf_question; /* set before start */

/* The asker: waits until the deaf CPU is silent, then asks it. */
static int crash_deaf_asker(void *arg)
{
	while (!READ_ONCE(deaf_cpu_silent))
		yield();
	deaf_question->ask();
	panic("the deaf CPU %u answered (ktest.crash=%s)", deaf_cpu,
	      deaf_question->crash);
	return 0;
}

static void crash_deaf_cpu(struct ktest *t, const struct deaf_question *q)
{
	unsigned int asker_cpu = kt_online_cpu_other_than(deaf_cpu);
	struct task *deaf, *asker;

	if (!crash_selected(t, q->crash))
		return;
	if (!cpu_is_online(deaf_cpu) || asker_cpu == deaf_cpu) {
		kt_diag(t,
			"ktest.deaf_cpu=%u cannot work: it needs an online "
			"CPU and another to ask it (online mask %#x)",
			deaf_cpu, cpu_online_mask());
		KT_ASSERT_TRUE(t, false);
	}
	/* Both threads exist before the CPU goes deaf: creating one may
	 * need a shootdown, which is the asker's job. */
	deaf_question = q;
	asker = kthread_create(crash_deaf_asker, NULL, "crash_asker");
	KT_ASSERT_NOT_NULL(t, asker);
	deaf = kthread_create(crash_deaf_thread, NULL, "crash_deaf");
	KT_ASSERT_NOT_NULL(t, deaf);
	kthread_bind(asker, asker_cpu);
	kthread_bind(deaf, deaf_cpu);
	kt_diag(t, "CPU %u goes deaf; CPU %u asks it (%s)", deaf_cpu, asker_cpu,
		q->crash);
	kthread_start(asker);
	kthread_start(deaf);
	kthread_join(asker);	  /* never returns: the asker panics */
	KT_EXPECT_TRUE(t, false); /* not reached */
}

static void crash_deaf_cpu_shootdown(struct ktest *t)
{
	static const struct deaf_question q = { "deaf_cpu_shootdown",
						ask_shootdown };

	crash_deaf_cpu(t, &q);
}

static void crash_deaf_cpu_call(struct ktest *t)
{
	static const struct deaf_question q = { "deaf_cpu_call", ask_call_all };

	crash_deaf_cpu(t, &q);
}

static void crash_deaf_cpu_call_async(struct ktest *t)
{
	static const struct deaf_question q = { "deaf_cpu_call_async",
						ask_call_async_twice };

	crash_deaf_cpu(t, &q);
}

static const struct ktest_case crash_cases[] = {
	KTEST_CASE(crash_null_dereference),
	KTEST_CASE(crash_stack_overflow),
	KTEST_CASE(crash_kthread_stack_overflow),
	KTEST_CASE(crash_vmalloc_guard),
	KTEST_CASE(crash_kmap_guard_overrun),
	KTEST_CASE(crash_kmap_past_slots),
	KTEST_CASE(crash_kunmap_irqs_off),
	KTEST_CASE(crash_irq_leaks_kmap),
	KTEST_CASE(crash_kmap_irqs_off),
	KTEST_CASE(crash_kmap_in_irq),
	KTEST_CASE(crash_vmap_in_irq),
	KTEST_CASE(crash_panic_stops_others),
	KTEST_CASE(crash_ap_stack_overflow),
	KTEST_CASE(crash_deaf_cpu_shootdown),
	KTEST_CASE(crash_deaf_cpu_call),
	KTEST_CASE(crash_deaf_cpu_call_async),
};
KTEST_SUITE(crash, crash_cases);
