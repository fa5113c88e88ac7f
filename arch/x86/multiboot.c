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

#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_LOADER_NAME	2
#define MB2_TAG_MMAP		6
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15

#define BOOT_MAP_LIMIT (1u << 30)	/* what boot/entry.S mapped */

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
	case BOOT_MEM_USABLE: return "usable";
	case BOOT_MEM_RESERVED: return "reserved";
	case BOOT_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
	case BOOT_MEM_ACPI_NVS: return "ACPI NVS";
	case BOOT_MEM_BAD: return "bad RAM";
	default: return "unknown";
	}
}

static void parse_mmap(const struct mb2_tag_mmap *t)
{
	const uint8_t *p = (const uint8_t *)(t + 1);
	const uint8_t *end = (const uint8_t *)t + t->tag.size;

	for (; p + t->entry_size <= end; p += t->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		struct boot_mem_range *r;

		if (boot_info.nr_mem == BOOT_MEM_RANGES_MAX) {
			pr_warn("multiboot2: more than %d memory ranges; "
				"ignoring the rest\n", BOOT_MEM_RANGES_MAX);
			return;
		}
		r = &boot_info.mem[boot_info.nr_mem++];
		r->base = e->base;
		r->length = e->length;
		r->type = e->type;
	}
}

/*
 * A command line too long for boot_info is cut, and the word the cut
 * falls in is dropped whole: half a word can still parse as a value
 * (ktest.stress_ms=100000 cut to ktest.stress_ms=1), and a dropped word
 * is named here, where the cut happens, not silently lost.
 */
static void copy_cmdline(const char *src)
{
	size_t len = strlcpy(boot_info.cmdline, src, sizeof(boot_info.cmdline));
	size_t keep = sizeof(boot_info.cmdline) - 1;

	if (len < sizeof(boot_info.cmdline))
		return;
	if (src[keep] != ' ')
		while (keep && boot_info.cmdline[keep - 1] != ' ')
			keep--;
	boot_info.cmdline[keep] = '\0';
	while (src[keep] == ' ')
		keep++;
	pr_warn("boot: command line of %u bytes is longer than %u: ignoring "
		"it from '%.40s' on\n", (unsigned int)len,
		(unsigned int)sizeof(boot_info.cmdline) - 1, src + keep);
}

bool arch_parse_boot_info(uint32_t magic, uint32_t info_phys)
{
	const uint8_t *info, *p, *end;
	uint32_t total;

	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_emerg("boot: not loaded by a multiboot2 loader (magic %08x,"
			 " expected %08x)\n", magic, MB2_BOOTLOADER_MAGIC);
		return false;
	}
	if (info_phys >= BOOT_MAP_LIMIT - 8) {
		pr_emerg("boot: multiboot2 info at %08x is above the boot "
			 "mapping\n", info_phys);
		return false;
	}
	info = (const uint8_t *)(uintptr_t)(info_phys + PAGE_OFFSET);
	total = *(const uint32_t *)info;
	end = info + total;
	for (p = info + 8; p + sizeof(struct mb2_tag) <= end;
	     p += ALIGN_UP(((const struct mb2_tag *)p)->size, 8)) {
		const struct mb2_tag *tag = (const void *)p;

		if (tag->type == MB2_TAG_END || tag->size < 8)
			break;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			copy_cmdline((const char *)(tag + 1));
			break;
		case MB2_TAG_LOADER_NAME:
			strlcpy(boot_info.loader, (const char *)(tag + 1),
				sizeof(boot_info.loader));
			break;
		case MB2_TAG_MMAP:
			parse_mmap((const void *)tag);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW: {
			size_t len = MIN(tag->size - 8,
					 sizeof(boot_info.rsdp_copy));
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
