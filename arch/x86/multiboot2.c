/*
 * Reading the multiboot2 boot information: how GRUB boots the kernel.
 *
 * GRUB hands over a block of tags (multiboot2 specification, section
 * 3.6): a total size, then tags of a type and a size each, the next
 * tag at the next 8-byte boundary, until an end tag. What the kernel
 * needs is copied into boot_info (arch/x86/bootinfo.c says why at once).
 */
#include <kernel/printk.h>
#include <lib/string.h>
#include <x86/multiboot.h>

#define MB2_TAG_END	    0
#define MB2_TAG_CMDLINE	    1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MMAP	    6
#define MB2_TAG_ACPI_OLD    14
#define MB2_TAG_ACPI_NEW    15

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

		if (!boot_add_mem_range("multiboot2", e->base, e->length,
					e->type))
			return;
	}
}

/* A string tag's text: it must not be read past the tag's end. */
static const char *tag_text(const struct mb2_tag *tag)
{
	return (const char *)(tag + 1);
}

bool mb2_parse_info(uint32_t info_phys)
{
	const uint8_t *info, *p, *end;
	uint32_t total;

	info = boot_phys_to_virt(info_phys, 8);
	if (!info) {
		pr_emerg("boot: multiboot2 info at %08x is past the boot "
			 "mapping (the first GiB)\n",
			 info_phys);
		return false;
	}
	total = *(const uint32_t *)info;
	if (total < 8 || !boot_phys_to_virt(info_phys, total)) {
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
			boot_set_cmdline(tag_text(tag), tag->size - 8);
			break;
		case MB2_TAG_LOADER_NAME:
			boot_set_loader(tag_text(tag), tag->size - 8);
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
	return true;
}
