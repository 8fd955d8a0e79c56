#!/usr/bin/env python3
"""The benchmark's judgement on made-up numbers: which rows it flags, how a target passes or
fails, the ceiling's median, the threads plot's points, and where the results go. No test
here runs a benchmark or looks at a time."""
import os
import shutil
import sys
import tempfile
import types
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import run_bench as rb  # noqa: E402


def row(device="cpu", mode="dynamic", threads=2, gips=10.0, **more):
    return dict(dict(section="threads", device=device, mode=mode, threads_used=threads,
                     gips_median=gips), **more)


class Flags(unittest.TestCase):
    def test_above_the_ceiling_is_flagged(self):
        st = rb.stats([10.0, 10.1, 10.2])
        self.assertEqual(rb.flags_for(st, of_ceiling=1.01), ["above-ceiling"])
        self.assertEqual(rb.flags_for(st, of_ceiling=1.72), ["above-ceiling"])

    def test_at_or_below_the_ceiling_is_not(self):
        st = rb.stats([10.0, 10.1, 10.2])
        self.assertEqual(rb.flags_for(st, of_ceiling=1.0), [])
        self.assertEqual(rb.flags_for(st, of_ceiling=0.85), [])
        self.assertEqual(rb.flags_for(st), [])

    def test_a_spread_above_20_percent_is_flagged(self):
        st = rb.stats([1.0, 1.0, 1.21])  # (1.21 - 1.0) / 1.0 = 21%
        self.assertAlmostEqual(st["spread"], 0.21)
        self.assertEqual(rb.flags_for(st), ["wide-spread"])

    def test_a_spread_of_19_percent_is_not(self):
        st = rb.stats([1.0, 1.0, 1.19])
        self.assertEqual(rb.flags_for(st), [])

    def test_from_7_runs_one_odd_run_each_way_is_left_out(self):
        st = rb.stats([10.0, 10.1, 9.9, 10.0, 7.0, 10.2, 9.8, 10.0, 13.0])
        self.assertEqual((st["min"], st["max"], st["median"]), (7.0, 13.0, 10.0))
        self.assertAlmostEqual(st["spread"], 0.04)  # 9.8 to 10.2
        self.assertEqual(rb.flags_for(st), [])

    def test_from_7_runs_two_odd_runs_still_flag(self):
        st = rb.stats([10.0, 10.1, 9.9, 10.0, 7.0, 7.5, 9.8, 10.0, 10.2])
        self.assertAlmostEqual(st["spread"], 0.26)  # 7.5 to 10.1
        self.assertEqual(rb.flags_for(st), ["wide-spread"])

    def test_below_7_runs_every_run_counts(self):
        st = rb.stats([10.0, 10.0, 10.0, 10.0, 10.0, 12.5])
        self.assertAlmostEqual(st["spread"], 0.25)
        self.assertEqual(rb.flags_for(st), ["wide-spread"])

    def test_the_issue_example_is_flagged(self):
        # "4.159 (0.369-4.323)": median 4.159, spread 95%
        st = rb.stats([0.369, 4.159, 4.323])
        self.assertEqual(st["median"], 4.159)
        self.assertEqual(rb.flags_for(st), ["wide-spread"])

    def test_both_flags(self):
        st = rb.stats([1.0, 1.5, 2.0])
        self.assertEqual(rb.flags_for(st, of_ceiling=1.85), ["above-ceiling", "wide-spread"])

    def test_a_flagged_row_is_marked_with_its_notes(self):
        cell = rb.flag_cell(["above-ceiling", "wide-spread"])
        self.assertIn("FLAGGED", cell)
        notes = rb.flag_notes([["wide-spread"], [], ["above-ceiling"]])
        self.assertEqual(len(notes), 2)
        self.assertTrue(notes[0].startswith(rb.FLAG_MARKS["above-ceiling"]))
        self.assertEqual(rb.flag_cell([]), "")
        self.assertEqual(rb.flag_notes([[], []]), [])

    def test_derive_flags_a_row_above_the_ceiling_median(self):
        ceil = rb.ceiling_summary({"double": [
            dict(giga_iterations_per_s=g, isa="avx512", threads=2, when=str(i))
            for i, g in enumerate([10.0, 10.5, 9.5])]})
        rows = [dict(section="matrix", device="cpu", workload="w", precision="double",
                     kernel="vector", mode="dynamic", tile_w=64, num_threads=2, threads_used=2,
                     gips_median=g, gips_spread=0.01) for g in (10.1, 9.9)]
        rb.derive(rows, ceil)
        self.assertAlmostEqual(rows[0]["of_ceiling"], 1.01)
        self.assertEqual(rows[0]["flags"], ["above-ceiling"])
        self.assertEqual(rows[1]["flags"], [])


class Ceiling(unittest.TestCase):
    def samples(self, values):
        return {"double": [dict(giga_iterations_per_s=g, isa="avx512", threads=2, when=f"s{i}")
                           for i, g in enumerate(values)]}

    def test_the_median_of_the_samples(self):
        c = rb.ceiling_summary(self.samples([20.1, 19.0, 20.5, 20.3, 20.2]))["double"]
        self.assertEqual(c["giga_iterations_per_s"], 20.2)
        self.assertEqual((c["gips_min"], c["gips_max"], c["samples"]), (19.0, 20.5, 5))
        self.assertEqual(c["when"], ["s0", "s1", "s2", "s3", "s4"])
        self.assertEqual(c["flags"], [])

    def test_an_even_count_takes_the_mean_of_the_middle_two(self):
        c = rb.ceiling_summary(self.samples([10.0, 12.0, 11.0, 13.0]))["double"]
        self.assertEqual(c["giga_iterations_per_s"], 11.5)

    def test_a_disturbed_ceiling_is_flagged(self):
        c = rb.ceiling_summary(self.samples([12.5, 7.2, 5.4]))["double"]
        self.assertEqual(c["flags"], ["wide-spread"])

    def test_the_ratio_uses_the_median(self):
        ceil = rb.ceiling_summary(self.samples([8.0, 20.0, 21.0]))
        rows = [dict(section="matrix", device="cpu", workload="w", precision="double",
                     kernel="vector", mode="dynamic", tile_w=64, num_threads=2, threads_used=2,
                     gips_median=10.0, gips_spread=0.0)]
        rb.derive(rows, ceil)
        self.assertAlmostEqual(rows[0]["of_ceiling"], 0.5)


class Targets(unittest.TestCase):
    def test_at_least(self):
        self.assertEqual(rb.make_target("x", "", 0.96, ">=", 0.95)["result"], "pass")
        self.assertEqual(rb.make_target("x", "", 0.95, ">=", 0.95)["result"], "pass")
        self.assertEqual(rb.make_target("x", "", 0.94, ">=", 0.95)["result"], "FAIL")

    def test_at_most_and_under(self):
        self.assertEqual(rb.make_target("x", "", 1.05, "<=", 1.05)["result"], "pass")
        self.assertEqual(rb.make_target("x", "", 1.06, "<=", 1.05)["result"], "FAIL")
        self.assertEqual(rb.make_target("x", "", 19.9, "<", 20)["result"], "pass")
        self.assertEqual(rb.make_target("x", "", 20.0, "<", 20)["result"], "FAIL")

    def test_exactly(self):
        self.assertEqual(rb.make_target("late", "", 0, "==", 0)["result"], "pass")
        t = rb.make_target("late", "", 12, "==", 0)
        self.assertEqual(t["result"], "FAIL")
        self.assertIsNone(t["ratio"])

    def test_a_flagged_measurement_makes_the_target_unreliable(self):
        # even where the value would pass or fail: a flagged row decides nothing
        t = rb.make_target("x", "", 1.72, ">=", 0.80, ["above-ceiling"])
        self.assertEqual(t["result"], "flagged-unreliable")
        t = rb.make_target("x", "", 0.1, ">=", 0.80, ["wide-spread", "wide-spread"])
        self.assertEqual(t["result"], "flagged-unreliable")
        self.assertEqual(t["flags"], ["wide-spread"])

    def test_the_ratio_is_measured_over_target(self):
        t = rb.make_target("x", "cfg", 1.2, ">=", 0.8)
        self.assertAlmostEqual(t["ratio"], 1.5)
        self.assertEqual(t["target"], "x (>= 0.8)")
        self.assertEqual(t["config"], "cfg")

    def test_the_targets_table_has_a_result_column(self):
        report = empty_report()
        report["targets"] = [rb.make_target("good", "c", 1.0, ">=", 0.5),
                             rb.make_target("bad", "c", 0.1, ">=", 0.5),
                             rb.make_target("noisy", "c", 1.0, ">=", 0.5, ["wide-spread"])]
        md = rb.markdown(report)
        self.assertIn("| target | configuration | measured | measured / target | result |", md)
        self.assertIn("| good (>= 0.5) | c | 1.00 | 2.00 | pass |", md)
        self.assertIn("| bad (>= 0.5) | c | 0.10 | 0.20 | **FAIL** |", md)
        self.assertIn("| noisy (>= 0.5) | c | 1.00 | 2.00 | flagged-unreliable [b] |", md)
        self.assertIn("[b] min-max spread (from 7 runs on, without the fastest and the slowest "
                      "run) above 20% of the median", md)


class ThreadsPlot(unittest.TestCase):
    def test_only_measured_points(self):
        series, skipped = rb.thread_points([row(threads=1, gips=5.0), row(threads=2, gips=9.0),
                                            row(threads=4, gips=16.0)])
        self.assertEqual(series, {("cpu", "dynamic"): [(1, 1.0), (2, 1.8), (4, 3.2)]})
        self.assertEqual(skipped, [])

    def test_no_invented_point_without_a_one_thread_run(self):
        series, skipped = rb.thread_points([row(threads=2, gips=9.0), row(threads=4, gips=16.0),
                                            row("pocl", threads=1, gips=2.0),
                                            row("pocl", threads=2, gips=3.0)])
        self.assertNotIn(("cpu", "dynamic"), series)
        self.assertEqual(skipped, [("cpu", "dynamic")])
        self.assertEqual(series[("pocl", "dynamic")], [(1, 1.0), (2, 1.5)])
        for pts in series.values():
            self.assertNotIn(0.0, [g for _, g in pts])


class OutputFolder(unittest.TestCase):
    def test_the_default_is_build_bench(self):
        self.assertEqual(rb.parse_args([]).out, os.path.join(ROOT, "build", "bench"))
        self.assertEqual(rb.parse_args(["--quick"]).out, os.path.join(ROOT, "build", "bench"))

    def test_only_an_explicit_out_goes_elsewhere(self):
        self.assertEqual(rb.parse_args(["--out", "bench/results"]).out, "bench/results")

    def test_the_helper_programs_sit_beside_the_binary(self):
        a = rb.parse_args(["--binary", "/x/build-gpu/tilerace"])
        self.assertEqual(a.ceiling, "/x/build-gpu/tilerace-ceiling")
        self.assertEqual(a.bare, "/x/build-gpu/tilerace-bare")

    def test_every_file_goes_under_out(self):
        out = tempfile.mkdtemp(prefix="tilerace-bench-test-")
        try:
            args = types.SimpleNamespace(out=out, name="latest")
            devnull = open(os.devnull, "w")
            saved, sys.stdout = sys.stdout, devnull
            try:
                rb.write_outputs(args, empty_report())
            finally:
                sys.stdout = saved
                devnull.close()
            written = sorted(os.path.relpath(os.path.join(d, f), out)
                             for d, _, fs in os.walk(out) for f in fs)
            self.assertEqual([w for w in written if not w.startswith("runs/")],
                             ["latest.csv", "latest.json", "latest.md"])
            self.assertEqual(len([w for w in written if w.startswith("runs/")]), 1)
        finally:
            shutil.rmtree(out)


def empty_report():
    return dict(host=dict(cpu="test", cpus=2, date="today", devices=[]), command="test",
                quick=True, seconds=0, targets=[], ceiling={}, rows=[], gpu_peak=[],
                process=[], stream=[], opencl_overhead=[], first_tile=[], time_limit=[],
                server=[])


class Heterogeneous(unittest.TestCase):
    def test_combined_rate_against_the_devices_alone(self):
        rows = rb.hetero_summary({"cpu": 3.0, "pocl": 1.0},
                                 [dict(mode="concurrent", gips=2.0), dict(mode="dynamic", gips=3.6)])
        self.assertEqual([r["mode"] for r in rows], ["concurrent", "dynamic"])
        self.assertAlmostEqual(rows[0]["of_sum"], 0.5)
        self.assertAlmostEqual(rows[0]["of_best"], 2.0 / 3.0)
        self.assertAlmostEqual(rows[1]["of_sum"], 0.9)
        self.assertAlmostEqual(rows[1]["of_best"], 1.2)

    def test_no_rate_alone_gives_no_ratio(self):
        rows = rb.hetero_summary({}, [dict(mode="dynamic", gips=1.0)])
        self.assertIsNone(rows[0]["of_sum"])
        self.assertIsNone(rows[0]["of_best"])

    def test_workload_labels(self):
        self.assertEqual(rb.parse_workload("8192x8192/1000"), (8192, 8192, 1000))

    def test_modes_list_is_ordered_and_extensible(self):
        self.assertEqual(rb.HETERO_MODES[:2], ["concurrent", "dynamic"])


def mpi_side(label, gips, wall_ms, rate_flags=(), wall_flags=(), other_flags=()):
    return dict(label=label, gips_median=gips, wall_ms_median=wall_ms,
                rate_flags=list(rate_flags), wall_flags=list(wall_flags),
                flags=sorted(set(rate_flags) | set(wall_flags) | set(other_flags)))


class MpiRatios(unittest.TestCase):
    def test_the_rates_and_the_wall_times_each_flag_their_own_ratio(self):
        r = rb.mpi_ratio("2 ranks / 1 rank", "w",
                         mpi_side("a", 9.0, 110.0, rate_flags=["wide-spread"]),
                         mpi_side("b", 10.0, 100.0, wall_flags=["wide-spread"]), 0.9)
        self.assertAlmostEqual(r["ratio"], 0.9)
        self.assertAlmostEqual(r["process_ratio"], 100.0 / 110.0)
        self.assertEqual(r["flags"], ["wide-spread"])
        self.assertEqual(r["process_flags"], ["wide-spread"])

    def test_the_targets_sides_take_at_least_9_runs(self):
        self.assertEqual(rb.mpi_compare_repeats(types.SimpleNamespace(repeats=1)), 9)
        self.assertEqual(rb.mpi_compare_repeats(types.SimpleNamespace(repeats=3)), 9)
        self.assertEqual(rb.mpi_compare_repeats(types.SimpleNamespace(repeats=5)), 15)

    def test_a_spread_in_a_figure_outside_the_ratio_leaves_it_trusted(self):
        # a row flagged for its gather time alone: its rate and wall time agree
        r = rb.mpi_ratio("2 ranks / 1 rank", "w",
                         mpi_side("a", 9.5, 105.0, other_flags=["wide-spread"]),
                         mpi_side("b", 10.0, 100.0), 0.9)
        self.assertEqual(r["flags"], [])
        self.assertEqual(r["process_flags"], [])
        target = rb.mpi_targets(dict(ratios=[r]))[0]
        self.assertEqual(target["result"], "pass")


if __name__ == "__main__":
    unittest.main()
