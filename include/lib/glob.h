/* Shell-style pattern matching: '*' and '?' (lib/glob.c). */
#ifndef LIB_GLOB_H
#define LIB_GLOB_H

#include <stdbool.h>

bool glob_match(const char *pattern, const char *text);

#endif
