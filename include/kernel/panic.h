/*
 * panic, BUG_ON and WARN: what the kernel does when it finds itself
 * wrong.
 *
 * panic() is a contract the test runner checks: "PANIC at file:line in
 * func(): reason", then the CPU and thread, the registers, and a
 * symbolised backtrace. A panic inside a panic prints one line and
 * stops. With ktest.exit=1 the emulator exits with code 0x12 so the
 * test runner sees the failure at once; otherwise the CPU halts.
 *
 * WARN() reports a recoverable misuse with a backtrace and carries on;
 * warn_count lets tests check that a warning they provoked was given.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <kernel/compiler.h>

struct arch_regs;

#define panic(fmt, ...) \
	panic_at(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__)

void panic_at(const char *file, int line, const char *func, const char *fmt,
	      ...) __noreturn __printf(4, 5);

/*
 * A panic for a CPU exception: the registers are those the exception
 * saved, and the backtrace starts at the faulting instruction. The arch
 * prints its own details (fault cause) through the callback.
 */
void panic_regs(const struct arch_regs *regs,
		void (*print_details)(const struct arch_regs *regs),
		const char *fmt, ...) __noreturn __printf(3, 4);

void warn_at(const char *file, int line, const char *func, const char *fmt, ...)
	__printf(4, 5);

/* How many WARN()s have fired since boot. */
unsigned long warn_count(void);

/* Does the newest WARN()'s reason contain needle? (For tests.) */
bool warn_last_contains(const char *needle);

#define BUG_ON(cond)                                        \
	do {                                                \
		if (unlikely(cond))                         \
			panic("BUG_ON(%s) is true", #cond); \
	} while (0)

#define WARN(cond, fmt, ...)                                       \
	({                                                         \
		bool __warn_cond = !!(cond);                       \
		if (unlikely(__warn_cond))                         \
			warn_at(__FILE__, __LINE__, __func__, fmt, \
				##__VA_ARGS__);                    \
		__warn_cond;                                       \
	})

#define WARN_ON(cond) WARN(cond, "WARN_ON(%s)", #cond)

/*
 * Print "Backtrace:" and the symbolised call chain of the caller, at
 * warning level (WARN() uses it after its header, at the same level).
 */
void dump_stack(void);

/* Print a call chain starting at pc, with frame pointer fp (panic level). */
void print_backtrace(uintptr_t pc, uintptr_t fp);

#endif
