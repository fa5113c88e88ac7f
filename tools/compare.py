#!/usr/bin/env python3
"""compare: hmos and Linux 6.1, row by row, costs and behaviour; and
every figure the docs quote.

`make docs` runs this on build/bench.json (`make bench`) and on the
Linux figures kept in the tree, docs/generated/linux-bench.json and
docs/generated/linux-behave.json, and writes under docs/_gen/:

  compare-bench.rst    the costs side by side (docs/bench.rst)
  compare-behave.rst   the behaviour (docs/highmem.rst)
  figures.rst          one reST substitution per figure, which the
                       pages include and quote as |ROW| (see FIGURES)
  scale.rst            kmap and kmap_local with 1, 2, 4 and 8 CPUs at
                       once, and the pool's wrap (docs/bench.rst)

`make compare`, after `make linux-bench` (build/linux-bench.json,
build/linux-behave.json), first copies those two files over the ones
kept in docs/generated/ (--snapshot), so a fresh clone's `make docs`
needs no download. A row only one kernel has (a benchmark Linux does
not let a module run, a CPU count only hmos boots) is listed with a
dash on the other side; it is never dropped silently.
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "docs/generated"
GEN = ROOT / "docs/_gen"

FIGURES = """\
The names of figures.rst, for a benchmark row ROW (tests/bench_*.c):

  |ROW|             hmos, icount (instructions), the fewest CPUs booted
  |ROW.p99|         its 99th percentile, |ROW.max| its maximum (the
                    latency rows, whose LATENCY line gives them)
  |ROW.host|        hmos, host clock (ticks), -smp 4: median of boots
  |ROW.host.smpN|   the same with N CPUs
  |ROW.lockdep|     hmos, icount, lockdep on
  |ROW.pause|       hmos, host clock, -smp 4, booted with cpu_relax=pause
  |ROW.nopause|     the same with cpu_relax=none, in boots taken in turn
  |linux.ROW|       Linux, icount; |linux.ROW.host| host clock -smp 4
  |ROW.vs.linux|    hmos / Linux, icount, to two decimals
  |ROW.rate.smpN|   a row of tests/bench_scale.c: the whole machine's
                    pairs per second with N CPUs (three figures);
                    |ROW.x1.smpN| that rate over the rate with one CPU;
                    |ROW.laggard.smpN| how far the last CPU had got
                    when the first finished; |ROW.ticket.rate.smpN| and
                    |ROW.ticket.laggard.smpN| the same booted with
                    spinlock=ticket

Each is the median, written with thousands separated by commas."""

# Each behaviour case of linux/hmos_bench/behave.c: the property, the
# hmos test that asserts it (file: case), and where hmos differs on
# purpose, and why (empty: the kernels agree).
PROPERTIES = [
    ("page_address_null_until_kmap",
     "page_address() of a highmem page is NULL until kmap() maps it, "
     "then the kmap address",
     "tests/test_kmap.c: kmap_same_page_shares_slot_count_users_plus_one",
     ""),
    ("kmap_local_never_sets_page_address",
     "kmap_local_page() never records its address in page_address(); "
     "a lowmem page maps to its direct-map address",
     "tests/test_kmap_local.c: "
     "kmap_local_map_is_not_recorded_in_page_address",
     ""),
    ("kmap_same_page_shares_one_address",
     "kmap() of a page already mapped returns the same address",
     "tests/test_kmap.c: kmap_same_page_shares_slot_count_users_plus_one",
     "hmos also checks the slot's count (users + 1); Linux keeps "
     "pkmap_count private to mm/highmem.c"),
    ("kunmap_keeps_contents_refcount_and_cached_address",
     "kunmap() releases the address, not the page: the page keeps its "
     "contents and its reference count, and its address stays cached",
     "tests/test_kmap.c: kmap_same_page_shares_slot_count_users_plus_one",
     "hmos's test checks the cached address; no hmos test checks the "
     "contents and the reference count across kunmap()"),
    ("kmap_freed_page_keeps_its_cached_address",
     "what page_address() says of a page freed while its kmap slot is "
     "cached",
     "tests/test_kmap.c: kmap_freed_page_loses_its_cached_address",
     "differs: Linux keeps the old address until the pool wraps; hmos "
     "drops it when the page is freed, so a freed page is never "
     "reachable through a stale slot (the slot still waits for the "
     "wrap's flush)"),
    ("kmap_local_nests_in_order_and_reuses_the_top",
     "nested kmap_local_page() maps take consecutive slots, the "
     "next one a page lower, and the freed top slot is the next one "
     "taken",
     "tests/test_kmap_local.c: "
     "kmap_local_takes_this_cpus_slot_at_the_stack_index",
     ""),
    ("kmap_atomic_disables_preemption_and_page_faults",
     "kmap_atomic() disables preemption and page faults until "
     "kunmap_atomic()",
     "tests/test_kmap_atomic.c: "
     "kmap_atomic_disables_preemption_and_page_faults",
     ""),
    ("kmap_local_valid_across_sleep",
     "a kmap_local mapping stays valid across a sleep, on the same CPU",
     "tests/test_kmap_local_ctx.c: kmap_local_holder_never_changes_cpu",
     ""),
    ("kmap_local_valid_across_preemption",
     "a kmap_local mapping stays valid across a preemption on the same "
     "CPU, while the thread that preempted it maps its own page at the "
     "same address",
     "tests/test_kmap_local_ctx.c: "
     "kmap_local_switch_keeps_each_threads_own_maps",
     ""),
    ("kmap_each_wrap_flushes_once",
     "the kmap pool wraps, and flushes once per pass",
     "tests/test_kmap.c: kmap_each_wrap_does_one_shootdown",
     ""),
]

# Properties hmos tests that no Linux module can check without harm.
NOT_ON_LINUX = [
    ("one kmap_local_page() past KM_MAX_IDX nested maps",
     "tests/test_kmap_local.c: "
     "kmap_local_nests_to_km_max_idx_and_refuses_one_more",
     "not run: Linux stops the kernel (BUG_ON in kmap_local_idx_push)",
     "differs: hmos warns and returns NULL, so the test can go on and "
     "the reader sees the limit"),
    ("kunmap_local() out of order",
     "tests/test_kmap_local.c: "
     "kmap_local_out_of_order_unmap_is_reported_and_slots_stay_consistent",
     "not run: Linux warns once (WARN_ON_ONCE) and taints the kernel",
     "differs: hmos reports every one and keeps the slots consistent"),
]


def load(path):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        return None


def pair_rows(hmos, linux):
    """[(bench, mode, smp, unit, hmos median or None, linux or None)],
    hmos's order first, then rows only Linux has."""
    key = lambda r: (r["mode"], r["smp"], r["bench"])  # noqa: E731
    lin = {key(r): r for r in linux}
    out, seen = [], set()
    for r in sorted(hmos, key=key):
        k = key(r)
        seen.add(k)
        other = lin.get(k)
        out.append((r["bench"], r["mode"], r["smp"], r["unit"],
                    r["median"], other and other["median"]))
    for k in sorted(set(lin) - seen):
        r = lin[k]
        out.append((r["bench"], r["mode"], r["smp"], r["unit"], None,
                    r["median"]))
    return out


def ratio(h, lx):
    if not isinstance(h, int) or not isinstance(lx, int) or lx == 0:
        return "-"
    return f"{h / lx:.2f}"


def fmt(v):
    return "-" if v is None else str(v)


def rst_table(title, header, rows, widths):
    """A list-table; every cell a string."""
    out = [f".. list-table:: {title}", "   :header-rows: 1",
           f"   :widths: {' '.join(str(w) for w in widths)}", ""]
    for row in [header] + rows:
        for i, cell in enumerate(row):
            lead = "   * - " if i == 0 else "     - "
            out.append(lead + (cell or "..."))
    return "\n".join(out) + "\n"


def mark_skips(pairs, skips):
    """A Linux cell with no figure says why, when the module said."""
    return [(b, m, s, u, h, lx if lx is not None or b not in skips
             else f"skipped: {skips[b]}") for b, m, s, u, h, lx in pairs]


def bench_rst(pairs, linux_name):
    head = (".. Generated by tools/compare.py (make docs) from "
            "build/bench.json\n   and docs/generated/linux-bench.json: do not "
            "edit.\n\n")
    rows = [[f"``{b}``", f"{m} smp {s}", u, fmt(h), fmt(lx), ratio(h, lx)]
            for b, m, s, u, h, lx in pairs]
    return head + rst_table(
        f"hmos and {linux_name}, medians per operation",
        ["row", "mode", "unit", "hmos", "Linux", "hmos / Linux"], rows,
        [30, 14, 14, 10, 10, 10])


def linux_result(case, boots):
    """One cell: the case's status in each boot, and its first diag."""
    parts = []
    for boot, cases in boots.items():
        for c in cases:
            if c["case"] == case:
                status = {"ok": "holds", "skip": "skipped",
                          "fail": "FAILS"}.get(c["status"], c["status"])
                parts.append(f"{status} ({boot})")
    return "; ".join(parts) or "not run"


def behave_rst(behave):
    head = (".. Generated by tools/compare.py (make docs) from "
            "docs/generated/linux-behave.json:\n   do not edit.\n\n")
    rows = []
    for case, prop, test, diff in PROPERTIES:
        rows.append([prop, f"``{test}``",
                     f"``{case}``: {linux_result(case, behave['boots'])}",
                     diff or "same"])
    for prop, test, linux, diff in NOT_ON_LINUX:
        rows.append([prop, f"``{test}``", linux, diff])
    return head + rst_table(
        f"Behaviour: hmos's tests, and {behave['kernel']} checked by "
        "linux/hmos_bench/behave.c",
        ["property", "hmos test", "Linux", "hmos differs?"], rows,
        [30, 25, 25, 20])


def figure(v):
    return f"{v:,}"


def figure_names(rows, prefix=""):
    """{substitution name: text} for one kernel's rows (FIGURES)."""
    out = {}
    for r in sorted(rows, key=lambda r: (r["mode"], -r["smp"])):
        name, mode, smp = prefix + r["bench"], r["mode"], r["smp"]
        if mode == "icount":
            out[name] = figure(r["median"])
            for k in ("p99", "max"):
                if k in r:
                    out[f"{name}.{k}"] = figure(r[k])
        elif mode == "icount-lockdep":
            out[f"{name}.lockdep"] = figure(r["median"])
        elif mode in ("host-pause", "host-nopause"):
            out[f"{name}.{mode[len('host-'):]}"] = figure(r["median"])
        elif mode == "host":
            out[f"{name}.host.smp{smp}"] = figure(r["median"])
            if smp == 4:
                out[f"{name}.host"] = figure(r["median"])
                for k in ("p99", "max"):
                    if k in r:
                        out[f"{name}.host.{k}"] = figure(r[k])
    return out


def figures_rst(hmos, linux):
    subs = figure_names(hmos)
    subs.update(scale_subs(hmos))
    subs.update(figure_names(linux, "linux."))
    lin = {r["bench"]: r["median"] for r in linux
           if r["mode"] == "icount"}
    for r in hmos:
        if r["mode"] == "icount" and r["smp"] == 1 and lin.get(r["bench"]):
            subs[f"{r['bench']}.vs.linux"] = \
                f"{r['median'] / lin[r['bench']]:.2f}"
    head = ("..\n   Generated by tools/compare.py (make docs) from "
            "build/bench.json and\n   docs/generated/linux-bench.json: "
            "do not edit.\n\n" +
            "\n".join("   " + ln for ln in FIGURES.splitlines()) + "\n\n")
    return head + "".join(f".. |{k}| replace:: {v}\n"
                          for k, v in sorted(subs.items()))


# docs/bench.rst, "How kmap and kmap_local scale": the CPU counts
# tools/bench.py boots on the host clock, and the rows it reads.
SCALE_CPUS = (1, 2, 4, 8)
SCALE_ROWS = ("kmap_scale", "kmap_local_scale", "baseline_scale")
SCALE_WRAP = "pkmap_wrap_full"


def three_figures(v):
    """v to three significant figures, with commas: host-clock noise
    makes any further digit meaningless."""
    if v <= 0:
        return "0"
    digits = len(str(int(v)))
    return figure(int(round(v, 3 - digits)))


def scale_rate(r, ticks):
    """Pairs per second of the whole machine, at `ticks` per pair."""
    return r["ticks_per_ms"] * 1000 / ticks


def scale_by_smp(hmos):
    """{(bench, smp): host row} of the rows scale.rst reads."""
    return {(r["bench"], r["smp"]): r for r in hmos
            if r["mode"] == "host" and "ticks_per_ms" in r
            and (r["bench"] == SCALE_WRAP or "scale" in r)}


def scale_subs(hmos):
    """|ROW.rate.smpN|, |ROW.x1.smpN|, |ROW.laggard.smpN| and their
    spinlock=ticket twins (FIGURES)."""
    rows, subs = scale_by_smp(hmos), {}
    for name in SCALE_ROWS:
        one = rows.get((name, 1))
        for smp in SCALE_CPUS:
            r = rows.get((name, smp))
            if r is None:
                continue
            subs[f"{name}.rate.smp{smp}"] = three_figures(
                scale_rate(r, r["median"]))
            subs[f"{name}.laggard.smp{smp}"] = \
                f"{r['scale']['laggard_pct']}%"
            if one:
                subs[f"{name}.x1.smp{smp}"] = \
                    f"{one['median'] / r['median']:.2f}"
    for r in hmos:
        if r["mode"] == "host-ticket" and "scale" in r:
            name, smp = r["bench"], r["smp"]
            subs[f"{name}.ticket.rate.smp{smp}"] = three_figures(
                scale_rate(r, r["median"]))
            subs[f"{name}.ticket.laggard.smp{smp}"] = \
                f"{r['scale']['laggard_pct']}%"
    return subs


def scale_cells(r, rows):
    """The whole machine's cells of one scale row: the rate, its spread
    over the boots, and the rate over the rate with one CPU."""
    if r is None:
        return ["not measured"] * 3
    slowest, fastest = max(r["boot_medians"]), min(r["boot_medians"])
    one = rows.get((r["bench"], 1))
    return [three_figures(scale_rate(r, r["median"])),
            f"{three_figures(scale_rate(r, slowest))} to "
            f"{three_figures(scale_rate(r, fastest))}",
            f"{one['median'] / r['median']:.2f}" if one else "-"]


def scale_share(r):
    """How one row's CPUs shared the run: each CPU's own pairs per
    second (slowest to fastest) and the last CPU's progress when the
    first finished."""
    if r is None:
        return ["not measured"] * 2
    sc = r["scale"]
    rates = [sc["pairs_per_cpu"] * r["ticks_per_ms"] * 1000 / t
             for t in sc["cpu_finish_ticks"] if t]
    span = (f"{three_figures(min(rates))} to {three_figures(max(rates))}"
            if rates else "-")
    return [span, f"{sc['laggard_pct']}%"]


def scale_rst(hmos):
    """docs/_gen/scale.rst: the tables of docs/bench.rst's scaling
    section, from the host rows of tests/bench_scale.c and the pool
    wrap."""
    rows = scale_by_smp(hmos)
    head = (".. Generated by tools/compare.py (make docs) from "
            "build/bench.json: do not\n   edit.\n\n")
    whole, share = [], []
    for smp in SCALE_CPUS:
        kmap, local, base = (rows.get((n, smp)) for n in SCALE_ROWS)
        wrap = rows.get((SCALE_WRAP, smp))
        wrap_us = (three_figures(wrap["median"] * 1000 /
                                 wrap["ticks_per_ms"]) if wrap else "-")
        whole.append([str(smp)] + scale_cells(kmap, rows) +
                     scale_cells(local, rows) +
                     scale_cells(base, rows)[2:] + [wrap_us])
        wraps = (f"{kmap['scale']['wraps_per_sample']}, "
                 f"{kmap['scale']['hits_per_sample']}" if kmap else "-")
        share.append([str(smp)] + scale_share(kmap) + [wraps] +
                     scale_share(local))
    return head + rst_table(
        "The whole machine, host clock: pairs per second (median of "
        "boots), the boots' spread, and the rate over one CPU's",
        ["CPUs", "kmap", "kmap spread", "kmap x 1 CPU", "kmap_local",
         "kmap_local spread", "kmap_local x 1 CPU",
         "bare writes x 1 CPU", "one pool wrap, microseconds"], whole,
        [6, 12, 16, 8, 12, 16, 8, 8, 14]) + "\n" + rst_table(
        "Each CPU's share: its own pairs per second from the start to "
        "its last pair (slowest to fastest CPU), and how far the last "
        "CPU had got when the first finished (median of samples)",
        ["CPUs", "kmap, each CPU", "kmap, last CPU at the first's "
         "finish", "kmap pool wraps, hits a sample", "kmap_local, each "
         "CPU", "kmap_local, last CPU at the first's finish"], share,
        [6, 20, 14, 16, 20, 14])


def print_pairs(pairs, linux_name):
    print(f"{'row':28} {'mode':14} {'unit':12} {'hmos':>9} "
          f"{'Linux':>9} {'hmos/Linux':>10}")
    for b, m, s, u, h, lx in pairs:
        print(f"{b:28} {m + ' smp ' + str(s):14} {u:12} {fmt(h):>9} "
              f"{fmt(lx):>9} {ratio(h, lx):>10}".rstrip())
    both = sum(1 for p in pairs if ratio(p[4], p[5]) != "-")
    print(f"compare: {both} rows measured by both hmos and {linux_name}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hmos", default=ROOT / "build/bench.json")
    ap.add_argument("--linux", default=SNAPSHOT / "linux-bench.json")
    ap.add_argument("--behave", default=SNAPSHOT / "linux-behave.json")
    ap.add_argument("--out", type=Path, default=GEN)
    ap.add_argument("--snapshot", action="store_true",
                    help="first copy build/linux-bench.json and "
                    "build/linux-behave.json over the ones in "
                    "docs/generated/")
    ap.add_argument("--quiet", action="store_true",
                    help="print only what was written")
    args = ap.parse_args(argv)

    if args.snapshot:
        for name in ("linux-bench.json", "linux-behave.json"):
            src = ROOT / "build" / name
            if not src.is_file():
                print(f"compare: no {src}: run `make linux-bench` first",
                      file=sys.stderr)
                return 1
            shutil.copyfile(src, SNAPSHOT / name)
        print(f"compare: {SNAPSHOT} now holds the Linux figures of build/")

    hmos, linux = load(args.hmos), load(args.linux)
    behave = load(args.behave)
    missing = [str(p) for p, d in ((args.hmos, hmos), (args.linux, linux),
                                   (args.behave, behave)) if d is None]
    if missing:
        print("compare: missing " + ", ".join(missing) + ": run `make "
              "bench` (and `make linux-bench` for build/linux-*.json)",
              file=sys.stderr)
        return 1
    linux_name = behave["kernel"]
    pairs = mark_skips(pair_rows(hmos, linux),
                       behave.get("skipped_rows", {}))
    if not args.quiet:
        print_pairs(pairs, linux_name)
        for case, _, _, _ in PROPERTIES:
            print(f"behave {case}: {linux_result(case, behave['boots'])}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare-bench.rst").write_text(bench_rst(pairs, linux_name))
    (args.out / "compare-behave.rst").write_text(behave_rst(behave))
    (args.out / "figures.rst").write_text(figures_rst(hmos, linux))
    (args.out / "scale.rst").write_text(scale_rst(hmos))
    print(f"compare: wrote compare-bench.rst, compare-behave.rst, "
          f"figures.rst and scale.rst in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
