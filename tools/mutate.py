#!/usr/bin/env python3
"""mutate: plant each mutant of tools/mutants.txt in a scratch copy of the
tree, build it, boot the rows that cover it, and record who killed it.

A test suite that passes proves little until we know it fails when the
code is wrong. A mutant is one small, deliberate mistake in a mechanism
the docs teach (a dropped invlpg, two steps swapped, a bound off by
one). For each mutant this tool:

  1. copies build/mutate/.base into build/mutate/<id>/: the base is
     made once per run from the checkout's tracked files and its build/
     objects, times kept, so only the mutated file recompiles; the
     checkout itself is never written, and may be edited meanwhile;
  2. applies the mutant's edits there and runs `make build/kernel.elf`:
     a mutant that does not compile is "stillborn";
  3. boots the mutant's rows one by one with tools/ktest.py (--config,
     --ktest, --outdir inside the scratch copy) and stops at the first
     row that fails: the mutant is "killed", by that row and the cases
     it names, or "hung" when the row timed out (a kill too, by the
     runner's watchdog); if every row passes, it "survived".

Results go to build/mutate.json, keyed by mutant id, each with hashes of
the tree (the kernel's tracked files and the runner), of the tests, and
of the mutant's own text: a run skips a mutant whose result still holds
(tree_hash says when), so an interrupted run resumes where it stopped.
--rst writes docs/generated/mutation.rst from the results. MUTANTS=id1,id2 (or --only) picks a subset;
-j runs that many mutants at once; --check validates the list only (no
build, no QEMU), which is what `make test-tools` runs.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import ktest_matrix  # noqa: E402

LIST = ROOT / "tools/mutants.txt"
KEYS = ("id", "file", "after", "find", "with", "swap", "what", "rows",
        "equivalent")
# How far below its `after:` line an edit's anchor may be: one function.
AFTER_WINDOW = 60


@dataclass
class Edit:
    find: str
    with_: str = None        # replace `find` (a substring) by this
    swap: str = None         # or: exchange the line with this one's line


@dataclass
class Mutant:
    id: str
    lineno: int              # where its block starts in mutants.txt
    file: str = ""
    after: str = None
    edits: list = field(default_factory=list)
    what: str = ""
    rows: list = field(default_factory=list)   # [(config, glob or None)]
    equivalent: str = None
    text: str = ""           # its block, verbatim: part of its hash


class ListError(Exception):
    pass


def parse(path=LIST):
    """The mutants of `path`. Blocks are separated by blank lines; each
    line is `key: value` (# starts a comment line). See the file's top."""
    mutants, cur = [], None
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        if raw.startswith("#"):
            continue
        if not raw.strip():
            cur = None
            continue
        m = re.match(r"^(\w+):(?: (.*))?$", raw)
        if not m or m.group(1) not in KEYS:
            raise ListError(f"{path.name}:{n}: not `key: value` with a key "
                            f"among {', '.join(KEYS)}: {raw!r}")
        key, val = m.group(1), m.group(2) or ""
        if key == "id":
            cur = Mutant(id=val.strip(), lineno=n)
            mutants.append(cur)
        elif cur is None:
            raise ListError(f"{path.name}:{n}: {key}: before any id:")
        elif key == "find":
            cur.edits.append(Edit(find=val))
        elif key in ("with", "swap"):
            if not cur.edits or (cur.edits[-1].with_ is not None or
                                 cur.edits[-1].swap is not None):
                raise ListError(f"{path.name}:{n}: {key}: without its find:")
            if key == "with":
                cur.edits[-1].with_ = val
            else:
                cur.edits[-1].swap = val
        elif key == "rows":
            for word in val.split():
                cfg, _, glob = word.partition(":")
                cur.rows.append((cfg, glob or None))
        elif key == "equivalent":
            cur.equivalent = val.strip()
        else:
            setattr(cur, key, val.strip())
        if cur is not None:
            cur.text += raw + "\n"
    return mutants


def locate(lines, m, needle, start):
    """Index of the one line holding `needle`: within AFTER_WINDOW lines
    of `start` (the after: line) if the mutant has one, else the whole
    file, where it must be unique."""
    if m.after is not None:
        for i in range(start, min(start + AFTER_WINDOW, len(lines))):
            if needle in lines[i]:
                return i
        raise ListError(f"{m.id}: {needle!r} not within {AFTER_WINDOW} lines "
                        f"after {m.after!r} in {m.file}")
    hits = [i for i, ln in enumerate(lines) if needle in ln]
    if len(hits) != 1:
        raise ListError(f"{m.id}: {needle!r} matches {len(hits)} lines of "
                        f"{m.file}, not exactly one (add an after: anchor)")
    return hits[0]


def apply(m, text):
    """`text` with m's edits made. Every anchor is found in the original
    text first, so one edit cannot move another's anchor."""
    lines = text.split("\n")
    start = 0
    if m.after is not None:
        hits = [i for i, ln in enumerate(lines) if m.after in ln]
        if len(hits) != 1:
            raise ListError(f"{m.id}: after: {m.after!r} matches {len(hits)} "
                            f"lines of {m.file}, not exactly one")
        start = hits[0]
    plan = []
    for e in m.edits:
        i = locate(lines, m, e.find, start)
        j = locate(lines, m, e.swap, start) if e.swap is not None else None
        plan.append((e, i, j))
    for e, i, j in plan:
        if j is not None:
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = lines[i].replace(e.find, e.with_, 1)
    out = "\n".join(lines)
    if out == text:
        raise ListError(f"{m.id}: its edits change nothing")
    return out


def check(mutants, root=ROOT):
    """Every problem with the list, as strings (empty: the list is sound)."""
    errs, seen = [], set()
    table = ktest_matrix.by_name()
    for m in mutants:
        where = f"mutants.txt:{m.lineno}: {m.id}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", m.id):
            errs.append(f"{where}: id must be lower-case words and dashes")
        if m.id in seen:
            errs.append(f"{where}: duplicate id")
        seen.add(m.id)
        for key in ("file", "what"):
            if not getattr(m, key):
                errs.append(f"{where}: no {key}:")
        if not m.edits:
            errs.append(f"{where}: no find:")
        for e in m.edits:
            if e.with_ is None and e.swap is None:
                errs.append(f"{where}: find {e.find!r} has no with: or swap:")
        if not m.rows:
            errs.append(f"{where}: no rows:")
        for cfg, _ in m.rows:
            if cfg not in table:
                errs.append(f"{where}: row {cfg!r} is not in ktest_matrix")
        src = root / m.file
        if not src.is_file():
            errs.append(f"{where}: no file {m.file}")
            continue
        if any(e.with_ is None and e.swap is None for e in m.edits):
            continue
        try:
            apply(m, src.read_text())
        except ListError as e:
            errs.append(f"mutants.txt:{m.lineno}: {e}")
    return errs


# ---------------------------------------------------------------------------
# Running

def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True,
                          capture_output=True, text=True).stdout


# What a result depends on: the kernel's sources and the runner (the
# tree), and the tests. Docs and this tool's own list are left out, so
# editing them (or adding a mutant) does not throw away the results
# already measured.
TREE = ("boot", "arch", "kernel", "mm", "lib", "include", "linker.ld",
        "Makefile", "tools/ktest.py", "tools/ktest_matrix.py",
        "tools/ktap.py", "tools/mkiso", "tools/gensyms")
TESTS = ("tests",)


def hash_files(paths, root=ROOT):
    """The tracked files under `paths`, as they are in `root` now
    (committed or not)."""
    h = hashlib.sha256()
    for name in git("ls-files", "-z", "--", *paths).split("\0"):
        p = root / name
        if name and p.is_file():
            h.update(name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def tree_hash(root=ROOT):
    """(tree, tests): what a result was measured on. A result is reused
    only for the very tree and mutant text it was measured on; a kill is
    also reused when only the tests changed since, as tests are added to
    kill survivors and a kill stays a kill; a survival is not (a new
    test may kill it). A test edit that weakens a case is the one thing
    this misses: --force measures everything again."""
    return hash_files(TREE, root), hash_files(TESTS, root)


def mutant_hash(m):
    return hashlib.sha256(m.text.encode()).hexdigest()[:16]


def make_base():
    """build/mutate/.base: the tracked files as they are now, and the
    checkout's objects with their times kept, built once. Every mutant
    starts from this copy, not from the checkout, so the checkout may be
    edited (or committed) while a long run goes on and every mutant of
    the run still sees the one tree whose hash its result carries."""
    base = ROOT / "build/mutate/.base"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    for name in git("ls-files", "-z").split("\0"):
        if not name:
            continue
        src, dst = ROOT / name, base / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    # Times kept: make rebuilds only what the mutant touched (and what
    # includes it), not the whole kernel.
    shutil.copytree(ROOT / "build", base / "build", symlinks=True,
                    ignore=shutil.ignore_patterns("mutate", "mutate.json",
                                                  "test", "docs", "*.iso"))
    subprocess.run(["make", "-C", str(base), "build/kernel.elf"], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL)
    return base


def make_scratch(m, base):
    d = ROOT / "build/mutate" / m.id
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(base, d, symlinks=True)
    return d


def run_rows(m, d, log):
    """(status, killer, detail) after booting m's rows in order."""
    for cfg, glob in m.rows:
        outdir = d / "test"
        cmd = [sys.executable, str(d / "tools/ktest.py"), "--config", cfg,
               "--elf", str(d / "build/kernel.elf"), "--outdir", str(outdir),
               "--jobs", "2"]
        if glob:
            cmd += ["--ktest", glob]
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        log.write(f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}\n")
        if r.returncode == 0:
            continue
        row = f"{cfg}:{glob}" if glob else cfg
        try:
            res = json.loads((outdir / "results.json").read_text())[0]
        except (OSError, ValueError, IndexError):
            return "killed", row, "ktest.py exit %d, no results" % r.returncode
        reason = res.get("reason", "")
        status = "hung" if "timeout after" in reason else "killed"
        cases = res.get("not_ok", [])
        return status, row, (", ".join(cases[:4]) + " | " if cases else
                             "") + reason[:300]
    return "survived", None, ""


def run_one(m, base):
    t0 = time.monotonic()
    d = make_scratch(m, base)
    f = d / m.file
    f.write_text(apply(m, f.read_text()))
    with open(d / "mutate.log", "w") as log:
        b = subprocess.run(["make", "-C", str(d), "build/kernel.elf"],
                           capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        log.write(b.stdout + b.stderr)
        if b.returncode != 0:
            err = [ln for ln in (b.stdout + b.stderr).splitlines()
                   if "error" in ln][:2]
            res = ("stillborn", None, " / ".join(err)[:300])
        else:
            built = time.monotonic()
            res = run_rows(m, d, log)
    # Keep the logs, drop the objects: sixty copies of build/ add up.
    shutil.rmtree(d / "build", ignore_errors=True)
    status, killer, detail = res
    end = time.monotonic()
    return {"status": status, "killer": killer, "detail": detail,
            "file": m.file, "what": m.what, "equivalent": m.equivalent,
            "seconds": round(end - t0, 1),
            "build_seconds": round((built if b.returncode == 0 else end)
                                   - t0, 1)}


def verdict(m, results, th):
    """(status, current) of m: status as the tally counts it, current
    when it was measured on this tree (th) with this very text."""
    r = results.get(m.id)
    if not r:
        return "not run", False
    current = (r.get("tree") == th[0] and r.get("mutant") == mutant_hash(m)
               and (r.get("tests") == th[1] or
                    r["status"] in ("killed", "hung", "stillborn")))
    if r["status"] == "survived" and m.equivalent:
        return "equivalent", current
    return r["status"], current


def tally(mutants, results, th):
    n = {s: 0 for s in ("killed", "hung", "survived", "stillborn",
                        "equivalent", "not run", "earlier")}
    for m in mutants:
        status, current = verdict(m, results, th)
        n[status] += 1
        n["earlier"] += status != "not run" and not current
    return n


def summary(mutants, results, th):
    n = tally(mutants, results, th)
    dead = n["killed"] + n["hung"]
    judged = dead + n["survived"]
    score = f"{100 * dead / judged:.0f}%" if judged else "n/a"
    earlier = (f" ({n['earlier']} measured on an earlier tree or text)"
               if n["earlier"] else "")
    return (f"mutate: {dead} killed ({n['hung']} by hang), {n['survived']} "
            f"survived, {n['equivalent']} equivalent, {n['stillborn']} "
            f"stillborn, {n['not run']} not run of {len(mutants)}; "
            f"score {score}{earlier}")


# ---------------------------------------------------------------------------
# The score as a page of the docs

RST = ROOT / "docs/generated/mutation.rst"
RST_HEAD = ".. Generated by tools/mutate.py --rst from build/mutate.json:"


def rst_cell(text):
    return text.replace("|", "\\|").replace("*", "\\*") if text else ""


def rst_table(caption, widths, header, rows):
    out = [f".. list-table:: {caption}", "   :header-rows: 1",
           f"   :widths: {' '.join(map(str, widths))}", ""]
    for row in [header] + rows:
        out.append(f"   * - {row[0]}")
        out += [f"     - {cell}".rstrip() for cell in row[1:]]
    return out + [""]


def killer_text(r):
    if not r or r["status"] not in ("killed", "hung"):
        return ""
    cases = r["detail"].split(" | ")[0] if " | " in r["detail"] else ""
    how = "timeout" if r["status"] == "hung" else ""
    return ", ".join(x for x in (f"``{r['killer']}``", how, cases) if x)


def rst_page(mutants, results, th):
    """docs/generated/mutation.rst: the tally, each mechanism's rows, every
    mutant's fate, and the equivalents' reasons."""
    n = tally(mutants, results, th)
    lines = [RST_HEAD, "   do not edit.", "",
             "``" + summary(mutants, results, th) + "``", ""]
    files = sorted({m.file for m in mutants})
    rows = []
    for f in files:
        ms = [m for m in mutants if m.file == f]
        st = [verdict(m, results, th)[0] for m in ms]
        killers = sorted({results[m.id]["killer"].split(":")[0]
                          for m in ms if m.id in results and
                          results[m.id]["status"] in ("killed", "hung")})
        rows.append([f"``{f}``", str(len(ms)),
                     str(st.count("killed") + st.count("hung")),
                     str(st.count("survived")), str(st.count("equivalent")),
                     str(st.count("stillborn") + st.count("not run")),
                     ", ".join(f"``{k}``" for k in killers)])
    lines += rst_table("Each mechanism's mutants, and the rows that killed "
                       "them", [22, 6, 6, 6, 6, 8, 30],
                       ["file", "mutants", "killed", "survived",
                        "equivalent", "stillborn or not run",
                        "killed by rows"], rows)
    rows = []
    for m in mutants:
        status, current = verdict(m, results, th)
        if status != "not run" and not current:
            status += " (earlier tree)"
        rows.append([f"``{m.id}``", rst_cell(m.what), status,
                     rst_cell(killer_text(results.get(m.id)))])
    lines += rst_table("Every mutant", [22, 38, 12, 28],
                       ["mutant", "the mistake", "result", "killed by"],
                       rows)
    eq = [m for m in mutants if m.equivalent]
    if eq:
        lines += ["Equivalent mutants, and why no test can tell them "
                  "apart:", ""]
        lines += [f"- ``{m.id}`` ({m.file}): {rst_cell(m.equivalent)}"
                  for m in eq] + [""]
    surv = [m for m in mutants if verdict(m, results, th)[0] == "survived"]
    if surv:
        lines += ["Survivors (no test kills them yet):", ""]
        lines += [f"- ``{m.id}`` ({m.file}): {rst_cell(m.what)}"
                  for m in surv] + [""]
    del n
    return "\n".join(lines)


def rst_ids(text):
    """The mutant ids a generated page lists, in order."""
    return re.findall(r"^   \* - ``([a-z0-9-]+)``$", text, re.M)


def check_rst(mutants):
    """The page must exist and list exactly mutants.txt's ids."""
    if not RST.is_file():
        return [f"{RST.relative_to(ROOT)}: missing (make mutate-rst)"]
    listed = rst_ids(RST.read_text())
    want = [m.id for m in mutants]
    if listed != want:
        gone = sorted(set(listed) - set(want))
        new = sorted(set(want) - set(listed))
        return [f"{RST.relative_to(ROOT)} does not list mutants.txt's ids "
                f"(only on the page: {', '.join(gone) or 'none'}; only in "
                f"the list: {', '.join(new) or 'none'}): run make "
                f"mutate-rst"]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="validate tools/mutants.txt against the tree only")
    ap.add_argument("--only", default=os.environ.get("MUTANTS", ""),
                    help="ids, comma-separated (env MUTANTS)")
    ap.add_argument("--jobs", "-j", type=int, default=1)
    ap.add_argument("--force", action="store_true",
                    help="rerun mutants that already have a result")
    ap.add_argument("--rst", action="store_true",
                    help=f"write {RST.relative_to(ROOT)} from "
                    "build/mutate.json, run nothing")
    args = ap.parse_args()

    try:
        mutants = parse()
    except ListError as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 1
    errs = check(mutants)
    if args.check:
        errs += check_rst(mutants)
    if errs:
        print("\n".join(errs), file=sys.stderr)
        print(f"mutate: {len(errs)} problem(s) in tools/mutants.txt",
              file=sys.stderr)
        return 1
    if args.check:
        print(f"mutate: {len(mutants)} mutants, every anchor found once; "
              f"{RST.relative_to(ROOT)} lists them all")
        return 0
    out = ROOT / "build/mutate.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    th = tree_hash()
    if args.rst:
        RST.write_text(rst_page(mutants, results, th))
        print(f"mutate: wrote {RST.relative_to(ROOT)}: "
              + summary(mutants, results, th))
        return 0

    want = [w for w in args.only.split(",") if w]
    unknown = set(want) - {m.id for m in mutants}
    if unknown:
        print(f"mutate: no mutant {', '.join(sorted(unknown))}",
              file=sys.stderr)
        return 1
    chosen = [m for m in mutants if not want or m.id in want]
    todo = [m for m in chosen
            if args.force or not verdict(m, results, th)[1]]
    # Never measured first, then those measured on an earlier tree or
    # text: a run cut short leaves the fewest gaps.
    todo.sort(key=lambda m: m.id in results)
    print(f"mutate: {len(chosen) - len(todo)} of {len(chosen)} already "
          f"measured on this tree; running {len(todo)}", flush=True)
    base = make_base() if todo else None
    if base:
        th = tree_hash(base)  # the tree measured, whatever the checkout does
    lock = threading.Lock()

    def one(m):
        try:
            r = run_one(m, base)
        except Exception as e:      # a tool bug must not stop the rest
            r = {"status": "stillborn", "killer": None,
                 "detail": f"mutate.py error: {e!r}", "file": m.file,
                 "what": m.what, "equivalent": m.equivalent, "seconds": 0}
        r.update(tree=th[0], tests=th[1], mutant=mutant_hash(m))
        with lock:
            results[m.id] = r
            out.write_text(json.dumps(results, indent=2, sort_keys=True)
                           + "\n")
            by = f" by {r['killer']}" if r["killer"] else ""
            print(f"{r['status'].upper():9} {m.id}{by} ({r['seconds']} s)"
                  + (f": {r['detail']}" if r["detail"] else ""), flush=True)

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        list(ex.map(one, todo))
    print(summary(chosen, results, th))
    for m in chosen:
        r = results.get(m.id, {})
        if r.get("status") == "survived" and not m.equivalent:
            print(f"  survivor: {m.id} ({m.file}): {m.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
