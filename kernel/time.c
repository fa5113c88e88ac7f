/*
 * The generic half of the periodic tick (include/kernel/time.h): count
 * it, advance jiffies on the boot CPU, and give the scheduler its turn.
 * The arch half (arch/x86/timer.c) owns the hardware and the vector.
 */
#include <kernel/percpu.h>
#include <kernel/sched.h>
#include <kernel/time.h>

volatile unsigned long jiffies;

void tick_periodic(void)
{
	struct percpu *me = this_cpu();

	/* Only this CPU writes its counter, and only here. */
	me->timer_ticks++;
	if (me->cpu == 0)
		jiffies++;
	scheduler_tick();
}
