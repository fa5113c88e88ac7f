/*
 * What the boot loader told us, copied out of its block before anything
 * can overwrite it (the loader puts that block in memory the map calls
 * free). Filled by arch/x86/bootinfo.c, from multiboot2 (GRUB) or the
 * first multiboot (QEMU's -kernel).
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <mm/layout.h>

#define BOOT_MEM_RANGES_MAX 64
#define BOOT_CMDLINE_MAX    1024

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI_RECLAIMABLE = 3,
	BOOT_MEM_ACPI_NVS = 4,
	BOOT_MEM_BAD = 5,
};

struct boot_mem_range {
	phys_addr_t base;
	uint64_t length;
	uint32_t type;
};

struct boot_info {
	struct boot_mem_range mem[BOOT_MEM_RANGES_MAX];
	unsigned int nr_mem;
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[64];
	bool has_rsdp;	       /* rsdp_copy holds an RSDP */
	uint8_t rsdp_copy[36]; /* the RSDP (v1 or v2) as GRUB gave it */
};

extern struct boot_info boot_info;

/* Copy the boot loader's information. Returns false if it is unusable. */
bool arch_parse_boot_info(uint32_t magic, uint32_t info_phys);

/*
 * How many bytes from physical address phys on the boot loader's data
 * may lie, for the parser to read it: the early boot maps only so much
 * (on x86 the first GiB). 0 if none.
 */
uint64_t arch_boot_phys_room(uint64_t phys);

const char *boot_mem_type_name(uint32_t type);

#endif
