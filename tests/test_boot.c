/*
 * Suite "boot": what the kernel learned at boot, and the small tools
 * everything else relies on (formatting, symbols, the command line).
 */
#include <kernel/bootinfo.h>
#include <kernel/cmdline.h>
#include <kernel/ksyms.h>
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <lib/format.h>
#include <lib/glob.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mm/memblock.h>
#include <mm/page.h>

/*
 * The usable RAM found is what QEMU was given, less at most 1%, or less
 * at most 640 KiB on a machine so small that 1% is less: every PC loses
 * a fixed amount whatever its size, the 384 KiB between 640 KiB and
 * 1 MiB (VGA and the BIOS ROM) and what the firmware keeps at the top
 * of RAM for its tables (128 KiB under QEMU's SeaBIOS).
 */
#define PC_FIXED_LOSS (640ull << 10)
static void boot_memory_map_matches_qemu(struct ktest *t)
{
	uint64_t expect = ktest_config.expect_mem;
	uint64_t found = memblock_usable_bytes();
	uint64_t loss = MAX(expect / 100, PC_FIXED_LOSS);

	if (!expect) {
		kt_skip(t, "no ktest.expect_mem given");
		return;
	}
	kt_diag(t, "usable RAM %llu KiB, QEMU was given %llu KiB",
		(unsigned long long)(found >> 10),
		(unsigned long long)(expect >> 10));
	KT_EXPECT_LE(t, found, expect);
	KT_EXPECT_GE(t, found, expect - loss);
}

static void boot_cmdline_bad_options_reported(struct ktest *t)
{
	unsigned long before = cmdline_error_count();

	KT_EXPECT_EQ(t, cmdline_parse_word("no.such.option=1"),
		     CMDLINE_UNKNOWN);
	KT_EXPECT_EQ(t, cmdline_parse_word("lowmem=64MB"), CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, cmdline_parse_word("loglevel=9"), CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, cmdline_parse_word("cpu_relax=fast"),
		     CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, cmdline_parse_word("mm.debug=yes"), CMDLINE_MALFORMED);
	/* The boot's own command line, from the runner, was clean. */
	if (before)
		KT_FAIL(t,
			"the boot command line had %lu error(s): %s (each "
			"is named in a 'cmdline:' warning at boot)",
			before, cmdline_refused_words());
}

/*
 * "malformed ... ignored" must be true: a value a setter refuses leaves
 * the option as it was, not half set (ktest.seed=3x once stored 3,
 * ktest= once emptied the test glob).
 */
static void boot_cmdline_refused_value_changes_nothing(struct ktest *t)
{
	struct ktest_config saved = ktest_config;
	uint64_t v = 77;

	KT_EXPECT_EQ(t, cmdline_parse_word("ktest.seed=3x"), CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, cmdline_parse_word("ktest.seed="), CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, ktest_config.seed, saved.seed);
	KT_EXPECT_EQ(t, cmdline_parse_word("ktest="), CMDLINE_MALFORMED);
	KT_EXPECT_TRUE(t, ktest_config.glob == saved.glob);
	KT_EXPECT_EQ(t, cmdline_parse_word("ktest.stress_ops=4294967296"),
		     CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, ktest_config.stress_ops, saved.stress_ops);
	KT_EXPECT_EQ(t, cmdline_parse_word("bench="), CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, cmdline_parse_word("acpi.corrupt=LONGNAME"),
		     CMDLINE_MALFORMED);
	/* The table is "MADT": a name that spoils nothing is refused. */
	KT_EXPECT_EQ(t, cmdline_parse_word("acpi.corrupt=APIC"),
		     CMDLINE_MALFORMED);
	KT_EXPECT_EQ(t, cmdline_parse_word("smp.deaf_apic=256"),
		     CMDLINE_MALFORMED);
	/* A misspelt crash name is refused, not a silent skip of them all. */
	KT_EXPECT_EQ(t, cmdline_parse_word("ktest.crash=nul"),
		     CMDLINE_MALFORMED);
	ktest_config = saved; /* whatever happened, the run goes on */

	KT_EXPECT_FALSE(t, parse_u64("3x", &v));
	KT_EXPECT_FALSE(t, parse_u64("", &v));
	KT_EXPECT_FALSE(t, parse_u64("0x", &v));
	KT_EXPECT_FALSE(t, parse_u64("18446744073709551616", &v));
	KT_EXPECT_EQ(t, v, 77);
	KT_EXPECT_TRUE(t, parse_u64("18446744073709551615", &v));
	KT_EXPECT_EQ(t, v, UINT64_MAX);
}

/* The word-list helper behind spinlock=, cpu_relax=, mm.debug= ... */
static void boot_cmdline_choice_words(struct ktest *t)
{
	static const char *const words[] = { "auto", "pause", "none" };
	unsigned int index = 99;
	bool flag = false;

	KT_EXPECT_TRUE(t, param_choose("none", words, 3, &index));
	KT_EXPECT_EQ(t, index, 2);
	KT_EXPECT_TRUE(t, param_choose("auto", words, 3, &index));
	KT_EXPECT_EQ(t, index, 0);
	/* Refused: a prefix, a longer word, nothing; index is left alone. */
	KT_EXPECT_FALSE(t, param_choose("paus", words, 3, &index));
	KT_EXPECT_FALSE(t, param_choose("pauses", words, 3, &index));
	KT_EXPECT_FALSE(t, param_choose("", words, 3, &index));
	KT_EXPECT_EQ(t, index, 0);

	KT_EXPECT_TRUE(t, param_bool01("1", &flag));
	KT_EXPECT_TRUE(t, flag);
	KT_EXPECT_FALSE(t, param_bool01("yes", &flag));
	KT_EXPECT_TRUE(t, flag);
	KT_EXPECT_TRUE(t, param_bool01("0", &flag));
	KT_EXPECT_FALSE(t, flag);
}

/*
 * snprintf without the compiler's format check: the format attribute
 * belongs to the function, not to a pointer to it. An int given to %hhx
 * and %hd is the point of the case below (they must narrow it), and
 * clang's -Wformat (clangd, in an editor) would insist on the narrow
 * type, which the call's promotion to int would undo anyway.
 */
static int (*const format_unchecked)(char *buf, size_t size, const char *fmt,
				     ...) = snprintf;

static void boot_format_conversions(struct ktest *t)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%d|%u|%x|%X|%5d|%-4d|%05x|%c|%s|%.3s", -42,
		 42u, 0xbeefu, 0xbeefu, 7, 7, 0xab, 'z', "str", "abcdef");
	KT_EXPECT_EQ(t,
		     strcmp(buf, "-42|42|beef|BEEF|    7|7   |000ab|z|str|abc"),
		     0);
	snprintf(buf, sizeof(buf), "%llx|%lld|%p|%#x|%%", 0x123456789abcull,
		 -5000000000ll, (void *)0xc0100000, 0x10u);
	KT_EXPECT_EQ(t,
		     strcmp(buf, "123456789abc|-5000000000|0xc0100000|0x10|%"),
		     0);
	/* The rarer corners: h and hh narrow, a negative * width means
	 * "-", precision is a minimum digit count (and .0 prints 0 as
	 * nothing), a negative * precision is none. */
	format_unchecked(buf, sizeof(buf), "%hhx|%hd|%*d|%.3d|%.0d|%5.2x|%.*d|",
			 -1, 70000, -4, 5, 7, 0, 0xfu, -1, 42);
	KT_EXPECT_EQ(t, strcmp(buf, "ff|4464|5   |007||   0f|42|"), 0);
	/* Truncation still terminates and reports the full length. */
	KT_EXPECT_EQ(t, snprintf(buf, 4, "%s", "abcdef"), 6);
	KT_EXPECT_EQ(t, strcmp(buf, "abc"), 0);
	if (t->failed)
		kt_diag(t, "last output: '%s'", buf);
}

static void boot_ksyms_name_functions(struct ktest *t)
{
	uintptr_t off = 1;
	uintptr_t addr = (uintptr_t)boot_ksyms_name_functions;
	const char *name = ksym_lookup(addr + 3, &off);

	KT_ASSERT_NOT_NULL(t, name);
	KT_EXPECT_EQ(t, strcmp(name, "boot_ksyms_name_functions"), 0);
	KT_EXPECT_EQ(t, off, 3);
	KT_EXPECT_EQ(t, ksym_address("panic_at"), (uintptr_t)panic_at);
	KT_EXPECT_TRUE(t, ksym_lookup(0x1000, &off) == NULL);
}

static void boot_glob_selects(struct ktest *t)
{
	KT_EXPECT_TRUE(t, glob_match("kmap*", "kmap_local"));
	KT_EXPECT_TRUE(t, glob_match("*", ""));
	KT_EXPECT_TRUE(t, glob_match("p?m.*free*", "pmm.pmm_double_free"));
	KT_EXPECT_FALSE(t, glob_match("kmap", "kmap_local"));
	KT_EXPECT_FALSE(t, glob_match("*local", "kmap_local_x"));
}

/* The comma-separated lists of ktest= and bench=, one glob at a time. */
static void boot_glob_list_walks(struct ktest *t)
{
	const char *list = "kmap*,,tlb.tlb_stale_after_remap,abcdefgh";
	char glob[8];
	size_t len;

	KT_ASSERT_TRUE(t, glob_list_next(&list, glob, sizeof(glob), &len));
	KT_EXPECT_EQ(t, strcmp(glob, "kmap*"), 0);
	KT_ASSERT_TRUE(t, glob_list_next(&list, glob, sizeof(glob), &len));
	KT_EXPECT_EQ(t, len, 0); /* ",," */
	KT_ASSERT_TRUE(t, glob_list_next(&list, glob, sizeof(glob), &len));
	KT_EXPECT_EQ(t, glob[0], '\0'); /* too long: empty */
	KT_EXPECT_EQ(t, len, strlen("tlb.tlb_stale_after_remap"));
	KT_ASSERT_TRUE(t, glob_list_next(&list, glob, sizeof(glob), &len));
	KT_EXPECT_EQ(t, len, 8); /* exactly too long */
	KT_EXPECT_EQ(t, glob[0], '\0');
	KT_EXPECT_TRUE(t, list == NULL);
	KT_EXPECT_FALSE(t, glob_list_next(&list, glob, sizeof(glob), &len));
}

static void boot_warn_is_counted(struct ktest *t)
{
	unsigned long before = warn_count();

	KT_EXPECT_TRUE(t, WARN(1, "deliberate warning from a test"));
	KT_EXPECT_FALSE(t, WARN(0, "never printed"));
	KT_EXPECT_EQ(t, warn_count(), before + 1);
}

/*
 * The multiboot2 parser against hand-made boot information blocks that
 * break the specification's size rules: it must take nothing from
 * outside the block and must not loop. Each block is parsed into an
 * empty boot_info, which is put back afterwards.
 */
#define MB2_MAGIC 0x36d76289u
#define MB2_MMAP  6u

static uint32_t mb2_block[64] __aligned(8);
static struct boot_info saved_boot_info;
static bool parsed_loader_named; /* the last parse set a loader's name */

/*
 * Parse a hand-made block at physical address phys with the loader's
 * magic, into an empty boot_info that is put back afterwards: false if
 * refused. *nr_mem gets the ranges taken, cmdline (if not NULL) the
 * command line.
 */
static bool parse_phys(uint32_t magic, uint32_t phys, unsigned int *nr_mem,
		       char *cmdline, size_t size)
{
	bool ok;

	saved_boot_info = boot_info;
	memset(&boot_info, 0, sizeof(boot_info));
	ok = arch_parse_boot_info(magic, phys);
	*nr_mem = boot_info.nr_mem;
	if (cmdline)
		strlcpy(cmdline, boot_info.cmdline, size);
	parsed_loader_named = boot_info.loader[0] != '\0';
	boot_info = saved_boot_info;
	return ok;
}

/* The same, for a block in lowmem (an array of the test's). */
static bool parse_block(uint32_t magic, const void *block, unsigned int *nr_mem,
			char *cmdline, size_t size)
{
	return parse_phys(magic, (uint32_t)__pa(block), nr_mem, cmdline, size);
}

/* Parse mb2_block (its words already filled in); false if refused. */
static bool mb2_parse(unsigned int *nr_mem)
{
	return parse_block(MB2_MAGIC, mb2_block, nr_mem, NULL, 0);
}

/* One memory map entry of 24 bytes at w: base, length, type. */
static void mb2_entry(uint32_t *w, uint32_t base, uint32_t len, uint32_t type)
{
	w[0] = base;
	w[1] = 0;
	w[2] = len;
	w[3] = 0;
	w[4] = type;
	w[5] = 0;
}

/*
 * A memory map tag whose size claims two entries in a block that holds
 * one: the second "entry" lies past total_size, in memory the loader
 * never described, and must not become a memory range.
 */
static void boot_mb2_tag_past_block_end(struct ktest *t)
{
	unsigned int nr = 0;

	memset(mb2_block, 0, sizeof(mb2_block));
	mb2_block[0] = 8 + 16 + 24 + 8; /* total_size */
	mb2_block[2] = MB2_MMAP;
	mb2_block[3] = 16 + 2 * 24; /* claims two entries */
	mb2_block[4] = 24;	    /* entry_size */
	mb2_entry(&mb2_block[6], 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb2_block[13] = 8; /* the end tag */
	/* Past total_size: what a second entry would be read from. */
	mb2_block[14] = 0x40000000;
	mb2_block[16] = 0x1000;
	mb2_block[18] = BOOT_MEM_USABLE;
	mb2_parse(&nr);
	KT_EXPECT_LE(t, nr, 1);
}

/* entry_size 0 (or anything below 24): no entry can be read from it. */
static void boot_mb2_mmap_entry_size_too_small(struct ktest *t)
{
	unsigned int nr = 99;

	memset(mb2_block, 0, sizeof(mb2_block));
	mb2_block[0] = 8 + 16 + 24 + 8;
	mb2_block[2] = MB2_MMAP;
	mb2_block[3] = 16 + 24;
	mb2_block[4] = 0; /* entry_size */
	mb2_entry(&mb2_block[6], 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb2_block[13] = 8;
	KT_EXPECT_FALSE(t, mb2_parse(&nr));
	KT_EXPECT_EQ(t, nr, 0);
}

/*
 * A tag size near 4 GiB: rounded up to 8 bytes it wraps to 0, and a
 * parser that steps by it would read the same tag forever.
 */
static void boot_mb2_huge_tag_size_ends_parse(struct ktest *t)
{
	unsigned int nr = 99;

	memset(mb2_block, 0, sizeof(mb2_block));
	mb2_block[0] = 8 + 16 + 24 + 8 + 8;
	mb2_block[2] = MB2_MMAP;
	mb2_block[3] = 16 + 24;
	mb2_block[4] = 24;
	mb2_entry(&mb2_block[6], 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb2_block[12] = 0x4242;	     /* an unknown tag ... */
	mb2_block[13] = 0xfffffff9u; /* ... of absurd size */
	mb2_block[15] = 8;	     /* the end tag */
	KT_EXPECT_TRUE(t, mb2_parse(&nr));
	KT_EXPECT_EQ(t, nr, 1);
}

/*
 * The first multiboot's parser (QEMU's -kernel) against hand-made
 * information blocks: a fixed structure whose flags say which fields
 * hold, pointing at a command line and a memory map elsewhere.
 */
#define MB1_MAGIC	 0x2badb002u
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MMAP	 (1u << 6)
#define MB1_INFO_LOADER	 (1u << 9)

static uint32_t mb1_info[17] __aligned(4);
static uint32_t mb1_mmap[24] __aligned(4);
static char mb1_cmdline[64];

/* Parse mb1_info (its words already filled in); false if refused. */
static bool mb1_parse(unsigned int *nr_mem, char *cmdline, size_t size)
{
	return parse_block(MB1_MAGIC, mb1_info, nr_mem, cmdline, size);
}

/* One memory map entry at w: its size (20), base, length, type. */
static void mb1_entry(uint32_t *w, uint32_t base, uint32_t len, uint32_t type)
{
	w[0] = 20;
	w[1] = base;
	w[2] = 0;
	w[3] = len;
	w[4] = 0;
	w[5] = type;
}

/* An info block with a memory map of mmap_bytes at mb1_mmap. */
static void mb1_info_with_map(uint32_t mmap_bytes)
{
	memset(mb1_info, 0, sizeof(mb1_info));
	mb1_info[0] = MB1_INFO_MMAP;
	mb1_info[11] = mmap_bytes;
	mb1_info[12] = (uint32_t)__pa(mb1_mmap);
}

/*
 * The command line starts with the kernel image's name (QEMU and GRUB
 * put it there): the kernel's options are the words after it, and a
 * line of the name alone gives no options.
 */
static void boot_mb1_cmdline_drops_image_name(struct ktest *t)
{
	static const char *const lines[][2] = {
		{ "/boot/kernel.elf  lowmem=64M ktest=boot",
		  "lowmem=64M ktest=boot" },
		{ "build/kernel.elf", "" },
		{ " kernel.elf a=1", "a=1" },
	};
	char got[64];
	unsigned int nr = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(lines); i++) {
		mb1_info_with_map(24);
		mb1_entry(mb1_mmap, 0x100000, 0x100000, BOOT_MEM_USABLE);
		mb1_info[0] |= MB1_INFO_CMDLINE;
		mb1_info[4] = (uint32_t)__pa(mb1_cmdline);
		strlcpy(mb1_cmdline, lines[i][0], sizeof(mb1_cmdline));
		KT_EXPECT_TRUE(t, mb1_parse(&nr, got, sizeof(got)));
		if (strcmp(got, lines[i][1]))
			kt_diag(t, "'%s' gave options '%s', not '%s'",
				lines[i][0], got, lines[i][1]);
		KT_EXPECT_EQ(t, strcmp(got, lines[i][1]), 0);
	}
}

/*
 * Each entry says its own size: 0 (or too little for an entry) would
 * have the parser read its neighbour's bytes as fields, and an entry
 * that runs past the map's length is memory the loader never described. Both
 * end the map there, keeping the entries before them.
 */
static void boot_mb1_mmap_bad_entry_sizes(struct ktest *t)
{
	unsigned int nr = 99;

	memset(mb1_mmap, 0, sizeof(mb1_mmap));
	mb1_info_with_map(3 * 24);
	mb1_entry(&mb1_mmap[0], 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb1_entry(&mb1_mmap[6], 0x200000, 0x100000, BOOT_MEM_USABLE);
	mb1_mmap[6] = 0; /* the second entry's size */
	mb1_entry(&mb1_mmap[12], 0x300000, 0x100000, BOOT_MEM_USABLE);
	KT_EXPECT_TRUE(t, mb1_parse(&nr, NULL, 0));
	KT_EXPECT_EQ(t, nr, 1);

	mb1_info_with_map(2 * 24);
	mb1_entry(&mb1_mmap[0], 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb1_entry(&mb1_mmap[6], 0x200000, 0x100000, BOOT_MEM_USABLE);
	mb1_mmap[6] = 20 + 24; /* claims to reach past the map's end */
	KT_EXPECT_TRUE(t, mb1_parse(&nr, NULL, 0));
	KT_EXPECT_EQ(t, nr, 1);

	/* The only entry too small to be one: no map, the boot refused. */
	mb1_info_with_map(24);
	mb1_entry(&mb1_mmap[0], 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb1_mmap[0] = 3;
	KT_EXPECT_FALSE(t, mb1_parse(&nr, NULL, 0));
	KT_EXPECT_EQ(t, nr, 0);
}

/*
 * The loader's pointers are physical addresses, read through the map of
 * the first GiB that boot/entry.S made (arch_boot_phys_room() says how
 * much of it lies past an address). A command line, a loader's name or
 * an information block at or past its end must be left alone, and so
 * must a memory map that starts inside it and runs past its end (read,
 * it would run off the top of the address space: a page fault). Only
 * pointers past the end are handed to the parser: after boot, the top
 * of the first GiB is no longer mapped where it was. Where the end
 * lies, to the byte, is checked on the numbers alone.
 */
static void boot_mb1_pointers_past_the_boot_mapping(struct ktest *t)
{
	uint32_t end = (uint32_t)arch_boot_phys_room(0);
	char got[64];
	unsigned int nr = 99;

	KT_EXPECT_EQ(t, end, 0x40000000u);
	KT_EXPECT_EQ(t, arch_boot_phys_room(end - 16), 16);
	KT_EXPECT_EQ(t, arch_boot_phys_room(end), 0);

	/* The command line and the loader's name past it: ignored. */
	mb1_info_with_map(24);
	mb1_entry(mb1_mmap, 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb1_info[0] |= MB1_INFO_CMDLINE | MB1_INFO_LOADER;
	mb1_info[4] = end;
	mb1_info[16] = 0xfffff000;
	KT_EXPECT_TRUE(t, mb1_parse(&nr, got, sizeof(got)));
	KT_EXPECT_EQ(t, nr, 1);
	KT_EXPECT_EQ(t, got[0], '\0');
	KT_EXPECT_FALSE(t, parsed_loader_named);

	/* The same name in lowmem is taken: the check above can fail. */
	mb1_info[16] = (uint32_t)__pa(mb1_cmdline);
	strlcpy(mb1_cmdline, "a loader", sizeof(mb1_cmdline));
	KT_EXPECT_TRUE(t, mb1_parse(&nr, got, sizeof(got)));
	KT_EXPECT_TRUE(t, parsed_loader_named);

	/* A map of 48 bytes from 16 before the end: refused whole. */
	mb1_info_with_map(2 * 24);
	mb1_info[12] = end - 16;
	KT_EXPECT_FALSE(t, mb1_parse(&nr, NULL, 0));
	KT_EXPECT_EQ(t, nr, 0);

	/* The information itself past the end: the boot refused. */
	KT_EXPECT_FALSE(t, parse_phys(MB1_MAGIC, end, &nr, NULL, 0));
	KT_EXPECT_EQ(t, nr, 0);
}

static const struct ktest_case boot_cases[] = {
	KTEST_CASE(boot_memory_map_matches_qemu),
	KTEST_CASE(boot_cmdline_bad_options_reported),
	KTEST_CASE(boot_cmdline_refused_value_changes_nothing),
	KTEST_CASE(boot_cmdline_choice_words),
	KTEST_CASE(boot_format_conversions),
	KTEST_CASE(boot_ksyms_name_functions),
	KTEST_CASE(boot_glob_selects),
	KTEST_CASE(boot_glob_list_walks),
	KTEST_CASE(boot_warn_is_counted),
	KTEST_CASE(boot_mb2_tag_past_block_end),
	KTEST_CASE(boot_mb2_mmap_entry_size_too_small),
	KTEST_CASE(boot_mb2_huge_tag_size_ends_parse),
	KTEST_CASE(boot_mb1_cmdline_drops_image_name),
	KTEST_CASE(boot_mb1_mmap_bad_entry_sizes),
	KTEST_CASE(boot_mb1_pointers_past_the_boot_mapping),
};
KTEST_SUITE(boot, boot_cases);
