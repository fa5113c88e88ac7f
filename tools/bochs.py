#!/usr/bin/env python3
"""bochs: boot the test suite under Bochs and judge it like tools/ktest.py.

Bochs is a second, independent implementation of the PC.  Under it the
kernel sees no hypervisor CPUID signature, so it takes the paths real
hardware gets (ticket spinlocks, PAUSE in spin loops), on 4 CPUs.  The
run is headless and unattended: Bochs's VNC display ("rfb", on a port
from 5900 up) waits for no viewer, the sound is a dummy, and the
built-in debugger is told to continue at once.

Bochs has no isa-debug-exit device and always exits with status 1, so
the end is read from the logs: the kernel prints its KTAP report, says
the exit device did not end the emulator and powers off through ACPI
S5; Bochs logs "soft power off" and stops.  The serial log is then
judged by tools/ktest.py's judge, as the QEMU row `no-exit-device` is:
the plan complete, every case ok, the power-off lines in order, one
boot.  A run that ends otherwise fails by name: the watchdog
(--timeout, 900 s) or no power off within --grace seconds after the
report's last line.

The whole suite took 3 to 4 minutes on a busy two-core host.
Logs: build/bochs/serial.log, build/bochs/bochs.log.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import ktest  # noqa: E402
import ktest_judge  # noqa: E402
from ktap import clean, parse_ktap  # noqa: E402
from ktest_matrix import Config  # noqa: E402

ROOT = ktest.ROOT
SOFT_OFF = "ACPI control: soft power off"
REPORT_END = "# ktest: "

BOCHSRC = """\
megs: {megs}
cpu: model=corei7_haswell_4770, count={cpus}, ips=50000000, \
reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
boot: cdrom
ata0-master: type=cdrom, path={iso}, status=inserted
com1: enabled=1, mode=file, dev={serial}
display_library: rfb, options="timeout=0"
sound: driver=dummy
speaker: enabled=0
clock: sync=none
log: {log}
panic: action=fatal
error: action=report
info: action=report
"""


def run(args):
    """Boot once; return an Outcome judged by tools/ktest.py's judge."""
    cfg = Config("bochs", mem=f"{args.megs}M", smp=args.cpus,
                 cmdline=args.cmdline, exit_device=False,
                 timeout=args.timeout)
    o = ktest_judge.Outcome(cfg)
    out = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    iso, serial, log = out / "kernel.iso", out / "serial.log", out / "bochs.log"
    o.log_path = str(serial)
    line = ktest.kernel_cmdline(cfg, args)
    subprocess.run([str(ROOT / "tools/mkiso"), str(args.elf), str(iso), line],
                   check=True, stdin=subprocess.DEVNULL)
    for f in (serial, log):
        f.unlink(missing_ok=True)
    (out / "bochsrc").write_text(BOCHSRC.format(
        megs=args.megs, cpus=args.cpus, iso=iso, serial=serial, log=log))
    (out / "debugger.rc").write_text("c\n")
    print(f"bochs: {args.cpus} CPUs, {args.megs} MiB, cmdline: {line}",
          flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(["bochs", "-q", "-f", str(out / "bochsrc"),
                             "-rc", str(out / "debugger.rc")],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, cwd=out)
    report_seen = None
    while proc.poll() is None:
        now = time.monotonic()
        if now - t0 > args.timeout:
            o.reason = f"watchdog: no end after {args.timeout} s"
            break
        text = serial.read_text(errors="replace") if serial.exists() else ""
        if report_seen is None and REPORT_END in text:
            report_seen = now
        if report_seen is not None and now - report_seen > args.grace:
            o.reason = (f"the KTAP report ended but Bochs did not power "
                        f"off within {args.grace} s")
            break
        time.sleep(0.5)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    o.seconds = time.monotonic() - t0
    text = serial.read_text(errors="replace") if serial.exists() else ""
    o.log_lines = ktest_judge.decode_backtrace(clean(text), args.elf)
    o.ktap = parse_ktap(o.log_lines)
    soft_off = log.exists() and SOFT_OFF in log.read_text(errors="replace")
    # Bochs's exit status is always 1; its log says how it ended.
    if not o.reason:
        o.exit_code = (ktest_judge.EXIT_POWEROFF if soft_off
                       else proc.returncode)
    why = o.reason
    ktest_judge.judge(o, args.ktest is not None)
    o.reason = "; ".join(r for r in (why, o.reason.replace(
        "QEMU exit", "Bochs ended without a power off: exit")) if r)
    if why:
        o.status, o.failed = "FAIL", max(o.failed, 1)
    return o


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", type=Path, default=ROOT / "build/kernel.elf")
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--megs", type=int, default=512)
    ap.add_argument("--cmdline", default="lowmem=64M",
                    help="kernel options beside the runner's ktest.* ones")
    ap.add_argument("--ktest", help="test glob, replaces ktest=all")
    ap.add_argument("--seed", type=int, help="ktest.seed (default 1)")
    ap.add_argument("--timeout", type=int, default=900,
                    help="watchdog, seconds (default 900)")
    ap.add_argument("--grace", type=int, default=60,
                    help="seconds from the report's end to the power off")
    ap.add_argument("--outdir", type=Path, default=ROOT / "build/bochs")
    args = ap.parse_args()
    if not args.elf.is_file():
        print(f"bochs: no kernel at {args.elf} (build it first)",
              file=sys.stderr)
        return 2
    o = run(args)
    ktest.report(o, False)
    print("ktest: %d passed, %d failed, %d skipped (Bochs)"
          % (o.passed, o.failed, o.skipped), flush=True)
    return 0 if o.status == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
