/*
 * Reading the multiboot2 boot information.
 *
 * GRUB hands over a block of tags (multiboot2 specification, section
 * 3.6) at a physical address in memory its own map calls available. We
 * copy what we need into boot_info at once, so nothing later has to
 * remember to protect that block. The block is read through the boot
 * page tables, which map the first GiB of physical memory at
 * PAGE_OFFSET.
 */
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <lib/string.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289

#define MB2_TAG_END	    0
#define MB2_TAG_CMDLINE	    1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MMAP	    6
#define MB2_TAG_ACPI_OLD    14
#define MB2_TAG_ACPI_NEW    15

#define BOOT_MAP_LIMIT (1u << 30) /* what boot/entry.S mapped */

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
	/* entries follow */
};

struct boot_info boot_info;

const char *boot_mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE:
		return "usable";
	case BOOT_MEM_RESERVED:
		return "reserved";
	case BOOT_MEM_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case BOOT_MEM_ACPI_NVS:
		return "ACPI NVS";
	case BOOT_MEM_BAD:
		return "bad RAM";
	default:
		return "unknown";
	}
}

/*
 * The caller has checked that the whole tag lies inside the block. An
 * entry_size below our entry's 24 bytes (the specification allows
 * larger ones, for fields added later) would make us read each entry
 * partly from the next one, or, at 0, the same one over and over.
 */
static void parse_mmap(const struct mb2_tag_mmap *t)
{
	const uint8_t *p = (const uint8_t *)(t + 1);
	const uint8_t *end = (const uint8_t *)t + t->tag.size;

	if (t->tag.size < sizeof(*t)) {
		pr_warn("multiboot2: memory map tag of %u bytes; ignored\n",
			t->tag.size);
		return;
	}
	if (t->entry_size < sizeof(struct mb2_mmap_entry)) {
		pr_warn("multiboot2: memory map entries of %u bytes (%u "
			"expected); map ignored\n",
			t->entry_size,
			(unsigned int)sizeof(struct mb2_mmap_entry));
		return;
	}
	for (; (size_t)(end - p) >= t->entry_size; p += t->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		struct boot_mem_range *r;

		if (boot_info.nr_mem == BOOT_MEM_RANGES_MAX) {
			pr_warn("multiboot2: more than %d memory ranges; "
				"ignoring the rest\n",
				BOOT_MEM_RANGES_MAX);
			return;
		}
		r = &boot_info.mem[boot_info.nr_mem++];
		r->base = e->base;
		r->length = e->length;
		r->type = e->type;
	}
}

/* A string tag's text, which must not be read past the tag's end. */
static void copy_tag_string(char *dst, size_t size, const struct mb2_tag *tag)
{
	size_t len =
		strnlen((const char *)(tag + 1), MIN(tag->size - 8, size - 1));

	memcpy(dst, tag + 1, len);
	dst[len] = '\0';
}

/*
 * The command line, read no further than its tag. One too long for
 * boot_info is cut, and the word the cut falls in is dropped whole:
 * half a word can still parse as a value (ktest.stress_ops=100000 cut to
 * ktest.stress_ops=1), and a dropped word is named here, where the cut
 * happens, not silently lost.
 */
static void copy_cmdline(const struct mb2_tag *tag)
{
	const char *src = (const char *)(tag + 1);
	size_t len = strnlen(src, tag->size - 8);
	size_t keep = sizeof(boot_info.cmdline) - 1;

	if (len <= keep) {
		copy_tag_string(boot_info.cmdline, sizeof(boot_info.cmdline),
				tag);
		return;
	}
	memcpy(boot_info.cmdline, src, keep);
	if (src[keep] != ' ')
		while (keep && boot_info.cmdline[keep - 1] != ' ')
			keep--;
	boot_info.cmdline[keep] = '\0';
	while (keep < len && src[keep] == ' ')
		keep++;
	pr_warn("boot: command line of %u bytes is longer than %u: ignoring "
		"it from '%.*s' on\n",
		(unsigned int)len, (unsigned int)sizeof(boot_info.cmdline) - 1,
		(int)MIN(len - keep, 40u), src + keep);
}

bool arch_parse_boot_info(uint32_t magic, uint32_t info_phys)
{
	const uint8_t *info, *p, *end;
	uint32_t total;

	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_emerg("boot: not loaded by a multiboot2 loader (magic %08x,"
			 " expected %08x)\n",
			 magic, MB2_BOOTLOADER_MAGIC);
		return false;
	}
	if (info_phys >= BOOT_MAP_LIMIT - 8) {
		pr_emerg("boot: multiboot2 info at %08x is above the boot "
			 "mapping\n",
			 info_phys);
		return false;
	}
	info = (const uint8_t *)(uintptr_t)(info_phys + PAGE_OFFSET);
	total = *(const uint32_t *)info;
	if (total < 8 || total > BOOT_MAP_LIMIT - info_phys) {
		pr_emerg("boot: multiboot2 info at %08x has an impossible "
			 "size %u\n",
			 info_phys, total);
		return false;
	}
	end = info + total;
	/*
	 * Every size is the loader's word, so each is checked against
	 * what is left of the block before it is used: a tag that claims
	 * to run past the block's end ends the parse (it and whatever
	 * follows cannot be trusted), and as sizes stay below 1 GiB the
	 * rounding up to the next tag cannot wrap to a step of 0.
	 */
	for (p = info + 8; end - p >= (ptrdiff_t)sizeof(struct mb2_tag);
	     p += ALIGN_UP(((const struct mb2_tag *)p)->size, 8)) {
		const struct mb2_tag *tag = (const void *)p;

		if (tag->type == MB2_TAG_END)
			break;
		if (tag->size < 8 || tag->size > (size_t)(end - p)) {
			pr_warn("multiboot2: tag type %u at offset %u has "
				"size %u, with %u bytes left in the block; "
				"ignoring it and the rest\n",
				tag->type, (unsigned int)(p - info), tag->size,
				(unsigned int)(end - p));
			break;
		}
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			copy_cmdline(tag);
			break;
		case MB2_TAG_LOADER_NAME:
			copy_tag_string(boot_info.loader,
					sizeof(boot_info.loader), tag);
			break;
		case MB2_TAG_MMAP:
			parse_mmap((const void *)tag);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW: {
			size_t len =
				MIN(tag->size - 8, sizeof(boot_info.rsdp_copy));
			/* Prefer the ACPI 2.0 RSDP if both are given. */
			if (boot_info.has_rsdp && tag->type == MB2_TAG_ACPI_OLD)
				break;
			memcpy(boot_info.rsdp_copy, tag + 1, len);
			boot_info.has_rsdp = true;
			break;
		}
		}
	}
	if (!boot_info.nr_mem) {
		pr_emerg("boot: the boot loader gave no memory map\n");
		return false;
	}
	return true;
}
