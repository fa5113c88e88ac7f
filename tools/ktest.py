#!/usr/bin/env python3
"""ktest: boot the kernel in a matrix of QEMU machines and judge its KTAP.

For each configuration in tools/ktest_matrix.py: boot the kernel with a
command line that selects the in-kernel tests (through QEMU's -kernel, or
GRUB from an ISO: Config.loader), under TCG with COM1 on
QEMU's stdio, read by the runner (QemuRun) and kept in
build/test/<name>/serial.log, wait for QEMU to exit through
isa-debug-exit (or kill it at the timeout), parse the KTAP v1 the kernel
printed and compare what happened with what the table expects (the
judges of tools/ktest_judge.py, by the mode the row's `expect` names).  Results print as each run
finishes; the last line is always

    ktest: N passed, N failed, N skipped in S s

counting test cases over all configurations (a configuration that fails
as a whole adds at least one failure), then the wall time of the run.
Exit status 0 only if nothing failed.  build/test/results.json holds
the same, per configuration, with the seconds and host CPU seconds of
each and of each suite, when each started and whether it ran beside
the rows that held every slot (run_matrix).
Every backtrace frame of a serial log gets its source file and line
(addr2line on the ELF), so a failure's tail points at the code.

Rows of other kinds: a monitor session typed over the serial port
(Config.script), a gdb session through tools/qemu-gdb as `make
qemu-gdb` and `make gdb` do (Config.gdb, on the -Og kernel of --debug-elf
with Config.debug_build), and `make run` itself, typed twice in a row
(Config.make_run).

The kernel's side (docs/testing.rst): KTAP version 1 on COM1, suites as
nested blocks, `# ` diagnostics before a failure, panics on a line that
starts with "PANIC", and with ktest.exit=1 a write of 0x10 (all passed) or
0x11 (failures) to port 0xf4, which QEMU turns into exit status 33 or 35.
"""

import argparse
import fnmatch
import functools
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.dont_write_bytecode = True          # no __pycache__ in tools/
sys.path.insert(0, str(Path(__file__).resolve().parent))
import cmdline_env  # noqa: E402
import ktest_matrix  # noqa: E402
from ktap import Case, clean, parse_ktap  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TAIL_LINES = 40

from ktest_judge import (  # noqa: E402
    EXIT_PASS, Outcome, collect_lock_edges, decode_backtrace,
    expect_mode, judge, judge_trace)

# ---------------------------------------------------------------------------
# Running QEMU

def kernel_cmdline(cfg, args):
    """The config's words plus the runner's ktest.* keys, each key once:
    a key the config sets beats the runner default, and --ktest/--seed
    beat both, so the kernel never sees a repeated option."""
    keys = {"ktest": "all", "ktest.exit": "1", "ktest.expect_mem": cfg.mem,
            "ktest.expect_cpus": str(cfg.smp), "ktest.seed": "1",
            "ktest.wait_s": str(KT_WAIT_S)}
    extra = []
    for word in cfg.cmdline.split():
        key, eq, val = word.partition("=")
        if eq and key in keys:
            keys[key] = val
        else:
            extra.append(word)
    if cfg.elsewhere and keys["ktest"] == "all":
        keys["ktest"] = ",".join(s for s in suite_names()
                                 if s not in cfg.elsewhere)
    if args.ktest is not None and not cfg.script:
        keys["ktest"] = args.ktest
    if args.seed is not None:
        keys["ktest.seed"] = str(args.seed)
    words = extra + [f"{k}={v}" for k, v in keys.items()]
    return " ".join(scale_with_load(w) for w in words)


# Kernel options that bound a wait by the host's clock (a guest second
# is host time under TCG): the runner stretches each with the host's
# load, as it stretches the rows' own timeouts (host_timeout).
LOAD_SCALED = ("ktest.wait_s", "smp.answer_ms")


def scale_with_load(word):
    """word, with its value stretched by the host's load if its key is
    one of LOAD_SCALED."""
    key, eq, val = word.partition("=")
    if key not in LOAD_SCALED or not val.isdigit():
        return word
    return f"{key}={int(int(val) * host_load_factor())}"


@functools.lru_cache(maxsize=None)
def suite_names():
    """Every suite of tests/, in name order, as KTEST_SUITE names it
    (read once: every row's command line and host slots ask)."""
    return tuple(sorted({m for f in (ROOT / "tests").glob("*.c")
                         for m in re.findall(r"^KTEST_SUITE\((\w+),",
                                             f.read_text(), re.M)}))


RUNNING = set()                    # live children (QemuRun), killed on ^C
RUNNING_LOCK = threading.Lock()
STOPPING = threading.Event()       # ^C seen: kill children as they start


def host_load_factor():
    """How much slower than alone a guest runs on this host now: the
    load per core, from 1 up to 4."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(4.0, max(1.0, load))


def host_timeout(seconds):
    """A row's timeout as this host stands now.  The timeout only
    catches a hang (every wait inside the kernel has its own watchdog,
    which fails by name), so on a host busier than its cores (another
    make test beside this one, say) it is stretched by the load, up to
    four times, rather than kill a run that is merely slow."""
    return int(seconds * host_load_factor())


# KT_WAIT_UNTIL's watchdog in the kernel (ktest.wait_s, include/kernel/
# ktest.h), stretched like the row's timeout: a guest tick is host time
# under TCG, so on a busy host a wait that needs a few seconds of guest
# work needs several times that in ticks.
KT_WAIT_S = 15


class QemuRun:
    """One emulator from start to reap: QEMU itself, or the command
    that starts it (tools/qemu-gdb, `make run`).  Every row's process
    goes through here, so each is started, read, bounded and ended the
    same way:

        with QemuRun(cmd, timeout=60) as q:
            q.wait()                # until it exits, or killed at 60 s
        q.exit_code, q.output(), q.cpu_seconds

    The child gets a process group of its own, so that the kill at the
    deadline (or on ^C) ends QEMU too when the child is a wrapper.  Its
    stdout (the serial console: `-serial stdio`) and stderr are read by
    two threads as they come; each line of stdout keeps the time it
    arrived (suite_seconds), and a waiter is woken by the output itself
    (wait_for), never by a timer.  The exit is waited for on a pidfd,
    and the child is reaped with its resource use: cpu_seconds, the
    host CPU time it and its reaped children took."""

    def __init__(self, cmd, timeout, interactive=False, merge=False,
                 cwd=None, env=None, row=None):
        """interactive: send() may type on stdin; merge: stderr joins
        stdout, in the order printed (gdb's errors beside its output);
        row: the name of the matrix row it boots, for run_matrix."""
        self.cmd, self.timeout, self.row = cmd, timeout, row
        self.popen_args = dict(cwd=cwd, env=env, start_new_session=True,
                               stdin=subprocess.PIPE if interactive
                               else subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT if merge
                               else subprocess.PIPE)
        self.exit_code = None      # stays None if killed at the deadline
        self.killed = False
        self.seconds = self.cpu_seconds = 0.0
        self.cond = threading.Condition()   # protects the fields below
        self.out, self.err = bytearray(), bytearray()
        self.stamps = []           # (seconds since start, a line of stdout)
        self.eof = False           # stdout closed: no more output comes
        self.suite = None          # the KTAP suite running now, if any

    def __enter__(self):
        self.t0 = time.monotonic()
        self.deadline = self.t0 + self.timeout
        self.proc = subprocess.Popen(self.cmd, **self.popen_args)
        self.pidfd = os.pidfd_open(self.proc.pid)
        self.readers = [threading.Thread(target=self._read, daemon=True,
                                         args=(s, s is self.proc.stdout))
                        for s in (self.proc.stdout, self.proc.stderr) if s]
        for t in self.readers:
            t.start()
        with RUNNING_LOCK:
            RUNNING.add(self)
            if STOPPING.is_set():
                self.kill()
        return self

    def __exit__(self, *exc):
        if self.proc.returncode is None:
            self.kill()
            self._reap()
        for t in self.readers:     # EOF follows the group's death
            t.join(timeout=10)
        os.close(self.pidfd)
        with RUNNING_LOCK:
            RUNNING.discard(self)
        return False

    # QEMU's UART sends each byte the guest writes in a write() of its
    # own: read as it comes, a 200 KB log is 150,000 wake-ups of the
    # reader, 0.7 s of host CPU.  A pause of READ_BATCH_S after each
    # read lets the bytes gather in the pipe; they keep their order, and
    # a line's time stamp is late by that much at most.  A waiter still
    # wakes on the output itself, the moment a read brings it.
    READ_BATCH_S = 0.005

    def _read(self, stream, is_stdout):
        partial = b""
        for chunk in iter(lambda: stream.read1(65536), b""):
            with self.cond:
                if is_stdout:
                    self.out += chunk
                    t = time.monotonic() - self.t0
                    *done, partial = (partial + chunk).split(b"\n")
                    self.stamps += [(t, ln) for ln in done]
                    self._follow_suites(done)
                else:
                    self.err += chunk
                self.cond.notify_all()
            time.sleep(self.READ_BATCH_S)
        with self.cond:
            if is_stdout:
                self.eof = True
            self.cond.notify_all()

    def _follow_suites(self, lines):
        """Keep self.suite: set by a suite's "# Subtest" line, cleared
        by its result line (both at the outer level of the KTAP)."""
        for raw in lines:
            if b"ok " not in raw and b"# Subtest: " not in raw:
                continue
            ln = CTRL_LINE_RE.sub("", raw.decode(errors="replace"))
            m = SUITE_START_RE.match(ln)
            if m:
                self.suite = m.group(1)
            elif SUITE_END_RE.match(ln):
                self.suite = None

    def wait(self):
        """Wait for the child to exit, at most until the deadline; kill
        it there.  True if it exited by itself (exit_code is set)."""
        if self.proc.returncode is None:
            left = max(0.0, self.deadline - time.monotonic())
            ready, _, _ = select.select([self.pidfd], [], [], left)
            if not ready:
                self.kill()
            self._reap()
        return self.exit_code is not None

    def stop(self, grace=10):
        """End the child politely (SIGTERM: tools/qemu-gdb passes it on
        to QEMU and removes its port file), killing it after grace
        seconds if it has not gone."""
        if self.proc.returncode is None:
            # Not Popen.terminate(): it may reap the child itself,
            # and _reap() would then find no child to wait for.
            os.kill(self.proc.pid, signal.SIGTERM)
            ready, _, _ = select.select([self.pidfd], [], [], grace)
            if not ready:
                self.kill()
            self._reap()

    def kill(self):
        """SIGKILL to the child's whole process group, unless reaped
        already (its id could then belong to another process)."""
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.killed = True

    def _reap(self):
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if not self.killed:
            self.exit_code = self.proc.returncode
        self.seconds = time.monotonic() - self.t0
        self.cpu_seconds = usage.ru_utime + usage.ru_stime

    def send(self, line):
        """Type line on the serial console, then Enter."""
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()

    def output(self):
        """Everything the child printed on stdout so far, as text."""
        with self.cond:
            return self.out.decode(errors="replace")

    def stderr(self):
        with self.cond:
            return self.err.decode(errors="replace")

    def wait_for(self, pattern, start=0, stream="out"):
        """The first match of pattern (multi-line) in the clean()ed
        output from position start on, waiting for more output while
        there is none; None once the output ended or the deadline
        passed without one."""
        rx = re.compile(pattern, re.M)
        with self.cond:
            while True:
                raw = self.out if stream == "out" else self.err
                m = rx.search("\n".join(clean(raw.decode(
                    errors="replace"))), start)
                left = self.deadline - time.monotonic()
                if m or self.eof or left <= 0:
                    return m
                self.cond.wait(left)

    def suite_seconds(self):
        """({suite: seconds}, {suite.case: seconds}) from the KTAP on
        stdout, by arrival time: a suite from its "# Subtest" line to its
        result line at the outer level, a case from the line before its
        result (the suite's start, or the previous case's result)."""
        started, took, cases = {}, {}, {}
        suite, last = None, 0.0
        with self.cond:
            stamps = list(self.stamps)
        for t, raw in stamps:
            ln = CTRL_LINE_RE.sub("", raw.decode(errors="replace"))
            m = SUITE_START_RE.match(ln)
            if m:
                suite, last = m.group(1), t
                started[suite] = t
            m = re.match(r"^  (?:not )?ok \d+ (\S+)", ln)
            if m and suite:
                cases[f"{suite}.{m.group(1)}"] = round(t - last, 2)
                last = t
            m = SUITE_END_RE.match(ln)
            if m and m.group(1) in started:
                took[m.group(1)] = round(t - started[m.group(1)], 2)
        return took, cases


CTRL_LINE_RE = re.compile(r"[\r\x1b]")
SUITE_START_RE = re.compile(r"^  # Subtest: (\S+)")
SUITE_END_RE = re.compile(r"^(?:not )?ok \d+ (\S+)")


def run_config(cfg, args):
    """Boot one row and judge it: its ISO, then QEMU through the runner
    of its kind (a KTAP run, a monitor session, a gdb session, or `make
    run` itself), then the judge its `expect` calls for."""
    cfg = replace(cfg, timeout=host_timeout(cfg.timeout))
    o = Outcome(cfg)
    d = args.outdir / cfg.name
    d.mkdir(parents=True, exist_ok=True)
    log = d / "serial.log"
    o.log_path = str(log)
    log.unlink(missing_ok=True)    # never judge a previous run's log
    if cfg.make_run:
        run_make(cfg, o)
    else:
        cmd = qemu_command(cfg, args, d, o)
        if cmd is None:
            return o
        kind = run_script if cfg.script else run_gdb if cfg.gdb \
            else run_boot
        kind(cfg, args, o, cmd, log)
    judge(o, args.ktest is not None and not (cfg.script or cfg.gdb
                                             or cfg.make_run))
    if cfg.trace_check:
        judge_trace(o, d)
    return o


def mkiso(elf, iso, cmdline):
    """tools/mkiso; None, or what it said when it failed."""
    mk = subprocess.run([str(ROOT / "tools/mkiso"), str(elf), str(iso),
                         cmdline], stdin=subprocess.DEVNULL,
                        capture_output=True, text=True)
    return None if mk.returncode == 0 else mk.stderr or "mkiso failed"


class IsoCopies:
    """The rows' ISOs, made from one ISO per kernel.  tools/mkiso takes
    a quarter of a second, a fifth of a short row, and rows differ only
    in the kernel command line, which the ISO keeps in a GRUB environment
    block of its own (tools/cmdline_env.py).  So the first row of a
    kernel makes an ISO with an empty line, and every row gets a copy
    with its own block written over that one: ISO 9660 stores a file's
    bytes as they are, in one piece.  Each boot prints the line it got
    ("command line: ..."), and the judge compares it with the row's
    (tools/ktest_judge.py: cmdline_problem)."""

    def __init__(self):
        self.lock = threading.Lock()     # protects templates
        self.templates = {}              # (elf, mtime) -> its ISO's bytes

    def make(self, elf, iso, cmdline, outdir):
        """Write the ISO for elf and cmdline; None, or why it failed."""
        try:
            block = cmdline_env.env_block(cmdline)
        except ValueError as e:
            return f"mkiso: {e}"
        data = self.template(elf, outdir)
        if isinstance(data, str):
            return data
        at = data.find(cmdline_env.SIGNATURE)
        iso.write_bytes(data[:at] + block
                        + data[at + cmdline_env.SIZE:])
        return None

    def template(self, elf, outdir):
        """The empty-line ISO of elf (made once per build of it), or
        what tools/mkiso said when it failed."""
        key = (str(elf), Path(elf).stat().st_mtime_ns)
        with self.lock:
            if key not in self.templates:
                path = outdir / f"template-{Path(elf).parent.name}.iso"
                err = mkiso(elf, path, "")
                data = path.read_bytes() if err is None else err
                if (err is None
                        and data.count(cmdline_env.SIGNATURE) != 1):
                    data = f"{path}: the command line block is not there once"
                self.templates[key] = data
            return self.templates[key]


ISOS = IsoCopies()


def qemu_command(cfg, args, d, o):
    """QEMU's command line for cfg, serial console on stdio, after
    making its ISO if GRUB boots it (cfg.loader); None (and o's reason)
    if the ISO failed."""
    cmdline = kernel_cmdline(cfg, args)
    elf = args.debug_elf if cfg.debug_build else args.elf
    o.cmdline = cmdline
    if cfg.loader == "grub":
        iso = d / "kernel.iso"
        err = ISOS.make(elf, iso, cmdline, args.outdir)
        if err is not None:
            o.reason, o.stderr, o.failed = "mkiso failed", err, 1
            return None
        boot = ["-boot", "d", "-cdrom", str(iso)]
    else:
        # SeaBIOS, QEMU's default firmware, as under GRUB.  qboot, its
        # minimal one, would start a row 20 ms of host CPU sooner, but
        # the memory map QEMU's multiboot loader builds from it ends in
        # an entry of unknown type spanning 0 to 2^64: every row's log
        # would show a map no PC gives.
        boot = ["-kernel", str(elf), "-append", cmdline]
    # -nodefaults: no VGA card, network card or floppy drive.  The
    # kernel talks only on COM1, and SeaBIOS would spend a twentieth of
    # a second of every boot starting the VGA and network cards' ROMs.
    cmd = [args.qemu, "-nodefaults", "-accel", "tcg", "-cpu", cfg.cpu,
           "-m", cfg.mem, "-smp", str(cfg.smp), *boot,
           "-display", "none", "-serial", "stdio", "-monitor", "none"]
    if cfg.exit_device:
        cmd += ["-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    cmd += list(cfg.qemu_args)
    if args.verbose:
        emit(f"  {cfg.name}: cmdline: {cmdline}\n  {cfg.name}: "
             + " ".join(cmd))
    return cmd


def take_run(o, q):
    """What a finished QemuRun leaves in the Outcome; returns its
    output."""
    o.exit_code, o.seconds = q.exit_code, q.seconds
    o.cpu_seconds += q.cpu_seconds
    o.stderr += q.stderr()
    return q.output()


def run_boot(cfg, args, o, cmd, log):
    """A KTAP run: boot, wait for QEMU to leave, parse what it printed."""
    with QemuRun(cmd, cfg.timeout, row=cfg.name) as q:
        q.wait()
    text = take_run(o, q)
    log.write_text(text)
    o.suites, o.cases = q.suite_seconds()
    elf = args.debug_elf if cfg.debug_build else args.elf
    o.log_lines = decode_backtrace(clean(text), elf)
    o.ktap = parse_ktap(o.log_lines)


# The prompt starts a line; clean() strips its trailing space.
PROMPT_RE = r"^hmos>"


def run_script(cfg, args, o, cmd, log):
    """Drive the serial monitor: each scripted line typed after the
    prompt, each answer matched; then `poweroff`, which must end QEMU
    with status 33.  Every pair becomes a case."""
    with QemuRun(cmd, cfg.timeout, interactive=True) as q:
        pos = 0
        for line, want in cfg.script + (("poweroff", r"powering off"),):
            pos = type_and_check(o, q, line, want, pos)
        q.wait()
    text = "\n".join(clean(take_run(o, q)))
    log.write_text(text)
    o.log_lines = text.splitlines()
    o.ktap.found = True


def type_and_check(o, q, line, want, pos):
    """Type line at the next prompt after pos and match its answer (up
    to the prompt after it) against want: one case.  Returns where the
    next prompt is looked for."""
    name = re.sub(r"[^\w.*-]", "_", line)[:40]   # ESC and such become '_'
    m = q.wait_for(PROMPT_RE, pos)
    if not m:
        o.ktap.cases.append(Case("monitor", name, "crashed",
                                 line=f"{line!r}: no prompt"))
        return pos
    pos = m.end()
    q.send(line)
    end = q.wait_for(PROMPT_RE, pos)
    answer = "\n".join(clean(q.output()))[pos:end.start() if end else None]
    ok = re.search(want, answer, re.M) is not None
    o.ktap.cases.append(Case(
        "monitor", name, "ok" if ok else "fail",
        [f"# expected /{want}/ in:"] +
        [f"#   {a}" for a in answer.splitlines()[:12]],
        f"{line!r}: " + ("ok" if ok else "wrong answer")))
    return pos


# What tools/qemu-gdb prints on stderr once its port file is written.
GDB_PORT_RE = r"QEMU waits for gdb on 127\.0\.0\.1:(\d+)"


def run_gdb(cfg, args, o, cmd, log):
    """The two-terminal debugging of `make qemu-gdb` and `make gdb`,
    driven by a script: tools/qemu-gdb starts QEMU stopped, on a free
    port it writes to a file; gdb reads tools/gdbinit (the helpers),
    attaches to that port, breaks at cfg.gdb_break, runs each command
    and quits.  Each command whose output matches its regex is a passed
    case, "gdb.<command>".  The serial console stays in serial.log; the
    gdb session is gdb.log, the log this row is judged on."""
    elf = args.debug_elf if cfg.debug_build else args.elf
    portfile = log.parent / "gdb-port"
    portfile.unlink(missing_ok=True)
    out = ""
    with QemuRun([str(ROOT / "tools/qemu-gdb"), str(portfile)] + cmd,
                 cfg.timeout) as q:
        port = gdb_port(q, portfile)
        if port is not None:
            out = run_gdb_script(cfg, elf, port, q.deadline)
        q.stop()
    log.write_text(take_run(o, q))
    if port is None:
        o.stderr += "\nktest: tools/qemu-gdb wrote no port, or not the " \
                    "one it announced: QEMU ended or the timeout passed"
    for line, want in cfg.gdb:
        answer = gdb_answers(out).get(line)
        ok = answer is not None and re.search(want, answer, re.M)
        o.ktap.cases.append(Case(
            "gdb", line.replace(" ", "_"), "ok" if ok else "fail",
            [f"# expected /{want}/ in:"] +
            [f"#   {a}" for a in (answer or "(no output)").splitlines()[:12]],
            f"{line!r}: " + ("ok" if ok else "wrong answer")))
    gdb_log = log.parent / "gdb.log"
    gdb_log.write_text(out)
    o.log_path = str(gdb_log)
    o.log_lines = out.splitlines()
    o.ktap.found = True
    o.exit_code = EXIT_PASS         # gdb ended QEMU on purpose


def gdb_port(q, portfile):
    """The port tools/qemu-gdb announced, once it says so (no timer:
    its line on stderr wakes the wait), checked against the port file
    that `make gdb` reads; None if QEMU ended first or they differ."""
    m = q.wait_for(GDB_PORT_RE, stream="err")
    if not m or not portfile.is_file():
        return None
    port = m.group(1)
    return int(port) if portfile.read_text().strip() == port else None


GDB_MARK = "=== hmos-gdb-command: "


def run_gdb_script(cfg, elf, port, deadline):
    """gdb attached to port, the row's commands each after a marker
    line; its whole output (what it printed by the deadline)."""
    cmd = ["gdb", "-q", "-batch", "-nx", "-x", "tools/gdbinit",
           "-ex", f"target remote 127.0.0.1:{port}",
           "-ex", f"break {cfg.gdb_break}", "-ex", "continue"]
    for line, _ in cfg.gdb:
        cmd += ["-ex", f"echo {GDB_MARK}{line}\\n", "-ex", line]
    cmd += ["-ex", "kill", str(elf)]
    with QemuRun(cmd, max(1, deadline - time.monotonic()), merge=True,
                 cwd=ROOT) as g:
        g.wait()
    return g.output()


def gdb_answers(out):
    """{command: what gdb printed after its marker}."""
    return {p.split("\n", 1)[0]: p for p in out.split(GDB_MARK)[1:]}


def run_make(cfg, o):
    """`make run` as a person types it, once per command line of
    cfg.make_run, in a row: each boot must say it got the line it was
    given ("command line: ..."), and exit 33.  The ISO is made by make,
    so a rule that does not remake it when CMDLINE changes boots the
    previous run's line and fails here."""
    logs, t0 = [], time.monotonic()
    deadline = t0 + cfg.timeout
    # A fresh make, as typed in a shell: not a child of `make test`'s
    # make, whose flags and job server it would otherwise inherit.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    for i, line in enumerate(cfg.make_run, 1):
        cmd = ["make", "-s", "--no-print-directory", "run",
               f"MEM={cfg.mem}", f"SMP={cfg.smp}", f"CMDLINE={line}"]
        with QemuRun(cmd, max(1, deadline - time.monotonic()), cwd=ROOT,
                     env=env) as q:
            q.wait()
        o.stderr += q.stderr()
        o.cpu_seconds += q.cpu_seconds
        lines = clean(q.output())
        logs += [f"### make run CMDLINE={line}"] + lines
        booted = [ln for ln in lines if ln.startswith("command line:")]
        want = f"command line: {line}"
        ok = booted == [want] and q.exit_code == 0
        o.ktap.cases.append(Case(
            "make_run", f"run_{i}", "ok" if ok else "fail",
            [f"# expected one line {want!r} and make exit 0 (QEMU 33), "
             f"got {booted} and exit {q.exit_code}"],
            f"make run CMDLINE={line!r}"))
    o.seconds = time.monotonic() - t0
    Path(o.log_path).write_text("\n".join(logs) + "\n")
    o.log_lines = logs
    o.ktap.found = True
    o.exit_code = EXIT_PASS



# ---------------------------------------------------------------------------
# Reporting

PRINT_LOCK = threading.Lock()


def emit(text):
    with PRINT_LOCK:
        print(text, flush=True)


def report(o, verbose):
    counts = (f"{o.passed} passed, {o.failed} failed, {o.skipped} skipped, "
              f"{o.seconds:.1f} s")
    if o.status == "PASS":
        note = o.note + "; " if o.note else ""
        out = [f"PASS {o.cfg.name} ({note}{counts})"]
    else:
        out = [f"FAIL {o.cfg.name}: {o.reason} ({counts})"]
    for c in o.ktap.cases:
        bad = c.status in ("fail", "crashed")
        expected = o.status == "PASS" and c.status == "fail"
        if (bad and o.status == "FAIL") or expected or verbose:
            out += [f"    {d}" for d in c.diag if bad]
            tag = ("  (expected failure)" if expected else
                   "  <-- crashed" if c.status == "crashed" else "")
            out.append(f"  {c.suite}: {c.line}{tag}")
    if o.status == "FAIL":
        if o.stderr.strip():
            out.append(f"--- {o.cfg.name}: stderr of QEMU or mkiso ---")
            out += o.stderr.rstrip().splitlines()[-TAIL_LINES:]
        tail = "\n".join(o.log_lines).rstrip().splitlines()[-TAIL_LINES:]
        out.append(f"--- {o.cfg.name}: last {TAIL_LINES} lines of "
                   f"{o.log_path} ---")
        out += tail or ["(serial log is empty)"]
        out.append(f"--- end of {o.cfg.name} ---")
    emit("\n".join(out))


def write_json(path, outcomes):
    rows = [{"name": o.cfg.name, "status": o.status, "reason": o.reason,
             "note": o.note, "passed": o.passed, "failed": o.failed,
             "skipped": o.skipped, "seconds": round(o.seconds, 2),
             "cpu_seconds": round(o.cpu_seconds, 2),
             "started": round(o.started, 2), "beside": o.beside,
             "suites": o.suites,
             "cases": o.cases,
             "exit_code": o.exit_code, "mem": o.cfg.mem, "smp": o.cfg.smp,
             "not_ok": [c.full for c in o.ktap.cases
                        if c.status in ("fail", "crashed")]}
            for o in outcomes]
    path.write_text(json.dumps(rows, indent=2) + "\n")


# ---------------------------------------------------------------------------
# Scheduling the rows

# Suites whose cases keep every CPU of the guest busy at once: lock
# contention, stress workers on each CPU, shootdowns and hot-plug that
# wait on every CPU's answer; and kmap and kmap_local, where one CPU
# spins until another has read a recycled pkmap slot or switched
# threads.  Only a row that runs one of them needs a host core per vCPU
# (host_slots): kmap-debug and singlestep-smp2, two vCPUs each, took
# 3.2 s and 4.5 s beside a trace row of three vCPUs, 0.4 s and 0.9 s
# alone.
BUSY_SUITES = ("cpu_hotplug", "cpu_hotplug_edges", "highmem_stress",
               "kmap", "kmap_local", "locking", "paging", "sched",
               "sched_stress", "smp", "tlb", "vmalloc_stress")


def row_suites(cfg, args):
    """The suites row cfg's kernel runs: the suite part of each word of
    its ktest= list, matched as the kernel matches it (a glob)."""
    words = kernel_cmdline(cfg, args).split()
    pats = next((w[len("ktest="):] for w in words
                 if w.startswith("ktest=")), "all").split(",")
    if "all" in pats:
        return suite_names()
    return [s for s in suite_names()
            if any(fnmatch.fnmatchcase(s, p.split(".")[0]) for p in pats)]


def one_cpu(cfg, args):
    """Does row cfg run on one CPU: one vCPU, or the others never come
    up (ktest.expect_cpus=1)?"""
    return cfg.cpus() == 1 or \
        "ktest.expect_cpus=1" in kernel_cmdline(cfg, args).split()


def host_slots(cfg, args):
    """How many of the --jobs slots (host cores, by default) a row holds
    while it runs.  TCG runs a host thread per vCPU, and a row whose
    tests keep every CPU busy (BUSY_SUITES) needs them all: beside
    another busy QEMU on two cores, the lock hand-overs of `locking` on
    smp4 slowed past its 15 s watchdog.  Any other row holds one: its
    time is the boot (firmware, the loader and the kernel's start run on
    one vCPU) and tests that leave the other CPUs idle, in hlt.  So does a
    row that ends in a panic: it boots, runs one case and stops, and at
    most one CPU spins meanwhile (a crash-deaf-* row's asker, until
    smp.answer_ms runs out); under -icount every vCPU shares one host
    thread.  A row whose other CPUs never come up (ktest.expect_cpus=1)
    runs on one.  (A crash-deaf-* row's deaf CPU halts.)  So does a row
    driven by a script or by gdb: it waits on its driver more than it
    runs."""
    if expect_mode(cfg.expect) == "panic" or cfg.script or cfg.gdb:
        return 1
    if not set(row_suites(cfg, args)) & set(BUSY_SUITES):
        return 1
    if one_cpu(cfg, args):
        return 1               # the others never come up (acpi-off)
    return min(cfg.cpus(), args.jobs)


# A row of one vCPU whose last run took at most this many seconds may
# start beyond the slots (run_matrix): beside a row in a busy suite
# when the host shows a core idle (SQUEEZE_ROW_S), or beside one that is
# booting or in a quieter suite (SQUEEZE_QUIET_S).  If the rows it joins
# get busy meanwhile, the cores are shared for about that long (a row
# takes longer beside a busy one than alone: hence short rows only).
SQUEEZE_ROW_S = 1.5
SQUEEZE_QUIET_S = 2.5


class HostIdle:
    """How many host cores sat idle lately, from /proc/stat (the whole
    host's, so another make test beside this one counts too)."""

    INTERVAL = 0.1                 # seconds a measurement spans at least

    def __init__(self, jobs):
        self.jobs = jobs           # idle cores beyond --jobs are not ours
        self.forget()

    @staticmethod
    def read():
        """(idle ticks, all ticks) of all CPUs so far."""
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
        return ticks[3] + ticks[4], sum(ticks)

    def forget(self):
        """Start a new measurement: a row has just taken a core."""
        self.t, self.sample, self.idle = time.monotonic(), self.read(), 0.0

    def cores(self):
        """Idle cores over the last INTERVAL or more."""
        now = time.monotonic()
        if now - self.t >= self.INTERVAL:
            idle, total = self.read()
            d_idle, d_total = idle - self.sample[0], total - self.sample[1]
            if d_total > 0:
                self.idle = min(self.jobs, (os.cpu_count() or 1) *
                                d_idle / d_total)
            self.t, self.sample = now, (idle, total)
        return self.idle


def run_matrix(chosen, args, durations):
    """Boot every chosen row, several at once, and return their
    Outcomes (None after ^C).  The rows that hold several slots start
    first, then the others, each group longest first, by the seconds
    each took last time (durations; a row never timed counts as long):
    the long rows never start last and run alone, and the one-slot rows
    are left to fill the last minutes two at a time.  A row starts as
    soon as its slots are free; when the next in that order does not
    fit, the next that does goes first (the free slots never wait).

    A row that holds every slot leaves cores idle while it boots or
    runs a suite outside BUSY_SUITES (QemuRun.suite follows its KTAP),
    or while its tests wait for ticks: then one short row of one vCPU
    (SQUEEZE_ROW_S) may run beside it, beyond the slots.  In a busy
    suite, it takes the host showing a core idle (HostIdle), and a
    second such row two."""
    weight = {c.name: host_slots(c, args) for c in chosen}
    single = {c.name: one_cpu(c, args) for c in chosen}
    pending = sorted(chosen, key=lambda c: (weight[c.name] > 1,
                                            durations.get(c.name, 1e9)),
                     reverse=True)
    outcomes, threads = [], []
    free = [args.jobs]
    squeezed = [0]                     # rows running beyond the slots
    running = []                       # the rows started, not yet ended
    slots = threading.Condition()      # protects the three above
    host = HostIdle(args.jobs)
    t0 = time.monotonic()

    def short(c, limit):
        """May c run beyond the slots: on one vCPU (a second CPU that
        waits on the first would, beside a busy row, wait for the host:
        four vCPUs on two cores), and no longer than limit seconds last
        time."""
        return single[c.name] and durations.get(c.name, 1e9) <= limit

    def in_busy_suite():
        """Is a row that holds several slots in one of BUSY_SUITES?"""
        with RUNNING_LOCK:
            return any(weight.get(q.row, 1) > 1 and q.suite in BUSY_SUITES
                       for q in RUNNING)

    def next_row():
        """The next row to start and whether it runs beyond the slots;
        None if none may start yet.  Called with slots held, at least
        every HostIdle.INTERVAL, which keeps the measurement fresh."""
        idle = host.cores()
        cfg = next((c for c in pending if weight[c.name] <= free[0]), None)
        if cfg:
            free[0] -= weight[cfg.name]
            return cfg, False
        if not any(weight[c.name] > 1 for c in running):
            return None
        if squeezed[0] == 0 and not in_busy_suite():
            limit = SQUEEZE_QUIET_S
        elif idle >= 0.9 + squeezed[0]:
            limit = SQUEEZE_ROW_S
        else:
            return None
        cfg = next((c for c in pending if short(c, limit)), None)
        if cfg:
            squeezed[0] += 1
            host.forget()      # its core is not idle any more
            return cfg, True
        return None

    def worker(cfg, beyond):
        started = time.monotonic() - t0
        try:
            o = run_config(cfg, args)
        except Exception as e:     # a runner bug must not hang the rest
            o = Outcome(cfg, reason=f"runner error: {e!r}", failed=1)
        o.started, o.beside = started, beyond
        with slots:
            running.remove(cfg)
            if beyond:
                squeezed[0] -= 1
            else:
                free[0] += weight[cfg.name]
            slots.notify()
        outcomes.append(o)
        if not STOPPING.is_set():  # after ^C, killed runs are noise
            report(o, args.verbose)

    try:
        while pending:
            with slots:
                while not (start := next_row()):
                    slots.wait(HostIdle.INTERVAL)
                cfg, beyond = start
                running.append(cfg)
            pending.remove(cfg)
            threads.append(threading.Thread(target=worker,
                                            args=(cfg, beyond)))
            threads[-1].start()
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        with RUNNING_LOCK:
            STOPPING.set()
            for p in RUNNING:
                p.kill()
        return None
    return outcomes


def load_durations(path):
    """{row: seconds} of the last run of each row, or {} at first."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_durations(path, outcomes):
    """Merge this run's seconds into path: a run of a few rows keeps
    the others' figures."""
    seen = load_durations(path)
    seen.update({o.cfg.name: round(o.seconds, 1) for o in outcomes})
    path.write_text(json.dumps(seen, indent=2, sort_keys=True) + "\n")


def stop_on_signal(signum, frame):
    """SIGTERM and SIGHUP: stop as on ^C (run_matrix kills the QEMUs)."""
    raise KeyboardInterrupt


def set_child_environment():
    """What the runner's children inherit, set once by main() (not on
    import: tools/bochs.py and tools/seeit.py import this module).

    Children that start Python (tools/mkiso, `make run`) run this
    interpreter: where python3 is a pyenv shim, each start through the
    shim costs a third of a second of host CPU before Python runs.

    A QEMU that boots a short row spends most of its life starting up,
    and much of that in page faults on malloc's heap.  Huge pages for
    the heap, and one arena for all its threads, took a 64 MiB boot from
    210 to 145 ms of host time, and make test from 48-51 s to 43-47 s
    (four seconds less host CPU).  A GLIBC_TUNABLES of the caller's own
    wins."""
    os.environ["PATH"] = (os.path.dirname(sys.executable) + os.pathsep
                          + os.environ.get("PATH", ""))
    os.environ.setdefault("GLIBC_TUNABLES",
                          "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1")


def main():
    set_child_environment()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", type=Path, default=ROOT / "build/kernel.elf")
    ap.add_argument("--debug-elf", type=Path,
                    default=ROOT / "build-debug/kernel.elf",
                    help="the -Og kernel (make DEBUG=1) the gdb rows debug")
    ap.add_argument("--config", default=os.environ.get("KTEST_CONFIG"),
                    help="names or globs, comma-separated (env KTEST_CONFIG)")
    ap.add_argument("--ktest", help="test glob, replaces ktest=all")
    ap.add_argument("--seed", type=int, help="ktest.seed (default 1)")
    ap.add_argument("--jobs", "-j", type=int,
                    default=int(os.environ.get("KTEST_JOBS",
                                           os.cpu_count() or 2)))
    ap.add_argument("--outdir", type=Path, default=ROOT / "build/test")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--list", action="store_true",
                    help="list the configurations and exit")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    t0 = time.monotonic()
    # Every QEMU runs in a process group of its own (QemuRun), out of
    # reach of a signal sent to the runner's group: a runner told to
    # stop by SIGTERM or SIGHUP ends them all as it does on ^C.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop_on_signal)

    table = ktest_matrix.by_name()
    if args.list:
        for c in table.values():
            print(f"{c.name:24} -m {c.mem:5} -smp {c.smp}  {c.loader:4}  "
                  f"cmdline={c.cmdline!r}  expect={c.expect}  "
                  f"timeout={c.timeout}s  tags={','.join(c.tags)}")
        return 0
    chosen = list(table.values())
    if args.config:
        pats = [p for p in args.config.split(",") if p]
        unknown = [p for p in pats if not fnmatch.filter(table, p)]
        if unknown:
            ap.error(f"unknown configuration {', '.join(unknown)} "
                     f"(have {', '.join(table)})")
        chosen = [c for c in chosen
                  if any(fnmatch.fnmatch(c.name, p) for p in pats)]
    strays = {f"{c.name}: {s}" for c in chosen for s in c.elsewhere
              if s not in suite_names()}
    if strays:
        ap.error(f"ktest_matrix: elsewhere names no such suite: "
                 f"{', '.join(sorted(strays))}")
    if not args.elf.is_file():
        print(f"ktest: no kernel at {args.elf} (build it first)",
              file=sys.stderr)
        return 2
    if any(c.debug_build for c in chosen) and not args.debug_elf.is_file():
        print(f"ktest: no -Og kernel at {args.debug_elf} for the gdb rows "
              f"(build it with make DEBUG=1)", file=sys.stderr)
        return 2
    args.jobs = max(1, args.jobs)
    args.outdir.mkdir(parents=True, exist_ok=True)
    durations = args.outdir / "durations.json"
    outcomes = run_matrix(chosen, args, load_durations(durations))
    if outcomes is None:
        print("ktest: interrupted", file=sys.stderr)
        return 130
    order = [c.name for c in chosen]
    outcomes.sort(key=lambda o: order.index(o.cfg.name))
    write_json(args.outdir / "results.json", outcomes)
    save_durations(durations, outcomes)
    collect_lock_edges(outcomes, args.outdir / "lockdep-edges.json")
    total = [sum(getattr(o, f) for o in outcomes)
             for f in ("passed", "failed", "skipped")]
    print("ktest: %d passed, %d failed, %d skipped in %.0f s"
          % (*total, time.monotonic() - t0), flush=True)
    return 0 if total[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
