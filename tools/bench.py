#!/usr/bin/env python3
"""bench: boot the in-kernel benchmarks and collect build/bench.json.

docs/bench.rst says how to read them.  Boots, each with
`ktest=none bench=GLOB`:

  icount  -icount shift=0,sleep=off -smp 1: one TSC tick per guest
          instruction, so figures are exact path lengths (unit
          "instructions"), repeatable to the tick;
  host    plain TCG -smp 4, every benchmark (unit "ticks", host clock,
          noisy: medians over --runs boots are reported);
  host    plain TCG -smp 1, 2 and 8, the shootdown and IPI benchmarks,
          the pool wrap and the whole-machine rows of
          tests/bench_scale.c only, so their scaling with the CPU count
          shows;
  host    the same -smp 4 shootdown and IPI benchmarks alone, with
          cpu_relax=none and cpu_relax=pause in turn (modes
          "host-nopause", "host-pause"): what PAUSE in the spin-waits
          costs under TCG (arch/x86/relax.c);
  host    kmap_scale alone at -smp 2 with spinlock=ticket (mode
          "host-ticket"): how kmap_lock is handed over in ticket order,
          against the test-and-set lock the kernel picks under a
          hypervisor (two CPUs only: with more vCPUs than host cores,
          ticket order waits for the host to run whichever is next);
  icount  -smp 2 with lowmem=64M, the latency benchmarks
          (tests/bench_latency.c): they need a second CPU to wake from.
          Their LATENCY lines add the 99th percentile and the maximum
          to the row ("p99", "max").

Every boot has lockdep=0: the figures are the kernel's own paths, not
the validator's.  One more icount boot runs the lock benchmarks with
lockdep on (mode "icount-lockdep"), so its cost per lock is a figure.

Each kernel prints one `BENCH_JSON {...}` line per benchmark.  The
output is a JSON array of {"bench", "mode", "unit", "smp", "min",
"median", "samples", "boots", "boot_medians"} (and "p99", "max" for a
latency row); with --runs N > 1 a host figure is the median of the N
boots' figures, and "boot_medians" lists each boot's, the spread.  A
row of tests/bench_scale.c also has "scale", from its SCALE_JSON line:
each CPU's ticks from the start to its last pair, the pool's wraps and
hits per sample, how far the last CPU had got when the first finished
(medians of boots); and every row of a boot that printed one has
"ticks_per_ms", the kernel's TSC calibration, so host ticks can be
read as time (the lowest of the boots': a calibration the host
interrupted reads high, never low).  Benchmarks
never fail the build: a boot that goes wrong is reported and the
others still count (exit status 0).
"""

import argparse
import fnmatch
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
SCALING = "tlb_shootdown*,ipi_roundtrip*"
# The rows docs/bench.rst's scaling section quotes at 1, 2, 4, 8 CPUs.
SCALE = SCALING + ",pkmap_wrap_full,*_scale"
LOCKS = "lock_*"
LATENCY = "latency_*"
# tests/bench_latency.c: lat_teardown prints one per run.
LATENCY_LINE = re.compile(r"LATENCY (\w+): wake-up to run, (\d+) samples: "
                          r"median (\d+) p99 (\d+) max (\d+) ticks")


def serial_log(elf, cmdline, smp, icount, mem, timeout):
    """Boot elf with cmdline once; its serial output ("" if none)."""
    with tempfile.TemporaryDirectory() as d:
        iso, log = Path(d) / "bench.iso", Path(d) / "serial.log"
        subprocess.run([str(ROOT / "tools/mkiso"), str(elf), str(iso),
                        cmdline], check=True, capture_output=True)
        cmd = ["qemu-system-i386", "-accel", "tcg", "-cpu", "max",
               "-m", mem, "-smp", str(smp), "-boot", "d", "-cdrom",
               str(iso), "-display", "none", "-no-reboot", "-serial",
               f"file:{log}", "-device",
               "isa-debug-exit,iobase=0xf4,iosize=0x04", "-monitor", "none"]
        if icount:
            cmd[1:1] = ["-icount", "shift=0,sleep=off"]
        try:
            subprocess.run(cmd, timeout=timeout, capture_output=True)
        except subprocess.TimeoutExpired:
            print(f"bench: smp {smp} boot timed out", file=sys.stderr)
        return log.read_text(errors="replace") if log.exists() else ""


def boot(elf, glob, smp, icount, mem, timeout, lockdep=False, extra=""):
    """One boot; returns the parsed BENCH_JSON objects, a latency row
    with its LATENCY line's percentiles added."""
    text = serial_log(elf, f"ktest=none bench={glob} ktest.exit=1 "
                      f"lockdep={int(lockdep)} {extra}".strip(),
                      smp, icount, mem, timeout)
    rows = []
    for line in text.splitlines():
        if "BENCH_JSON " in line:
            try:
                rows.append(json.loads(line.split("BENCH_JSON ", 1)[1]))
            except json.JSONDecodeError:
                print(f"bench: bad line {line!r}", file=sys.stderr)
    add_latency(rows, text)
    add_scale(rows, text)
    if not rows:
        print(f"bench: smp {smp} boot printed no figures; log tail:\n"
              + "\n".join(text.splitlines()[-15:]), file=sys.stderr)
    return rows


def add_latency(rows, text):
    """Put each LATENCY line's p99 and max into its benchmark's row."""
    by_name = {r["bench"]: r for r in rows}
    for m in LATENCY_LINE.finditer(text):
        row = by_name.get(m.group(1))
        if row is None:
            print(f"bench: LATENCY line for {m.group(1)} without its "
                  "BENCH_JSON row", file=sys.stderr)
            continue
        row["p99"], row["max"] = int(m.group(4)), int(m.group(5))


def add_scale(rows, text):
    """Put each SCALE_JSON line into its benchmark's row as "scale",
    and the kernel's TSC rate it gives into every row of the boot."""
    by_name = {r["bench"]: r for r in rows}
    for line in text.splitlines():
        if "SCALE_JSON " not in line:
            continue
        try:
            obj = json.loads(line.split("SCALE_JSON ", 1)[1])
        except json.JSONDecodeError:
            print(f"bench: bad line {line!r}", file=sys.stderr)
            continue
        name = obj.pop("bench")
        for r in rows:
            r["ticks_per_ms"] = obj["ticks_per_ms"]
        if name not in by_name:
            print(f"bench: SCALE_JSON line for {name} without its "
                  "BENCH_JSON row", file=sys.stderr)
            continue
        by_name[name]["scale"] = obj


def merge_scale(scales):
    """Several boots' "scale" objects -> one: each number the median of
    the boots', each per-CPU list the median CPU by CPU, the clock's
    rate the lowest (see the top of this file)."""
    out = {}
    for k, v in scales[0].items():
        vals = [s[k] for s in scales if k in s]
        if isinstance(v, list):
            out[k] = [int(statistics.median(col)) for col in zip(*vals)]
        elif k == "ticks_per_ms":
            out[k] = min(vals)
        else:
            out[k] = int(statistics.median(vals))
    return out


def selects_latency(glob):
    """Does bench=GLOB (comma-separated globs, or "all") pick a latency
    benchmark?"""
    return glob == "all" or any(
        fnmatch.fnmatch(name, g) for g in glob.split(",")
        for name in ("latency_kmap_atomic", "latency_kmap_local"))


def merge(runs, mode, unit):
    """Several boots' rows -> one row per (bench, smp), medians."""
    by = {}
    for rows in runs:
        for r in rows:
            by.setdefault((r["bench"], r["smp"]), []).append(r)
    out = []
    for (name, smp), rs in sorted(by.items()):
        out.append({"bench": name, "mode": mode, "unit": unit, "smp": smp,
                    "min": min(r["min"] for r in rs),
                    "median": int(statistics.median(r["median"]
                                                    for r in rs)),
                    "samples": sum(r["samples"] for r in rs),
                    "boots": len(rs),
                    "boot_medians": sorted(r["median"] for r in rs)})
        for k in ("p99", "max"):
            if all(k in r for r in rs):
                out[-1][k] = int(statistics.median(r[k] for r in rs))
        if all("ticks_per_ms" in r for r in rs):
            out[-1]["ticks_per_ms"] = min(r["ticks_per_ms"] for r in rs)
        if all("scale" in r for r in rs):
            out[-1]["scale"] = merge_scale([r["scale"] for r in rs])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", type=Path, default=ROOT / "build/kernel.elf")
    ap.add_argument("--bench", default="all", help="bench=GLOB")
    ap.add_argument("--runs", type=int, default=3,
                    help="host-clock boots per configuration (medians)")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--out", type=Path, default=ROOT / "build/bench.json")
    args = ap.parse_args()

    result = merge([boot(args.elf, args.bench, 1, True, args.mem, 600)],
                   "icount", "instructions")
    result += merge([boot(args.elf, LOCKS, 1, True, args.mem, 300,
                          lockdep=True)], "icount-lockdep", "instructions")
    if selects_latency(args.bench):
        result += merge([boot(args.elf, LATENCY, 2, True, args.mem, 600,
                              extra="lowmem=64M")], "icount", "instructions")
    host = [boot(args.elf, args.bench, 4, False, args.mem, 300)
            for _ in range(args.runs)]
    for smp in (1, 2, 8):
        host += [boot(args.elf, SCALE, smp, False, args.mem, 300)
                 for _ in range(args.runs)]
    result += merge(host, "host", "ticks")
    # PAUSE or not: the same rows alone, in boots taken in turn, so the
    # host's load, which moves every host figure, weighs on both alike.
    plain, pause = [], []
    for _ in range(args.runs):
        plain.append(boot(args.elf, SCALING, 4, False, args.mem, 300,
                          extra="cpu_relax=none"))
        pause.append(boot(args.elf, SCALING, 4, False, args.mem, 300,
                          extra="cpu_relax=pause"))
    result += merge(plain, "host-nopause", "ticks")
    result += merge(pause, "host-pause", "ticks")
    result += merge([boot(args.elf, "kmap_scale", 2, False, args.mem, 300,
                          extra="spinlock=ticket")
                     for _ in range(args.runs)], "host-ticket", "ticks")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for r in result:
        print(f"{r['mode']:6} smp {r['smp']}  {r['bench']:26} "
              f"min {r['min']:>9}  median {r['median']:>9} {r['unit']}")
    print(f"bench: {len(result)} figures in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
