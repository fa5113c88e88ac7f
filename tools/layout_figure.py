#!/usr/bin/env python3
"""layout_figure: draw the docs' pictures from what the kernel printed.

Usage: tools/layout_figure.py SERIAL_LOG OUTDIR [MEM_LOG...]

SERIAL_LOG is the serial output of one boot (`make docs` boots the
kernel with ktest=kmap_snapshot, -m 8G -smp 2).  Read from it, so the
pictures cannot drift from the code:

  * the "Virtual kernel memory layout:" block that layout_print()
    (mm/layout.c) prints at boot: one line per region, highest first;
  * the "Physical memory map" block (mm/memblock.c: memblock_print)
    and the zone lines (mm/page_alloc.c: page_alloc_init);
  * the "SNAPSHOT ..." diagnostics of tests/test_kmap_snapshot.c: the
    pkmap pool before and after a wrap, the per-CPU kmap_local slots,
    a vmap and a direct-map page, each with the frame it maps.

The fixmap's parts come from the headers (x86's own two slots first,
arch/x86/include/asm/fixmap.h; then the order of enum fixed_addresses
and its sizes, include/mm/fixmap.h; the fixmap's bounds from
arch/x86/include/asm/layout.h), checked against the kmap_local slot
addresses the kernel printed.

Each MEM_LOG is the serial output of a boot with another amount of RAM
(`make docs` boots 64 MiB to 60 GiB); their "mem_map:" and zone lines
make the table of what struct page costs in lowmem.

Written to OUTDIR: layout.svg and layout.txt (the regions as a text
table), kmap.svg and kmap.txt, physvirt.svg, and struct_page.rst.
Hand-written SVG, standard library only.  Exits 1, naming what is
missing, if a log lacks a block.
"""

import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REGION = re.compile(r"^  (\S.*?)\s+0x([0-9a-f]{8})-0x([0-9a-f]{8})"
                    r"\s+(\d+) (KiB|MiB)$")
PHYS = re.compile(r"^  \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (usable|reserved)")
SNAP = re.compile(r"SNAPSHOT (pkmap|kmap_local|vmap|direct) (.*)$")
MEM_MAP = re.compile(r"^mem_map: (\d+) frames, (\d+) bytes of struct page "
                     r"each: (\d+) KiB of lowmem")
ZONE = re.compile(r"^zone (\w+)\s+pfn 0x([0-9a-f]+)-0x([0-9a-f]+): (\d+) "
                  r"pages managed")
CMD_MEM = re.compile(r"ktest\.expect_mem=(\S+)")
# Text at the size of the page's body text: the HTML theme sets 17px,
# and an SVG at most BODY_WIDTH wide is shown at its own size.
FONT_PX = 16
BODY_WIDTH = 720
FONT = f'font-family="DejaVu Sans Mono, monospace" font-size="{FONT_PX}"'
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
# First match wins: "guard page below pkmap" is a guard page.
COLOURS = {"guard": "#dddddd", "hole": "#eeeeee", "lowmem": "#cfe8cf",
           "vmalloc": "#cfdff5", "pkmap": "#f8d9a8", "fixmap": "#f5c6c6",
           "highmem": "#f3e6b3"}


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def size_text(n):
    """A size in the largest unit that says it exactly: GiB or MiB, or
    MiB less a 4 KiB page (the guard pages), or KiB."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    if n >= MiB and (n + 4 * KiB) % MiB == 0:
        return f"{(n + 4 * KiB) // MiB} MiB less 4 KiB"
    return f"{n // KiB} KiB"


def about_text(n):
    """A size that is not a whole number of MiB, to one decimal."""
    if n % MiB == 0 or n < MiB:
        return size_text(n)
    return f"about {n / GiB:.1f} GiB" if n >= GiB else \
        f"about {n / MiB:.1f} MiB"


def mib_kib_text(n):
    """8 MiB, or 8 MiB + 128 KiB: the hole's two parts."""
    rest = n % MiB
    return f"{n // MiB} MiB" + (f" + {rest // KiB} KiB" if rest else "")


def read_log(path):
    return [ANSI.sub("", line).rstrip("\r\n")
            for line in path.read_text(errors="replace").splitlines()]


def block_after(lines, title, pattern):
    """The matches of pattern on the lines right after the line title."""
    for i, line in enumerate(lines):
        if line.strip() != title:
            continue
        out = []
        for nxt in lines[i + 1:]:
            m = pattern.match(nxt)
            if not m:
                break
            out.append(m)
        return out
    return []


def parse_layout(lines):
    """[(name, start, end_exclusive)], highest first."""
    return [(m.group(1), int(m.group(2), 16), int(m.group(3), 16) + 1)
            for m in block_after(lines, "Virtual kernel memory layout:",
                                 REGION)]


def parse_phys(lines):
    """[(start, end_exclusive, kind)] of the boot loader's map."""
    return [(int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3))
            for m in block_after(lines, "Physical memory map (from the "
                                 "boot loader):", PHYS)]


def parse_snapshot(lines):
    """{"before": (pool, [slots]), "after": ..., "local": [...],
    "vmap": {...}, "direct": {...}} from the SNAPSHOT lines."""
    snap = {"before": (None, []), "after": (None, []), "local": []}
    for line in lines:
        m = SNAP.search(line)
        if not m:
            continue
        kv = dict(f.split("=", 1) for f in m.group(2).split())
        kind = m.group(1)
        if kind == "kmap_local":
            snap["local"].append(kv)
        elif kind in ("vmap", "direct"):
            snap[kind] = kv
        elif "slot" in kv:
            snap[kv["phase"]][1].append(kv)
        else:
            snap[kv["phase"]] = (kv, snap[kv["phase"]][1])
    return snap


def parse_zones(lines):
    """{zone name: (start pfn, end pfn, managed pages)}."""
    out = {}
    for line in lines:
        m = ZONE.match(line)
        if m:
            out[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16),
                               int(m.group(4)))
    return out


def header_int(path, name):
    text = (ROOT / path).read_text()
    return int(re.search(r"#define " + name + r"\s+\(?(\w+?)u?\b", text)
               .group(1), 0)


def km_max_idx():
    """KM_MAX_IDX from the header, so the picture has every slot."""
    return header_int("include/mm/kmap_types.h", "KM_MAX_IDX")


def fixmap_parts(local):
    """The fixmap's parts, highest first: (name, start, end), from the
    order of enum fixed_addresses (fix_to_virt: index i sits i + 1
    pages below FIXADDR_TOP).  The kmap slot of CPU 0, index 0 must be
    where the kernel printed it, or the header was misread."""
    top = header_int("arch/x86/include/asm/layout.h", "FIXADDR_TOP")
    start = header_int("arch/x86/include/asm/layout.h", "FIXADDR_START")
    pages = [("local APIC", 1), ("IOAPIC", 1),
             ("ACPI table window",
              header_int("include/mm/fixmap.h", "FIX_ACPI_PAGES")),
             ("kmap_local slots",
              header_int("include/mm/fixmap.h", "FIX_KMAP_PAGES"))]
    parts, end = [], top
    for name, n in pages:
        parts.append((name, end - n * 4096, end))
        end -= n * 4096
    parts.append(("not used", start, end))
    kmap_top = parts[3][2] - 4096
    printed = [int(s["addr"], 16) for s in local
               if s["cpu"] == "0" and s["idx"] == "0"]
    if printed and printed[0] != kmap_top:
        raise SystemExit(f"layout_figure: include/mm/fixmap.h puts CPU 0's "
                         f"slot 0 at {kmap_top:#x}, the kernel printed "
                         f"{printed[0]:#x}")
    return parts


# ---------------------------------------------------------------------------
# The virtual layout

def layout_txt(regions, parts):
    rows = ["Virtual kernel memory layout (printed at boot,"
            " -m 8G -smp 2):", ""]
    rows.append(f"  {'region':26} {'start':10} {'end':10}  size")
    for name, start, end in regions:
        rows.append(f"  {name:26} {start:#010x} {end - 1:#010x}  "
                    f"{size_text(end - start)}")
        if name == "fixmap":
            for pname, ps, pe in parts:
                rows.append(f"    {pname:24} {ps:#010x} {pe - 1:#010x}  "
                            f"{size_text(pe - ps)}")
    return "\n".join(rows) + "\n"


def region_fill(name):
    return next((c for k, c in COLOURS.items() if k in name), "#eeeeee")


def box(x, y, w, h, fill, label="", size=""):
    out = [f'<rect x="{x}" y="{y:.1f}" width="{w}" height="{h:.1f}" '
           f'fill="{fill}" stroke="black"/>']
    if label:
        out.append(f'<text x="{x + 8}" y="{y + h / 2 + 5:.1f}">'
                   f'{esc(label)}</text>')
    if size:
        out.append(f'<text x="{x + w - 8}" y="{y + h / 2 + 5:.1f}" '
                   f'text-anchor="end">{esc(size)}</text>')
    return out


def layout_heights(regions):
    """Not to scale: a 4 KiB guard page and 896 MiB of direct map must
    both be readable, so each box gets a height by its size's order."""
    out = []
    for _, start, end in regions:
        n = end - start
        out.append(24 if n <= 64 * KiB else 36 if n <= 8 * MiB else 70)
    return out


def layout_svg(regions, parts):
    """The regions as a column, highest on top; the fixmap's parts in
    a second column beside it, joined to it by two lines."""
    x0, w, top = 100, 370, 34
    heights = layout_heights(regions)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{BODY_WIDTH}" '
           f'height="{int(sum(heights) + top + 50)}" {FONT}>',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-weight="bold">The kernel\'s '
           'gigabyte, -m 8G (not to scale)</text>']
    y, fix_y = top, None
    for (name, start, end), h in zip(regions, heights):
        svg += box(x0, y, w, h, region_fill(name), name,
                   size_text(end - start))
        svg.append(f'<text x="{x0 - 6}" y="{y + 5:.1f}" text-anchor="end"'
                   f' font-size="13">{end & 0xffffffff:#010x}</text>'
                   if end < 1 << 32 else
                   f'<text x="{x0 - 6}" y="{y + 5:.1f}" text-anchor="end"'
                   f' font-size="13">4 GiB</text>')
        if name == "fixmap":
            fix_y = (y, y + h)
        y += h
    svg.append(f'<text x="{x0 - 6}" y="{y + 5:.1f}" text-anchor="end" '
               f'font-size="13">{regions[-1][1]:#010x}</text>')
    svg += fixmap_column(parts, x0 + w, fix_y)
    svg.append(f'<text x="10" y="{y + 30:.1f}" font-size="13">Each '
               f'address is the boundary beside it (mm/layout.c: '
               f'layout_print).</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def fixmap_column(parts, x_from, fix_y):
    """The fixmap's parts, highest first, as a column to the right."""
    x, w, h = x_from + 40, 200, 24
    y0 = 30
    out = [f'<line x1="{x_from}" y1="{fix_y[0]:.1f}" x2="{x}" '
           f'y2="{y0:.1f}" stroke="grey" stroke-dasharray="4 3"/>',
           f'<line x1="{x_from}" y1="{fix_y[1]:.1f}" x2="{x}" '
           f'y2="{y0 + 2 * h * len(parts):.1f}" stroke="grey" '
           f'stroke-dasharray="4 3"/>']
    for i, (name, start, end) in enumerate(parts):
        y = y0 + 2 * h * i
        out += box(x, y, w, 2 * h, COLOURS["fixmap"] if name != "not used"
                   else COLOURS["hole"])
        out.append(f'<text x="{x + 6}" y="{y + 18:.1f}">{esc(name)}</text>')
        out.append(f'<text x="{x + 6}" y="{y + 38:.1f}" font-size="13">'
                   f'{size_text(end - start)} at {start:#010x}</text>')
    return out


# ---------------------------------------------------------------------------
# The kmap pool and the kmap_local slots, with the frames they map

def kmap_txt(snap):
    rows = ["pkmap pool and kmap_local slots (tests/test_kmap_snapshot.c):"]
    for phase in ("before", "after"):
        pool, slots = snap[phase]
        rows += ["", f"  {phase} the wrap: {pool['free']} free, "
                 f"{pool['cached']} cached, {pool['used']} in use of "
                 f"{pool['slots']}"]
        for s in slots:
            users = int(s["count"]) - 1
            rows.append(f"    slot {s['slot']:>3} {s['addr']}  pfn "
                        f"{s['pfn']:>8}  pkmap_count {s['count']} "
                        f"({users} user{'s' if users != 1 else ''}"
                        f"{', cached' if users == 0 else ''})")
    rows.append("")
    for s in snap["local"]:
        rows.append(f"  CPU {s['cpu']} slot idx {s['idx']:>2} {s['addr']}"
                    f"  pfn {s['pfn']:>8}  held by {s['thread']}")
    return "\n".join(rows) + "\n"


CELL_W, CELL_H, POOL_SHOWN = 50, 40, 6
SLOT_FILL = {0: "#ffffff", 1: "#fbeedd", 2: "#f8b860"}


def frame_boxes(pfns, x, y0):
    """{pfn: (x, y) of its box's left middle}: one box per frame, in the
    order the rows first map them (so arrows cross little); a frame
    above 4 GiB is shaded and says so."""
    out, pos = [], {}
    for i, pfn in enumerate(pfns):
        y = y0 + 32 * i
        high = pfn >= 0x100000
        out += box(x, y, 190, 26, COLOURS["highmem"] if high else
                   "#ffffff", f"{pfn:#x}" + (" >4 GiB" if high else ""))
        pos[pfn] = (x, y + 13)
    return out, pos


def arrow(x1, y1, x2, y2, colour):
    mx = (x1 + x2) / 2
    return (f'<path d="M {x1:.0f} {y1:.0f} C {mx:.0f} {y1:.0f} {mx:.0f} '
            f'{y2:.0f} {x2 - 2:.0f} {y2:.0f}" fill="none" '
            f'stroke="{colour}" stroke-width="1.5" '
            f'marker-end="url(#head)"/>')


def slot_row(y, label, cells, x0):
    """One row of cells: [(text, fill)], with the label on the left."""
    out = [f'<text x="10" y="{y + 25}">{esc(label)}</text>']
    for i, (text, fill) in enumerate(cells):
        x = x0 + i * CELL_W
        out += box(x, y, CELL_W, CELL_H, fill)
        out.append(f'<text x="{x + 4}" y="{y + 14}" font-size="12">'
                   f'{i if text != "..." else ""}</text>')
        out.append(f'<text x="{x + CELL_W / 2}" y="{y + 33}" '
                   f'text-anchor="middle">{esc(text)}</text>')
    return out


def kmap_svg(snap):
    """Rows: the pool's first slots before and after a wrap, then each
    CPU's kmap_local slots; on the right the frames they map, highest
    first, a line at 4 GiB; an arrow from each mapped slot."""
    x0, y, fx = 130, 60, 520
    rows, svg = [], []
    for phase in ("before", "after"):
        by = {int(s["slot"]): s for s in snap[phase][1]}
        cells = [(f"n={by[i]['count']}" if i in by else "",
                  SLOT_FILL[min(int(by[i]["count"]), 2)] if i in by
                  else SLOT_FILL[0]) for i in range(POOL_SHOWN)]
        rows.append((f"{phase} wrap", cells + [("...", "#ffffff")],
                     {i: int(s["pfn"], 16) for i, s in by.items()}))
    for cpu in sorted({s["cpu"] for s in snap["local"]}):
        held = {int(s["idx"]): int(s["pfn"], 16) for s in snap["local"]
                if s["cpu"] == cpu}
        cells = [("held" if i in held else "", "#f5c6c6" if i in held
                  else "#ffffff") for i in range(4)]
        rows.append((f"CPU {cpu} local", cells + [("...", "#ffffff")],
                     held))
    pfns = list(dict.fromkeys(p for _, _, m in rows for p in m.values()))
    frames, pos = frame_boxes(pfns, fx, y)
    height = max(y + 70 * len(rows), max(p[1] for p in pos.values()) + 40)
    svg += [f'<svg xmlns="http://www.w3.org/2000/svg" width="{BODY_WIDTH}" '
            f'height="{height + 60}" {FONT}>',
            '<defs><marker id="head" markerWidth="8" markerHeight="8" '
            'refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/>'
            '</marker></defs>',
            '<rect width="100%" height="100%" fill="white"/>',
            f'<text x="10" y="20" font-weight="bold">kmap() pool slots '
            f'0-{POOL_SHOWN - 1} of {snap["before"][0]["slots"]}, and '
            f'kmap_local slots 0-3 of {km_max_idx()}</text>',
            f'<text x="{fx}" y="46" font-weight="bold">frames (pfn)</text>']
    colours = ["#c0392b", "#2e86c1", "#7d3c98", "#1e8449"]
    for r, (label, cells, mapped) in enumerate(rows):
        ry = y + 70 * r
        svg += slot_row(ry, label, cells, x0)
        for i, pfn in mapped.items():
            if i < POOL_SHOWN:
                svg.append(arrow(x0 + i * CELL_W + CELL_W / 2, ry + CELL_H,
                                 *pos[pfn], colours[r % len(colours)]))
    svg += frames
    ly = height + 10
    svg.append(f'<text x="10" y="{ly}">n = pkmap_count: 1 cached (no '
               f'user, PTE kept), 2 or more: n - 1 users.</text>')
    svg.append(f'<text x="10" y="{ly + 22}">The wrap cleared the cached '
               f'slot; the page that wrapped took slot 0.</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


# ---------------------------------------------------------------------------
# Physical to virtual, on the 8 GiB machine

def phys_segments(phys, zones):
    """(label, start, end) from 0 up: lowmem, highmem below 4 GiB, the
    hole below 4 GiB, highmem above 4 GiB."""
    low_end = zones["Normal"][1] << 12
    usable = [(s, e) for s, e, k in phys if k == "usable"]
    below = max(e for s, e in usable if e <= 1 << 32)
    top = max(e for _, e in usable)
    return [("lowmem: direct-mapped", 0, low_end, COLOURS["lowmem"]),
            ("highmem below 4 GiB", low_end, below, COLOURS["highmem"]),
            ("no RAM: PCI, firmware", below, 1 << 32, COLOURS["hole"]),
            ("highmem above 4 GiB", 1 << 32, top, COLOURS["highmem"])]


def place(segs, addr, y0, heights):
    """The y of addr in a column of segments drawn with these heights
    (top = highest), linear inside each segment."""
    y = y0
    for (_, s, e, _), h in zip(reversed(segs), reversed(heights)):
        if s <= addr < e or addr == e:
            return y + h * (e - addr) / (e - s)
        y += h
    raise ValueError(f"{addr:#x} is in no segment")


def column(segs, heights, x, y0, w, side):
    """Boxes, highest first; addresses on the side given.  Virtual
    sizes are exact; physical ones, cut by firmware holes, rounded."""
    out, y = [], y0
    for (label, s, e, fill), h in zip(reversed(segs), reversed(heights)):
        out += box(x, y, w, h, fill)
        out.append(f'<text x="{x + 6}" y="{y + 18:.1f}" font-size="14">'
                   f'{esc(label)}</text>')
        out.append(f'<text x="{x + 6}" y="{y + 36:.1f}" font-size="13">'
                   f'{(about_text if side == "left" else size_text)(e - s)}'
                   f'</text>' if h >= 44 else "")
        tx, anchor = (x - 6, "end") if side == "left" else (x + w + 6,
                                                             "start")
        out.append(f'<text x="{tx}" y="{y + 5:.1f}" text-anchor="{anchor}"'
                   f' font-size="12">{e:#x}</text>')
        y += h
    return out


def physvirt_svg(phys, zones, regions, snap):
    psegs = phys_segments(phys, zones)
    pheights = [150, 110, 60, 170]
    names = {"lowmem direct map": "direct map",
             "hole after the direct map": "hole",
             "vmalloc area": "vmalloc area", "vmalloc_lazy window":
             "vmalloc_lazy", "pkmap pool": "pkmap pool: kmap()",
             "fixmap": "fixmap: kmap_local"}
    vsegs = [(names[n], s, e, region_fill(n)) for n, s, e in
             reversed(regions) if n in names]
    vheights = [150, 30, 120, 40, 60, 60]
    px, vx, w, y0 = 96, 436, 186, 50
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{BODY_WIDTH}" '
           f'height="{y0 + sum(pheights) + 70}" {FONT}>',
           '<defs><marker id="head" markerWidth="8" markerHeight="8" '
           'refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/>'
           '</marker></defs>',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{px}" y="22" font-weight="bold">physical (-m 8G)'
           f'</text>',
           f'<text x="{vx}" y="22" font-weight="bold">kernel virtual</text>']
    svg += column(psegs, pheights, px, y0, w, "left")
    svg += column(vsegs, vheights, vx, y0, w, "right")
    low = psegs[0]
    pa, pb = (place(psegs, a, y0, pheights) for a in (low[2], low[1]))
    va, vb = (place(vsegs, a, y0, vheights)
              for a in (vsegs[0][1] + low[2], vsegs[0][1]))
    svg.append(f'<path d="M {px + w} {pa:.0f} L {vx} {va:.0f} L {vx} '
               f'{vb:.0f} L {px + w} {pb:.0f} z" fill="#cfe8cf" '
               f'fill-opacity="0.5" stroke="none"/>')
    for what, pfn, va_, colour in maps_to_draw(snap):
        y1 = place(psegs, pfn << 12, y0, pheights)
        y2 = place(vsegs, va_, y0, vheights)
        svg.append(arrow(px + w, y1, vx, y2, colour))
        svg.append(f'<text x="{vx - 8}" y="{y2 + 18:.0f}" '
                   f'text-anchor="end" font-size="14" fill="{colour}">'
                   f'{esc(what)}</text>')
    svg.append(f'<text x="10" y="{y0 + sum(pheights) + 30}" '
               f'font-size="13">Not to scale. Arrows: pages the kernel '
               f'mapped during one test (tests/test_kmap_snapshot.c).'
               f'</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def maps_to_draw(snap):
    """(label, pfn, virtual address, colour) of one page per interface."""
    d, v = snap["direct"], snap["vmap"]
    kmap = max(snap["before"][1], key=lambda s: int(s["pfn"], 16))
    local = snap["local"][0]
    return [("page_address()", int(d["pfn"], 16), int(d["addr"], 16),
             "#1e8449"),
            ("kmap()", int(kmap["pfn"], 16), int(kmap["addr"], 16),
             "#c0392b"),
            ("vmap()", int(v["pfn"], 16), int(v["addr"], 16), "#2e86c1"),
            ("kmap_local_page()", int(local["pfn"], 16),
             int(local["addr"], 16), "#7d3c98")]


# ---------------------------------------------------------------------------
# What struct page costs, from boots with other amounts of RAM

def struct_page_row(path):
    lines = read_log(path)
    mem = next((m.group(1) for m in map(CMD_MEM.search, lines) if m), None)
    mm = next((m for m in map(MEM_MAP.match, lines) if m), None)
    zones = parse_zones(lines)
    if not (mem and mm and "Normal" in zones):
        raise SystemExit(f"layout_figure: {path} lacks the command line's "
                         f"ktest.expect_mem, the mem_map: line or the "
                         f"zone lines")
    frames, kib = int(mm.group(1)), int(mm.group(3))
    low = zones["Normal"][1] << 12
    hole = next((e - s for n, s, e in parse_layout(lines)
                 if n == "hole after the direct map"), None)
    if hole is None:
        raise SystemExit(f"layout_figure: {path} has no layout block")
    return mem, frames, kib, low, zones["Normal"][2] << 12, hole


def mem_bytes(text):
    return int(text[:-1]) << {"M": 20, "G": 30}[text[-1]]


def struct_page_rst(paths):
    rows = sorted((struct_page_row(p) for p in paths),
                  key=lambda r: mem_bytes(r[0]))
    out = [".. list-table::", "   :header-rows: 1", "",
           "   * - ``-m``", "     - frames (up to the top of RAM)",
           "     - ``mem_map``", "     - lowmem", "     - share of lowmem",
           "     - ZONE_NORMAL pages managed",
           "     - hole after the direct map"]
    for mem, frames, kib, low, free, hole in rows:
        out += [f"   * - {mem}", f"     - {frames:,}",
                f"     - {size_text(kib * KiB)}",
                f"     - {low / MiB:.{0 if low % MiB == 0 else 1}f} MiB",
                f"     - {100 * kib * KiB / low:.1f}%",
                f"     - {free // MiB:,} MiB",
                f"     - {mib_kib_text(hole)}"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------

def main():
    if len(sys.argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    lines = read_log(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    regions, phys = parse_layout(lines), parse_phys(lines)
    snap, zones = parse_snapshot(lines), parse_zones(lines)
    missing = [what for what, ok in (
        ("the 'Virtual kernel memory layout:' block", regions),
        ("the 'Physical memory map' block", phys),
        ("the zone lines", "Normal" in zones),
        ("the SNAPSHOT lines of kmap_snapshot (both phases, the local "
         "slots, vmap and direct)",
         snap["before"][0] and snap["after"][0] and snap["local"]
         and "vmap" in snap and "direct" in snap)) if not ok]
    if missing:
        print(f"layout_figure: {sys.argv[1]} lacks " + "; ".join(missing),
              file=sys.stderr)
        return 1
    parts = fixmap_parts(snap["local"])
    (out / "layout.txt").write_text(layout_txt(regions, parts))
    (out / "layout.svg").write_text(layout_svg(regions, parts))
    (out / "kmap.txt").write_text(kmap_txt(snap))
    (out / "kmap.svg").write_text(kmap_svg(snap))
    (out / "physvirt.svg").write_text(physvirt_svg(phys, zones, regions,
                                                   snap))
    (out / "struct_page.rst").write_text(
        struct_page_rst([Path(p) for p in sys.argv[3:]]))
    print(f"layout_figure: {len(regions)} regions, "
          f"{len(snap['before'][1])} + {len(snap['after'][1])} pkmap "
          f"slots, {len(snap['local'])} kmap_local slots, "
          f"{len(sys.argv) - 3} memory sizes -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
