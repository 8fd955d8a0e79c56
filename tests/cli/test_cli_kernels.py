#!/usr/bin/env python3
"""End-to-end tests of the CPU kernel choice: --kernel, --precision, $TILERACE_CPU_ISA,
summary.device.kernel, and the tilerace-ceiling program."""
import csv
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN_FLOAT = os.environ.get("TILERACE_GOLDEN_FLOAT",
                              os.path.join(HERE, "..", "data", "golden_float.tsv"))
CEILING = os.environ.get("TILERACE_CEILING_BIN", "build/tilerace-ceiling")
ISAS = ("avx512", "avx2", "sse2", "scalar")


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def supported_isas():
    """What this processor runs, by the same rule as the dispatcher (x86-64 builds)."""
    flags = cpu_flags()
    have = ["scalar"]
    if os.uname().machine in ("x86_64", "AMD64"):
        have.append("sse2")
        if "avx2" in flags:
            have.append("avx2")
        if {"avx512f", "avx512dq"} <= flags:
            have.append("avx512")
    return have


def golden_rows(path):
    with open(path, newline="") as f:
        return [dict(width=int(r["width"]), height=int(r["height"]), max_iter=int(r["max_iter"]),
                     checksum="fnv1a64:" + r["fnv1a64"],
                     total_iterations=int(r["total_iterations"]))
                for r in csv.DictReader(f, delimiter="\t")]


def env_with(isa):
    env = dict(os.environ)
    env.pop("TILERACE_CPU_ISA", None)
    if isa is not None:
        env["TILERACE_CPU_ISA"] = isa
    return env


def run_frame(row, *extra, isa=None):
    _, doc = tt.run("--width", row["width"], "--height", row["height"], "--max-iter",
                    row["max_iter"], "--time-limit-ms", 0, "--num-threads", 2, *extra,
                    env=env_with(isa))
    return doc


class Kernels(unittest.TestCase):
    def test_scalar_and_vector_agree_with_golden(self):
        tables = {"double": tt.golden_rows(), "float": golden_rows(GOLDEN_FLOAT)}
        for precision, rows in tables.items():
            for row in rows:
                big = row["total_iterations"] > 100_000_000
                for kernel in ("vector",) if big else ("scalar", "vector", "auto"):
                    with self.subTest(precision=precision, kernel=kernel, row=row):
                        doc = run_frame(row, "--precision", precision, "--kernel", kernel)
                        tt.validate(doc)
                        s = doc["summary"]
                        self.assertEqual(s["checksum"], row["checksum"])
                        self.assertEqual(s["total_iterations"], row["total_iterations"])
                        name = s["device"]["kernel"]
                        self.assertEqual(doc["params"]["kernel"], kernel)
                        if kernel == "scalar":
                            self.assertEqual(name, f"scalar-{precision}")
                        else:
                            self.assertEqual(name, f"{supported_isas()[-1]}-{precision}")

    def test_every_isa_by_environment(self):
        row = next(r for r in tt.golden_rows() if r["width"] == 333)
        frow = next(r for r in golden_rows(GOLDEN_FLOAT) if r["width"] == 333)
        for isa in supported_isas():
            for precision, want in (("double", row), ("float", frow)):
                with self.subTest(isa=isa, precision=precision):
                    doc = run_frame(want, "--precision", precision, "--tile-w", 13,
                                    "--tile-h", 7, isa=isa)
                    self.assertEqual(doc["summary"]["device"]["kernel"], f"{isa}-{precision}")
                    self.assertEqual(doc["summary"]["checksum"], want["checksum"])
                    # --kernel scalar keeps the scalar loop whatever the override says
                    doc = run_frame(want, "--precision", precision, "--kernel", "scalar", isa=isa)
                    self.assertEqual(doc["summary"]["device"]["kernel"], f"scalar-{precision}")

    def test_bad_environment(self):
        for value in ("avx", "AVX2", "", "avx512 "):
            with self.subTest(value=value):
                p, doc = tt.run("--width", 8, "--height", 8, check=False, env=env_with(value))
                self.assertEqual(p.returncode, 2)
                self.assertIsNone(doc)
                self.assertEqual(p.stdout, b"")
                self.assertEqual(p.stderr.decode(),
                                 f"tilerace: TILERACE_CPU_ISA: '{value}' is not one of the "
                                 "accepted values (avx512, avx2, sse2, scalar)\n")
        # an ISA this processor lacks is a device error (only where one is missing)
        for isa in ISAS:
            if isa in supported_isas():
                continue
            with self.subTest(isa=isa):
                p, _ = tt.run("--width", 8, "--height", 8, check=False, env=env_with(isa))
                self.assertEqual(p.returncode, 3)
                self.assertIn(f"TILERACE_CPU_ISA: '{isa}' is not supported", p.stderr.decode())


class Ceiling(unittest.TestCase):
    def run_ceiling(self, *args, check=True):
        p = subprocess.run([CEILING] + [str(a) for a in args], capture_output=True, timeout=300,
                           env=env_with(None))
        if check and p.returncode != 0:
            raise AssertionError(f"tilerace-ceiling {args} exited {p.returncode}: "
                                 f"{p.stderr.decode()}")
        return p

    def test_every_isa_and_precision(self):
        p = self.run_ceiling("--isa", "all", "--precision", "all", "--threads", 2, "--ms", 10)
        docs = [json.loads(line) for line in p.stdout.decode().splitlines()]
        self.assertEqual([(d["isa"], d["precision"]) for d in docs],
                         [(i, prec) for i in reversed(supported_isas())
                          for prec in ("double", "float")])
        for d in docs:
            self.assertEqual(d["threads"], 2)
            self.assertGreater(d["giga_iterations_per_s"], 0)
            self.assertGreater(d["iterations"], 0)
            self.assertGreater(d["elapsed_us"], 0)

    def test_default_is_best_isa_double(self):
        p = self.run_ceiling("--ms", 10, "--threads", 1)
        docs = [json.loads(line) for line in p.stdout.decode().splitlines()]
        self.assertEqual(len(docs), 1)
        self.assertEqual((docs[0]["isa"], docs[0]["precision"], docs[0]["threads"]),
                         (supported_isas()[-1], "double", 1))

    def test_bad_usage(self):
        cases = [
            (("--isa", "avx"), 2, "--isa: 'avx' is not one of the accepted values"),
            (("--precision", "half"), 2, "--precision: 'half' is not one of the accepted values"),
            (("--threads", "0"), 2, "--threads: '0' is not a whole number in the accepted "
                                    "range 1..256"),
            (("--ms", "5"), 2, "--ms: '5' is not a whole number in the accepted range 10..60000"),
            (("--frobnicate",), 2, "unknown option '--frobnicate'"),
            (("--threads",), 2, "--threads: a value is missing"),
            (("extra",), 2, "unexpected argument 'extra'"),
        ]
        for isa in ISAS:
            if isa not in supported_isas():
                cases.append((("--isa", isa, "--ms", "10"), 3, "is not supported"))
        for args, code, fragment in cases:
            with self.subTest(args=args):
                p = self.run_ceiling(*args, check=False)
                self.assertEqual(p.returncode, code)
                self.assertIn(fragment, p.stderr.decode())
                self.assertEqual(len(p.stderr.decode().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
