#!/usr/bin/env python3
"""trace2chrome: a traced boot's serial log -> Chrome trace JSON and SVG.

    python3 tools/trace2chrome.py LOG --json OUT.json [--svg OUT.svg]

The JSON is the Chrome Trace Event Format (Perfetto's UI, chrome://
tracing and speedscope open it).  Its tracks:

  process "CPUs"          one thread per CPU: which task runs (X spans
                          between context switches), shootdowns sent and
                          received and pool wraps (instants)
  process "kmap_local"    one thread per CPU slot ("cpu1 idx0"): the
                          page a slot holds, as X spans from map (or
                          restore) to unmap (or save)
  process "tasks"         one thread per task: its kmap_local nesting and
                          kmap_atomic's preempt-off section (B/E, nested
                          as the stack is)
  process "pkmap pool"    the pool's slots in use and cached (a counter)

The SVG is the figure docs/trace.rst shows: the pool's use over time
and each CPU's kmap_local slots, context switches and shootdowns marked.
Timestamps are the dump's, in microseconds since trace_start().
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import trace_log                                           # noqa: E402

PID_CPUS, PID_SLOTS, PID_TASKS, PID_POOL = 1, 2, 3, 4
SLOTS_PER_CPU = 16                 # KM_MAX_IDX: tid = cpu * 16 + idx


class Timeline:
    """What the events say happened, as intervals, for both outputs."""

    def __init__(self, tr):
        self.tr = tr
        self.end = max((e.ts for e in tr.events), default=0.0)
        self.names = {}            # task id -> name
        self.running = []          # (cpu, task, start, end)
        self.slots = []            # (cpu, idx, task, pfn, start, end)
        self.switches = []         # (cpu, ts)
        self.shootdowns = []       # (cpu, ts, "send" | "recv")
        self.wraps = []            # (cpu, ts)
        self.pool = []             # (ts, in use, cached)
        self.build()

    def build(self):
        on_cpu = {}                # cpu -> (task, since)
        live = {}                  # (cpu, idx) -> (task, pfn, since)
        stacks = {}                # task -> [pfn...]
        counts = {}                # pkmap slot -> count
        for e in self.tr.events:
            self.names.setdefault(e.task, e.comm)
            if e.cpu not in on_cpu and not e.irq:
                on_cpu[e.cpu] = (e.task, 0.0)
            getattr(self, "on_" + e.name, lambda *a: None)(
                e, on_cpu, live, stacks, counts)
        for cpu, (task, since) in on_cpu.items():
            self.running.append((cpu, task, since, self.end))
        for (cpu, idx), (task, pfn, since) in live.items():
            self.slots.append((cpu, idx, task, pfn, since, self.end))

    def on_sched_switch(self, e, on_cpu, live, stacks, counts):
        task, since = on_cpu.get(e.cpu, (e.task, 0.0))
        self.running.append((e.cpu, task, since, e.ts))
        on_cpu[e.cpu] = (e.args["next"], e.ts)
        self.switches.append((e.cpu, e.ts))

    def close_slot(self, e, live, idx):
        got = live.pop((e.cpu, idx), None)
        if got:
            task, pfn, since = got
            self.slots.append((e.cpu, idx, task, pfn, since, e.ts))

    def on_kmap_local_map(self, e, on_cpu, live, stacks, counts):
        stacks.setdefault(e.task, []).append(e.args["pfn"])
        live[(e.cpu, e.args["idx"])] = (e.task, e.args["pfn"], e.ts)

    def on_kmap_local_unmap(self, e, on_cpu, live, stacks, counts):
        st = stacks.get(e.task, [])
        if st:
            st.pop()
        self.close_slot(e, live, e.args["idx"])

    def on_kmap_local_save(self, e, on_cpu, live, stacks, counts):
        for idx in range(e.args["depth"]):
            self.close_slot(e, live, idx)

    def on_kmap_local_restore(self, e, on_cpu, live, stacks, counts):
        task = on_cpu.get(e.cpu, (e.task,))[0]
        for idx, pfn in enumerate(stacks.get(task, [])[:e.args["depth"]]):
            live[(e.cpu, idx)] = (task, pfn, e.ts)

    def on_tlb_send(self, e, *rest):
        self.shootdowns.append((e.cpu, e.ts, "send"))

    def on_tlb_recv(self, e, *rest):
        self.shootdowns.append((e.cpu, e.ts, "recv"))

    def on_pkmap_wrap(self, e, *rest):
        self.wraps.append((e.cpu, e.ts))

    def pool_point(self, ts, counts):
        self.pool.append((ts, sum(1 for c in counts.values() if c >= 2),
                          sum(1 for c in counts.values() if c == 1)))

    def on_pkmap_take(self, e, on_cpu, live, stacks, counts):
        counts[e.args["slot"]] = 2          # kmap() holds it at once
        self.pool_point(e.ts, counts)

    def on_pkmap_hit(self, e, on_cpu, live, stacks, counts):
        counts[e.args["slot"]] = counts.get(e.args["slot"], 1) + 1
        self.pool_point(e.ts, counts)

    def on_pkmap_release(self, e, on_cpu, live, stacks, counts):
        counts[e.args["slot"]] = e.args["count"]
        self.pool_point(e.ts, counts)

    def on_pkmap_flush(self, e, on_cpu, live, stacks, counts):
        for slot in [s for s, c in counts.items() if c == 1]:
            del counts[slot]
        self.pool_point(e.ts, counts)


def chrome_events(tr, tl):
    out = []

    def meta(pid, tid, what, name):
        out.append({"name": what, "ph": "M", "pid": pid, "tid": tid,
                    "args": {"name": name}})

    for pid, name in ((PID_CPUS, "CPUs"), (PID_SLOTS, "kmap_local slots"),
                      (PID_TASKS, "tasks"), (PID_POOL, "pkmap pool")):
        meta(pid, 0, "process_name", name)
    cpus = sorted({e.cpu for e in tr.events})
    for cpu in cpus:
        meta(PID_CPUS, cpu, "thread_name", f"cpu{cpu}")
    for cpu, task, start, end in tl.running:
        out.append({"name": tl.names.get(task, task), "ph": "X",
                    "pid": PID_CPUS, "tid": cpu, "ts": start,
                    "dur": max(0.0, end - start), "args": {"task": task}})
    for cpu, ts, kind in tl.shootdowns:
        out.append({"name": f"shootdown {kind}", "ph": "i", "s": "t",
                    "pid": PID_CPUS, "tid": cpu, "ts": ts})
    for cpu, ts in tl.wraps:
        out.append({"name": "pkmap wrap", "ph": "i", "s": "t",
                    "pid": PID_CPUS, "tid": cpu, "ts": ts})
    named = set()
    for cpu, idx, task, pfn, start, end in tl.slots:
        tid = cpu * SLOTS_PER_CPU + idx
        if tid not in named:
            meta(PID_SLOTS, tid, "thread_name", f"cpu{cpu} idx{idx}")
            named.add(tid)
        out.append({"name": f"pfn {pfn:#x} ({tl.names.get(task, task)})",
                    "ph": "X", "pid": PID_SLOTS, "tid": tid, "ts": start,
                    "dur": max(0.0, end - start),
                    "args": {"task": task, "pfn": pfn}})
    out += task_spans(tr, tl, meta)
    for ts, used, cached in tl.pool:
        out.append({"name": "pkmap slots", "ph": "C", "pid": PID_POOL,
                    "tid": 0, "ts": ts,
                    "args": {"in use": used, "cached": cached}})
    return out


def task_spans(tr, tl, meta):
    """Per task, B/E: each local map, and kmap_atomic's preempt-off
    section around its map. Both nest as the task's stack does."""
    out, tids = [], {}
    opens = {}                     # task -> [name...]
    for e in tr.events:
        if e.irq:
            continue
        if e.task not in tids:
            tids[e.task] = len(tids) + 1
            meta(PID_TASKS, tids[e.task], "thread_name",
                 f"{e.comm} ({e.task})")
        tid, st = tids[e.task], opens.setdefault(e.task, [])
        if e.name == "kmap_local_map":
            name = f"kmap_local idx{e.args['idx']} pfn {e.args['pfn']:#x}"
        elif e.name == "preempt_off":
            name = "kmap_atomic: preempt off"
        elif e.name in ("kmap_local_unmap", "preempt_on") and st:
            out.append({"name": st.pop(), "ph": "E", "pid": PID_TASKS,
                        "tid": tid, "ts": e.ts})
            continue
        else:
            continue
        st.append(name)
        out.append({"name": name, "ph": "B", "pid": PID_TASKS, "tid": tid,
                    "ts": e.ts})
    for task, st in opens.items():
        while st:
            out.append({"name": st.pop(), "ph": "E", "pid": PID_TASKS,
                        "tid": tids[task], "ts": tl.end})
    return out


# --------------------------------------------------------------------------
# The SVG figure

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")


def esc(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def svg(tr, tl, width=1000):
    left, row, gap = 130, 18, 6
    cpus = sorted({e.cpu for e in tr.events})
    depth = {c: 1 + max([i for cc, i, *_ in tl.slots if cc == c] or [0])
             for c in cpus}
    colour = {}

    def col(task):
        return colour.setdefault(task, PALETTE[len(colour) % len(PALETTE)])

    span = tl.end or 1.0

    def x(ts):
        return left + (width - left - 10) * ts / span

    parts, y = [], 30
    parts.append(f'<text x="{left}" y="16" font-size="12">time, 0 to '
                 f'{span:.0f} us since trace_start (events: '
                 f'{len(tr.events)})</text>')
    # The pool: slots in use (dark) and cached (light), as a step plot.
    pool_h, top = 60, y
    peak = max([u + c for _, u, c in tl.pool] or [1]) or 1
    parts.append(f'<text x="4" y="{top + pool_h / 2}" font-size="11">pkmap '
                 f'pool (max {peak})</text>')
    for (ts, used, cached), nxt in zip(tl.pool, tl.pool[1:] + [None]):
        x1, x2 = x(ts), x(nxt[0] if nxt else tl.end)
        w = max(0.3, x2 - x1)
        hu, hc = pool_h * used / peak, pool_h * cached / peak
        parts.append(f'<rect x="{x1:.2f}" y="{top + pool_h - hu - hc:.2f}" '
                     f'width="{w:.2f}" height="{hc:.2f}" fill="#c6dbef"/>')
        parts.append(f'<rect x="{x1:.2f}" y="{top + pool_h - hu:.2f}" '
                     f'width="{w:.2f}" height="{hu:.2f}" fill="#08519c"/>')
    for cpu, ts in tl.wraps:
        parts.append(f'<line x1="{x(ts):.2f}" y1="{top}" x2="{x(ts):.2f}" '
                     f'y2="{top + pool_h}" stroke="red" '
                     f'stroke-dasharray="3,2"><title>pool wrap on cpu{cpu}'
                     f'</title></line>')
    y = top + pool_h + 2 * gap
    for cpu in cpus:
        parts.append(f'<text x="4" y="{y + 12}" font-size="11">cpu{cpu} '
                     f'running</text>')
        for c, task, start, end in tl.running:
            if c == cpu:
                parts.append(f'<rect x="{x(start):.2f}" y="{y}" width='
                             f'"{max(0.3, x(end) - x(start)):.2f}" height='
                             f'"{row - 4}" fill="{col(task)}" opacity="0.5">'
                             f'<title>{esc(tl.names.get(task, task))}'
                             f'</title></rect>')
        for c, ts in tl.switches:
            if c == cpu:
                parts.append(f'<line x1="{x(ts):.2f}" y1="{y - 2}" x2='
                             f'"{x(ts):.2f}" y2="{y + row * (1 + depth[cpu])}"'
                             f' stroke="#888" stroke-width="0.4"/>')
        for c, ts, kind in tl.shootdowns:
            if c == cpu:
                fill = "red" if kind == "send" else "orange"
                parts.append(f'<path d="M{x(ts):.2f},{y - 3} l-4,-7 h8 z" '
                             f'fill="{fill}"><title>shootdown {kind}'
                             f'</title></path>')
        y += row
        for idx in range(depth[cpu]):
            parts.append(f'<text x="16" y="{y + 12}" font-size="10">'
                         f'slot idx{idx}</text>')
            for c, i, task, pfn, start, end in tl.slots:
                if c == cpu and i == idx:
                    parts.append(
                        f'<rect x="{x(start):.2f}" y="{y}" width='
                        f'"{max(0.6, x(end) - x(start)):.2f}" height='
                        f'"{row - 4}" fill="{col(task)}"><title>'
                        f'{esc(tl.names.get(task, task))} pfn {pfn:#x}'
                        f'</title></rect>')
            y += row
        y += gap
    for n, task in enumerate(colour):
        parts.append(f'<rect x="{4 + n * 100}" y="{y + 4}" width="10" '
                     f'height="10" fill="{colour[task]}"/>')
        parts.append(f'<text x="{18 + n * 100}" y="{y + 13}" font-size='
                     f'"11">{esc(tl.names.get(task, task))}</text>')
    height = y + 24
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(parts) + "\n</svg>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg")
    args = ap.parse_args()
    tr = trace_log.read(args.log)
    if not tr.events:
        print(f"trace2chrome: no trace events in {args.log}")
        return 1
    tl = Timeline(tr)
    doc = {"traceEvents": chrome_events(tr, tl), "displayTimeUnit": "ns",
           "otherData": {"source": str(args.log),
                         "clock_counts_per_ms": tr.clock_per_ms}}
    Path(args.json).write_text(json.dumps(doc, indent=0))
    if args.svg:
        Path(args.svg).write_text(svg(tr, tl))
    print(f"trace2chrome: {len(tr.events)} events -> {args.json}"
          + (f", {args.svg}" if args.svg else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
