/*
 * The kernel command line (README lists every option).
 *
 * Each subsystem declares its own options next to the code they
 * configure, with DEFINE_PARAM; the parser finds them in a linker
 * section, so there is no central list to forget to update. An option
 * nobody declared, or a value its setter rejects, is reported by name
 * and ignored: a typo never stops the boot.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <kernel/compiler.h>

struct kernel_param {
	const char *name;
	/* Returns false if the value is malformed. val is never NULL. */
	bool (*set)(const char *val);
	const char *help;
};

#define DEFINE_PARAM(pname, setter, helptext)                               \
	static const struct kernel_param __param_##setter __used __section( \
		".kernel_params") __aligned(4) = { .name = pname,           \
						   .set = setter,           \
						   .help = helptext }

/*
 * For setters whose value is one word of a fixed list, such as
 * spinlock=auto|ticket|tas: stores val's position in words[] in *index
 * and returns true, or returns false (malformed) if val is not listed.
 */
bool param_choose(const char *val, const char *const words[],
		  unsigned int count, unsigned int *index);

/* The same, storing the word itself (words[i]) in *word. */
bool param_choose_word(const char *val, const char *const words[],
		       unsigned int count, const char **word);

/*
 * An option whose whole setter is param_choose(): index (an unsigned
 * int variable) gets the position of the value in words[].
 */
#define DEFINE_PARAM_CHOICE(pname, words, index, helptext)                  \
	static bool set_choice_##index(const char *val)                     \
	{                                                                   \
		return param_choose(val, words, ARRAY_SIZE(words), &index); \
	}                                                                   \
	DEFINE_PARAM(pname, set_choice_##index, helptext)

/* The same for "0" or "1", into a bool. */
bool param_bool01(const char *val, bool *out);

enum cmdline_result {
	CMDLINE_OK,
	CMDLINE_UNKNOWN,   /* no such option */
	CMDLINE_MALFORMED, /* the option's setter refused the value */
};

/* Parse the whole command line; keeps its own copy. Boot CPU only. */
void cmdline_parse(const char *cmdline);

/* Parse one "name=value" word (also used by the tests). */
enum cmdline_result cmdline_parse_word(const char *word);

/* How many words were unknown or malformed at boot. */
unsigned int cmdline_error_count(void);

/* Those words, quoted and comma-separated (cut at about 150 chars). */
const char *cmdline_refused_words(void);

#endif
