#!/usr/bin/env python3
"""trace_check: hold a traced boot's events to the rules the docs state.

    python3 tools/trace_check.py build/test/trace/serial.log [--json F]

Reads the dump of kernel/trace.c (tools/trace_log.py) and checks:

  stack      each task's kmap_local maps are unmapped in stack order
             (the top one first), on the CPU that mapped them, and a
             map takes the slot just above the task's depth;
  switch     a task switched out holding n local maps has its slots
             saved (kmap_local_save depth=n, right after the switch on
             that CPU), and when it next comes back the switch says n
             again and restores them (kmap_local_restore depth=n);
  wrap       every pkmap_wrap is followed on its CPU by one pkmap_flush
             and, if that freed cached slots, exactly one tlb_send to
             every other online CPU, each of which receives and
             acknowledges it before the sender's next shootdown;
  counts     the number of each event equals what the kernel counted
             itself (the scenario's TRACE_COUNTS lines);
  whole      the dump is complete: a header, a footer whose count
             matches, no record dropped, no malformed line;

and, with --json, that trace2chrome.py's output follows the Chrome
Trace Event Format's rules (validate_chrome).  Prints each failure with
the log line it concerns and exits 1 if there is any.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import trace_log                                           # noqa: E402


def at(e):
    return f"line {e.line} ({e.comm}-{e.task} cpu {e.cpu})"


def check_whole(tr):
    why = list(tr.problems)
    if not tr.cpus:
        why.append("no trace header: the kernel dumped no trace")
    if tr.footer is None:
        why.append("no '# end of trace' footer: the dump was cut short")
    elif tr.footer != len(tr.events):
        why.append(f"footer says {tr.footer} records, {len(tr.events)} "
                   f"parsed")
    for cpu, n in sorted(tr.dropped.items()):
        why.append(f"cpu {cpu} dropped {n} records: its ring was full, "
                   f"the trace is not whole")
    return why


def check_stack(tr):
    """Each task's local maps: pushed at its depth, popped from the top,
    on the CPU that mapped them (a task holding maps cannot move)."""
    why, stacks = [], {}
    for e in tr.events:
        st = stacks.setdefault(e.task, [])
        if e.name == "kmap_local_map":
            if e.args["idx"] != len(st):
                why.append(f"{at(e)}: kmap_local_map idx={e.args['idx']} "
                           f"but the task holds {len(st)} map(s)")
            st.append((e.args["idx"], e.cpu, e))
        elif e.name == "kmap_local_unmap":
            if not st:
                why.append(f"{at(e)}: kmap_local_unmap with no map held")
                continue
            idx, cpu, m = st[-1]
            if e.args["idx"] != idx:
                why.append(f"{at(e)}: unmapped idx={e.args['idx']} out of "
                           f"stack order: the top is idx={idx} "
                           f"(mapped at line {m.line})")
            if e.cpu != cpu:
                why.append(f"{at(e)}: unmapped on cpu {e.cpu} a map made "
                           f"on cpu {cpu} (line {m.line})")
            st.pop()
    for task, st in stacks.items():
        if st:
            why.append(f"task {task}: {len(st)} map(s) never unmapped "
                       f"(first at line {st[0][2].line})")
    return why


def check_switch(tr):
    why, saved = [], {}        # task -> depth saved when switched out
    ev, per_cpu, pos = tr.events, {}, {}
    for i, e in enumerate(ev):
        pos[i] = len(per_cpu.setdefault(e.cpu, []))
        per_cpu[e.cpu].append(e)
    for i, e in enumerate(ev):
        if e.name != "sched_switch":
            continue
        prev_n, nxt, next_n = (e.args["prev_depth"], e.args["next"],
                               e.args["next_depth"])
        follow = per_cpu[e.cpu][pos[i] + 1:pos[i] + 3]
        names = [(f.name, f.args.get("depth")) for f in follow]
        if prev_n:
            if ("kmap_local_save", prev_n) not in names[:1]:
                why.append(f"{at(e)}: {e.comm} switched out holding "
                           f"{prev_n} local map(s) with no kmap_local_save "
                           f"after it")
            saved[e.task] = prev_n
        else:
            saved.pop(e.task, None)
        want = saved.pop(nxt, 0)
        if want != next_n:
            why.append(f"{at(e)}: task {nxt} comes back with depth "
                       f"{next_n}, but it left holding {want}")
        if next_n and ("kmap_local_restore", next_n) not in names[:2]:
            why.append(f"{at(e)}: task {nxt} switched in holding {next_n} "
                       f"local map(s) with no kmap_local_restore after it")
    return why


def check_wrap(tr):
    """A wrap: pkmap_flush shootdown=1, then one tlb_send from that CPU
    to every other online CPU, each receiving and acknowledging it."""
    why, ev = [], tr.events
    online = tr.counts.get("online")
    for i, e in enumerate(ev):
        if e.name != "pkmap_wrap":
            continue
        # The flush and its shootdown are the wrapping task's own work,
        # under kmap_lock, before it takes a slot, wraps again or sleeps.
        mine = [f for f in ev[i + 1:] if f.cpu == e.cpu and not f.irq
                and f.task == e.task]
        upto = next((k for k, f in enumerate(mine)
                     if f.name in ("pkmap_take", "pkmap_wrap",
                                   "pkmap_sleep")), len(mine))
        mine = mine[:upto]
        flush = [f for f in mine if f.name == "pkmap_flush"]
        sends = [f for f in mine if f.name == "tlb_send"]
        if len(flush) != 1:
            why.append(f"{at(e)}: pkmap_wrap followed by {len(flush)} "
                       f"pkmap_flush before the next slot is taken, not 1")
            continue
        if not flush[0].args["shootdown"]:
            # Nothing was cached, so no TLB can hold a stale entry.
            if sends:
                why.append(f"{at(e)}: a wrap that freed nothing still "
                           f"sent a shootdown")
            continue
        if len(sends) != 1:
            why.append(f"{at(e)}: pkmap_wrap followed by {len(sends)} "
                       f"tlb_send before the next slot is taken, not 1")
            continue
        s = sends[0]
        mask = s.args["mask"]
        if online is not None and mask != online & ~(1 << e.cpu):
            why.append(f"{at(s)}: the wrap's shootdown went to "
                       f"{mask:#x}, not to every other online CPU "
                       f"({online & ~(1 << e.cpu):#x})")
        # Its answers come before the sender's next shootdown: a sender
        # waits for every ack before it can send again.
        j = ev.index(s)
        k = next((k for k in range(j + 1, len(ev)) if ev[k].cpu == e.cpu
                  and ev[k].name == "tlb_send"), len(ev))
        for cpu in range(32):
            if not mask & (1 << cpu):
                continue
            got = {f.name for f in ev[j + 1:k] if f.cpu == cpu
                   and f.name in ("tlb_recv", "tlb_ack")
                   and f.args["from"] == e.cpu}
            for need in ("tlb_recv", "tlb_ack"):
                if need not in got:
                    why.append(f"{at(s)}: cpu {cpu} never shows {need} "
                               f"from={e.cpu} for the wrap's shootdown")
    return why


# TRACE_COUNTS key -> (event name, argument filter)
COUNTED = {
    "kmap_local_map": ("kmap_local_map", None),
    "kmap_local_unmap": ("kmap_local_unmap", None),
    "kmap_atomic_map": ("kmap_atomic_map", None),
    "kmap_atomic_unmap": ("kmap_atomic_unmap", None),
    "kmap_local_save": ("kmap_local_save", None),
    "kmap_local_restore": ("kmap_local_restore", None),
    "pkmap_take": ("pkmap_take", None),
    "pkmap_hit": ("pkmap_hit", None),
    "pkmap_release": ("pkmap_release", None),
    "pkmap_wrap": ("pkmap_wrap", None),
    "pkmap_shootdowns": ("pkmap_flush", ("shootdown", 1)),
}


def check_counts(tr):
    why = []
    if not tr.counts:
        return ["no TRACE_COUNTS lines: the kernel's own counts are "
                "missing"]
    for key, (name, filt) in COUNTED.items():
        if key not in tr.counts:
            why.append(f"TRACE_COUNTS has no {key}")
            continue
        n = sum(1 for e in tr.events if e.name == name and
                (filt is None or e.args.get(filt[0]) == filt[1]))
        if n != tr.counts[key]:
            why.append(f"{n} {name} events, but the kernel counted "
                       f"{key}={tr.counts[key]}")
    return why


# --------------------------------------------------------------------------
# The Chrome Trace Event Format's rules, as far as trace2chrome.py uses it.

PHASES = {"B", "E", "X", "C", "i", "I", "M"}


def validate_chrome(doc):
    """Problems with a Chrome trace JSON object (empty list: valid)."""
    why = []
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"),
                                                   list):
        return ["not an object with a traceEvents list"]
    open_spans = {}
    last_ts = {}
    for n, ev in enumerate(doc["traceEvents"]):
        where = f"traceEvents[{n}]"
        if not isinstance(ev, dict):
            why.append(f"{where}: not an object")
            continue
        ph = ev.get("ph")
        if ph not in PHASES:
            why.append(f"{where}: ph {ph!r} is not a phase this tool uses")
            continue
        if not isinstance(ev.get("name"), str):
            why.append(f"{where}: no name string")
        for k in ("pid", "tid"):
            if not isinstance(ev.get(k), int) and not (ph == "C" and
                                                       k == "tid"):
                why.append(f"{where}: {k} is not an integer")
        if ph == "M":
            if ev.get("name") not in ("process_name", "thread_name",
                                      "process_sort_index",
                                      "thread_sort_index"):
                why.append(f"{where}: unknown metadata {ev.get('name')!r}")
            elif not isinstance(ev.get("args"), dict):
                why.append(f"{where}: metadata without args")
            continue
        ts = ev.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            why.append(f"{where}: ts {ts!r} is not a time in microseconds")
            continue
        if "args" in ev and not isinstance(ev["args"], dict):
            why.append(f"{where}: args is not an object")
        track = (ev.get("pid"), ev.get("tid"))
        if ph == "X":
            dur = ev.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                why.append(f"{where}: X event with dur {dur!r}")
        elif ph == "C":
            args = ev.get("args")
            if not args or not all(isinstance(v, (int, float))
                                   for v in args.values()):
                why.append(f"{where}: counter args must be numbers")
        elif ph in ("i", "I"):
            if ev.get("s", "t") not in ("g", "p", "t"):
                why.append(f"{where}: instant scope {ev.get('s')!r}")
        elif ph in ("B", "E"):
            if ts < last_ts.get(track, 0):
                why.append(f"{where}: {ph} at ts {ts} goes back in time on "
                           f"track {track}")
            last_ts[track] = ts
            st = open_spans.setdefault(track, [])
            if ph == "B":
                st.append((ev.get("name"), where))
            elif not st:
                why.append(f"{where}: E with no open B on track {track}")
            elif ev.get("name") not in (None, st[-1][0]):
                why.append(f"{where}: E {ev.get('name')!r} closes "
                           f"{st[-1][0]!r} ({st[-1][1]}): not nested")
                st.pop()
            else:
                st.pop()
    for track, st in open_spans.items():
        for name, where in st:
            why.append(f"{where}: B {name!r} on track {track} never ends")
    return why


# --------------------------------------------------------------------------
# The checker's own test: plant one fault in a good trace, and the check
# that guards against it must find it.

def first(tr, name, **args):
    return next(i for i, e in enumerate(tr.events) if e.name == name and
                all(e.args.get(k) == v for k, v in args.items()))


def plant_unmap_out_of_order(tr):
    i = first(tr, "kmap_local_unmap", idx=2)
    tr.events[i].args["idx"] = 1


def plant_lost_save(tr):
    i = first(tr, "kmap_local_save")
    del tr.events[i]
    tr.footer -= 1


def plant_lost_ack(tr):
    w = first(tr, "pkmap_wrap")
    i = next(i for i, e in enumerate(tr.events)
             if i > w and e.name == "tlb_ack")
    del tr.events[i]
    tr.footer -= 1


def plant_miscount(tr):
    tr.counts["kmap_local_map"] += 1


def plant_unclosed_span(doc):
    i = next(i for i, e in enumerate(doc["traceEvents"]) if e["ph"] == "E")
    del doc["traceEvents"][i]


PLANTS = (("stack", plant_unmap_out_of_order), ("switch", plant_lost_save),
          ("wrap", plant_lost_ack), ("counts", plant_miscount))


def planted(tr, doc):
    """Plant each fault in a copy; return the plants nothing caught."""
    import copy
    missed = []
    for check_name, plant in PLANTS:
        bad = copy.deepcopy(tr)
        try:
            plant(bad)
        except StopIteration:
            missed.append(f"{plant.__name__}: nothing to plant it in")
            continue
        if not any(w.startswith(check_name + ":") for w in check(bad)):
            missed.append(f"{plant.__name__}: the {check_name} check "
                          f"did not notice")
    bad = copy.deepcopy(doc)
    plant_unclosed_span(bad)
    if not validate_chrome(bad):
        missed.append("plant_unclosed_span: validate_chrome did not notice")
    return missed


CHECKS = (("whole", check_whole), ("stack", check_stack),
          ("switch", check_switch), ("wrap", check_wrap),
          ("counts", check_counts))


def check(tr):
    """Every failure, each prefixed with its check's name."""
    out = []
    for name, fn in CHECKS:
        out += [f"{name}: {w}" for w in fn(tr)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--json", help="also validate this Chrome trace JSON")
    ap.add_argument("--planted", action="store_true",
                    help="also plant one fault per check in copies of a "
                         "good trace: each must be caught (needs --json)")
    args = ap.parse_args()
    tr = trace_log.read(args.log)
    why = check(tr)
    if args.json:
        doc = json.loads(Path(args.json).read_text())
        why += [f"chrome: {w}" for w in validate_chrome(doc)]
        if args.planted and not why:
            why += [f"planted: {w}" for w in planted(tr, doc)]
    for w in why[:40]:
        print(f"trace_check: {w}")
    if len(why) > 40:
        print(f"trace_check: ... and {len(why) - 40} more")
    print(f"trace_check: {len(tr.events)} events, {len(why)} problem(s)")
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
