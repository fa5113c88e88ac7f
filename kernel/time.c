/*
 * The generic half of the periodic tick (include/kernel/time.h): count
 * it, advance jiffies on the boot CPU, and give the scheduler its turn.
 * The arch half (arch/x86/timer.c) owns the hardware and the vector.
 */
#include <kernel/percpu.h>
#include <kernel/sched.h>
#include <kernel/time.h>

volatile unsigned long jiffies;

/*
 * tick_call_once's requests, one per CPU. arg is written before fn, and
 * the tick takes fn with an atomic exchange before it reads arg, so it
 * never pairs a new fn with an old arg.
 */
static struct {
	void (*fn)(void *arg);
	void *arg;
} tick_once[NR_CPUS];

void tick_call_once(void (*fn)(void *arg), void *arg)
{
	unsigned int cpu = smp_processor_id();

	WRITE_ONCE(tick_once[cpu].arg, arg);
	__atomic_store_n(&tick_once[cpu].fn, fn, __ATOMIC_RELEASE);
}

void tick_periodic(void)
{
	struct percpu *me = this_cpu();

	/* Only this CPU writes its counter, and only here. */
	me->timer_ticks++;
	if (me->cpu == 0)
		jiffies++;
	scheduler_tick();
	/* One plain load per tick; the exchange only when there is work. */
	if (unlikely(READ_ONCE(tick_once[me->cpu].fn))) {
		void (*fn)(void *) =
			__atomic_exchange_n(&tick_once[me->cpu].fn, NULL,
					    __ATOMIC_ACQUIRE);

		if (fn)
			fn(READ_ONCE(tick_once[me->cpu].arg));
	}
}
