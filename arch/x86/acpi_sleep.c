/*
 * Turning the machine off through ACPI: the S5 ("soft off") sleep
 * state, for a test run that must end on a machine or emulator with no
 * exit device (arch/x86/poweroff.c).
 *
 * Entering a sleep state is one write to the PM1 control register(s)
 * whose I/O ports the FADT (signed "FACP") gives: the state's
 * SLP_TYP code in bits 10-12, with SLP_EN (bit 13) set. The code for
 * S5 is not in any table: it is data in the DSDT, the firmware's AML
 * byte code, as the object \_S5, a package whose first two integers
 * are SLP_TYP for the PM1a and PM1b registers. Running AML needs an
 * interpreter; this file instead looks for the few bytes that declare
 * that one object, which every firmware writes the same way:
 *
 *   NameOp (0x08) ['\'] "_S5_" PackageOp (0x12) PkgLength NumElements
 *   then two small integers (ZeroOp 0x00, OneOp 0x01, or 0x0A BYTE)
 *
 * Every read is checked against the table's length, and anything else
 * found there is refused by name: a wrong SLP_TYP would put the
 * machine into some other sleep state instead of turning it off.
 *
 * acpi_sleep_init() reads all this once, at boot, on the boot CPU
 * (the tables are read through the fixmap's boot window); afterwards
 * entering S5 is port I/O only, so it works from a panic too.
 */
#include <kernel/printk.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <mm/fixmap.h>
#include <x86/acpi.h>
#include <x86/cpu.h>

/* The FADT's fields up to PM1b_CNT_BLK, the ACPI 1.0 layout. */
struct fadt {
	struct sdt_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt; /* physical address of the DSDT */
	uint8_t reserved, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd; /* port: ACPI_ENABLE written here */
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk;
	uint32_t pm1a_cnt_blk, pm1b_cnt_blk; /* ports; b: 0 if none */
} __packed;

_Static_assert(sizeof(struct fadt) == 72, "FADT layout");

/* ACPI 2.0+: X_DSDT, a 64-bit DSDT address, preferred when set. */
#define FADT_X_DSDT_OFFSET 140

#define PM1_SCI_EN	  (1u << 0) /* ACPI mode, not legacy */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN	  (1u << 13)

#define AML_ZERO_OP	0x00
#define AML_ONE_OP	0x01
#define AML_NAME_OP	0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE_OP	0x12
#define AML_ROOT_CHAR	'\\'

/*
 * The DSDT may be larger than the boot window (FIX_ACPI_PAGES), so it
 * is searched one window at a time. Each mapping reaches S5_LOOKBEHIND
 * bytes back (the NameOp and root prefix before the name) and
 * S5_MAX_BYTES forward of the part searched, so a declaration that
 * straddles two windows is still read whole.
 */
#define DSDT_WINDOW   (4 * PAGE_SIZE)
#define S5_LOOKBEHIND 2
#define S5_MAX_BYTES  16 /* name, op, PkgLength, count, 2 x 2 */

/* Filled once by acpi_sleep_init(); read-only afterwards. */
static struct {
	const char *unusable;	     /* why S5 cannot be entered, or NULL */
	uint16_t pm1a_cnt, pm1b_cnt; /* I/O ports; pm1b_cnt 0: none */
	uint16_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t slp_typ[2]; /* for PM1a, PM1b */
} s5 = { .unusable = "ACPI tables not read yet" };

/* A small AML integer at *pp (Zero, One or a byte), stepping past it. */
static bool aml_small_int(const uint8_t **pp, const uint8_t *end, uint8_t *out)
{
	const uint8_t *p = *pp;

	if (p < end && (*p == AML_ZERO_OP || *p == AML_ONE_OP)) {
		*out = *p;
		*pp = p + 1;
		return true;
	}
	if (p + 2 <= end && *p == AML_BYTE_PREFIX) {
		*out = p[1];
		*pp = p + 2;
		return true;
	}
	return false;
}

/* Does the name at p (with S5_LOOKBEHIND bytes before it) declare \_S5? */
static bool s5_declared_at(const uint8_t *p)
{
	if (p[0] != '_' || p[1] != 'S' || p[2] != '5' || p[3] != '_')
		return false;
	return p[-1] == AML_NAME_OP ||
	       (p[-1] == AML_ROOT_CHAR && p[-2] == AML_NAME_OP);
}

/* Read the package after a \_S5 declaration at p into s5.slp_typ. */
static bool s5_read_package(const uint8_t *p, const uint8_t *end)
{
	uint8_t count;

	p += 4;
	if (p + 2 > end || *p++ != AML_PACKAGE_OP)
		return false;
	p += 1 + (*p >> 6); /* PkgLength: its lead byte, then 0-3 more */
	if (p >= end)
		return false;
	count = *p++;
	return count >= 2 && aml_small_int(&p, end, &s5.slp_typ[0]) &&
	       aml_small_int(&p, end, &s5.slp_typ[1]) && s5.slp_typ[0] <= 7 &&
	       s5.slp_typ[1] <= 7;
}

/*
 * Search the DSDT at pa for \_S5, summing its bytes on the way (the
 * checksum covers the whole table). NULL on success, else why not.
 */
static const char *dsdt_find_s5(phys_addr_t pa)
{
	const struct sdt_header *h = fixmap_map_boot_range(pa, sizeof(*h));
	uint32_t len, off;
	uint8_t sum = 0;
	bool found = false;

	if (!h || memcmp(h->signature, "DSDT", 4))
		return "the FADT's DSDT address holds no DSDT";
	len = h->length;
	if (len < sizeof(*h))
		return "the DSDT's length is shorter than its header";
	for (unsigned int i = 0; i < sizeof(*h); i++)
		sum += ((const uint8_t *)h)[i];
	for (off = sizeof(*h); off < len; off += DSDT_WINDOW) {
		uint32_t stop =
			len - off < DSDT_WINDOW ? len : off + DSDT_WINDOW;
		uint32_t map_end =
			len - stop < S5_MAX_BYTES ? len : stop + S5_MAX_BYTES;
		const uint8_t *base =
			fixmap_map_boot_range(pa + off - S5_LOOKBEHIND,
					      map_end - off + S5_LOOKBEHIND);
		const uint8_t *p, *end;

		if (!base)
			return "the DSDT cannot be mapped";
		p = base + S5_LOOKBEHIND;
		end = p + (map_end - off);
		for (uint32_t i = 0; i < stop - off; i++) {
			sum += p[i];
			if (found || p + i + 4 > end || !s5_declared_at(p + i))
				continue;
			if (!s5_read_package(p + i, end))
				return "its \\_S5 package is not two small "
				       "integers from 0 to 7";
			found = true;
		}
	}
	if (sum)
		return "the DSDT's checksum is bad";
	return found ? NULL : "the DSDT declares no \\_S5";
}

/* The FADT's ports, and the DSDT's address; NULL on success. */
static const char *fadt_read(phys_addr_t *dsdt)
{
	phys_addr_t pa = acpi_table_find("FACP");
	const struct fadt *f;
	uint64_t x_dsdt = 0;

	if (!pa)
		return "there is no FADT";
	f = (const void *)acpi_table_map(pa, "FACP", "FADT");
	if (!f)
		return "the FADT is unusable";
	if (f->h.length < sizeof(*f))
		return "the FADT is too short to hold the PM1 control ports";
	if (!f->pm1a_cnt_blk || f->pm1a_cnt_blk > 0xffff ||
	    f->pm1b_cnt_blk > 0xffff || f->smi_cmd > 0xffff)
		return "the FADT's PM1 control or SMI command port is not "
		       "an I/O port";
	s5.pm1a_cnt = f->pm1a_cnt_blk;
	s5.pm1b_cnt = f->pm1b_cnt_blk;
	s5.smi_cmd = f->smi_cmd;
	s5.acpi_enable = f->acpi_enable;
	if (f->h.length >= FADT_X_DSDT_OFFSET + 8)
		memcpy(&x_dsdt, (const uint8_t *)f + FADT_X_DSDT_OFFSET, 8);
	*dsdt = x_dsdt ? x_dsdt : f->dsdt;
	return *dsdt ? NULL : "the FADT gives no DSDT";
}

void acpi_sleep_init(void)
{
	phys_addr_t dsdt = 0;
	const char *why = fadt_read(&dsdt);

	if (!why)
		why = dsdt_find_s5(dsdt);
	fixmap_unmap_boot_range();
	s5.unusable = why;
	if (why)
		pr_warn("ACPI: power-off (S5) will not work: %s\n", why);
	else
		pr_info("ACPI: S5 is SLP_TYP %u/%u at PM1a_CNT %#x, "
			"PM1b_CNT %#x\n",
			s5.slp_typ[0], s5.slp_typ[1], s5.pm1a_cnt, s5.pm1b_cnt);
}

/*
 * Firmware may leave the chipset in legacy mode (SCI_EN clear), where
 * it, not ACPI, owns power management; writing ACPI_ENABLE to the SMI
 * command port asks it to hand over. Bounded: at most 300 ms.
 */
static void acpi_mode_on(void)
{
	if ((inw(s5.pm1a_cnt) & PM1_SCI_EN) || !s5.smi_cmd || !s5.acpi_enable)
		return;
	outb(s5.smi_cmd, s5.acpi_enable);
	for (int i = 0; i < 3000 && !(inw(s5.pm1a_cnt) & PM1_SCI_EN); i++)
		arch_udelay(100);
	if (!(inw(s5.pm1a_cnt) & PM1_SCI_EN))
		printk(KERN_EMERG "ACPI: the firmware did not enter ACPI "
				  "mode; trying S5 anyway\n");
}

/* Keep the register's other bits (SCI_EN among them); set the state. */
static void pm1_cnt_enter(uint16_t port, uint8_t slp_typ)
{
	uint16_t v = inw(port) & ~PM1_SLP_TYP_MASK;

	outw(port, v | (slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
}

void acpi_enter_s5(void)
{
	if (s5.unusable) {
		printk(KERN_EMERG "ACPI: cannot power off: %s\n", s5.unusable);
		return;
	}
	acpi_mode_on();
	printk(KERN_EMERG "ACPI: powering off (S5: SLP_TYP %u to PM1a_CNT "
			  "%#x)\n",
	       s5.slp_typ[0], s5.pm1a_cnt);
	pm1_cnt_enter(s5.pm1a_cnt, s5.slp_typ[0]);
	if (s5.pm1b_cnt)
		pm1_cnt_enter(s5.pm1b_cnt, s5.slp_typ[1]);
	/* Hardware that obeys is off long before this. */
	for (int i = 0; i < 1000; i++)
		arch_udelay(100);
	printk(KERN_EMERG "ACPI: still running 100 ms after entering S5: "
			  "power-off failed\n");
}
