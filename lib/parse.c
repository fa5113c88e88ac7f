/*
 * Strict parsers: they accept the whole string or nothing, so a typo on
 * the command line ("lowmem=64MB") is reported instead of half-read.
 */
#include <stddef.h>
#include <lib/parse.h>

static bool parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	unsigned base = 10;
	uint64_t val = 0;
	bool any = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (val > (UINT64_MAX - d) / base)
			return false; /* overflow */
		val = val * base + d;
		any = true;
	}
	*sp = s;
	*out = val;
	return any;
}

/* *out is written only on success: a refused value changes nothing. */
bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t val;

	if (!parse_digits(&s, &val) || *s != '\0')
		return false;
	*out = val;
	return true;
}

bool parse_size(const char *s, uint64_t *out)
{
	uint64_t val;
	unsigned shift = 0;

	if (!parse_digits(&s, &val))
		return false;
	switch (*s) {
	case 'K':
	case 'k':
		shift = 10;
		s++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		s++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		s++;
		break;
	}
	if (*s != '\0' || (shift && val > (UINT64_MAX >> shift)))
		return false;
	*out = val << shift;
	return true;
}

char *next_word(char **cursor)
{
	char *s = *cursor, *word;

	while (*s == ' ')
		s++;
	if (!*s) {
		*cursor = s;
		return NULL;
	}
	word = s;
	while (*s && *s != ' ')
		s++;
	if (*s)
		*s++ = '\0';
	while (*s == ' ')
		s++;
	*cursor = s;
	return word;
}
