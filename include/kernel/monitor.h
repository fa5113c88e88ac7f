/*
 * The serial monitor: a small command prompt on the console, for
 * looking at the running kernel (`make run`). Subsystems add commands
 * with DEFINE_MONITOR_CMD, next to the code they show, the way options
 * are declared with DEFINE_PARAM.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include <kernel/compiler.h>

struct monitor_cmd {
	const char *name;
	/*
	 * e.g. "offline N". A usage with no space means the command takes
	 * no arguments, and the monitor refuses a line that gives some.
	 */
	const char *usage;
	const char *help;
	/* args: the rest of the line after the name, spaces trimmed. */
	void (*run)(const char *args);
};

#define DEFINE_MONITOR_CMD(cname, fn, use, text)                             \
	static const struct monitor_cmd __monitor_cmd_##fn __used __section( \
		".monitor_cmds") __aligned(4) = {                            \
		.name = cname, .usage = use, .help = text, .run = fn         \
	}

/*
 * Read and run commands from the console, forever. Polls the UART
 * every few milliseconds, sleeping in between, so the other CPUs (and
 * this one) keep running. Context: a thread; may sleep.
 */
void monitor_run(void) __noreturn;

#endif
