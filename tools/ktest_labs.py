"""The labs of docs/labs.rst, as rows of the test matrix.

Each lab asks a student to type one command, predict what it will
show, run it and explain what they saw (the answers are in
docs/labs-answers.rst).  Each lab is also a row here, named lab-...,
whose expectations are what the lab asks the student to find: if the
kernel stops showing it, `make test` fails and the lab is wrong.

The command a student types and the row's machine are one thing
written twice, so this module checks them against each other when it
is loaded: under each `.. lab: NAME` comment of docs/labs.rst, the
next literal block must hold exactly the `make run MEM=... SMP=...
CMDLINE="..."` line that command() makes from row NAME (a line may be
cut with a shell's " \\" continuation), then, for a row that types at
the monitor, one `hmos> LINE` per line of its script, in order, and
`hmos> poweroff`, which the runner types last.  Every lab- row must
have its lab and every lab its row.  A mismatch raises ValueError
naming the lab and both commands, so `make test` (and ktest.py
--list) stop before booting anything.

tools/ktest_matrix.py appends rows() to MATRIX.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABS_RST = ROOT / "docs/labs.rst"
MARK = re.compile(r"^\.\. lab: (\S+)\s*$")


def command(cfg) -> str:
    """The `make run` line a student types for row cfg.  ktest.exit=1
    is the runner's default; a lab that runs tests writes it in its
    cmdline, so that `make run` ends when the tests do."""
    return f'make run MEM={cfg.mem} SMP={cfg.smp} CMDLINE="{cfg.cmdline}"'


def typed_lines(cfg) -> list:
    """What a student types at hmos> for row cfg, without poweroff
    (the runner types it last, as the lab tells the student to)."""
    return [line for line, _ in cfg.script]


def rows():
    """The lab rows (tools/ktest_matrix.py appends them to MATRIX),
    each checked against docs/labs.rst.  Config and crash_row are
    imported here, not at the top: ktest_matrix imports this module
    after defining them."""
    from ktest_matrix import LOWMEM16_RAISED_ON_4G, Config, crash_row
    # The rows are written out in full, alike as they are: each is
    # read beside its lab in docs/labs.rst, and the cmdline a student
    # types must stand in the row as plainly as on the page.
    out = [
        # Lab 1: lowmem=16M on a 4 GiB machine: too small for mem_map,
        # so the kernel raises it and prints the arithmetic.
        Config("lab-lowmem", mem="4G", smp=1,
               cmdline="lowmem=16M ktest=boot ktest.exit=1",
               expect={"fail": [], "lines": [
                   LOWMEM16_RAISED_ON_4G,
                   r"^mem_map: 1310720 frames, 16 bytes of struct page "
                   r"each: 20480 KiB of lowmem",
                   r"^zone Normal  pfn 0x000000-0x002400",
                   r"^zone HighMem pfn 0x002400-0x140000"]},
               tags=("lab", "cmdline", "highmem", "above4g")),
        # Lab 2: kmap.force_map=1 on a machine with no highmem: a lowmem
        # page gets a fixmap slot anyway, and keeps its direct-map
        # address beside it.
        Config("lab-force-map", mem="64M", smp=1,
               cmdline="ktest=none kmap.force_map=1",
               script=(("demo kmap_local",
                        r"lowmem \(this machine has no highmem\)"
                        r"[\s\S]*A mapped at ff[0-9a-f]{6} on CPU 0; this "
                        r"task holds 1 local map\(s\)\S* PTE [0-9a-f]+\n"
                        r"\s+page_address\(A\) = 0xc[0-9a-f]{7} "),),
               tags=("lab", "monitor", "kmap")),
        # Lab 3: kmap.debug=1, and a write one byte past a mapped page.
        crash_row("lab-kmap-debug", "kmap_guard", mem="512M",
                  before="lowmem=64M kmap.debug=1", after="ktest.exit=1",
                  tags=("lab", "crash", "kmap"), panic=[
                   r"crash_kmap_guard_overrun: page pfn 0x[0-9a-f]+ mapped "
                   r"at ffff3000",
                   r"^cause: write of ffff4000, page not present",
                   r"^kmap: ffff4000 is a kmap\.debug guard page",
                   r"^kmap: overrun past the end of: slot ffff3000 \(CPU "
                   r"0, index 0\)"]),
        # Lab 4: the trace of the nested kmap_local demo: two slots
        # pushed, popped in the opposite order, and nothing else.
        Config("lab-trace", mem="512M", smp=2,
               cmdline="ktest=none lowmem=64M trace=kmap_local*",
               script=(("trace start", r"trace: recording"),
                       ("demo kmap_local", r"the stack is empty"),
                       ("trace dump",
                        r"kmap_local_map: idx=0 pfn=0x[0-9a-f]+\n"
                        r".*kmap_local_map: idx=1 pfn=0x[0-9a-f]+\n"
                        r".*kmap_local_unmap: idx=1\n"
                        r".*kmap_local_unmap: idx=0\n"
                        r"# end of trace: 4 records")),
               tags=("lab", "monitor", "trace", "kmap")),
        # Lab 5: break=kmap_local_switch.  Two threads on one CPU, each
        # holding local maps, switch 1,000 times or more: with no save
        # and restore, each takes over slots the other left mapped.
        Config("lab-kmap-local-switch", mem="512M", smp=2,
               cmdline="lowmem=64M break=kmap_local_switch "
                       "ktest=kmap_local ktest.exit=1",
               expect={"fail": [
                   "kmap_local.kmap_local_switch_keeps_each_threads_own_"
                   "maps"],
                   "lines": [r"^WARNING at mm/kmap_local\.c:\d+ in "
                             r"kmap_local_stale\(\): kmap_local: slot "
                             r"[0-9a-f]{8} \(CPU \d, index \d\) was still "
                             r"mapped",
                             r"keeps_each_threads_own_maps: CPU \d: \d+ and "
                             r"\d+ switches in, 0 saves, 0 restores"]},
               tags=("lab", "break", "kmap", "smp")),
        # Lab 6: break=pkmap_flush.  The pool wraps without flushing the
        # other CPU's TLB: the student must find the two kmap cases that
        # fail, the wraps counted against zero shootdowns, and the old
        # page's data read on the other CPU through a recycled slot.
        Config("lab-pkmap-flush", mem="512M", smp=2,
               cmdline="lowmem=64M break=pkmap_flush ktest=kmap "
                       "ktest.exit=1",
               expect={"fail": [
                   "kmap.kmap_stale_entry_never_visible_on_other_cpu",
                   "kmap.kmap_each_wrap_does_one_shootdown"],
                   "lines": [r"^\*\* BREAK SWITCH ON: break=pkmap_flush",
                             r"kmap_each_wrap_does_one_shootdown: [1-9]\d* "
                             r"wraps, 0 shootdowns",
                             r"kmap_stale_entry_never_visible_on_other_cpu: "
                             r"EXPECTATION FAILED"]},
               tags=("lab", "break", "kmap", "smp")),
        # Lab 7: break=tlb_shootdown.  Only the CPU that changes a
        # mapping flushes it: every other CPU keeps reading the old page.
        Config("lab-tlb-shootdown", mem="512M", smp=4,
               cmdline="break=tlb_shootdown ktest=tlb.tlb_stale_after_remap "
                       "ktest.exit=1",
               expect={"fail": ["tlb.tlb_stale_after_remap"],
                       "lines": [r"tlb_stale_after_remap: CPU \d read a "
                                 r"stale page [1-9]\d* of \d+ times after "
                                 r"CPU \d remapped it"]},
               tags=("lab", "break", "smp")),
        # Lab 8: the latency benchmark (tests/bench_latency.c), one
        # wake-up of each run traced, kmap_atomic's run first.  Under
        # kmap_atomic the worker is never switched out holding its map:
        # no switch with prev_depth > 0 in that trace, and the count of
        # saved maps (kmap_stats, cumulative since boot, where nothing
        # else holds a map across a switch) is still 0 after the run.
        # Under kmap_local it is: over some 200 wake-ups the count
        # grows.  Whether the one traced kmap_local wake-up lands
        # inside a map is chance (about one run in ten it lands between
        # two maps, as the lab's answer says), so the row does not
        # demand it of that trace.  Each dump must hold the worker's
        # switch to the sleeper: the trace runs from the wake until the
        # sleeper runs.
        Config("lab-latency", mem="512M", smp=2,
               cmdline="ktest=none lowmem=64M "
                       "trace=sched_*,preempt_*,kmap_atomic*,kmap_local*",
               script=(("bench latency_kmap_atomic",
                        r"LATENCY latency_kmap_atomic: this wake-up took "
                        r"\d+ ticks:\n"
                        r"(?:(?!.*prev_depth=[1-9]).*\n)*?"
                        r".*lat-worker-\w+ .*sched_switch: prev_depth=0 "
                        r".*\n"
                        r"(?:(?!.*prev_depth=[1-9]).*\n)*?"
                        r"# end of trace: \d+ records\n"
                        r"LATENCY latency_kmap_atomic: wake-up to run, "
                        r"\d+ samples: median \d+ p99 \d+ max \d+"
                        r"[\s\S]*kmap_stats after bench: .* switches "
                        r"saved 0 restored 0,"),
                       ("bench latency_kmap_local",
                        r"LATENCY latency_kmap_local: this wake-up took "
                        r"\d+ ticks:\n(?:(?!# end of trace).*\n)*?"
                        r".*lat-worker-\w+ .*sched_switch: "
                        r"prev_depth=\d+ .*\n[\s\S]*"
                        r"LATENCY latency_kmap_local: wake-up to run, "
                        r"\d+ samples: median \d+ p99 \d+ max \d+"
                        r"[\s\S]*kmap_stats after bench: .* switches "
                        r"saved [1-9]\d* restored [1-9]\d*,")),
               timeout=120, tags=("lab", "monitor", "bench", "trace")),
    ]
    check_against_docs(out)
    return out


def lab_blocks(text):
    """{lab name: (line number, [lines of the literal block after its
    mark])} from the text of docs/labs.rst."""
    lines, found = text.splitlines(), {}
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        if m.group(1) in found:
            raise ValueError(f"{LABS_RST.name}:{i + 1}: lab {m.group(1)} "
                             f"marked twice")
        j = i + 1
        while j < len(lines) and not lines[j].startswith("    "):
            j += 1                  # the '::' and blank lines before
        block, cont = [], False
        while j < len(lines) and (lines[j].startswith("    ")
                                  or not lines[j].strip()):
            text = lines[j].strip()
            if text and cont:       # a shell continuation: one line
                block[-1] += " " + text
            elif text:
                block.append(text)
            if text:
                cont = block[-1].endswith(" \\")
                block[-1] = block[-1].removesuffix(" \\")
            j += 1
        found[m.group(1)] = (i + 1, block)
    return found


def check_against_docs(labs, text=None):
    """Raise ValueError unless docs/labs.rst gives every lab row its
    command, and names no other."""
    if text is None:
        text = LABS_RST.read_text()
    blocks, problems = lab_blocks(text), []
    names = {c.name for c in labs}
    for cfg in labs:
        if cfg.name not in blocks:
            problems.append(f"row {cfg.name} has no '.. lab: {cfg.name}' "
                            f"in {LABS_RST.name}")
            continue
        line, block = blocks[cfg.name]
        want = [command(cfg)] + [f"hmos> {t}" for t in typed_lines(cfg)]
        if cfg.script:
            want.append("hmos> poweroff")
        if block != want:
            problems.append(f"{LABS_RST.name}:{line}: lab {cfg.name} says "
                            f"{block!r}, its row runs {want!r}")
    for name in sorted(set(blocks) - names):
        problems.append(f"{LABS_RST.name}:{blocks[name][0]}: lab {name} "
                        f"has no row in tools/ktest_labs.py")
    if problems:
        raise ValueError("ktest_labs: docs and rows differ:\n  "
                         + "\n  ".join(problems))
