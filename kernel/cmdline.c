/*
 * Command-line parsing: split on spaces, match each "name=value" (or
 * bare "name", which means "name=1") against the declared options.
 */
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <lib/format.h>
#include <lib/parse.h>
#include <lib/string.h>

#define CMDLINE_MAX 1024

extern const struct kernel_param __kernel_params_start[];
extern const struct kernel_param __kernel_params_end[];

static char cmdline_copy[CMDLINE_MAX];
static char cmdline_words[CMDLINE_MAX];
static unsigned int cmdline_errors;
/* The boot's refused words, quoted, so a test can say which they were. */
static char cmdline_refused[160];

static const struct kernel_param *param_find(const char *name, size_t len)
{
	for (const struct kernel_param *p = __kernel_params_start;
	     p < __kernel_params_end; p++)
		if (strlen(p->name) == len && !strncmp(p->name, name, len))
			return p;
	return NULL;
}

bool param_choose(const char *val, const char *const words[],
		  unsigned int count, unsigned int *index)
{
	for (unsigned int i = 0; i < count; i++)
		if (!strcmp(val, words[i])) {
			*index = i;
			return true;
		}
	return false;
}

bool param_choose_word(const char *val, const char *const words[],
		       unsigned int count, const char **word)
{
	unsigned int i;

	if (!param_choose(val, words, count, &i))
		return false;
	*word = words[i];
	return true;
}

bool param_bool01(const char *val, bool *out)
{
	static const char *const digits[] = { "0", "1" };
	unsigned int i;

	if (!param_choose(val, digits, 2, &i))
		return false;
	*out = i;
	return true;
}

enum cmdline_result cmdline_parse_word(const char *word)
{
	const char *eq = strchr(word, '=');
	size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
	const struct kernel_param *p = param_find(word, name_len);
	const char *val = eq ? eq + 1 : "1";

	if (!p) {
		pr_warn("cmdline: unknown option '%.*s' (ignored)\n",
			(int)name_len, word);
		return CMDLINE_UNKNOWN;
	}
	if (!p->set(val)) {
		pr_warn("cmdline: malformed value '%s' for option '%s' "
			"(expected %s; ignored)\n",
			val, p->name, p->help);
		return CMDLINE_MALFORMED;
	}
	return CMDLINE_OK;
}

static void note_refused_word(const char *word)
{
	size_t used = strlen(cmdline_refused);

	cmdline_errors++;
	snprintf(cmdline_refused + used, sizeof(cmdline_refused) - used,
		 "%s'%s'", used ? ", " : "", word);
}

/*
 * Setters may keep a pointer to their value (ktest=GLOB does), so the
 * words are cut out of a second copy that lives as long as the kernel.
 */
void cmdline_parse(const char *cmdline)
{
	char *s = cmdline_words, *word;

	if (strlcpy(cmdline_copy, cmdline, sizeof(cmdline_copy)) >=
	    sizeof(cmdline_copy))
		pr_warn("cmdline: longer than %d bytes, cut\n",
			CMDLINE_MAX - 1);
	strlcpy(cmdline_words, cmdline_copy, sizeof(cmdline_words));
	while ((word = next_word(&s))) {
		if (cmdline_parse_word(word) != CMDLINE_OK)
			note_refused_word(word);
	}
}

unsigned int cmdline_error_count(void)
{
	return cmdline_errors;
}

const char *cmdline_refused_words(void)
{
	return cmdline_refused;
}
