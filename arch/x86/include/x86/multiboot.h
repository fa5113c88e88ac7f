/*
 * The two boot protocols the kernel accepts, and what their parsers
 * share (arch/x86/bootinfo.c).
 *
 * GRUB boots the kernel through multiboot2 (arch/x86/multiboot2.c):
 * `make run`, the labs and the rows of the test matrix that check the
 * boot path. QEMU's own loader (`-kernel`) speaks only the first
 * multiboot (arch/x86/multiboot1.c); it skips the BIOS disk reads and
 * GRUB's start-up, about a third of a second of each boot under TCG,
 * which the rest of the test matrix saves.
 */
#ifndef X86_MULTIBOOT_H
#define X86_MULTIBOOT_H

#include <kernel/bootinfo.h>

#define MB1_BOOTLOADER_MAGIC 0x2badb002
#define MB2_BOOTLOADER_MAGIC 0x36d76289

/* Each fills boot_info from its block; false if the block is unusable. */
bool mb1_parse_info(uint32_t info_phys);
bool mb2_parse_info(uint32_t info_phys);

/*
 * Where physical [phys, phys + size) can be read now, through the boot
 * page tables (the first GiB at PAGE_OFFSET); NULL if not all of it can.
 */
const void *boot_phys_to_virt(uint64_t phys, uint64_t size);

/* Append a range to boot_info.mem; false (and a warning) once full. */
bool boot_add_mem_range(const char *proto, uint64_t base, uint64_t length,
			uint32_t type);

/*
 * Copy the command line (src, at most len bytes, perhaps without a
 * NUL) and the loader's name into boot_info.
 */
void boot_set_cmdline(const char *src, size_t len);
void boot_set_loader(const char *src, size_t len);

#endif
