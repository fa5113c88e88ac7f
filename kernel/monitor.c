/*
 * The serial monitor (see include/kernel/monitor.h): line editing, the
 * command table, and the commands that show generic kernel state.
 * Memory and mapping commands live with their subsystems.
 */
#include <arch/console.h>
#include <arch/cpu.h>
#include <arch/smp.h>
#include <kernel/emulator_exit.h>
#include <kernel/hotplug.h>
#include <kernel/ktest.h>
#include <kernel/monitor.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/smp.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/layout.h>
#include <mm/page_alloc.h>

#define LINE_MAX 128
#define PROMPT	 "hmos> "
#define POLL_MS	 5

extern const struct monitor_cmd __monitor_cmds_start[];
extern const struct monitor_cmd __monitor_cmds_end[];

static void cmd_help(const char *args)
{
	for (const struct monitor_cmd *c = __monitor_cmds_start;
	     c < __monitor_cmds_end; c++)
		printk("  %-22s %s\n", c->usage, c->help);
}
DEFINE_MONITOR_CMD("help", cmd_help, "help", "this list");

static void cmd_mem(const char *args)
{
	for (int z = 0; z < NR_ZONES; z++)
		printk("zone %-7s %8lu pages managed, %8lu free (%lu MiB "
		       "free)\n",
		       zones[z].name, zones[z].managed_pages,
		       zone_free_pages(z),
		       zone_free_pages(z) >> (20 - PAGE_SHIFT));
	printk("kmalloc: %lu live objects; refused frees: %lu\n",
	       kmalloc_live_objects(), total_bad_frees());
}
DEFINE_MONITOR_CMD("mem", cmd_mem, "mem", "zones and free pages");

static void cmd_layout(const char *args)
{
	layout_print();
}
DEFINE_MONITOR_CMD("layout", cmd_layout, "layout",
		   "the virtual memory map of this boot");

static void cmd_cpus(const char *args)
{
	printk("cpu hwid online  ticks    queued ipi-sent ipi-recv current\n");
	for (unsigned int c = 0; c < NR_CPUS; c++) {
		struct percpu *p = &percpu_areas[c];
		struct task *cur = READ_ONCE(p->current);

		if (!p->self)
			continue; /* never started */
		printk("%3u %4u %-6s %8lu %6u %8lu %8lu %s\n", c,
		       arch_cpu_hw_id(c), cpu_is_online(c) ? "yes" : "no",
		       p->timer_ticks, sched_nr_queued(c), p->ipi_sent,
		       p->ipi_received, cur ? cur->name : "-");
	}
}
DEFINE_MONITOR_CMD("cpus", cmd_cpus, "cpus", "CPUs, ticks, run queues");

static void cmd_test(const char *args)
{
	const char *saved = ktest_config.glob;
	bool saved_exit = ktest_config.exit;

	if (!*args) {
		printk("usage: test GLOB (e.g. test pmm, test sched*)\n");
		return;
	}
	ktest_config.glob = args;
	ktest_config.exit = false; /* a monitor run never ends QEMU */
	printk("%s\n", ktest_run_all() ? "all passed" : "SOME FAILED");
	ktest_config.glob = saved;
	ktest_config.exit = saved_exit;
}
DEFINE_MONITOR_CMD("test", cmd_test, "test GLOB", "run test suites");

static bool parse_cpu(const char *args, unsigned int *cpu)
{
	uint64_t v;

	if (!parse_u64(args, &v) || v >= NR_CPUS) {
		printk("expected a CPU number from 0 to %d\n", NR_CPUS - 1);
		return false;
	}
	*cpu = (unsigned int)v;
	return true;
}

static void cmd_offline(const char *args)
{
	unsigned int cpu;

	if (parse_cpu(args, &cpu))
		printk("cpu_offline(%u): %s\n", cpu,
		       cpu_offline(cpu) ? "refused" : "done");
}
DEFINE_MONITOR_CMD("offline", cmd_offline, "offline N",
		   "move every task off CPU N and park it");

static void cmd_online(const char *args)
{
	unsigned int cpu;

	if (parse_cpu(args, &cpu))
		printk("cpu_online(%u): %s\n", cpu,
		       cpu_online(cpu) ? "refused" : "done");
}
DEFINE_MONITOR_CMD("online", cmd_online, "online N", "bring a parked CPU back");

static void cmd_poweroff(const char *args)
{
	printk("powering off\n");
	arch_emulator_exit(QEMU_EXIT_PASS);
	printk("no isa-debug-exit device: powering off through ACPI\n");
	arch_power_off();
}
DEFINE_MONITOR_CMD("poweroff", cmd_poweroff, "poweroff",
		   "leave QEMU (isa-debug-exit, else ACPI power-off)");

static void monitor_execute(char *line)
{
	char *args = line;
	const char *name = next_word(&args);

	if (!name)
		return;
	for (size_t n = strlen(args); n && args[n - 1] == ' '; n--)
		args[n - 1] = '\0';
	for (const struct monitor_cmd *c = __monitor_cmds_start;
	     c < __monitor_cmds_end; c++) {
		if (!strcmp(c->name, name)) {
			/* "mem 3" is a mistake; say so rather than ignore
			 * the 3. */
			if (*args && !strchr(c->usage, ' '))
				printk("'%s' takes no arguments\n", c->name);
			else
				c->run(args);
			return;
		}
	}
	printk("unknown command '%s'; type help\n", name);
}

/*
 * Line editing. Printable characters are echoed and kept, backspace
 * takes one back. A terminal's escape sequences (the arrow keys send
 * ESC [ A, some keys ESC O x) are swallowed whole: they are key
 * presses, not text. A line longer than the buffer is refused at Enter
 * with a message, never cut silently and run as something else.
 */
enum escape_state {
	ESC_NONE,
	ESC_START,
	ESC_CSI,
	ESC_SS3
};

struct line_editor {
	char *buf;
	size_t size, len;
	bool too_long;
	enum escape_state esc;
};

/* Is c part of an escape sequence (and consumed as such)? */
static bool editor_escape(struct line_editor *ed, int c)
{
	switch (ed->esc) {
	case ESC_NONE:
		if (c != 0x1b)
			return false;
		ed->esc = ESC_START;
		return true;
	case ESC_START:
		ed->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
		return true;
	case ESC_CSI: /* parameters and intermediates, then a final byte */
		if (c < 0x20 || c > 0x3f)
			ed->esc = ESC_NONE;
		return true;
	case ESC_SS3: /* one final byte */
		ed->esc = ESC_NONE;
		return true;
	}
	return false;
}

/* Take one character; true when the line is complete. */
static bool editor_feed(struct line_editor *ed, int c)
{
	if (editor_escape(ed, c))
		return false;
	if (c == '\r' || c == '\n') {
		printk("\n");
		ed->buf[ed->len] = '\0';
		return true;
	}
	if ((c == 0x7f || c == '\b') && ed->len && !ed->too_long) {
		ed->len--;
		printk("\b \b");
	} else if (c >= ' ' && c < 0x7f) {
		if (ed->len + 1 < ed->size) {
			ed->buf[ed->len++] = (char)c;
			printk("%c", c);
		} else {
			ed->too_long = true;
		}
	}
	return false;
}

/* One line from the console, edited as above. May sleep. */
static void read_line(char *buf, size_t size)
{
	struct line_editor ed = { .buf = buf, .size = size };

	for (;;) {
		int c = arch_console_getc();

		if (c < 0) {
			msleep(POLL_MS);
			continue;
		}
		if (editor_feed(&ed, c))
			break;
	}
	if (ed.too_long) {
		printk("line too long (the limit is %u characters): ignored\n",
		       (unsigned int)size - 1);
		buf[0] = '\0';
	}
}

void monitor_run(void)
{
	char line[LINE_MAX];

	printk("monitor: type help for commands\n");
	for (;;) {
		printk(PROMPT);
		read_line(line, sizeof(line));
		monitor_execute(line);
	}
}
