/*
 * The boot loader's information, whichever protocol brought it.
 *
 * boot/entry.S passes on what the loader left in EAX (a magic number
 * naming the protocol) and EBX (the physical address of its block).
 * The parser of that protocol copies what the kernel needs into
 * boot_info at once, so nothing later has to remember to protect the
 * loader's block (it lies in memory the map calls free). The helpers
 * here are what both parsers share: reading the block through the boot
 * page tables, and the rules for memory ranges and the command line.
 */
#include <kernel/printk.h>
#include <lib/string.h>
#include <x86/multiboot.h>

#define BOOT_MAP_LIMIT (1ull << 30) /* what boot/entry.S mapped */

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

uint64_t arch_boot_phys_room(uint64_t phys)
{
	return phys < BOOT_MAP_LIMIT ? BOOT_MAP_LIMIT - phys : 0;
}

const void *boot_phys_to_virt(uint64_t phys, uint64_t size)
{
	if (size > arch_boot_phys_room(phys))
		return NULL;
	return (const void *)(uintptr_t)(phys + PAGE_OFFSET);
}

bool boot_add_mem_range(const char *proto, uint64_t base, uint64_t length,
			uint32_t type)
{
	struct boot_mem_range *r;

	if (boot_info.nr_mem == BOOT_MEM_RANGES_MAX) {
		pr_warn("%s: more than %d memory ranges; ignoring the rest\n",
			proto, BOOT_MEM_RANGES_MAX);
		return false;
	}
	r = &boot_info.mem[boot_info.nr_mem++];
	r->base = base;
	r->length = length;
	r->type = type;
	return true;
}

/*
 * A command line too long for boot_info is cut, and the word the cut
 * falls in is dropped whole: half a word can still parse as a value
 * (ktest.stress_ops=100000 cut to ktest.stress_ops=1), and a dropped
 * word is named here, where the cut happens, not silently lost.
 */
void boot_set_cmdline(const char *src, size_t len)
{
	size_t keep = sizeof(boot_info.cmdline) - 1;

	len = strnlen(src, len);
	if (len <= keep) {
		memcpy(boot_info.cmdline, src, len);
		boot_info.cmdline[len] = '\0';
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

/* The loader's name, read no further than len bytes, cut to fit. */
void boot_set_loader(const char *src, size_t len)
{
	len = strnlen(src, MIN(len, sizeof(boot_info.loader) - 1));
	memcpy(boot_info.loader, src, len);
	boot_info.loader[len] = '\0';
}

bool arch_parse_boot_info(uint32_t magic, uint32_t info_phys)
{
	bool ok;

	if (magic == MB2_BOOTLOADER_MAGIC)
		ok = mb2_parse_info(info_phys);
	else if (magic == MB1_BOOTLOADER_MAGIC)
		ok = mb1_parse_info(info_phys);
	else {
		pr_emerg("boot: not loaded by a multiboot loader (magic %08x, "
			 "expected %08x for multiboot2 or %08x for "
			 "multiboot)\n",
			 magic, MB2_BOOTLOADER_MAGIC, MB1_BOOTLOADER_MAGIC);
		return false;
	}
	if (ok && !boot_info.nr_mem) {
		pr_emerg("boot: the boot loader gave no memory map\n");
		return false;
	}
	return ok;
}
