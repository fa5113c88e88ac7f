/*
 * memset and memcpy for x86 (include/lib/string.h declares them; the
 * rest of the string functions are generic, in lib/string.c). REP
 * STOSB and REP MOVSB are short and, on modern CPUs, fast for any
 * size.
 */
#include <stdint.h>
#include <lib/string.h>

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}
