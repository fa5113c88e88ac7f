"""ktest_judge: how tools/ktest.py judges one run.

A run's Outcome (its exit status, its serial log as lines, the KTAP
parsed from it) is compared with what its row of tools/ktest_matrix.py
expects: every case passed, an expected panic, a refusal, failures that
a break= switch must cause, lines that must be there or absent, a trace
that tools/trace_check.py accepts. Each mode has its own judge; judge()
picks one. Also here: the lock edges lockdep printed, and backtrace
frames given their source lines (addr2line), which the report shows.
tools/bochs.py judges its runs with the same functions.
"""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True          # no __pycache__ in tools/
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ktap import Ktap  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# isa-debug-exit turns a guest write of v into exit status (v << 1) | 1.
EXIT_PASS, EXIT_FAIL = 33, 35           # 0x10, 0x11
# A row without the exit device (Config.exit_device False) ends by ACPI
# power-off, exit 0; these lines must be in its log, in this order.
EXIT_POWEROFF = 0
POWEROFF_LINES = [r"^# ktest: \d+ passed",
                  r"^ktest: ktest\.exit=1, but exit code 0x1[01] did not "
                  r"end the emulator",
                  r"^ACPI: powering off \(S5: SLP_TYP \d+ to PM1a_CNT"]
BANNER_RE = r"^hmos: a teaching kernel"
EXIT_MEANING = {0: "triple fault or reset", 1: "QEMU error",
                EXIT_PASS: "all passed", EXIT_FAIL: "some test failed",
                37: "kernel panic", 39: "CPU refused by the early boot"}

# ---------------------------------------------------------------------------
# Judging a run

@dataclass
class Outcome:
    cfg: object
    status: str = "FAIL"           # "PASS" or "FAIL"
    reason: str = ""
    note: str = ""                 # what an expected-failure PASS saw
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    exit_code: int = None          # None: killed at the timeout
    cpu_seconds: float = 0.0       # host CPU time QEMU took
    started: float = 0.0           # seconds into the matrix it started
    beside: bool = False           # ran beyond the slots (run_matrix)
    suites: dict = field(default_factory=dict)  # {suite: seconds}
    cases: dict = field(default_factory=dict)   # {suite.case: seconds}
    ktap: Ktap = field(default_factory=Ktap)
    log_lines: list = field(default_factory=list)
    stderr: str = ""
    log_path: str = ""
    cmdline: str = None            # the line the runner booted it with


def match_in_order(lines, pats):
    """Find each regex of pats on a line after the previous one's.
    Returns (index of the first match, that line, the first regex that
    matched nothing or None)."""
    start, first, seen = 0, None, None
    for pat in pats:
        hit = next((i for i in range(start, len(lines))
                    if re.search(pat, lines[i])), None)
        if hit is None:
            return first, seen, pat
        if first is None:
            first, seen = hit, lines[hit]
        start = hit + 1
    return first, seen, None


def expect_mode(expect):
    """Which judge a row's `expect` calls for (tools/ktest_matrix.py
    says what each form means): "panic", "refuse" or "cases" (a run
    that ends its plan: "pass", or exactly the listed cases failing,
    with "lines" and "absent" checked beside)."""
    if isinstance(expect, dict) and "panic" in expect:
        return "panic"
    if isinstance(expect, dict) and "refuse" in expect:
        return "refuse"
    return "cases"


def judge(o, filtered):
    """Fill in o's verdict: count the cases, collect what is wrong with
    any run (a timeout, a lockdep report), then let the judge of the
    row's mode add its own and decide.  `filtered`: --ktest chose the
    tests, so an expected failure that did not run cannot be demanded.
    A row that fails counts at least one failure."""
    n = Counter(c.status for c in o.ktap.cases)
    o.passed, o.skipped = n["ok"], n["skip"]
    o.failed = n["fail"] + n["crashed"]
    why = []
    if o.exit_code is None:
        why.append(f"timeout after {o.cfg.timeout} s")
    why += lockdep_reports(o.log_lines)
    why += cmdline_problem(o.cmdline, o.log_lines)
    JUDGES[expect_mode(o.cfg.expect)](o, n, filtered, why)
    o.reason = "; ".join(why)
    if o.status == "FAIL":
        o.failed = max(o.failed, 1)


def cmdline_problem(want, lines):
    """[why] the kernel said it booted a line other than want (None:
    the runner did not make the row's boot itself).  A GRUB row's ISO is
    a copy with its line written in (IsoCopies in tools/ktest.py), and a
    QEMU-loaded row's line passes through -append and the kernel's first
    multiboot parser: either gone wrong would run some other tests, and
    could still pass."""
    prefix = "command line:"
    got = [ln[len(prefix):].split() for ln in lines
           if ln.startswith(prefix)]
    if want is None or not got or got[0] == want.split():
        return []
    return [f"the kernel booted command line {' '.join(got[0])!r}, "
            f"not the row's {want!r}"]


def exit_problem(code, want):
    """Why QEMU's exit status is wrong, or None.  None for code: the
    run was killed at its timeout, which is reported already."""
    if code is None or code == want:
        return None
    return (f"QEMU exit {code} ({EXIT_MEANING.get(code, 'unexpected')}), "
            f"expected {want}")


def lines_problem(lines, pats):
    """Why the regexes pats do not all match lines in order, or None."""
    _, _, missing = match_in_order(lines, pats)
    return f"expected line /{missing}/ not in the log" if missing else None


def judge_panic(o, n, filtered, why):
    """{"panic": ...}: the boot must end in a report matching the
    regexes in order; no line from the report on may match
    "quiet_after" (another CPU's output that should have been stopped).
    The panic is the check: the row counts one pass, and the cases it
    cut off are not counted as failures."""
    pats = o.cfg.expect["panic"]
    pats = [pats] if isinstance(pats, str) else list(pats)
    first, seen, missing = match_in_order(o.log_lines, pats)
    if missing:
        why.append(f"expected panic line /{missing}/ not in the log")
    quiet = o.cfg.expect.get("quiet_after")
    if quiet and first is not None:
        late = [ln for ln in o.log_lines[first:] if re.search(quiet, ln)]
        if late:
            why.append(f"{len(late)} line(s) /{quiet}/ inside or after "
                       f"the panic report, e.g. {late[0]!r}")
    if n["fail"]:
        why.append(f"{n['fail']} not ok before the panic")
    o.failed = n["fail"]
    if not why:
        o.status, o.passed = "PASS", o.passed + 1
        o.note = f"expected panic seen: {seen.strip()}"


def judge_refusal(o, n, filtered, why):
    """{"refuse": [...]}: the kernel refused what it was asked (no test
    selected, a CPU it cannot run on): it must exit as a failure (or
    with "exit"), run no failing case, and say why in those lines."""
    why += filter(None, [
        exit_problem(o.exit_code, o.cfg.expect.get("exit", EXIT_FAIL)),
        lines_problem(o.log_lines, o.cfg.expect["refuse"])])
    if o.ktap.panic:
        why.append(f"panic: {o.ktap.panic}")
    if n["fail"] or n["crashed"]:
        why.append("a case failed or crashed")
    if not why:
        o.status, o.passed, o.failed = "PASS", o.passed + 1, 0
        o.note = "refused as expected"


def judge_cases(o, n, filtered, why):
    """"pass" or {"fail": [...]}: a complete KTAP plan in which exactly
    the listed cases fail, the matching exit status (or, without the
    exit device, an ACPI power-off), and the "lines" and "absent"
    checks.  The expected failures are the check: they count as
    passes."""
    k, expect = o.ktap, o.cfg.expect
    spec = expect if isinstance(expect, dict) else {}
    want = set(spec.get("fail", []))
    if filtered:
        want &= {c.full for c in k.cases}
    failing = {c.full for c in k.cases if c.status == "fail"}
    want_code = EXIT_FAIL if want else EXIT_PASS
    if not o.cfg.exit_device:
        want_code = EXIT_POWEROFF
        why += judge_poweroff(o.log_lines)
    why += filter(None, [exit_problem(o.exit_code, want_code)])
    why += ktap_problems(k, n)
    if failing - want:
        why.append(f"{len(failing - want)} not ok")
    if want - failing:
        why.append("expected to fail but did not: "
                   + ", ".join(sorted(want - failing)))
    why += absent_problems(o.log_lines, spec.get("absent", []))
    why += filter(None, [lines_problem(o.log_lines, spec.get("lines", []))])
    if not why:
        o.status = "PASS"
        if want:
            o.note = "expected failures seen: " + ", ".join(sorted(want))
            o.passed, o.failed = o.passed + len(want), 0


def ktap_problems(k, n):
    """What is wrong with the report itself: a panic, no KTAP, no
    results, a malformed plan, results that never came."""
    why = [f"panic: {k.panic}"] if k.panic else []
    if not k.found:
        why.append("no KTAP output")
    elif not k.cases:
        why.append("KTAP output has no results")
    why += k.problems
    if n["crashed"]:
        why.append(f"{n['crashed']} results missing (crashed)")
    return why


def absent_problems(lines, pats):
    """One reason for each regex of pats that some line matches."""
    why = []
    for pat in pats:
        bad = next((ln for ln in lines if re.search(pat, ln)), None)
        if bad is not None:
            why.append(f"line /{pat}/ must not appear: {bad.strip()!r}")
    return why


JUDGES = {"panic": judge_panic, "refuse": judge_refusal,
          "cases": judge_cases}


# A lockdep report is a WARNING whose reason starts "lockdep: ".  Only
# the lockdep suite's planted locks (named planted_*) may have one: any
# other is a real lock-order bug in the kernel (or a test) and fails
# the configuration it appeared in.
LOCKDEP_REPORT_RE = r"^WARNING at .*: lockdep: "


def lockdep_reports(lines):
    bad = [ln.strip() for ln in lines
           if re.search(LOCKDEP_REPORT_RE, ln)
           and not re.search(r"\bplanted_\w+", ln)]
    return [f"lockdep report: {bad[0]!r}" + (f" (and {len(bad) - 1} more)"
                                             if len(bad) > 1 else "")
            ] if bad else []


# "LOCKDEP_EDGE a (file:line) -> b (file:line) first at file:line in f()",
# printed by kernel/lockdep.c: lockdep_print_edges at the end of a run.
EDGE_RE = re.compile(r"^LOCKDEP_EDGE (\S+) \((\S+)\) -> (\S+) \((\S+)\) "
                     r"first at (.*)$")


def collect_lock_edges(outcomes, path):
    """The union of the order graphs every run printed, for
    tools/lockorder.py: each edge with its classes' sites, where it was
    first seen and which configurations saw it."""
    edges, runs = {}, []
    for o in outcomes:
        seen = False
        for ln in o.log_lines:
            m = EDGE_RE.match(ln.strip())
            if not m:
                seen |= ln.startswith("# lockdep: ")
                continue
            seen = True
            a, a_site, b, b_site, first = m.groups()
            e = edges.setdefault((a, b), {
                "from": a, "from_site": a_site, "to": b, "to_site": b_site,
                "first": first, "configs": []})
            e["configs"].append(o.cfg.name)
        if seen:
            runs.append(o.cfg.name)
    path.write_text(json.dumps({"configs": runs,
                                "edges": list(edges.values())},
                               indent=2) + "\n")


def judge_trace(o, outdir):
    """A traced row: convert the log to Chrome JSON (trace.json beside
    it), then check the events and the JSON (tools/trace_check.py).
    trace_check "ok": any problem fails the row; otherwise a regex that
    one of the checker's problems must match (the checker must fail)."""
    import trace2chrome
    import trace_check
    import trace_log
    tr = trace_log.parse(o.log_lines)
    problems = trace_check.check(tr)
    if tr.events:
        tl = trace2chrome.Timeline(tr)
        doc = {"traceEvents": trace2chrome.chrome_events(tr, tl)}
        (outdir / "trace.json").write_text(json.dumps(doc))
        problems += [f"chrome: {w}"
                     for w in trace_check.validate_chrome(doc)]
        if o.cfg.trace_check == "ok" and not problems:
            problems += [f"planted: {w}"
                         for w in trace_check.planted(tr, doc)]
    want = o.cfg.trace_check
    if want == "ok" and problems:
        why = f"trace_check: {len(problems)} problem(s), first: " \
              f"{problems[0]}"
    elif want != "ok" and not any(re.search(want, p) for p in problems):
        why = (f"trace_check should have found /{want}/; it found "
               f"{len(problems)} problem(s)"
               + (f", first: {problems[0]}" if problems else ""))
    else:
        if want != "ok":
            o.note += f"; trace_check found: {problems[0]}" if o.note \
                else f"trace_check found: {problems[0]}"
        return
    o.status = "FAIL"
    o.reason = "; ".join(filter(None, [o.reason, why]))
    o.failed = max(o.failed, 1)


def judge_poweroff(lines):
    """Without an exit device, exit 0 is ACPI power-off only if the log
    says so after a finished plan, and the kernel booted once: a triple
    fault would reboot it (this row runs without -no-reboot)."""
    why, start = [], 0
    for pat in POWEROFF_LINES:
        hit = next((i for i in range(start, len(lines))
                    if re.search(pat, lines[i])), None)
        if hit is None:
            why.append(f"no line /{pat}/ (in order) in the log")
            break
        start = hit + 1
    boots = sum(bool(re.search(BANNER_RE, ln)) for ln in lines)
    if boots != 1:
        why.append(f"the kernel booted {boots} times")
    return why


# ---------------------------------------------------------------------------
# Backtraces that point at source

# A frame as kernel/panic.c prints it: "  #3  c0108804 kmain+0xf4".
FRAME_RE = re.compile(r"^(\s*#\d+\s+)([0-9a-f]{8})(\s+\S+.*)$")


def addr2line():
    """The cross binutils' addr2line, or the host's (it reads i386 ELF)."""
    for name in ("i686-linux-gnu-addr2line", "addr2line"):
        for d in os.environ.get("PATH", "").split(os.pathsep):
            if os.access(os.path.join(d, name), os.X_OK):
                return name
    return None


def source_lines(elf, addrs):
    """{address: "file:line"} for each address, from the ELF's DWARF
    through addr2line; an inlined call shows as "file:line, inlined
    from file:line", innermost first.  The backtrace already steps a
    return address back into its call, so each address is looked up as
    printed."""
    tool = addr2line()
    if not tool or not addrs or not Path(elf).is_file():
        return {}
    p = subprocess.run([tool, "-e", str(elf), "-i", "-a"] + list(addrs),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    where, cur = {}, None
    for ln in p.stdout.splitlines():
        if ln.startswith("0x"):
            cur = format(int(ln, 16), "08x")
            where[cur] = []
        elif cur is not None:
            path, _, line = ln.rpartition(":")
            line = line.split(" ")[0]
            if path == "??" or line in ("?", "0"):
                continue
            path = os.path.relpath(path, ROOT) if os.path.isabs(path) \
                else path
            where[cur].append(f"{path}:{line}")
    return {a: ", inlined from ".join(w) for a, w in where.items() if w}


def decode_backtrace(lines, elf):
    """Each backtrace frame of lines, with " (file:line)" appended, as
    Linux's scripts/decode_stacktrace.sh does for a kernel log."""
    addrs = sorted({m.group(2) for m in map(FRAME_RE.match, lines) if m})
    where = source_lines(elf, addrs)
    out = []
    for ln in lines:
        m = FRAME_RE.match(ln)
        if m and m.group(2) in where:
            ln = f"{ln} ({where[m.group(2)]})"
        out.append(ln)
    return out
