/*
 * glob_match(): '*' matches any run of characters, '?' any one. Used to
 * select tests (ktest=kmap*) and benchmarks. Iterative, with one
 * backtrack point: enough for patterns with several stars.
 */
#include <lib/glob.h>
#include <lib/string.h>

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

bool glob_list_next(const char **list, char *buf, size_t size, size_t *len)
{
	const char *p = *list, *comma;

	if (!p)
		return false;
	comma = strchr(p, ',');
	*len = comma ? (size_t)(comma - p) : strlen(p);
	*list = comma ? comma + 1 : NULL;
	if (*len < size) {
		memcpy(buf, p, *len);
		buf[*len] = '\0';
	} else {
		buf[0] = '\0';
	}
	return true;
}
