#!/usr/bin/env python3
"""icount_path: where the instructions of one benchmark operation go.

Boots the kernel under QEMU with -icount (one CPU, the same mode as
`make bench`'s icount figures) and bench=GLOB, stopped at its first
instruction with a gdb stub. gdb lets the kernel run to the --skip'th
call of FUNC (so the benchmark is well into its samples), then steps
one instruction at a time until FUNC is entered --stops more times,
and the steps are counted by the function they fall in, in the order
they run. With the default --stops 1 that is the path from one call of
FUNC to the next: for kmap_hit_held and FUNC kmap, one kmap()+kunmap()
pair and the bench loop around it, the same count as the row's median.

    python3 tools/icount_path.py --bench kmap_hit_held --func kmap
    python3 tools/icount_path.py --bench ctxsw_0maps --func complete \\
        --stops 2 --runs

--runs prints each run of consecutive steps in one function instead of
the totals (a switch shows as __schedule, arch_switch_to, __schedule).
--disasm prints every step with its instruction. Nothing is timed and
nothing fails: it is for reading a path, not for judging it.
"""
import argparse
import bisect
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GDB_SCRIPT = """
import gdb
gdb.execute("target remote :{port}")
gdb.execute("break {func}")
gdb.execute("ignore 1 {skip}")
gdb.execute("continue")
gdb.execute("delete")
start = int(gdb.parse_and_eval("$pc"))
entries = 0
with open("{out}", "w") as f:
    for _ in range({limit}):
        gdb.execute("stepi", to_string=True)
        pc = int(gdb.parse_and_eval("$pc"))
        f.write("%x\\n" % pc)
        if pc == start:
            entries += 1
            if entries == {stops}:
                break
gdb.execute("kill")
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def symbols(elf):
    """The text symbols of elf, sorted by address: [(addr, name)]."""
    out = subprocess.run(["i686-linux-gnu-nm", "-n", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def disassembly(elf):
    """Address -> instruction text, from objdump."""
    out = subprocess.run(["i686-linux-gnu-objdump", "-d",
                          "--no-show-raw-insn", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    insns = {}
    for line in out.splitlines():
        addr, sep, rest = line.partition(":")
        if sep and len(addr.strip()) == 8:
            try:
                insns[int(addr, 16)] = rest.strip()
            except ValueError:
                pass
    return insns


def step(args, workdir):
    """Boot, let gdb step the path; the program counters, in order."""
    iso, pcs = workdir / "path.iso", workdir / "pcs"
    subprocess.run([str(ROOT / "tools/mkiso"), str(args.elf), str(iso),
                    f"ktest=none bench={args.bench} ktest.exit=1 lockdep=0"],
                   check=True, capture_output=True)
    port = free_port()
    qemu = subprocess.Popen(
        ["qemu-system-i386", "-icount", "shift=0,sleep=off", "-accel",
         "tcg", "-cpu", "max", "-m", args.mem, "-smp", "1", "-boot", "d",
         "-cdrom", str(iso), "-display", "none", "-no-reboot", "-serial",
         f"file:{workdir / 'serial.log'}", "-device",
         "isa-debug-exit,iobase=0xf4,iosize=0x04", "-monitor", "none",
         "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = workdir / "path.py"
    script.write_text(GDB_SCRIPT.format(port=port, func=args.func,
                                        skip=args.skip, out=pcs,
                                        limit=args.limit, stops=args.stops))
    try:
        subprocess.run(["gdb", "-batch", "-nx", str(args.elf), "-ex",
                        f"source {script}"], capture_output=True,
                       timeout=args.timeout)
    finally:
        qemu.kill()
        qemu.wait()
    if not pcs.exists():
        sys.exit(f"icount_path: gdb never reached {args.func}")
    return [int(x, 16) for x in pcs.read_text().split()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", default=str(ROOT / "build/kernel.elf"))
    ap.add_argument("--bench", required=True, help="bench=GLOB to boot")
    ap.add_argument("--func", required=True,
                    help="the function whose calls bound the path")
    ap.add_argument("--skip", type=int, default=2500,
                    help="calls of FUNC to let run first (warm-up)")
    ap.add_argument("--stops", type=int, default=1,
                    help="stop on the Nth entry of FUNC after the first")
    ap.add_argument("--limit", type=int, default=20000,
                    help="stop after this many steps anyway")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--runs", action="store_true",
                    help="consecutive steps per function, in order")
    ap.add_argument("--disasm", action="store_true",
                    help="every step with its instruction")
    args = ap.parse_args()

    syms = symbols(args.elf)
    addrs = [a for a, _ in syms]
    with tempfile.TemporaryDirectory() as d:
        pcs = step(args, Path(d))
    names = [syms[bisect.bisect_right(addrs, pc) - 1][1] for pc in pcs]
    if args.disasm:
        insns = disassembly(args.elf)
        for pc, name in zip(pcs, names):
            print(f"{pc:08x} {name:28s} {insns.get(pc, '?')}")
    elif args.runs:
        run_name, count = None, 0
        for name in names + [None]:
            if name != run_name and run_name is not None:
                print(f"{count:6d} {run_name}")
                count = 0
            run_name = name
            count += 1
    else:
        totals = {}
        for name in names:
            totals[name] = totals.get(name, 0) + 1
        for name, count in totals.items():
            print(f"{count:6d} {name}")
    print(f"{len(pcs):6d} instructions in all")


if __name__ == "__main__":
    main()
