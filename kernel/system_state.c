/*
 * The boot phase (include/kernel/system_state.h): one variable, moved
 * forward by kmain where boot actually crosses each line.
 */
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/system_state.h>

enum system_state system_state = SYSTEM_BOOTING;

void system_state_enter(enum system_state next)
{
	if (next != system_state + 1)
		panic("system_state_enter: from phase %d to %d: phases go "
		      "forward one at a time",
		      (int)system_state, (int)next);
	WRITE_ONCE(system_state, next);
}
