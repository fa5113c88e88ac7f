#!/usr/bin/env python3
"""linux_bench: run hmos's benchmark rows and behaviour checks on Linux.

`make linux-bench` runs this. The steps, each cached where it can be:

  1. tools/linux-fetch: Debian 12's own i386 Linux 6.1 686-pae image,
     its headers and kbuild, and busybox-static (apt-get download and
     dpkg-deb -x, under build/linux/; it prints what and how big);
  2. build linux/hmos_bench/ (a GPL module of ours) against those
     headers, in build/linux/module/;
  3. write an initramfs with tools/mkinitramfs.py: busybox, the module,
     and linux/init.sh as /init;
  4. boot it in the QEMU `make bench` uses, in both of its modes:
       icount  -icount shift=0,sleep=off -smp 1 (a tick is one guest
               instruction; an SMP boot does not finish under icount);
       host    plain TCG -smp 4, host clock (--runs boots, medians);
     always -m 3G: Linux 6.1 hangs after "Run /init" at -m 4G and above;
  5. parse each serial log (build/linux/<mode>.log): BENCH_JSON rows
     into build/linux-bench.json, in the schema of build/bench.json;
     the module's KTAP into build/linux-behave.json.

Exit status 0 only if every boot ended ("HMOS_LINUX done"), printed
every row, and every behaviour case passed or was skipped with a
reason; otherwise it says which boot and what went wrong.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (merge(): the same medians as make bench)
from ktap import clean, parse_ktap  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build/linux"
MODULE_SRC = ROOT / "linux/hmos_bench"
# init_on_alloc=0: Debian builds its kernel to zero every page and slab
# object it hands out (CONFIG_INIT_ON_ALLOC_DEFAULT_ON), a memset hmos
# never does; with it off, neither kernel zeroes in the rows that
# allocate (page_alloc_free, vmap*, vmalloc64k_vfree).
CMDLINE = ("console=ttyS0,115200 printk.time=0 loglevel=6 "
           "oops=panic panic=-1 init_on_alloc=0")
DONE = "HMOS_LINUX done"
# A boot that has not ended by then has hung: it fails by name.
BOOT_TIMEOUT = {"icount": 1800, "host": 900}


def rel(path):
    """A path as the reader would type it: relative to the tree if inside."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if ROOT in path.parents else path


def say(msg):
    print(f"linux-bench: {msg}", flush=True)


def fetch():
    """tools/linux-fetch; returns the unpacked tree and the ABI name."""
    subprocess.run([str(ROOT / "tools/linux-fetch"), str(CACHE)],
                   check=True)
    return CACHE / "root", (CACHE / "abi").read_text().strip()


def build_module(root, abi):
    """Build the module out of tree in build/linux/module; its .ko."""
    out = CACHE / "module"
    out.mkdir(parents=True, exist_ok=True)
    for src in MODULE_SRC.iterdir():
        dst = out / src.name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    headers = root / f"usr/src/linux-headers-{abi}-686-pae"
    cross = os.environ.get("CROSS", "i686-linux-gnu-")
    r = subprocess.run(["make", "-s", "-C", str(headers), f"M={out}",
                        "ARCH=x86", f"CROSS_COMPILE={cross}", "modules"],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"linux-bench: the module did not build:\n{r.stdout}"
                 f"{r.stderr}")
    return out / "hmos_bench.ko"


def make_initramfs(root, ko):
    out = CACHE / "initramfs.cpio.gz"
    specs = ["dir:/bin", "dir:/dev", "char:/dev/console=5,1",
             "dir:/proc", "dir:/sys",
             f"file:/bin/busybox={root / 'bin/busybox'}",
             f"file:/init={ROOT / 'linux/init.sh'}",
             f"file:/hmos_bench.ko={ko}"]
    subprocess.run([sys.executable, str(ROOT / "tools/mkinitramfs.py"),
                    str(out)] + specs, check=True)
    return out


def boot(root, abi, initrd, mode, smp, log):
    """One boot; returns the serial log's text (empty if none)."""
    cmd = ["qemu-system-i386", "-accel", "tcg", "-cpu", "max", "-m", "3G",
           "-smp", str(smp), "-kernel",
           str(root / f"boot/vmlinuz-{abi}-686-pae"), "-initrd",
           str(initrd), "-append", CMDLINE, "-display", "none",
           "-no-reboot", "-serial", f"file:{log}", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if mode == "icount":
        cmd[1:1] = ["-icount", "shift=0,sleep=off"]
    t0 = time.monotonic()
    try:
        subprocess.run(cmd, timeout=BOOT_TIMEOUT[mode], capture_output=True)
    except subprocess.TimeoutExpired:
        say(f"{mode} smp {smp}: no poweroff within "
            f"{BOOT_TIMEOUT[mode]} s: the boot hung")
    say(f"{mode} smp {smp}: {time.monotonic() - t0:.0f} s, log {log}")
    return log.read_text(errors="replace") if log.exists() else ""


SKIP_RE = re.compile(r"^# bench (\w+): SKIP (.*)$")


def parse_log(text):
    """A serial log -> a dict: "rows" (the BENCH_JSON objects), "skips"
    ({row: reason}), "cases" (the behaviour KTAP), "facts" (the
    HMOS_LINUX lines) and "done" (the boot ran to its end)."""
    lines = clean(text)
    out = {"rows": [], "skips": {}, "facts": [], "done": DONE in lines}
    for line in lines:
        if "BENCH_JSON " in line:
            out["rows"].append(json.loads(line.split("BENCH_JSON ", 1)[1]))
        m = SKIP_RE.match(line)
        if m:
            out["skips"][m.group(1)] = m.group(2)
        m = re.search(r"HMOS_LINUX (.*)", line)
        if m:
            out["facts"].append(m.group(1))
    out["cases"] = [{"case": c.name, "status": c.status, "diag": c.diag}
                    for c in parse_ktap(lines).cases]
    return out


def judge(mode, smp, got, text):
    """Problems with one boot, as sentences (empty: it went right)."""
    rows, cases, done = got["rows"], got["cases"], got["done"]
    problems = []
    if not done:
        problems.append(f"{mode} smp {smp}: the boot did not reach "
                        f"'{DONE}'; log tail:\n  " +
                        "\n  ".join(clean(text)[-20:]))
    if done and not rows:
        problems.append(f"{mode} smp {smp}: no BENCH_JSON rows")
    for c in cases:
        if c["status"] not in ("ok", "skip"):
            problems.append(f"{mode} smp {smp}: behaviour case "
                            f"{c['case']} {c['status']}: "
                            + " | ".join(c["diag"]))
    if done and not cases:
        problems.append(f"{mode} smp {smp}: no behaviour KTAP")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1,
                    help="host-clock boots (medians over them)")
    ap.add_argument("--out", type=Path, default=ROOT /
                    "build/linux-bench.json")
    ap.add_argument("--behave-out", type=Path, default=ROOT /
                    "build/linux-behave.json")
    ap.add_argument("--modes", default="icount,host",
                    help="which boots: icount, host or both")
    args = ap.parse_args()
    modes = args.modes.split(",")

    t0 = time.monotonic()
    root, abi = fetch()
    ko = build_module(root, abi)
    initrd = make_initramfs(root, ko)
    say(f"module {rel(ko)}, initramfs "
        f"{initrd.stat().st_size // 1024} KiB")

    boots = [("icount", 1, CACHE / "icount.log")] * ("icount" in modes)
    boots += [("host", 4, CACHE / f"host{i}.log")
              for i in range(args.runs if "host" in modes else 0)]
    problems, result, behave, facts, skips = [], [], {}, {}, {}
    host_rows = []
    for mode, smp, log in boots:
        text = boot(root, abi, initrd, mode, smp, log)
        got = parse_log(text)
        problems += judge(mode, smp, got, text)
        facts.setdefault(f"{mode} smp {smp}", got["facts"])
        behave.setdefault(f"{mode} smp {smp}", got["cases"])
        skips.update(got["skips"])
        if mode == "icount":
            result += bench.merge([got["rows"]], "icount", "instructions")
        else:
            host_rows.append(got["rows"])
    result += bench.merge(host_rows, "host", "ticks")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    args.behave_out.write_text(json.dumps(
        {"kernel": f"Linux {abi}-686-pae (Debian 12)", "facts": facts,
         "boots": behave, "skipped_rows": skips}, indent=1) + "\n")
    for r in result:
        print(f"{r['mode']:6} smp {r['smp']}  {r['bench']:26} "
              f"min {r['min']:>9}  median {r['median']:>9} {r['unit']}")
    for boot_name, cases in behave.items():
        for c in cases:
            print(f"behave {boot_name}: {c['status']:4} {c['case']}")
    say(f"{len(result)} figures in {rel(args.out)}, "
        f"behaviour in {rel(args.behave_out)}, "
        f"{time.monotonic() - t0:.0f} s in all")
    for p in problems:
        print(f"linux-bench: FAIL {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
