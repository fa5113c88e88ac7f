/*
 * printk: the kernel's log, written to the serial console.
 *
 * A message may start with a level (KERN_ERR "..."); messages above
 * the console level (loglevel=N on the command line, default 6) are
 * dropped, except KERN_REPORT ones. Each call is written whole: lines from
 * different CPUs never interleave mid-line.
 *
 * Context: any, interrupts included. It spins on the console lock with
 * interrupts off for as long as the UART takes to send the message.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <kernel/compiler.h>

#define KERN_SOH     "\001"
#define KERN_EMERG   KERN_SOH "0"
#define KERN_ALERT   KERN_SOH "1"
#define KERN_CRIT    KERN_SOH "2"
#define KERN_ERR     KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE  KERN_SOH "5"
#define KERN_INFO    KERN_SOH "6"
#define KERN_DEBUG   KERN_SOH "7"
/*
 * Not log chatter but the output someone asked for (the KTAP test
 * report, benchmark results): it reaches the console whatever loglevel=
 * says, or a quiet console would hide the verdict of a run.
 */
#define KERN_REPORT KERN_SOH "r"

#define LOGLEVEL_DEFAULT 6
/* A longer message is cut, ending in " [...]" and a newline. */
#define PRINTK_LINE_MAX 512

int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap) __printf(1, 0);
void printk_set_loglevel(int level);

/*
 * After a panic starts, printk stops taking the console lock (its
 * holder may be the CPU that died) so the report always gets out.
 */
void printk_enter_panic_mode(void);

#define pr_emerg(fmt, ...)  printk(KERN_EMERG fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)    printk(KERN_ERR fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)   printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)   printk(KERN_INFO fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)  printk(KERN_DEBUG fmt, ##__VA_ARGS__)
#define pr_report(fmt, ...) printk(KERN_REPORT fmt, ##__VA_ARGS__)

#endif
