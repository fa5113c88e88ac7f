/* Number parsing for the command line (lib/parse.c). */
#ifndef LIB_PARSE_H
#define LIB_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Decimal or 0x-hex; the whole string must be the number. Both write
 * *out only when they return true, so a setter may parse straight into
 * its variable and a refused value leaves it as it was.
 */
bool parse_u64(const char *s, uint64_t *out);
/* A size: a number with an optional K, M or G suffix (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);

/*
 * Cut the next space-separated word out of *cursor, in place: skip the
 * spaces, end the word with a NUL, and leave *cursor just past it (past
 * the spaces after it, too, so *cursor is then the rest of the line).
 * Returns the word, or NULL at the end of the string. The kernel's
 * command line and the monitor's lines are both split with it.
 */
char *next_word(char **cursor);

#endif
