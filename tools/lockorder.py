#!/usr/bin/env python3
"""lockorder: check the lock order the kernel showed against docs/smp.rst.

`make test` runs it after tools/ktest.py, which collects into
build/test/lockdep-edges.json every LOCKDEP_EDGE line the runs printed
(kernel/lockdep.c: lockdep_print_edges): "class A was held when class B
was taken", with the classes' definition sites and where the order was
first seen.

docs/smp.rst documents the order as a list of edges, one per line, in
the block that follows the line "The order lockdep checks", e.g.

    kmap_lock -> pkmap_wait
    * -> console_lock

("* -> X": any lock may be held when X is taken).  It fails, naming
each problem, if

  * the kernel took a lock while holding another in an order the list
    does not have (an edge the docs do not list);
  * the kernel took B while holding A where the list orders B before A,
    directly or through other locks (a documented order contradicted);
  * the list itself has a cycle, or names a class that the section's
    table does not mention as ``name``.

Locks defined under tests/ are the tests' own, not the kernel's, and
are left out.  Documented edges no run showed are listed as a note (a
partial matrix, --config, may not reach them).  Standard library only.
"""

import argparse
import json
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
MARKER = "The order lockdep checks"
EDGE_LINE = re.compile(r"^\s+(\*|[\w.]+) -> ([\w.]+)\s*$")


def documented(doc):
    """(edges, wildcard targets, problems) from the docs' edge block."""
    lines = doc.read_text().splitlines()
    start = next((i for i, ln in enumerate(lines) if MARKER in ln), None)
    if start is None:
        return set(), set(), [f"{doc}: no line '{MARKER}'"]
    edges, anyone, problems = set(), set(), []
    in_block = False
    for i in range(start + 1, len(lines)):
        m = EDGE_LINE.match(lines[i])
        if m:
            in_block = True
            (anyone.add(m[2]) if m[1] == "*" else edges.add((m[1], m[2])))
        elif in_block and lines[i].strip():
            break
    section = "\n".join(lines[:start])
    section = section[section.rfind("Locks and their order"):]
    for name in sorted({n for e in edges for n in e} | anyone):
        if f"``{name}``" not in section:
            problems.append(f"{doc}: class {name} is in the order list "
                            "but not in the lock table")
    return edges, anyone, problems


def reaches(edges, start, goal):
    """A path start -> ... -> goal through edges? Returns it or None."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for a, b in sorted(edges):
            if a != path[-1] or b in seen:
                continue
            if b == goal:
                return path + [b]
            seen.add(b)
            paths.append(path + [b])
    return None


def kernel_class(site):
    return not site.startswith("tests/")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("edges", nargs="?", type=Path,
                    default=ROOT / "build/test/lockdep-edges.json")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs/smp.rst")
    args = ap.parse_args()
    if not args.edges.is_file():
        print(f"lockorder: no {args.edges}: run make test first",
              file=sys.stderr)
        return 2
    data = json.loads(args.edges.read_text())
    doc_edges, anyone, problems = documented(args.doc)
    for a, b in sorted(doc_edges):
        if reaches(doc_edges, b, a):
            problems.append(f"{args.doc}: the documented order has a "
                            f"cycle through {a} -> {b}")
    seen = set()
    for e in data["edges"]:
        if not (kernel_class(e["from_site"]) and kernel_class(e["to_site"])):
            continue
        a, b = e["from"], e["to"]
        seen.add((a, b))
        where = (f"first at {e['first']}, in "
                 f"{', '.join(sorted(set(e['configs'])))}")
        back = reaches(doc_edges, b, a)
        if back:
            problems.append(f"{a} -> {b} contradicts the documented "
                            f"{' -> '.join(back)} ({where})")
        elif (a, b) not in doc_edges and b not in anyone:
            problems.append(f"{a} -> {b} is not in {args.doc}'s order "
                            f"list ({where})")
    for p in problems:
        print(f"lockorder: {p}")
    unseen = sorted(doc_edges - seen)
    if unseen:
        print("lockorder: note: documented, not seen in these runs: "
              + ", ".join(f"{a} -> {b}" for a, b in unseen))
    print(f"lockorder: {len(seen)} kernel lock orders seen in "
          f"{len(data['configs'])} runs, {len(doc_edges)} documented, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
