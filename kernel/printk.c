/*
 * printk: format into a buffer, then write the whole message to the
 * console under console_lock, so concurrent messages come out as whole
 * lines. Newlines become CR LF for terminals.
 */
#include <arch/console.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <lib/format.h>
#include <lib/string.h>

/* Protects the UART: one message is written at a time. */
static DEFINE_SPINLOCK(console_lock);
static int console_loglevel = LOGLEVEL_DEFAULT;
static bool panic_mode;

void printk_set_loglevel(int level)
{
	console_loglevel = level;
}

void printk_enter_panic_mode(void)
{
	panic_mode = true;
}

static void console_write(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			arch_console_putc('\r');
		arch_console_putc(*s);
	}
}

int vprintk(const char *fmt, va_list ap)
{
	char line[PRINTK_LINE_MAX];
	int level = LOGLEVEL_DEFAULT;
	unsigned long flags;
	int len;

	if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') {
		level = fmt[1] - '0';
		fmt += 2;
	} else if (fmt[0] == KERN_SOH[0] && fmt[1] == KERN_REPORT[1]) {
		level = 0; /* shown at every console level */
		fmt += 2;
	}
	if (level > console_loglevel)
		return 0;
	len = vsnprintf(line, sizeof(line), fmt, ap);
	if (len >= (int)sizeof(line)) {
		/*
		 * Cut: say so, and end the line, or the next message would
		 * run on from the middle of this one.
		 */
		static const char mark[] = " [...]\n";

		memcpy(line + sizeof(line) - sizeof(mark), mark, sizeof(mark));
	}
	if (READ_ONCE(panic_mode)) {
		/* The lock holder may be dead: write without it. */
		console_write(line);
		return len;
	}
	flags = spin_lock_irqsave(&console_lock);
	console_write(line);
	spin_unlock_irqrestore(&console_lock, flags);
	return len;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vprintk(fmt, ap);
	va_end(ap);
	return len;
}
