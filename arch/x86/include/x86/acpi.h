/*
 * ACPI tables, private to arch/x86: the header every table starts
 * with, finding a table by signature and mapping it (acpi.c), and the
 * S5 "soft off" sleep state the power-off path enters (acpi_sleep.c).
 */
#ifndef X86_ACPI_H
#define X86_ACPI_H

#include <kernel/compiler.h>
#include <mm/page.h>

struct sdt_header {
	char signature[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;

/*
 * The physical address of the first table the RSDT/XSDT lists with
 * signature sig ("FACP" for the FADT), or 0. Context: boot CPU, after
 * acpi_parse_madt() has read the list, before APs start (it uses the
 * fixmap's boot window).
 */
phys_addr_t acpi_table_find(const char *sig);

/*
 * Map the table at pa through the fixmap's boot window and check its
 * signature (want), length and checksum. Return: the table, valid
 * until the window is next used, or NULL after a report naming it
 * (name: what the report calls it). Context: as acpi_table_find().
 */
const struct sdt_header *acpi_table_map(phys_addr_t pa, const char *want,
					const char *name);

/*
 * Read what entering S5 needs from the FADT and the DSDT's \_S5
 * object, once, at boot (context: as acpi_table_find()). Says at boot
 * if power-off will not be possible, and why.
 */
void acpi_sleep_init(void);

/*
 * Enter S5 (the machine turns off). Return: only if that did not
 * happen, after saying why on the console. Context: any, interrupts
 * off; only port I/O, so it works with other CPUs stopped.
 */
void acpi_enter_s5(void);

#endif
