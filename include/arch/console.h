/* The console hooks: the 16550 UART on COM1 (arch/x86/serial.c). */
#ifndef ARCH_CONSOLE_H
#define ARCH_CONSOLE_H

#include <kernel/compiler.h>

void arch_console_init(void);
/* Send one byte, waiting for the transmitter. Caller serialises. */
void arch_console_putc(char c);
/* A received byte, or -1 when none is waiting. */
int arch_console_getc(void);

#endif
