/*
 * The 16550 UART on COM1: the kernel's console, and the only channel to
 * the test runner. Polled for output (printk must work with interrupts
 * off and inside a panic); input is polled too: the monitor asks for a
 * byte, and sleeps a few milliseconds between asks while none waits.
 */
#include <arch/console.h>
#include <arch/cpu.h>
#include <x86/cpu.h>

#define COM1	       0x3f8
#define UART_DATA      0 /* DLAB=0: receive/transmit byte */
#define UART_IER       1 /* DLAB=0: interrupt enable */
#define UART_DLL       0 /* DLAB=1: divisor low */
#define UART_DLM       1 /* DLAB=1: divisor high */
#define UART_FCR       2
#define UART_LCR       3
#define UART_MCR       4
#define UART_LSR       5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define LCR_DLAB       0x80
#define LCR_8N1	       0x03

void arch_console_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 / 1 */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0xC7); /* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x0B); /* DTR, RTS, OUT2 */
}

void arch_console_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
		arch_cpu_relax();
	outb(COM1 + UART_DATA, (uint8_t)c);
}

int arch_console_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}
