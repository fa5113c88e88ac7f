#!/usr/bin/env python3
"""layout_figure: draw the docs' pictures from what the kernel printed.

Usage: tools/layout_figure.py SERIAL_LOG OUTDIR

SERIAL_LOG is the serial output of one boot (`make docs` boots the
kernel with ktest=kmap_snapshot, -m 8G -smp 2).  Two things are read
from it, so the pictures cannot drift from the code:

  * the "Virtual kernel memory layout:" block that layout_print()
    (mm/layout.c) prints at boot: one line per region, highest first;
  * the "SNAPSHOT pkmap ..." and "SNAPSHOT kmap_local ..." diagnostics
    of tests/test_kmap_snapshot.c: the pkmap pool and the per-CPU
    kmap_local slots at one moment of a test run.

Written to OUTDIR: layout.svg and layout.txt (the same regions as a
text table), kmap.svg and kmap.txt.  Hand-written SVG, standard
library only.  Exits 1, naming what is missing, if the log lacks
either block.
"""

import math
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REGION = re.compile(r"^\s+(\S.*?)\s+0x([0-9a-f]{8})-0x([0-9a-f]{8})"
                    r"\s+(\d+) (KiB|MiB)$")
SNAP = re.compile(r"SNAPSHOT (pkmap|kmap_local) (.*)$")
FONT = 'font-family="monospace" font-size="12"'


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def read_log(path):
    return [ANSI.sub("", line).rstrip("\r\n")
            for line in path.read_text(errors="replace").splitlines()]


def parse_layout(lines):
    """[(name, start, end_inclusive, size_text)], highest first."""
    out = []
    for i, line in enumerate(lines):
        if line.strip() != "Virtual kernel memory layout:":
            continue
        for l in lines[i + 1:]:
            m = REGION.match(l)
            if not m:
                break
            out.append((m.group(1), int(m.group(2), 16),
                        int(m.group(3), 16), f"{m.group(4)} {m.group(5)}"))
        break
    return out


def parse_snapshot(lines):
    """(pool dict, [slot dicts], [local dicts]) from SNAPSHOT lines."""
    pool, slots, local = None, [], []
    for line in lines:
        m = SNAP.search(line)
        if not m:
            continue
        kv = dict(f.split("=", 1) for f in m.group(2).split())
        if m.group(1) == "kmap_local":
            local.append(kv)
        elif "slot" in kv:
            slots.append(kv)
        else:
            pool = kv
    return pool, slots, local


def km_max_idx():
    """KM_MAX_IDX from the header, so the picture has every slot."""
    text = (ROOT / "include/mm/kmap_types.h").read_text()
    return int(re.search(r"#define KM_MAX_IDX (\d+)", text).group(1))


def layout_txt(regions):
    rows = ["Virtual kernel memory layout (printed at boot,"
            " -m 8G -smp 2):", ""]
    rows.append(f"  {'region':26} {'start':10} {'end':10} {'size':>10}")
    for name, start, end, size in regions:
        rows.append(f"  {name:26} {start:#010x} {end:#010x} {size:>10}")
    return "\n".join(rows) + "\n"


def layout_svg(regions):
    """A column of boxes, highest address on top; heights grow with the
    logarithm of the size (a 4 KiB guard page and 896 MiB of direct map
    both stay readable), so the drawing is not to scale."""
    x0, w, top = 110, 230, 30
    heights = [22 + 6 * math.log2((end + 1 - start) // 4096)
               for _, start, end, _ in regions]
    total = sum(heights)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="700" '
           f'height="{int(total + top + 40)}" {FONT}>',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{x0}" y="18" font-weight="bold">kernel virtual '
           f'address space (not to scale)</text>']
    colours = {"lowmem": "#cfe8cf", "vmalloc": "#cfdff5", "pkmap":
               "#f8d9a8", "fixmap": "#f5c6c6", "hole": "#eeeeee",
               "guard": "#dddddd"}
    y = top
    for (name, start, end, size), h in zip(regions, heights):
        fill = next((c for k, c in colours.items() if k in name),
                    "#eeeeee")
        svg.append(f'<rect x="{x0}" y="{y:.1f}" width="{w}" '
                   f'height="{h:.1f}" fill="{fill}" stroke="black"/>')
        svg.append(f'<text x="{x0 + 8}" y="{y + h / 2 + 4:.1f}">'
                   f'{esc(name)}</text>')
        svg.append(f'<text x="{x0 + w + 10}" y="{y + h / 2 + 4:.1f}">'
                   f'{esc(size)}</text>')
        svg.append(f'<text x="{x0 - 8}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{end + 1 & 0xffffffff:#010x}'
                   f'</text>' if end != 0xffffffff else
                   f'<text x="{x0 - 8}" y="{y + 4:.1f}" '
                   f'text-anchor="end">0xffffffff</text>')
        y += h
    svg.append(f'<text x="{x0 - 8}" y="{y + 4:.1f}" text-anchor="end">'
               f'{regions[-1][1]:#010x}</text>')
    svg.append(f'<text x="{x0}" y="{y + 25:.1f}">(each address is the '
               f'boundary beside it; from mm/layout.c: layout_print)'
               f'</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def kmap_txt(pool, slots, local):
    rows = ["pkmap pool and kmap_local slots at one moment"
            " (tests/test_kmap_snapshot.c):", ""]
    rows.append(f"  pkmap pool at {pool['base']}: {pool['slots']} slots,"
                f" {pool['free']} free, {pool['cached']} cached,"
                f" {pool['used']} in use")
    for s in slots:
        users = int(s["count"]) - 1
        rows.append(f"    slot {s['slot']:>3} {s['addr']}  pfn {s['pfn']}"
                    f"  pkmap_count {s['count']} ({users} user{'s' if users != 1 else ''})")
    rows.append("")
    for s in local:
        rows.append(f"  CPU {s['cpu']} slot idx {s['idx']:>2} {s['addr']}"
                    f"  pfn {s['pfn']}  held by {s['thread']}")
    return "\n".join(rows) + "\n"


def kmap_svg(pool, slots, local):
    """Top: the first 16 pkmap slots, coloured by pkmap_count.  Below:
    KM_MAX_IDX slots per CPU, the held ones labelled."""
    cell, x0 = 44, 70
    n = km_max_idx()
    cpus = sorted({int(s["cpu"]) for s in local})
    height = 150 + 70 * len(cpus)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" '
           f'width="{x0 + cell * 16 + 30}" height="{height}" {FONT}>',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-weight="bold">pkmap pool at '
           f'{pool["base"]}: {pool["slots"]} slots, {pool["free"]} free, '
           f'{pool["cached"]} cached, {pool["used"]} in use '
           f'(slots 0-15 shown)</text>']
    by_slot = {int(s["slot"]): s for s in slots}
    for i in range(16):
        s = by_slot.get(i)
        fill = "#f8d9a8" if s else "#ffffff"
        x = x0 + i * cell
        svg.append(f'<rect x="{x}" y="30" width="{cell}" height="40" '
                   f'fill="{fill}" stroke="black"/>')
        svg.append(f'<text x="{x + 3}" y="44" font-size="10">{i}</text>')
        if s:
            svg.append(f'<text x="{x + 3}" y="58" font-size="10">'
                       f'n={s["count"]}</text>')
            svg.append(f'<text x="{x + 3}" y="82" font-size="9">'
                       f'{s["pfn"]}</text>')
    svg.append(f'<text x="10" y="54">pkmap</text>')
    svg.append(f'<text x="10" y="104">n = pkmap_count (users + 1); '
               f'below each used slot, the pfn it maps</text>')
    svg.append(f'<text x="10" y="128" font-weight="bold">kmap_local slots '
               f'(KM_MAX_IDX = {n} per CPU), as each holder saw them '
               f'while it ran</text>')
    for row, cpu in enumerate(cpus):
        y = 140 + row * 70
        held = {int(s["idx"]): s for s in local if int(s["cpu"]) == cpu}
        svg.append(f'<text x="10" y="{y + 24}">CPU {cpu}</text>')
        for i in range(n):
            s = held.get(i)
            x = x0 + i * cell
            fill = "#f5c6c6" if s else "#ffffff"
            svg.append(f'<rect x="{x}" y="{y}" width="{cell}" height="40"'
                       f' fill="{fill}" stroke="black"/>')
            svg.append(f'<text x="{x + 3}" y="{y + 14}" font-size="10">'
                       f'{i}</text>')
            if s:
                svg.append(f'<text x="{x + 3}" y="{y + 28}" '
                           f'font-size="9">{s["pfn"]}</text>')
        if held:
            who = next(iter(held.values()))["thread"]
            first = held[min(held)]["addr"]
            svg.append(f'<text x="{x0}" y="{y + 54}" font-size="10">'
                       f'held by thread {esc(who)}; index 0 at {first}, '
                       f'each next index one page lower</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    lines = read_log(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    regions = parse_layout(lines)
    pool, slots, local = parse_snapshot(lines)
    missing = []
    if not regions:
        missing.append("the 'Virtual kernel memory layout:' block")
    if not pool or not slots or not local:
        missing.append("the SNAPSHOT lines of kmap_snapshot")
    if missing:
        print(f"layout_figure: {sys.argv[1]} lacks " + " and ".join(missing),
              file=sys.stderr)
        return 1
    (out / "layout.txt").write_text(layout_txt(regions))
    (out / "layout.svg").write_text(layout_svg(regions))
    (out / "kmap.txt").write_text(kmap_txt(pool, slots, local))
    (out / "kmap.svg").write_text(kmap_svg(pool, slots, local))
    print(f"layout_figure: {len(regions)} regions, {len(slots)} pkmap "
          f"slots, {len(local)} kmap_local slots -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
