/*
 * Symbol look-up over the table tools/gensyms embeds in the kernel: a
 * binary search for the last function starting at or below an address.
 */
#include <kernel/ksyms.h>
#include <lib/format.h>
#include <lib/string.h>

struct ksym {
	uintptr_t addr;
	uint32_t name_offset;
};

extern const uint32_t ksym_count;
extern const struct ksym ksym_table[];
extern const char ksym_names[];
extern const char _text[], _etext[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	uint32_t lo = 0, hi = ksym_count;

	if (addr < (uintptr_t)_text || addr >= (uintptr_t)_etext || !hi)
		return NULL;
	/* Invariant: the answer is in [lo, hi). */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ksym_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksym_table[lo].addr > addr)
		return NULL;
	*offset = addr - ksym_table[lo].addr;
	return ksym_names + ksym_table[lo].name_offset;
}

uintptr_t ksym_address(const char *name)
{
	for (uint32_t i = 0; i < ksym_count; i++)
		if (!strcmp(ksym_names + ksym_table[i].name_offset, name))
			return ksym_table[i].addr;
	return 0;
}

void ksym_format(uintptr_t addr, char *buf, size_t size)
{
	uintptr_t offset;
	const char *name = ksym_lookup(addr, &offset);

	if (name)
		snprintf(buf, size, "%s+0x%lx", name, (unsigned long)offset);
	else
		snprintf(buf, size, "%08lx", (unsigned long)addr);
}
