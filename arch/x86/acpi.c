/*
 * Finding the CPUs and the interrupt hardware: the ACPI MADT.
 *
 * Firmware leaves a chain of tables: the RSDP (found through the
 * multiboot2 tag GRUB copies, or by scanning the BIOS area for its
 * signature) points at the RSDT or XSDT, a list of the physical
 * addresses of every other table; the one signed "APIC" is the MADT.
 * It lists one entry per local APIC (that is, per CPU), the IOAPICs,
 * and the ways ISA interrupts are wired differently from the identity
 * (QEMU: IRQ0, the PIT, arrives on GSI 2).
 *
 * Each table carries a checksum: all its bytes sum to 0 modulo 256. A
 * table that fails is reported by name and not used, because a table
 * read from the wrong address looks like random bytes and would give
 * a random CPU list.
 *
 * The tables sit in reserved RAM near the top of low physical memory,
 * which with much RAM is above lowmem (about 3 GiB with -m 4G), so they
 * are read through the fixmap's boot window, one table at a time. Runs
 * once, on the boot CPU, before any AP exists.
 */
#include <kernel/bootinfo.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <mm/fixmap.h>
#include <mm/page.h>
#include <x86/acpi.h>
#include <x86/apic.h>

#define RSDP_SCAN_START 0xe0000
#define RSDP_SCAN_END	0x100000
#define RSDP_V1_LEN	20
#define RSDP_V2_LEN	36 /* all of struct rsdp; length says so */
#define MAX_SDT_ENTRIES 64

/* The RSDT/XSDT's list of tables, read once by acpi_parse_madt(). */
static phys_addr_t sdt_tables[MAX_SDT_ENTRIES];
static unsigned int nr_sdt_tables;

struct rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0, only the fields above */
	uint32_t rsdt_phys;
	uint32_t length; /* ACPI 2.0+ from here on */
	uint64_t xsdt_phys;
	uint8_t ext_checksum; /* over all `length` bytes */
	uint8_t reserved[3];
} __packed;

enum madt_entry_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_INT_OVERRIDE = 2,
	MADT_LAPIC_ADDR = 5,
};

struct madt_entry {
	uint8_t type;
	uint8_t length;
	union {
		struct {
			uint8_t acpi_id, apic_id;
			uint32_t flags;
		} __packed lapic;
		struct {
			uint8_t id, reserved;
			uint32_t addr, gsi_base;
		} __packed ioapic;
		struct {
			uint8_t bus, source;
			uint32_t gsi;
			uint16_t flags;
		} __packed override;
		struct {
			uint16_t reserved;
			uint64_t addr;
		} __packed lapic_addr;
	};
} __packed;

#define MADT_LAPIC_ENABLED (1u << 0)

struct madt_info madt;

/*
 * Fault injection for the test matrix: acpi.corrupt=NAME makes the
 * checksum of the table reports call NAME come out one too high, as if
 * a byte had changed, so each bad-table report, and the boot without
 * the table, runs on every `make test`. Only the tables this file
 * checks can be named; anything else is refused at boot with the list.
 */
static const char *const corruptible[] = { "RSDP", "RSDT", "XSDT", "MADT",
					   "FADT" };
static const char *corrupt_table = "";

static bool set_corrupt(const char *val)
{
	return param_choose_word(val, corruptible, ARRAY_SIZE(corruptible),
				 &corrupt_table);
}
DEFINE_PARAM("acpi.corrupt", set_corrupt,
	     "RSDP, RSDT, XSDT, MADT or FADT: a table whose checksum to "
	     "spoil (testing)");

static uint8_t byte_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* Report a bad checksum by the table's name; true if it is good. */
static bool checksum_ok(const char *name, const void *p, size_t len)
{
	uint8_t sum = byte_sum(p, len) + !strcmp(name, corrupt_table);

	if (sum)
		pr_err("ACPI: %s checksum bad (sum 0x%02x)\n", name, sum);
	return sum == 0;
}

static bool rsdp_valid(const struct rsdp *r)
{
	if (memcmp(r->signature, "RSD PTR ", 8))
		return false;
	if (!checksum_ok("RSDP", r, RSDP_V1_LEN))
		return false;
	if (r->revision < 2)
		return true;
	/*
	 * The extended checksum covers `length` bytes, the firmware's
	 * word: anything but the structure's own size would sum bytes
	 * that are not the RSDP (past the boot loader's copy, or off the
	 * end of the BIOS area). Refuse it by name instead.
	 */
	if (r->length != RSDP_V2_LEN) {
		pr_err("ACPI: RSDP revision %u says it is %u bytes, not %u\n",
		       r->revision, r->length, RSDP_V2_LEN);
		return false;
	}
	return checksum_ok("RSDP (extended)", r, r->length);
}

/* The BIOS puts the RSDP on a 16-byte boundary in 0xe0000-0xfffff. */
static const struct rsdp *rsdp_scan(void)
{
	for (phys_addr_t pa = RSDP_SCAN_START; pa < RSDP_SCAN_END; pa += 16) {
		const struct rsdp *r = __va(pa);

		if (!memcmp(r->signature, "RSD PTR ", 8) && rsdp_valid(r))
			return r;
	}
	return NULL;
}

/*
 * acpi.rsdp=scan ignores the boot loader's copy, so the BIOS-area scan
 * (the path firmware without a multiboot2 ACPI tag takes) is run and
 * tested too: the smp2 row of the test matrix boots with it.
 */
static bool rsdp_force_scan;

static bool set_rsdp(const char *val)
{
	static const char *const words[] = { "loader", "scan" };
	unsigned int i;

	if (!param_choose(val, words, ARRAY_SIZE(words), &i))
		return false;
	rsdp_force_scan = i;
	return true;
}
DEFINE_PARAM("acpi.rsdp", set_rsdp, "scan or loader");

static const struct rsdp *rsdp_find(void)
{
	const struct rsdp *r = (const void *)boot_info.rsdp_copy;

	if (rsdp_force_scan)
		return rsdp_scan();
	if (boot_info.has_rsdp && rsdp_valid(r))
		return r;
	if (boot_info.has_rsdp)
		pr_warn("ACPI: the boot loader's RSDP is unusable; scanning\n");
	return rsdp_scan();
}

/* Is the table at pa signed sig? (Looks at the header only.) */
static bool sdt_signature_is(phys_addr_t pa, const char *sig)
{
	const struct sdt_header *h = fixmap_map_boot_range(pa, sizeof(*h));

	return h && !memcmp(h->signature, sig, 4);
}

/*
 * Map the table at pa through the boot window and check it: the
 * header first (to learn the length), then all of it. NULL if it is
 * not signed want, cannot be mapped or fails its checksum; name is
 * what reports call it (the MADT is signed "APIC").
 */
const struct sdt_header *acpi_table_map(phys_addr_t pa, const char *want,
					const char *name)
{
	const struct sdt_header *h = fixmap_map_boot_range(pa, sizeof(*h));
	uint32_t len;

	if (!h)
		return NULL;
	if (memcmp(h->signature, want, 4)) {
		pr_err("ACPI: expected the %s (\"%s\") at %#llx; not there\n",
		       name, want, (unsigned long long)pa);
		return NULL;
	}
	len = h->length;
	h = len >= sizeof(*h) ? fixmap_map_boot_range(pa, len) : NULL;
	if (!h) {
		pr_err("ACPI: %s at %#llx has an unreadable length %u\n", name,
		       (unsigned long long)pa, len);
		return NULL;
	}
	return checksum_ok(name, h, len) ? h : NULL;
}

static void rsdp_print(const struct rsdp *r, unsigned int nr_tables)
{
	bool xsdt = r->revision >= 2 && r->xsdt_phys;

	pr_info("ACPI: RSDP revision %u (%s), %s at %#llx, %u tables\n",
		r->revision,
		r == (const void *)boot_info.rsdp_copy ? "from the boot loader"
						       : "found by scanning",
		xsdt ? "XSDT" : "RSDT",
		xsdt ? (unsigned long long)r->xsdt_phys
		     : (unsigned long long)r->rsdt_phys,
		nr_tables);
}

/* Copy the RSDT/XSDT's table addresses out; returns how many. */
static unsigned int sdt_list(const struct rsdp *r, phys_addr_t *out)
{
	bool xsdt = r->revision >= 2 && r->xsdt_phys;
	const struct sdt_header *h =
		xsdt ? acpi_table_map(r->xsdt_phys, "XSDT", "XSDT")
		     : acpi_table_map(r->rsdt_phys, "RSDT", "RSDT");
	unsigned int width = xsdt ? 8 : 4, n;
	const uint8_t *p;

	if (!h)
		return 0;
	n = (h->length - sizeof(*h)) / width;
	if (n > MAX_SDT_ENTRIES)
		n = MAX_SDT_ENTRIES;
	p = (const uint8_t *)(h + 1);
	for (unsigned int i = 0; i < n; i++, p += width) {
		uint64_t pa = 0;

		memcpy(&pa, p, width); /* entries may be unaligned */
		out[i] = pa;
	}
	return n;
}

static void madt_add_cpu(uint8_t apic_id, uint32_t flags)
{
	if (!(flags & MADT_LAPIC_ENABLED))
		return;
	if (madt.nr_cpus == NR_CPUS) {
		if (madt.nr_cpus_ignored < MADT_MAX_APIC_IDS)
			madt.ignored_apic_ids[madt.nr_cpus_ignored++] = apic_id;
		return;
	}
	madt.apic_ids[madt.nr_cpus++] = apic_id;
}

static void madt_add_override(uint8_t bus, uint8_t irq, uint32_t gsi,
			      uint16_t flags)
{
	if (bus != 0 || irq >= NR_ISA_IRQS) {
		pr_warn("ACPI: ignoring override of bus %u irq %u\n", bus, irq);
		return;
	}
	madt.isa_gsi[irq] = gsi;
	madt.isa_flags[irq] = flags;
}

static void madt_parse_entries(const struct sdt_header *h)
{
	const uint8_t *p = (const uint8_t *)(h + 1) + 8; /* addr, flags */
	const uint8_t *end = (const uint8_t *)h + h->length;

	for (; p + 2 <= end; p += ((const struct madt_entry *)p)->length) {
		const struct madt_entry *e = (const void *)p;

		if (e->length < 2 || p + e->length > end) {
			pr_err("ACPI: MADT entry at offset %u is malformed\n",
			       (unsigned int)(p - (const uint8_t *)h));
			return;
		}
		if (e->type == MADT_LAPIC)
			madt_add_cpu(e->lapic.apic_id, e->lapic.flags);
		else if (e->type == MADT_IOAPIC && !madt.has_ioapic) {
			madt.has_ioapic = true;
			madt.ioapic_phys = e->ioapic.addr;
			madt.ioapic_gsi_base = e->ioapic.gsi_base;
		} else if (e->type == MADT_INT_OVERRIDE)
			madt_add_override(e->override.bus, e->override.source,
					  e->override.gsi, e->override.flags);
		else if (e->type == MADT_LAPIC_ADDR)
			madt.lapic_phys = e->lapic_addr.addr;
	}
}

static void madt_print(void)
{
	pr_info("ACPI: MADT: %u CPUs, local APIC at %#llx, IOAPIC at %#llx "
		"(GSI base %u)\n",
		madt.nr_cpus, (unsigned long long)madt.lapic_phys,
		(unsigned long long)madt.ioapic_phys, madt.ioapic_gsi_base);
	for (unsigned int irq = 0; irq < NR_ISA_IRQS; irq++)
		if (madt.isa_gsi[irq] != irq || madt.isa_flags[irq])
			pr_info("ACPI: ISA IRQ %u -> GSI %u (flags %#x)\n", irq,
				madt.isa_gsi[irq], madt.isa_flags[irq]);
}

phys_addr_t acpi_table_find(const char *sig)
{
	for (unsigned int i = 0; i < nr_sdt_tables; i++)
		if (sdt_signature_is(sdt_tables[i], sig))
			return sdt_tables[i];
	return 0;
}

/* Nothing known: no CPUs, no IOAPIC, ISA IRQ n on GSI n. */
static void madt_reset(void)
{
	memset(&madt, 0, sizeof(madt));
	for (unsigned int irq = 0; irq < NR_ISA_IRQS; irq++)
		madt.isa_gsi[irq] = irq; /* identity unless overridden */
}

static bool madt_find_and_read(void)
{
	phys_addr_t *tables = sdt_tables;
	const struct rsdp *r = rsdp_find();
	unsigned int n;

	if (!r) {
		pr_err("ACPI: no valid RSDP found\n");
		return false;
	}
	n = nr_sdt_tables = sdt_list(r, tables);
	rsdp_print(r, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct sdt_header *h;

		if (!sdt_signature_is(tables[i], "APIC"))
			continue;
		pr_info("ACPI: MADT at %#llx\n", (unsigned long long)tables[i]);
		h = acpi_table_map(tables[i], "APIC", "MADT");
		if (!h)
			break;
		/* The header, then the LAPIC address and flags (4 + 4). */
		if (h->length < sizeof(*h) + 8) {
			pr_err("ACPI: MADT of %u bytes is too short to hold "
			       "the LAPIC address\n",
			       h->length);
			break;
		}
		madt.lapic_phys = *(const uint32_t *)(h + 1);
		madt_parse_entries(h);
		fixmap_unmap_boot_range();
		madt_print();
		return madt.nr_cpus > 0;
	}
	fixmap_unmap_boot_range();
	pr_err("ACPI: no valid MADT among %u tables\n", n);
	return false;
}

/*
 * A MADT that failed half-way (no enabled CPU, say) is not believed in
 * part: on false, madt says nothing but the identity ISA wiring.
 */
bool acpi_parse_madt(void)
{
	madt_reset();
	if (madt_find_and_read())
		return true;
	madt_reset();
	return false;
}
