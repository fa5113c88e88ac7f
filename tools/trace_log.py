"""trace_log: read the event trace a kernel dumped on its serial port.

kernel/trace.c: trace_dump prints one event a line (docs/trace.rst):

    <task>-<id> [<cpu>] <irq> <sec>.<usec>: <event>: <key>=<value> ...

between a header ("# tracer: hmos events, N CPUs, clock C counts/ms")
and a footer ("# end of trace: N records").  tests/test_trace.c's
scenario also prints the kernel's own counters as "TRACE_COUNTS k=v"
diagnostics.  parse() turns a log into a Trace; trace_check.py and
trace2chrome.py both read it through here.
"""

import re
from dataclasses import dataclass, field

LINE_RE = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<task>[0-9a-f]{8}) \[(?P<cpu>\d{3})\] "
    r"(?P<irq>[.h]) +(?P<sec>\d+)\.(?P<usec>\d{6}): (?P<event>\w+): "
    r"(?P<args>.*)$")
HEADER_RE = re.compile(r"^# tracer: hmos events, (\d+) CPUs, clock (\d+) "
                       r"counts/ms")
FOOTER_RE = re.compile(r"^# end of trace: (\d+) records")
DROPPED_RE = re.compile(r"^# dropped: cpu (\d+) lost (\d+) records")
COUNTS_RE = re.compile(r"TRACE_COUNTS (.*)$")
# Arguments that name a task: its id, 8 hex digits, kept as text.
TASK_KEYS = ("next", "task")


@dataclass
class Event:
    line: int                      # 1-based line number in the log
    comm: str                      # task name (cut to 15 characters)
    task: str                      # task id: its address, 8 hex digits
    cpu: int
    irq: bool                      # recorded inside an interrupt handler
    ts: float                      # microseconds since trace start
    name: str
    args: dict                     # key -> int


@dataclass
class Trace:
    cpus: int = 0
    clock_per_ms: int = 0
    events: list = field(default_factory=list)
    footer: int = None             # record count the footer announced
    dropped: dict = field(default_factory=dict)   # cpu -> records lost
    counts: dict = field(default_factory=dict)    # TRACE_COUNTS k -> v
    problems: list = field(default_factory=list)  # malformed lines


def number(text):
    """Argument values are decimal, or hex with 0x."""
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def parse_args(text):
    out = {}
    for word in text.split():
        key, eq, val = word.partition("=")
        if not eq:
            raise ValueError(f"argument {word!r} is not key=value")
        out[key] = val if key in TASK_KEYS else number(val)
    return out


def parse(lines):
    """Lines of a serial log (ANSI escapes already stripped) -> Trace."""
    tr, inside = Trace(), False
    for no, raw in enumerate(lines, 1):
        ln = raw.rstrip()
        m = COUNTS_RE.search(ln)
        if m:
            for k, v in parse_args(m.group(1)).items():
                tr.counts[k] = v
            continue
        m = HEADER_RE.match(ln)
        if m:
            tr.cpus, tr.clock_per_ms = int(m.group(1)), int(m.group(2))
            inside = True
            continue
        if not inside:
            continue
        m = DROPPED_RE.match(ln)
        if m:
            tr.dropped[int(m.group(1))] = int(m.group(2))
            continue
        m = FOOTER_RE.match(ln)
        if m:
            tr.footer, inside = int(m.group(1)), False
            continue
        if ln.startswith("#") or not ln.strip():
            continue
        m = LINE_RE.match(ln)
        if not m:
            tr.problems.append(f"line {no}: not an event line: {ln!r}")
            continue
        try:
            args = parse_args(m.group("args"))
        except ValueError as e:
            tr.problems.append(f"line {no}: {e}")
            continue
        tr.events.append(Event(
            line=no, comm=m.group("comm").strip(), task=m.group("task"),
            cpu=int(m.group("cpu")), irq=m.group("irq") == "h",
            ts=int(m.group("sec")) * 1e6 + int(m.group("usec")),
            name=m.group("event"), args=args))
    return tr


def read(path):
    """parse() a serial log file, stripping what tools/ktap.py strips."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ktap import clean
    return parse(clean(Path(path).read_text(errors="replace")))
