/*
 * vsnprintf and friends (lib/format.c).
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%, with the length
 * modifiers l, ll, z and h, a field width (or *), the flags 0 - + #
 * and space, and a precision for %s. %p prints 0x and 8 hex digits.
 */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
