/*
 * Reading the first multiboot's boot information: how QEMU's own
 * loader (`qemu-system-i386 -kernel`) boots the kernel.
 *
 * The loader hands over one fixed structure (multiboot specification
 * 0.6.96, section 3.3): a flags word saying which of the fields after
 * it are valid, some of them physical addresses of more data (the
 * command line, the memory map, the loader's name). The memory map is
 * a list of entries that each begin with their own size, not counting
 * that size field itself. There is no RSDP here: acpi.c then finds it
 * by scanning the BIOS area, as it does with acpi.rsdp=scan.
 */
#include <kernel/printk.h>
#include <lib/string.h>
#include <x86/multiboot.h>

#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MMAP	 (1u << 6)
#define MB1_INFO_LOADER	 (1u << 9)

#define MB1_STRING_MAX 4096 /* the most of a string we read */

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mb1_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t base;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

/*
 * The loader's string at phys (its `what`), and how much of it may be
 * read: up to MB1_STRING_MAX bytes, never past the boot mapping. NULL,
 * with a warning, if it starts past it.
 */
static const char *mb1_string(uint32_t phys, const char *what, size_t *len)
{
	*len = MIN(arch_boot_phys_room(phys), MB1_STRING_MAX);
	if (!*len) {
		pr_warn("multiboot: %s at %08x is past the boot mapping (the "
			"first GiB); ignored\n",
			what, phys);
		return NULL;
	}
	return boot_phys_to_virt(phys, *len);
}

/*
 * Each entry says its own size. One too small to hold an entry would
 * have us read its neighbour's bytes as fields (a size of 0 steps four
 * bytes, into the middle of the entry), and one running past the map's
 * end reads memory the loader never described: either ends the map.
 */
static void mb1_parse_mmap(const struct mb1_info *mbi)
{
	const uint8_t *map =
		boot_phys_to_virt(mbi->mmap_addr, mbi->mmap_length);
	const uint8_t *p, *end;

	if (!map) {
		pr_warn("multiboot: memory map at %08x (%u bytes) runs past "
			"the boot mapping (the first GiB); ignored\n",
			mbi->mmap_addr, mbi->mmap_length);
		return;
	}
	end = map + mbi->mmap_length;
	for (p = map; end - p >= (ptrdiff_t)sizeof(struct mb1_mmap_entry);) {
		const struct mb1_mmap_entry *e = (const void *)p;
		size_t step = (size_t)e->size + sizeof(e->size);

		if (step < sizeof(*e) || step > (size_t)(end - p)) {
			pr_warn("multiboot: memory map entry at offset %u has "
				"size %u; ignoring it and the rest\n",
				(unsigned int)(p - map), e->size);
			return;
		}
		if (!boot_add_mem_range("multiboot", e->base, e->length,
					e->type))
			return;
		p += step;
	}
}

/*
 * The first word of a multiboot command line names the kernel image
 * (QEMU's loader and GRUB's `multiboot` command both put it there);
 * the kernel's own options are the rest.
 */
static void mb1_set_cmdline(uint32_t phys)
{
	size_t len;
	const char *s = mb1_string(phys, "command line", &len);
	const char *end;

	if (!s)
		return;
	end = s + strnlen(s, len);
	while (s < end && *s == ' ')
		s++;
	while (s < end && *s != ' ')
		s++;
	while (s < end && *s == ' ')
		s++;
	boot_set_cmdline(s, end - s);
}

/* The loader's name, for the boot log and the judge's loader check. */
static void mb1_set_loader(uint32_t phys)
{
	size_t len;
	const char *s = mb1_string(phys, "loader name", &len);

	if (s)
		boot_set_loader(s, len);
}

bool mb1_parse_info(uint32_t info_phys)
{
	const struct mb1_info *mbi = boot_phys_to_virt(info_phys, sizeof(*mbi));

	if (!mbi) {
		pr_emerg("boot: multiboot info at %08x is past the boot "
			 "mapping (the first GiB)\n",
			 info_phys);
		return false;
	}
	if (mbi->flags & MB1_INFO_CMDLINE)
		mb1_set_cmdline(mbi->cmdline);
	if (mbi->flags & MB1_INFO_LOADER)
		mb1_set_loader(mbi->boot_loader_name);
	if (mbi->flags & MB1_INFO_MMAP)
		mb1_parse_mmap(mbi);
	return true;
}
