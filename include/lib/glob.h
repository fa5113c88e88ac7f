/* Shell-style pattern matching: '*' and '?' (lib/glob.c). */
#ifndef LIB_GLOB_H
#define LIB_GLOB_H

#include <stdbool.h>
#include <stddef.h>

bool glob_match(const char *pattern, const char *text);

/*
 * Walk a comma-separated list of globs ("kmap*,tlb.tlb_stale*"): each
 * call takes the next one from *list and returns true, or false at the
 * end. It lands in buf, NUL-terminated, when it fits; one that does
 * not leaves buf empty (it matches nothing) and *len says how long it
 * was, so the caller can name it. *list is NULL after the last one.
 */
bool glob_list_next(const char **list, char *buf, size_t size, size_t *len);

#endif
