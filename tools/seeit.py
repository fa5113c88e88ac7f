#!/usr/bin/env python3
"""seeit: capture, from real boots, the output docs/seeit.rst shows.

`make docs` runs this.  Two sessions, each driven by the test runner's
own code (tools/ktest.py: run_config), so they are typed and judged
exactly as the matrix's `monitor` and `gdb-helpers` rows are:

  monitor  one boot with ktest=none; the serial monitor is sent each
           command of MONITOR and must answer what its regex says;
  gdb      QEMU stopped for gdb (tools/qemu-gdb, as `make qemu-gdb`),
           gdb with tools/gdbinit attached, stopped at GDB_BREAK inside
           a kmap test, running each command of GDB.

and a third boot for docs/trace.rst, through tools/bench.py's own
boot: the latency benchmarks under -icount with LATENCY_CMDLINE, which
trace one wake-up of each run; from each dump, the lines from the
wake-up to the worker's switch to the sleeper.

Each command's answer goes to OUT/seeit-<name>.txt, the command line
first, as a reader would see it in a terminal; the page includes them
with literalinclude.  A command whose answer does not match its regex
fails the docs build (exit 1): the page would describe output that
the kernel no longer prints.
"""

import argparse
import re
import sys
from pathlib import Path
from types import SimpleNamespace

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402
import ktest  # noqa: E402
from ktest_matrix import Config  # noqa: E402

# (file name, command, regex its answer must match).  The trace records
# only the events trace= chose at boot: the kmap_local and pkmap ones
# and the shootdowns, enough to watch `demo kmap` from the inside.
MONITOR_CMDLINE = "ktest=none lowmem=64M trace=kmap_local*,pkmap*,tlb_*"
MONITOR = (
    ("layout", "layout", r"pkmap pool\s+0xffc00000-0xffdfffff"),
    ("pkmap-before", "pkmap", r"pkmap pool at ffc00000: \d+ free"),
    ("demo-kmap-local", "demo kmap_local",
     r"kunmap_local\(A\): the stack is empty"),
    ("demo-kmap", "demo kmap", r"pkmap_count 0, page_address = 0x0+, "
                               r"shootdowns \+1"),
    ("demo-shootdown", "demo shootdown", r"vmap_purge\(\) makes the range"),
    ("pkmap-after", "pkmap", r"pkmap pool at ffc00000: \d+ free"),
    ("trace-start", "trace start", r"trace: recording"),
    ("trace-demo", "demo kmap", r"shootdowns \+1"),
    ("trace-dump", "trace dump", r"pkmap_take: (.|\n)*tlb_\w+: "
                                 r"(.|\n)*# end of trace: \d+ records"),
)

# The same three fields as MONITOR, for gdb commands: the two tables
# differ in who reads the command, so each stays a plain list of rows.
# Stopped inside a kmap test where one pkmap slot holds a page with three
# users (the matrix's gdb-helpers row stops at the same place).
GDB_CMDLINE = "ktest=kmap lowmem=64M"
GDB_BREAK = "pkmap_slot_count"
GDB = (
    ("gdb-pkmap", "hmos-pkmap", r"count 4 \(3 users\)"),
    ("gdb-kmap-local", "hmos-kmap-local boot", r"^boot \(cpu \d\): 0 live"),
    ("gdb-walk-pkmap", "hmos-walk &pkmap_count",
     r"-> phys 0x[0-9a-f]+: writable, NX$"),
    ("gdb-walk-code", "hmos-walk &kmain",
     r"-> phys 0x[0-9a-f]+: read-only, executable$"),
)

LATENCY_CMDLINE = ("ktest=none bench=latency_* ktest.exit=1 lowmem=64M "
                   "trace=sched_*,preempt_*,kmap_atomic*,kmap_local*")
LATENCY_RUNS = ("latency_kmap_local", "latency_kmap_atomic")

PROMPT = re.compile(r"^hmos> ?", re.M)
GDB_MARKER = "=== hmos-gdb-command: "


def monitor_answers(text):
    """[(typed line, its answer)] from a monitor session's log."""
    starts = [m.end() for m in PROMPT.finditer(text)]
    out = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = PROMPT.sub("", text[s:end]).rstrip("\n")
        typed, _, answer = chunk.partition("\n")
        out.append((typed.strip(), answer))
    return out


def gdb_answers(text):
    """{command: its output} from a gdb session's log (without the
    runner's `kill` at the end)."""
    out = {}
    for part in text.split(GDB_MARKER)[1:]:
        cmd, _, answer = part.partition("\n")
        out[cmd] = answer.split("Kill the program")[0].rstrip("\n")
    return out


def wake_up_excerpt(text, run):
    """The traced wake-up of one latency run: its LATENCY line, the
    dump's header, and the events up to the worker's switch to the
    sleeper and the line after it (the sleeper's kmap_local_save of the
    worker's map, or the dump's end: the sleeper stops the trace as it
    runs); None if the log has no such dump."""
    start = text.find(f"LATENCY {run}: this wake-up took")
    if start < 0:
        return None
    lines = text[start:].splitlines()
    for i, line in enumerate(lines):
        if re.search(r"^\s*lat-worker-\w+ .*sched_switch:", line):
            return "\n".join(lines[:i + 2])
    return None


def run(cfg, args):
    o = ktest.run_config(cfg, args)
    text = Path(o.log_path).read_text(errors="replace")
    return o, text


def write(out, name, shown, answer):
    (out / f"seeit-{name}.txt").write_text(f"{shown}\n{answer}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", type=Path, default=ROOT / "build/kernel.elf")
    ap.add_argument("--out", type=Path, default=ROOT / "docs/_gen")
    ap.add_argument("--workdir", type=Path, default=ROOT / "build/seeit")
    a = ap.parse_args()
    args = SimpleNamespace(elf=a.elf, debug_elf=a.elf, outdir=a.workdir,
                           qemu="qemu-system-i386", verbose=False,
                           ktest=None, seed=None)
    a.out.mkdir(parents=True, exist_ok=True)
    a.workdir.mkdir(parents=True, exist_ok=True)
    problems = []

    mon = Config("seeit-monitor", mem="512M", smp=2,
                 cmdline=MONITOR_CMDLINE, timeout=120,
                 script=tuple((cmd, want) for _, cmd, want in MONITOR))
    o, text = run(mon, args)
    answers = monitor_answers(text)
    for (name, cmd, want), (typed, answer) in zip(MONITOR, answers):
        if typed != cmd or not re.search(want, answer, re.M):
            problems.append(f"monitor: {cmd!r} did not answer /{want}/")
        write(a.out, name, f"hmos> {cmd}", answer)
    if len(answers) < len(MONITOR):
        problems.append(f"monitor: {len(answers)} prompts for "
                        f"{len(MONITOR)} commands ({o.reason})")

    gdb = Config("seeit-gdb", mem="512M", smp=2, cmdline=GDB_CMDLINE,
                 timeout=120, gdb_break=GDB_BREAK,
                 gdb=tuple((cmd, want) for _, cmd, want in GDB))
    o, text = run(gdb, args)
    answers = gdb_answers(text)
    for name, cmd, want in GDB:
        answer = answers.get(cmd)
        if answer is None or not re.search(want, answer, re.M):
            problems.append(f"gdb: {cmd!r} did not answer /{want}/")
        write(a.out, name, f"(gdb) {cmd}", answer or "(no output)")

    text = bench.serial_log(a.elf, LATENCY_CMDLINE, 2, True, "1G", 300)
    (a.workdir / "latency.log").write_text(text)
    for name in LATENCY_RUNS:
        excerpt = wake_up_excerpt(text, name)
        if excerpt is None:
            problems.append(f"latency: no traced wake-up of {name}")
        (a.out / f"seeit-{name}.txt").write_text(
            (excerpt or "(no traced wake-up)") + "\n")

    for p in problems:
        print(f"seeit: {p} (log in {a.workdir})", file=sys.stderr)
    if problems:
        return 1
    print(f"seeit: {len(MONITOR)} monitor and {len(GDB)} gdb answers, "
          f"{len(LATENCY_RUNS)} traced wake-ups in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
