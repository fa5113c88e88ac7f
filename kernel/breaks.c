/*
 * Break switches (include/kernel/breaks.h): the break= option, parsed
 * at boot, and the flags the rest of the kernel reads.
 *
 * The flags are written only while the command line is parsed, on the
 * boot CPU before any other CPU runs, and only read afterwards, so
 * they need no lock.
 */
#include <kernel/breaks.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <lib/string.h>

struct break_switch {
	const char *name;
	bool wired;	    /* false: declared, but nothing reads it yet */
	const char *effect; /* what goes wrong, for the boot warning */
};

static const struct break_switch breaks[NR_BREAKS] = {
	[BREAK_TLB_SHOOTDOWN] = { "tlb_shootdown", true,
				  "TLB flushes stay on this CPU: other CPUs keep stale "
				  "translations" },
	[BREAK_KMAP_LOCAL_SWITCH] = { "kmap_local_switch", true,
				      "kmap_local slots are not saved and restored on a context "
				      "switch: tasks on one CPU trample each other's maps" },
	[BREAK_PKMAP_FLUSH] = { "pkmap_flush", true,
				"no TLB shootdown when the pkmap pool wraps: other CPUs "
				"keep stale pkmap translations" },
};

bool break_switch_on[NR_BREAKS];

static int break_lookup(const char *name, size_t len)
{
	for (int i = 0; i < NR_BREAKS; i++)
		if (strlen(breaks[i].name) == len &&
		    !strncmp(breaks[i].name, name, len))
			return i;
	return -1;
}

/*
 * break=a,b,c. Every name is checked before any is turned on, so a
 * typo in one name leaves the kernel unbroken rather than half broken.
 */
static bool set_break(const char *val)
{
	bool want[NR_BREAKS] = { false };
	const char *p = val;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int id = break_lookup(p, len);

		if (id < 0) {
			pr_err("break: no switch named '%.*s' (have "
			       "tlb_shootdown, kmap_local_switch, "
			       "pkmap_flush)\n",
			       (int)len, p);
			return false;
		}
		want[id] = true;
		if (!comma)
			break;
		p = comma + 1;
	}
	for (int i = 0; i < NR_BREAKS; i++) {
		if (!want[i])
			continue;
		break_switch_on[i] = true;
		pr_warn("****************************************************"
			"********\n");
		pr_warn("** BREAK SWITCH ON: break=%s\n", breaks[i].name);
		pr_warn("** %s\n",
			breaks[i].wired
				? breaks[i].effect
				: "(not wired to anything yet: it changes nothing)");
		pr_warn("** THIS KERNEL IS BROKEN ON PURPOSE. Tests will "
			"fail.\n");
		pr_warn("****************************************************"
			"********\n");
	}
	return true;
}
DEFINE_PARAM("break", set_break,
	     "switch names, comma-separated: tlb_shootdown, "
	     "kmap_local_switch, pkmap_flush");
