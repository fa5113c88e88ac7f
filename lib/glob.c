/*
 * glob_match(): '*' matches any run of characters, '?' any one. Used to
 * select tests (ktest=kmap*) and benchmarks. Iterative, with one
 * backtrack point: enough for patterns with several stars.
 */
#include <lib/glob.h>

bool glob_match(const char *pattern, const char *text)
{
	const char *star = 0, *resume = 0;

	while (*text) {
		if (*pattern == '*') {
			star = ++pattern;
			resume = text;
		} else if (*pattern == '?' || *pattern == *text) {
			pattern++;
			text++;
		} else if (star) {
			pattern = star;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return !*pattern;
}
