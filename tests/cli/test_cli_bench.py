#!/usr/bin/env python3
"""`tilerace bench`: --quick --json against docs/tilerace-bench.schema.json, the CSV export
against the JSON, the table, --device cpu alone, and what the rows say (checksums of the same
frame agree, the golden frames' where there is one, flags only from the listed reasons).

TILERACE_DEVICE=pocl (ctest cli_bench_pocl) compares cpu and pocl; otherwise cpu alone."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

SCHEMA = os.path.join(os.path.dirname(tt.SCHEMA), "tilerace-bench.schema.json")
DEVICES = "cpu," + os.environ["TILERACE_DEVICE"] if os.environ.get("TILERACE_DEVICE") else "cpu"
FLAGS = {"above-ceiling", "wide-spread", "checksum-differs"}


def bench(*args, timeout=600):
    p = subprocess.run([tt.BINARY, "bench"] + list(args), capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"tilerace bench {' '.join(args)} exited {p.returncode}: "
                             f"{p.stderr.decode()}")
    return p.stdout.decode()


def validate(doc):
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    cls(schema).validate(doc)


class Quick(unittest.TestCase):
    """One `bench --quick` run, exported both ways, shared by the tests of this class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tilerace-bench-")
        cls.json_path = os.path.join(cls.tmp, "bench.json")
        cls.csv_path = os.path.join(cls.tmp, "bench.csv")
        cls.table = bench("--quick", "--device", DEVICES, "--json", cls.json_path,
                          "--csv", cls.csv_path)
        with open(cls.json_path) as f:
            cls.doc = json.load(f)
        with open(cls.csv_path, newline="") as f:
            cls.csv_text = f.read()

    def test_json_matches_the_schema(self):
        validate(self.doc)
        self.assertTrue(self.doc["quick"])
        self.assertEqual(self.doc["settings"]["runs"], 3)

    def test_rows_cover_the_quick_plan(self):
        results = self.doc["results"]
        devices = DEVICES.split(",")
        self.assertEqual([d["selector"] for d in self.doc["devices"]], devices)
        self.assertEqual([w["name"] for w in self.doc["workloads"]], ["small", "tiny-tiles"])
        # every device x workload x kernel (scalar, auto) x mode, none failed
        self.assertEqual(len(results), len(devices) * 2 * 2 * 4)
        self.assertEqual(self.doc["summary"]["failed"], 0)
        for r in results:
            with self.subTest(row=(r["device"], r["workload"], r["kernel"], r["mode"])):
                self.assertNotIn("error", r)
                self.assertEqual(r["runs"], 3)
                self.assertEqual(len(r["samples"]["giga_iterations_per_s"]), 3)
                g = r["giga_iterations_per_s"]
                self.assertLessEqual(g["min"], g["median"])
                self.assertLessEqual(g["median"], g["max"])
                self.assertEqual(r["threads_used"] == 1, r["mode"] == "sequential"
                                 or self.doc["settings"]["threads"] == 1)
                # the rate is what the samples say: iterations over elapsed
                for rate, ms in zip(r["samples"]["giga_iterations_per_s"],
                                    r["samples"]["elapsed_ms"]):
                    self.assertAlmostEqual(rate, r["total_iterations"] / (ms * 1e6),
                                           delta=rate * 1e-9)
                self.assertLessEqual(set(r["flags"]), FLAGS)
                # a rate above its ceiling is never a plain result
                if r["of_ceiling"] is not None and r["of_ceiling"] > 1:
                    self.assertIn("above-ceiling", r["flags"])
                if g["spread"] > self.doc["settings"]["spread_limit"]:
                    self.assertIn("wide-spread", r["flags"])
                if r["device"] == "cpu":
                    self.assertIsNotNone(r["of_ceiling"])
        self.assertEqual(self.doc["summary"]["flagged"], sum(1 for r in results if r["flags"]))

    def test_same_frame_same_checksum(self):
        golden = {(g["width"], g["height"], g["max_iter"]): g["checksum"]
                  for g in tt.golden_rows()}
        frames = {w["name"]: w for w in self.doc["workloads"]}
        by_workload = {}
        for r in self.doc["results"]:
            by_workload.setdefault(r["workload"], set()).add(r["checksum"])
            self.assertNotIn("checksum-differs", r["flags"])
        for name, sums in by_workload.items():
            self.assertEqual(len(sums), 1, name)
            w = frames[name]
            want = golden.get((w["width"], w["height"], w["max_iter"]))
            if want and w["tile_w"] == 64:
                self.assertEqual(sums, {want}, name)

    def test_ceiling_measured_for_cpu_rows(self):
        loops = {(c["loop"], c["threads"]) for c in self.doc["ceiling"]}
        for r in self.doc["results"]:
            if r["device"] == "cpu":
                self.assertIn((r["ceiling_loop"], r["threads_used"]), loops)
        for c in self.doc["ceiling"]:
            self.assertEqual(len(c["samples"]), 2)  # before and after the rows

    def test_csv_export_parses_and_matches_the_json(self):
        self.assertTrue(self.csv_text.endswith("\r\n"))
        rows = list(csv.DictReader(io.StringIO(self.csv_text, newline="")))
        self.assertEqual(len(rows), len(self.doc["results"]))
        for row, r in zip(rows, self.doc["results"]):
            self.assertEqual((row["workload"], row["device"], row["kernel"], row["mode"]),
                             (r["workload"], r["device"], r["kernel"], r["mode"]))
            self.assertEqual(row["device_name"], r["device_name"])
            self.assertEqual(row["checksum"], r["checksum"])
            self.assertEqual(int(row["total_iterations"]), r["total_iterations"])
            self.assertAlmostEqual(float(row["gips_median"]),
                                   r["giga_iterations_per_s"]["median"],
                                   delta=r["giga_iterations_per_s"]["median"] * 1e-5)
            self.assertEqual(row["flags"].split(), r["flags"])
            self.assertEqual(row["error"], "")

    def test_table(self):
        self.assertTrue(self.table.startswith("tilerace bench --quick: "), self.table[:80])
        self.assertIn("Measured in this process", self.table)
        for name in ("small: 800x600, max_iter 256", "tiny-tiles: 512x512, max_iter 64, 8x8"):
            self.assertIn(name, self.table)
        self.assertIn("Giter/s median (min..max)", self.table)
        self.assertIn(f"{len(self.doc['results'])} rows", self.table)
        for r in self.doc["results"]:
            for b, flag in enumerate(sorted(FLAGS, key=["above-ceiling", "wide-spread",
                                                        "checksum-differs"].index)):
                if flag in r["flags"]:
                    self.assertIn(f"[{'abc'[b]}] FLAGGED {flag}", self.table)


class Exports(unittest.TestCase):
    def test_cpu_only_json_on_stdout(self):
        """--device cpu: only the CPU path, and --json - takes stdout (no table)."""
        out = bench("--device", "cpu", "--workload", "96x64/50/16", "--kernel", "scalar,auto",
                    "--mode", "dynamic", "--runs", "2", "--json", "-")
        doc = json.loads(out)
        validate(doc)
        self.assertEqual([d["selector"] for d in doc["devices"]], ["cpu"])
        self.assertEqual({r["device"] for r in doc["results"]}, {"cpu"})
        self.assertEqual([r["kernel"] for r in doc["results"]], ["scalar", "auto"])
        self.assertEqual(doc["workloads"][0]["about"], None)
        self.assertEqual(doc["results"][0]["tiles"], 6 * 4)

    def test_csv_on_stdout(self):
        out = bench("--device", "cpu", "--workload", "small,40x30/20/8", "--kernel", "scalar",
                    "--mode", "sequential,concurrent", "--runs", "1", "--warmup", "0",
                    "--csv", "-")
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        self.assertEqual([(r["workload"], r["mode"]) for r in rows],
                         [("small", "sequential"), ("small", "concurrent"),
                          ("40x30/20/8", "sequential"), ("40x30/20/8", "concurrent")])
        self.assertEqual(rows[2]["tile_w"], "8")

    def test_float_rows(self):
        out = bench("--device", "cpu", "--workload", "64x48/100", "--kernel", "scalar",
                    "--mode", "dynamic", "--precision", "double,float", "--runs", "1",
                    "--json", "-")
        doc = json.loads(out)
        validate(doc)
        self.assertEqual([r["kernel_name"] for r in doc["results"]],
                         ["scalar-double", "scalar-float"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
