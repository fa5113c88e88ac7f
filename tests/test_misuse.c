/*
 * Suite "misuse": each case makes one mistake a caller could make with
 * the kernel's interfaces, on purpose, and checks that the kernel
 * refused it with exactly the report it promises (one warning, naming
 * the mistake) and that nothing was corrupted.
 *
 * Read it as the list of mistakes the kernel catches for you; the
 * message each one gets is in the KT_EXPECT_WARNED line.
 */
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <kernel/kthread.h>
#include <kernel/panic.h>
#include <kernel/smp.h>

static int return_zero(void *arg)
{
	return 0;
}

/* Binding to a CPU number past the array: refused, thread unbound. */
static void misuse_kthread_bind_no_such_cpu(struct ktest *t)
{
	struct task *th = kthread_create(return_zero, NULL, "bind99");
	unsigned long warns = warn_count();

	KT_ASSERT_NOT_NULL(t, th);
	KT_EXPECT_EQ(t, kthread_bind(th, 99), -EINVAL);
	KT_EXPECT_WARNED(t, warns, "CPU 99) refused: there is no such CPU");
	KT_EXPECT_EQ(t, th->bound_cpu, -1);
	kthread_start(th);
	KT_EXPECT_EQ(t, kthread_join(th), 0);
}

/* A CPU number below NR_CPUS that this machine does not have. */
static void misuse_kthread_bind_absent_cpu(struct ktest *t)
{
	unsigned int absent = NR_CPUS;
	struct task *th;
	unsigned long warns;

	for (unsigned int c = 0; c < NR_CPUS && absent == NR_CPUS; c++)
		if (!cpu_is_online(c))
			absent = c;
	if (absent == NR_CPUS) {
		kt_skip(t, "every CPU number is online");
		return;
	}
	th = kthread_create(return_zero, NULL, "bindabsent");
	KT_ASSERT_NOT_NULL(t, th);
	warns = warn_count();
	KT_EXPECT_EQ(t, kthread_bind(th, absent), -EINVAL);
	KT_EXPECT_WARNED(t, warns, "that CPU did not come up at boot");
	KT_EXPECT_EQ(t, th->bound_cpu, -1);
	kthread_start(th);
	KT_EXPECT_EQ(t, kthread_join(th), 0);
}

/* Binding after start would move a task behind the scheduler's back. */
static void misuse_kthread_bind_after_start(struct ktest *t)
{
	struct task *th = kthread_run(return_zero, NULL, "bindlate");
	unsigned long warns;

	KT_ASSERT_NOT_NULL(t, th);
	warns = warn_count();
	KT_EXPECT_EQ(t, kthread_bind(th, smp_processor_id()), -EINVAL);
	KT_EXPECT_WARNED(t, warns, "the thread has already started");
	KT_EXPECT_EQ(t, kthread_join(th), 0);
}

KTEST_SUITE(misuse,
	    KTEST_CASE(misuse_kthread_bind_no_such_cpu),
	    KTEST_CASE(misuse_kthread_bind_absent_cpu),
	    KTEST_CASE(misuse_kthread_bind_after_start));
