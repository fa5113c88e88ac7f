"""ktap: parse the KTAP v1 a kernel printed on its serial port.

tools/ktest.py boots the kernel and judges runs; this module turns a
serial log into results and knows nothing about QEMU.  parse_ktap()
takes the log's lines (after clean()) and returns a Ktap: every case as
suite.case with a status ("ok", "fail", "skip", "crashed"), its `# `
diagnostics, and the first panic line, if any.  Results that a plan
promised but never came (the kernel died mid-suite) become "crashed"
cases, so a crash can never pass for a short run.
"""

import re
from dataclasses import dataclass, field

# CSI sequences (GRUB's terminal_output serial emits colours and cursor
# moves), charset selections, then any other escape.
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b.?")
CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
HEADER = "KTAP version 1"
VERSION_RE = re.compile(r"K?TAP version \d+$")
PLAN_RE = re.compile(r"1\.\.(\d+)$")
RESULT_RE = re.compile(r"(not ok|ok) (\d+)(?: (?:- )?(.*?))?(?:\s+# ?(.*))?$")
SUBTEST_RE = re.compile(r"# Subtest: (.*)$")
# "PANIC at file:line ...", perhaps after "[cpu1]" or a timestamp.
PANIC_RE = re.compile(r"\s*(?:\[[^\]]*\]\s*)*PANIC\b")


def clean(text):
    """Serial log -> plain lines: no escapes, no \\r, no trailing blanks."""
    text = ANSI_RE.sub("", text)
    return [CTRL_RE.sub("", ln).rstrip() for ln in text.split("\n")]


@dataclass
class Result:
    """An `ok`/`not ok` line, the `# ` lines printed just before it, and
    the nested block it closes (a suite's cases), if any."""
    ok: bool
    name: str
    directive: str
    text: str                      # the line, unindented
    diag: list
    child: "Block" = None


@dataclass
class Block:
    """One KTAP (sub)document: the lines at one indentation."""
    indent: int
    name: str = None
    plan: int = None
    results: list = field(default_factory=list)
    pending: list = field(default_factory=list)   # `# ` lines not yet used


@dataclass
class Case:
    suite: str
    name: str
    status: str                    # "ok", "fail", "skip" or "crashed"
    diag: list = field(default_factory=list)
    line: str = ""                 # what to show for it in reports

    @property
    def full(self):
        return f"{self.suite}.{self.name}"


@dataclass
class Ktap:
    found: bool = False            # saw the top-level header
    cases: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    panic: str = None              # first PANIC line anywhere in the log
    other: list = field(default_factory=list)   # non-KTAP lines (printk)


def status_of(r):
    if r.directive.upper().startswith("SKIP"):
        return "skip"
    return "ok" if r.ok else "fail"


def parse_ktap(lines):
    """Parse cleaned serial lines.  Nesting follows indentation, whatever
    its width, so deeper blocks (parameterised cases) parse too; only the
    first two levels (suites, cases) are counted."""
    out = Ktap()
    start = None
    for i, line in enumerate(lines):
        if out.panic is None and PANIC_RE.match(line):
            out.panic = line.strip()
        # The header is unindented (indented ones are nested), but GRUB
        # may leave junk on the line before it: accept a non-blank prefix.
        if start is None and line.endswith(HEADER):
            prefix = line[:-len(HEADER)]
            if prefix == "" or prefix.strip():
                start = i
    if start is None:
        return out
    out.found = True

    stack = [Block(indent=0)]
    for line in lines[start + 1:]:
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        result, plan = RESULT_RE.match(body), PLAN_RE.match(body)
        diag = body.startswith("#")
        if not (result or plan or diag or VERSION_RE.match(body)):
            if body:
                out.other.append(line)      # printk between tests
            continue
        if indent > stack[-1].indent:
            if diag and not SUBTEST_RE.match(body):
                stack[-1].pending.append(body)
                continue
            stack.append(Block(indent=indent))
        closed = None
        while result and len(stack) > 1 and stack[-1].indent > indent:
            closed = stack.pop()    # a parent's verdict ends nested blocks
        block = stack[-1]
        if diag and indent < block.indent:
            # A parent's diagnostic (e.g. totals) after its nested block.
            block = next((b for b in stack if b.indent == indent), block)
        sub = SUBTEST_RE.match(body)
        if result:
            num, name = result.group(2), result.group(3)
            block.results.append(Result(
                result.group(1) == "ok", name or f"#{num}",
                result.group(4) or "", body, block.pending, closed))
            block.pending = []
        elif plan:
            block.plan = int(plan.group(1))
        elif sub and block.name is None and not block.results:
            block.name = sub.group(1)
        elif diag:
            block.pending.append(body)
        elif block is stack[0] and block.results:
            out.problems.append("KTAP output restarted (reboot?)")

    top = stack[0]
    if top.plan is None:
        out.problems.append("no top-level plan (1..N) after the header")
    for r in top.results:
        add_suite(out, r.name, r, r.child)
    # A suite still open at the end never printed its own result line:
    # the kernel died or hung inside it.
    if len(stack) > 1:
        name = stack[1].name or f"suite #{len(top.results) + 1}"
        add_suite(out, name, None, stack[1])
    seen = len(top.results) + (len(stack) > 1)
    for k in range(seen + 1, (top.plan or 0) + 1):
        out.cases.append(Case(f"suite #{k}", "(never started)", "crashed",
                              line="(never started)"))
    return out


def add_suite(out, suite, result, block):
    """One suite (its result line, if printed, and its nested block) ->
    Cases.  A suite with no cases at all counts as one case itself."""
    cases = block.results if block else []
    for r in cases:
        diag = list(r.diag)
        if not r.ok and r.child:    # parameterised: say which params
            for p in r.child.results:
                if not p.ok:
                    diag += p.diag + ["  " + p.text]
        out.cases.append(Case(suite, r.name, status_of(r), diag, r.text))
    if block and block.plan is not None:
        for n in range(len(cases) + 1, block.plan + 1):
            diag = block.pending if n == len(cases) + 1 else []
            out.cases.append(Case(suite, f"#{n}", "crashed", diag,
                                  f"(result {n} of {block.plan} missing)"))
    if result is None:
        if block.plan is None or block.plan == len(cases):
            out.cases.append(Case(suite, "(suite result)", "crashed",
                                  block.pending, "(no suite result line)"))
    elif not cases and not (block and block.plan):
        out.cases.append(Case(suite, suite, status_of(result), result.diag,
                              result.text))
    elif not result.ok and not any(c.suite == suite and c.status != "ok"
                                   and c.status != "skip" for c in out.cases):
        out.cases.append(Case(suite, "(suite result)", "fail", result.diag,
                              result.text + "  (yet no case failed)"))
