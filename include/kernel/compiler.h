/* Small language helpers used everywhere. */
#ifndef KERNEL_COMPILER_H
#define KERNEL_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define __noreturn	__attribute__((noreturn))
#define __unused	__attribute__((unused))
#define __used		__attribute__((used))
#define __aligned(n)	__attribute__((aligned(n)))
#define __packed	__attribute__((packed))
#define __section(s)	__attribute__((section(s)))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define noinline	__attribute__((noinline))
#define __always_inline inline __attribute__((always_inline))

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* The compiler may not move memory accesses across a barrier(). */
#define barrier() asm volatile("" ::: "memory")

/*
 * One untorn access the compiler may neither cache nor repeat: for
 * data another CPU or an interrupt changes under us.
 */
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define _STR(x) #x
#define STR(x)	_STR(x)

#endif
