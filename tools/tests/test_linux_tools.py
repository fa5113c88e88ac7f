#!/usr/bin/env python3
"""test_linux_tools: the Linux comparison's tooling, with no download.

`make test` runs it (target test-tools). It checks, on a serial log
recorded from a real `make linux-bench` boot (linux-serial.log, cut
short) and a few rows of a real build/bench.json (bench.json):

  * tools/linux_bench.py's parser finds the rows, the skipped row and
    its reason, the behaviour cases and the end of the boot, and its
    judge names what is wrong with a log that lacks them;
  * tools/compare.py pairs the rows, computes the ratios, marks rows
    one side lacks, and writes both tables;
  * the names cannot drift: every row of linux/hmos_bench/ is a row of
    tests/bench_*.c with the same operations per sample, every
    behaviour case has a line in compare.py's table and back, and
    every hmos test that table names is a registered test case;
  * tools/mkinitramfs.py writes what Linux unpacks (read back).

Standard library only; exits 0 when every check passes.
"""

import contextlib
import gzip
import io
import json
import re
import stat
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import compare  # noqa: E402
import linux_bench  # noqa: E402
import mkinitramfs  # noqa: E402

LOG = (HERE / "linux-serial.log").read_text()


class ParseLog(unittest.TestCase):
    def test_rows_skips_cases_and_end_are_found(self):
        got = linux_bench.parse_log(LOG)
        names = {r["bench"] for r in got["rows"]}
        self.assertIn("kmap_local_highmem", names)
        row = next(r for r in got["rows"]
                   if r["bench"] == "kmap_local_highmem")
        self.assertEqual((row["smp"], row["samples"], row["iters"]),
                         (1, 200, 64))
        self.assertIn("kmap_flush_unused", got["skips"]["pkmap_wrap_flush"])
        self.assertEqual(len(got["cases"]), len(compare.PROPERTIES))
        self.assertTrue(all(c["status"] == "ok" for c in got["cases"]))
        self.assertTrue(got["done"])
        self.assertIn("cpus 1", got["facts"])
        self.assertEqual(linux_bench.judge("icount", 1, got, LOG), [])

    def test_judge_names_a_failed_case(self):
        bad = LOG.replace("  ok 9 kmap_local_valid_across_preemption",
                          "  not ok 9 kmap_local_valid_across_preemption")
        self.assertNotEqual(bad, LOG)
        problems = linux_bench.judge("icount", 1,
                                     linux_bench.parse_log(bad), bad)
        self.assertEqual(len(problems), 1)
        self.assertIn("kmap_local_valid_across_preemption fail",
                      problems[0])

    def test_judge_names_a_boot_that_did_not_end(self):
        cut = LOG[:LOG.index("# bench: running")]
        problems = linux_bench.judge("host", 4, linux_bench.parse_log(cut),
                                     cut)
        self.assertEqual(len(problems), 1)
        self.assertIn("did not reach 'HMOS_LINUX done'", problems[0])

    def test_judge_names_missing_ktap(self):
        no_ktap = "\n".join(ln for ln in LOG.splitlines()
                            if "KTAP" not in ln)
        problems = linux_bench.judge("host", 4,
                                     linux_bench.parse_log(no_ktap), no_ktap)
        self.assertTrue(any("no behaviour KTAP" in p for p in problems),
                        problems)


class Compare(unittest.TestCase):
    def setUp(self):
        self.hmos = json.loads((HERE / "bench.json").read_text())
        got = linux_bench.parse_log(LOG)
        self.linux = linux_bench.bench.merge([got["rows"]], "icount",
                                             "instructions")
        self.behave = {"kernel": "Linux test", "skipped_rows": got["skips"],
                       "boots": {"icount smp 1": got["cases"]}}

    def test_rows_pair_with_their_ratio(self):
        pairs = {(p[0], p[1], p[2]): p for p in
                 compare.pair_rows(self.hmos, self.linux)}
        _, _, _, unit, h, lx = pairs[("kmap_local_highmem", "icount", 1)]
        self.assertEqual((unit, h, lx), ("instructions", 118, 259))
        self.assertEqual(compare.ratio(h, lx), "0.46")
        # Only hmos boots -smp 8: its row stays, Linux's side a dash.
        self.assertEqual(pairs[("ipi_roundtrip_all", "host", 8)][5], None)
        self.assertEqual(compare.ratio(5, None), "-")

    def test_tables_written_with_every_row_and_property(self):
        with tempfile.TemporaryDirectory() as d:
            hmos, linux = Path(d) / "h.json", Path(d) / "l.json"
            beh = Path(d) / "b.json"
            hmos.write_text(json.dumps(self.hmos))
            linux.write_text(json.dumps(self.linux))
            beh.write_text(json.dumps(self.behave))
            out = Path(d) / "gen"
            with contextlib.redirect_stdout(io.StringIO()):
                rc = compare.main(["--hmos", str(hmos), "--linux",
                                   str(linux), "--behave", str(beh),
                                   "--out", str(out)])
            self.assertEqual(rc, 0)
            bench_rst = (out / "compare-bench.rst").read_text()
            behave_rst = (out / "compare-behave.rst").read_text()
        self.assertIn("``kmap_local_highmem``", bench_rst)
        self.assertIn("skipped: kmap_flush_unused", bench_rst)
        for case, _, test, _ in compare.PROPERTIES:
            self.assertIn(f"``{case}``: holds (icount smp 1)", behave_rst)
            self.assertIn(test, behave_rst)

    def test_figures_are_substitutions_of_each_row(self):
        latency = {"bench": "latency_kmap_local", "mode": "icount",
                   "unit": "instructions", "smp": 2, "min": 1500,
                   "median": 1716, "p99": 1949, "max": 2001,
                   "samples": 200}
        rst = compare.figures_rst(self.hmos + [latency], self.linux)
        subs = dict(line[len(".. |"):].split("| replace:: ")
                    for line in rst.splitlines() if line.startswith(".. |"))
        self.assertEqual(subs["kmap_local_highmem"], "118")
        self.assertEqual(subs["linux.kmap_local_highmem"], "259")
        self.assertEqual(subs["kmap_local_highmem.vs.linux"], "0.46")
        self.assertEqual(subs["latency_kmap_local"], "1,716")
        self.assertEqual(subs["latency_kmap_local.p99"], "1,949")
        self.assertEqual(subs["latency_kmap_local.max"], "2,001")
        self.assertIn("ipi_roundtrip_all.host.smp8", subs)

    def test_scale_table_reads_rates_spreads_and_shares(self):
        def row(name, smp, median, boots, scale=None):
            r = {"bench": name, "mode": "host", "unit": "ticks",
                 "smp": smp, "min": min(boots), "median": median,
                 "samples": 5, "boots": len(boots),
                 "boot_medians": boots, "ticks_per_ms": 2_000_000}
            if scale:
                r["scale"] = scale
            return r
        one = {"cpus": 1, "pairs_per_cpu": 8192, "wraps_per_sample": 16,
               "hits_per_sample": 0, "laggard_pct": 100,
               "cpu_finish_ticks": [16_384_000]}
        two = {"cpus": 2, "pairs_per_cpu": 4096, "wraps_per_sample": 14,
               "hits_per_sample": 500, "laggard_pct": 17,
               "cpu_finish_ticks": [163_840_000, 81_920_000]}
        # 2,000 ticks a pair at 2,000,000 ticks/ms: a million pairs/s.
        hmos = [row("kmap_scale", 1, 2000, [1000, 2000, 4000], one),
                row("kmap_scale", 2, 20000, [20000], two),
                row("pkmap_wrap_full", 2, 30000, [30000]),
                row("tlb_shootdown_all", 2, 1, [1])]
        rst = compare.scale_rst(hmos)
        cells = [ln.split("- ", 1)[-1] for ln in rst.splitlines()
                 if ln.strip().startswith(("* - ", "- "))]
        whole = cells[9:9 + 36]
        self.assertEqual(whole[0:9], ["1", "1,000,000",
                                      "500,000 to 2,000,000", "1.00",
                                      "not measured", "not measured",
                                      "not measured", "not measured", "-"])
        self.assertEqual(whole[9:13], ["2", "100,000", "100,000 to "
                                       "100,000", "0.10"])
        self.assertEqual(whole[17], "15")          # 30,000 ticks, in us
        self.assertEqual(whole[18:20], ["4", "not measured"])
        share = cells[9 + 36 + 6:]
        self.assertEqual(share[0:4], ["1", "1,000,000 to 1,000,000",
                                      "100%", "16, 0"])
        self.assertEqual(share[6:10], ["2", "50,000 to 100,000", "17%",
                                       "14, 500"])
        ticket = dict(row("kmap_scale", 2, 4000, [4000],
                          dict(two, laggard_pct=87)), mode="host-ticket")
        subs = compare.scale_subs(hmos + [ticket])
        self.assertEqual(subs["kmap_scale.rate.smp2"], "100,000")
        self.assertEqual(subs["kmap_scale.x1.smp2"], "0.10")
        self.assertEqual(subs["kmap_scale.laggard.smp2"], "17%")
        self.assertEqual(subs["kmap_scale.ticket.rate.smp2"], "500,000")
        self.assertEqual(subs["kmap_scale.ticket.laggard.smp2"], "87%")
        self.assertNotIn("kmap_local_scale.rate.smp1", subs)
        # The ticket boot is not the -smp 2 row of the table.
        self.assertEqual(compare.scale_rst(hmos + [ticket]), rst)

    def test_missing_input_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            with contextlib.redirect_stderr(io.StringIO()) as err:
                rc = compare.main(["--hmos", str(Path(d) / "none.json"),
                                   "--out", d])
        self.assertIn("none.json", err.getvalue())
        self.assertEqual(rc, 1)


def hmos_bench_rows():
    """{name: operations per sample} of tests/bench_*.c."""
    rows = {}
    for f in (ROOT / "tests").glob("bench_*.c"):
        text = f.read_text()
        for m in re.finditer(r"BENCH(?:_SAMPLED_TEARDOWN|_TEARDOWN|_SAMPLED)?"
                             r"\(\s*(\w+),\s*"
                             r"\w+,\s*([^,)]+)", text):
            rows[m.group(1)] = m.group(2).strip()
        for m in re.finditer(r'\.name = "(\w+)",\s*\.run = \w+,\s*'
                             r"\.iters = (\w+)", text):
            rows[m.group(1)] = m.group(2)
    return rows


def linux_bench_rows():
    rows = {}
    for f in (ROOT / "linux/hmos_bench").glob("bench_*.c"):
        for m in re.finditer(r"BENCH_ROW\(\s*(\w+),\s*\w+,\s*([^,]+),",
                             f.read_text()):
            rows[m.group(1)] = m.group(2).strip()
    return rows


# hmos rows the module does not mirror, each with the reason.  A new
# hmos row must be added to the module or named here: never silently
# missing from the comparison.
HMOS_ONLY = {
    # A wake-up latency distribution (tests/bench_latency.c) printed as
    # LATENCY lines, not a per-operation cost: no Linux twin yet.
    "latency_kmap_atomic": "wake-up latency, not a per-op cost",
    "latency_kmap_local": "wake-up latency, not a per-op cost",
    # vmap with N holes cut into the free space first
    # (tests/bench_vmap.c): no Linux twin yet (it would need the same
    # holes cut into Linux's vmalloc space by the module).
    "vmap16_vunmap_holes10": "free-space scaling, no Linux twin yet",
    "vmap16_vunmap_holes100": "free-space scaling, no Linux twin yet",
    "vmap16_vunmap_holes1000": "free-space scaling, no Linux twin yet",
    # Timed inside page_alloc_init() while hmos boots; Linux's memmap
    # set-up has run long before a module loads, and is not timed.
    "boot_page_init_per_frame": "a boot-time figure, not a module's",
    # Every online CPU mapping at once, timed on the host clock at 1, 2,
    # 4 and 8 CPUs (tests/bench_scale.c): a machine-wide figure that
    # only hmos's host boots measure; the module boots one CPU count.
    "kmap_scale": "host-clock, machine-wide, no Linux twin measured",
    "kmap_local_scale": "host-clock, machine-wide, no Linux twin measured",
    "baseline_scale": "host-clock, machine-wide, no Linux twin measured",
}


class NoDrift(unittest.TestCase):
    def test_linux_rows_are_hmos_rows_with_the_same_counts(self):
        hmos, linux = hmos_bench_rows(), linux_bench_rows()
        self.assertGreater(len(hmos), 20)
        self.assertTrue(set(HMOS_ONLY) <= set(hmos),
                        "HMOS_ONLY names a row hmos no longer has")
        for name in HMOS_ONLY:
            del hmos[name]
        self.assertEqual(sorted(hmos), sorted(linux))
        for name, iters in hmos.items():
            self.assertEqual(linux[name], iters, name)

    def test_every_behaviour_case_is_in_the_table_and_back(self):
        text = (ROOT / "linux/hmos_bench/behave.c").read_text()
        cases = re.findall(r"^\s*CASE\((\w+)\),", text, re.M)
        self.assertEqual(cases, [p[0] for p in compare.PROPERTIES])

    def test_every_hmos_test_named_is_registered(self):
        registered = set()
        for f in (ROOT / "tests").glob("test_*.c"):
            registered |= set(re.findall(r"KTEST_CASE\(\s*(\w+)\s*\)",
                                         f.read_text()))
        named = [p[2] for p in compare.PROPERTIES] + \
                [p[1] for p in compare.NOT_ON_LINUX]
        for ref in named:
            path, case = (s.strip() for s in ref.split(":"))
            self.assertTrue((ROOT / path).exists(), path)
            self.assertIn(case, registered, ref)


class Initramfs(unittest.TestCase):
    def test_written_archive_reads_back(self):
        with tempfile.TemporaryDirectory() as d:
            host = Path(d) / "x"
            host.write_bytes(b"12345")      # not a multiple of 4
            out = Path(d) / "i.cpio.gz"
            rc = mkinitramfs.main(["mk", str(out), "dir:/dev",
                                   "char:/dev/console=5,1",
                                   f"file:/init={host}",
                                   "link:/sh=/bin/busybox"])
            self.assertEqual(rc, 0)
            items = mkinitramfs.read(gzip.decompress(out.read_bytes()))
        self.assertEqual([i[0] for i in items],
                         ["dev", "dev/console", "init", "sh"])
        self.assertTrue(stat.S_ISCHR(items[1][1]))
        self.assertEqual(items[1][3], (5, 1))
        self.assertEqual(items[2][2], b"12345")
        self.assertEqual(items[3][2], b"/bin/busybox")

    def test_bad_spec_is_refused_by_name(self):
        with self.assertRaisesRegex(ValueError, "unknown kind 'pipe'"):
            mkinitramfs.build(["pipe:/x"])


if __name__ == "__main__":
    r = unittest.main(verbosity=1, exit=False).result
    ok = r.wasSuccessful()
    print(f"test-tools: {r.testsRun} checks, "
          f"{len(r.failures) + len(r.errors)} failed")
    sys.exit(0 if ok else 1)
