#!/usr/bin/env python3
"""`tilerace devices` and `tilerace selftest`: a block per device within 80 columns with every
field, the shortcuts and what they resolve to, the kernel --kernel auto runs (checked against
what a run reports), compact --json; selftest's --device list, --json document and
--require-opencl, with no OpenCL platform (an empty OCL_ICD_VENDORS folder) and with pocl; and
what TILERACE_REQUIRE_OPENCL=1 does to the tests that need an OpenCL device."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tilerace_test as tt  # noqa: E402

HAS_OPENCL = "opencl" in tt.BUILD_HAS
FIELDS = ("aliases", "type", "name", "vendor", "platform", "driver", "OpenCL version",
          "compute units", "fp64", "auto kernel")
JSON_FIELDS = ("selector", "aliases", "type", "name", "platform", "vendor", "driver_version",
               "opencl_version", "compute_units", "memory_bytes", "double_precision",
               "auto_kernel")
ALIASES = ("cpu", "opencl", "gpu", "pocl")
TINY = ("--width", 24, "--height", 16, "--tile-w", 8, "--tile-h", 8, "--max-iter", 20,
        "--time-limit-ms", 0, "--num-threads", 1, "--quiet")

tmp = tempfile.mkdtemp(prefix="tilerace-devices-")
EMPTY_ICD = os.path.join(tmp, "empty-icd")
os.mkdir(EMPTY_ICD)


def tilerace(*args, env=None):
    p = subprocess.run([tt.BINARY] + [str(a) for a in args], capture_output=True, timeout=600,
                       env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def no_platform_env(**extra):
    """The environment with the ICD loader pointed at an empty folder: no OpenCL platform."""
    return dict(os.environ, OCL_ICD_VENDORS=EMPTY_ICD, **extra)


def blocks(text):
    """`devices` text -> {heading: {label: value}}, continuation lines joined with a space."""
    out, cur, label = {}, None, None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            cur = out.setdefault(line.strip(), {})
            continue
        if line.startswith("  ") and line[2] != " ":
            label, value = line[2:18].strip(), line[18:]
            cur[label] = value
        else:
            cur[label] += " " + line.strip()
    return out


class Devices(unittest.TestCase):
    def listing(self, env=None):
        rc, out, err = tilerace("devices", env=env)
        self.assertEqual((rc, err), (0, ""))
        rc, js, err = tilerace("devices", "--json", env=env)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(js.count("\n"), 1, "--json is one line")
        self.assertFalse(js.startswith(" ") or "\t" in js)
        return out, json.loads(js)

    def check_listing(self, out, doc):
        for line in out.splitlines():
            self.assertLessEqual(len(line), 80, line)
        shown = blocks(out)
        for d in doc["devices"]:
            for key in JSON_FIELDS:
                self.assertIn(key, d, d["selector"])
            self.assertEqual(set(d["auto_kernel"]), {"double", "float"})
            block = shown[d["selector"]]
            for label in FIELDS:
                self.assertIn(label, block, (d["selector"], block))
            self.assertTrue(any(k in block for k in ("memory", "global memory")), block)
            self.assertEqual(block["type"], d["type"])
            self.assertEqual(block["name"], d["name"])
            self.assertEqual(block["fp64"].split()[0], "yes" if d["double_precision"] else "no")
            self.assertEqual(block["aliases"],
                             ", ".join(d["aliases"]) if d["aliases"] else "none here")
            for precision, kernel in d["auto_kernel"].items():
                if kernel:
                    self.assertIn(kernel, block["auto kernel"])
        # every shortcut resolves to a listed device, or says why nothing here
        selectors = [d["selector"] for d in doc["devices"]]
        self.assertEqual(list(doc["aliases"]), list(ALIASES))
        for alias, target in doc["aliases"].items():
            line = shown["shortcuts"][alias]
            if target:
                self.assertIn(target, selectors)
                self.assertTrue(line.startswith(f"-> {target} "), line)
                owner = next(d for d in doc["devices"] if d["selector"] == target)
                self.assertIn(alias, owner["aliases"])
            else:
                self.assertTrue(line.startswith("nothing: "), line)
                self.assertIn(doc["aliases_unresolved"][alias], line)
                for d in doc["devices"]:
                    self.assertNotIn(alias, d["aliases"])
        self.assertEqual(doc["aliases"]["cpu"], "cpu")
        self.assertEqual(selectors[0], "cpu")

    def test_blocks_and_json_agree(self):
        out, doc = self.listing()
        self.check_listing(out, doc)
        if not HAS_OPENCL:
            self.assertIn("not in this build", doc["opencl"])
            for alias in ("opencl", "gpu", "pocl"):
                self.assertIsNone(doc["aliases"][alias])

    def test_shortcuts_resolve_as_a_run_resolves_them(self):
        _, doc = self.listing()
        for alias, target in doc["aliases"].items():
            with self.subTest(alias=alias):
                p, run = tt.run("--device", alias, *TINY, check=False)
                if target is None:
                    self.assertEqual(p.returncode, 3, p.stderr.decode())
                    continue
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                if target != "cpu":
                    # the same device: the same name, and its own selector renders the same
                    owner = next(d for d in doc["devices"] if d["selector"] == target)
                    self.assertEqual(run["summary"]["device"]["name"], owner["name"])

    def test_auto_kernel_is_what_a_run_uses(self):
        for isa in (None, "sse2", "scalar"):
            env = dict(os.environ)
            env.pop("TILERACE_CPU_ISA", None)
            if isa:
                env["TILERACE_CPU_ISA"] = isa
            _, doc = self.listing(env)
            for d in doc["devices"]:
                for precision, kernel in d["auto_kernel"].items():
                    with self.subTest(isa=isa, device=d["selector"], precision=precision):
                        p, run = tt.run("--device", d["selector"], "--precision", precision,
                                        "--kernel", "auto", *TINY, env=env, check=False)
                        if kernel is None:
                            self.assertEqual(p.returncode, 3)
                            continue
                        self.assertEqual(p.returncode, 0, p.stderr.decode())
                        self.assertEqual(run["summary"]["device"]["kernel"], kernel)
            if isa:
                self.assertEqual(doc["devices"][0]["auto_kernel"]["double"], f"{isa}-double")

    def test_no_opencl_platform(self):
        out, doc = self.listing(no_platform_env())
        self.check_listing(out, doc)
        self.assertEqual([d["selector"] for d in doc["devices"]], ["cpu"])
        for alias in ("opencl", "gpu", "pocl"):
            self.assertIsNone(doc["aliases"][alias])
        if HAS_OPENCL:
            self.assertIn(EMPTY_ICD, doc["opencl"])
            self.assertIn("no GPU", doc["aliases_unresolved"]["gpu"].replace("OpenCL ", ""))
            self.assertIn(f"OCL_ICD_VENDORS '{EMPTY_ICD}'", " ".join(out.split()))


class Selftest(unittest.TestCase):
    def run_json(self, *args, env=None):
        rc, out, err = tilerace("selftest", "--json", *args, env=env)
        self.assertEqual(out.count("\n"), 1, (out, err))
        return rc, json.loads(out), err

    def check_document(self, doc, devices):
        self.assertEqual([d["device"] for d in doc["devices"]], devices)
        for d in doc["devices"]:
            self.assertEqual(d["result"], "ok", d)
            self.assertEqual(d["checks"], len(d["frames"]))
            self.assertEqual(d["passed"], d["checks"])
            tested = {(f["precision"], f["kernel"]) for f in d["frames"]}
            skipped = set(d["precisions_skipped"])
            self.assertEqual({p for p, _ in tested} | skipped, {"double", "float"})
            for f in d["frames"]:
                self.assertIs(f["pass"], True, f)
                self.assertEqual(f["checksum"], f["reference"])
                self.assertIs(f["records_match"], True)
                self.assertIsNone(f["error"])
        # the CPU reference itself: the golden frame of the first size, in double
        golden = {(g["width"], g["height"], g["max_iter"]): g["checksum"]
                  for g in tt.golden_rows()}
        for d in doc["devices"]:
            for f in d["frames"]:
                key = (f["width"], f["height"], f["max_iter"])
                if f["precision"] == "double" and key in golden:
                    self.assertEqual(f["reference"], golden[key])

    def test_cpu_json(self):
        rc, doc, err = self.run_json("--device", "cpu")
        self.assertEqual((rc, err), (0, ""))
        self.assertIs(doc["success"], True)
        self.check_document(doc, ["cpu"])
        self.assertEqual(doc["devices"][0]["requested"], "cpu")

    def test_cpu_and_pocl(self):
        if not HAS_OPENCL:
            self.skipTest("built without OpenCL (TILERACE_OPENCL=OFF)")
        _, aliases, why = tt.opencl_devices()
        if not aliases.get("pocl"):
            tt.without_opencl(f"no pocl device ({why})")
            self.skipTest("no pocl device here")
        rc, doc, err = self.run_json("--device", "pocl,cpu")
        self.assertEqual((rc, err), (0, ""))
        self.check_document(doc, [aliases["pocl"], "cpu"])
        self.assertEqual(doc["devices"][0]["requested"], "pocl")
        # the table names the same devices
        rc, out, err = tilerace("selftest", "--device", "pocl,cpu")
        self.assertEqual(rc, 0, err)
        rows = [line.split()[0] for line in out.splitlines()[1:] if line.startswith(("cpu", "op"))]
        self.assertEqual(rows, [aliases["pocl"], "cpu"])
        # --require-opencl passes where pocl works
        rc, out, err = tilerace("selftest", "--require-opencl")
        self.assertEqual((rc, err), (0, ""))
        self.assertIn(aliases["pocl"] + " ", out)
        self.assertIn("all devices agree", out)

    def test_device_list_errors(self):
        cases = [(["--device", "tpu"], 2, "selftest: --device: 'tpu' is not a device"),
                 (["--device", "cpu,"], 2, "selftest: --device: 'cpu,' has an empty entry"),
                 (["--device", "cpu,cpu"], 2, "selftest: --device: 'cpu,cpu' names 'cpu' twice"),
                 (["--device", "cpu@2"], 2, "'cpu@2': selftest sets the lanes itself"),
                 (["--device", ",".join(f"opencl:0.{i}" for i in range(17))], 2,
                  "names more than 16 devices (accepted: 1..16 devices)"),
                 (["--device", "x" * 100], 2, "is too long")]
        if HAS_OPENCL:
            _, aliases, _ = tt.opencl_devices()
            if aliases.get("pocl"):
                cases.append((["--device", f"pocl,{aliases['pocl']}"], 2,
                              f"'{aliases['pocl']}' names {aliases['pocl']}, as 'pocl' does"))
            cases.append((["--device", "cpu,opencl:9.9"], 3,
                          "selftest: --device: 'opencl:9.9': no such device"))
        else:
            cases.append((["--device", "cpu,pocl"], 3,
                          "'pocl' is an OpenCL device, and this tilerace was built without"))
        for args, code, msg in cases:
            with self.subTest(args=args):
                rc, out, err = tilerace("selftest", *args)
                self.assertEqual((rc, out), (code, ""), err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn(msg, err)

    def test_require_opencl_without_a_platform(self):
        for args in ([], ["--json"], ["--device", "cpu,opencl"]):
            with self.subTest(args=args):
                rc, out, err = tilerace("selftest", "--require-opencl", *args,
                                        env=no_platform_env())
                self.assertEqual((rc, out), (3, ""), err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertTrue(err.startswith("tilerace: selftest: --require-opencl: "), err)
                if HAS_OPENCL:
                    self.assertIn("no OpenCL platform found", err)
                    self.assertIn(f"OCL_ICD_VENDORS '{EMPTY_ICD}'", err)
                else:
                    self.assertIn("OpenCL is not in this build", err)
        # without it: the CPU path alone, and the note says so
        rc, out, err = tilerace("selftest", env=no_platform_env())
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("only the CPU path was tested", out)
        rc, doc, err = self.run_json(env=no_platform_env())
        self.assertEqual(rc, 0)
        self.check_document(doc, ["cpu"])
        self.assertTrue(doc["opencl"])

    def test_require_opencl_with_only_the_cpu_named(self):
        if not HAS_OPENCL:
            self.skipTest("built without OpenCL (TILERACE_OPENCL=OFF)")
        _, aliases, why = tt.opencl_devices()
        if not aliases.get("opencl"):
            tt.without_opencl(f"no OpenCL device ({why})")
            self.skipTest("no OpenCL device here")
        rc, out, err = tilerace("selftest", "--require-opencl", "--device", "cpu")
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("--require-opencl: --device 'cpu' names no OpenCL device", err)


class RequireOpenclVariable(unittest.TestCase):
    """TILERACE_REQUIRE_OPENCL=1 turns the OpenCL tests' skip into a failure."""

    def test_with_opencl_helper(self):
        script = os.path.join(tmp, "passes.py")
        with open(script, "w") as f:
            f.write("import sys\nsys.exit(0)\n")
        helper = os.path.join(HERE, "..", "lib", "with_opencl.py")
        for require, want in (("0", 77), ("1", 1 if HAS_OPENCL else 77)):
            with self.subTest(require=require):
                env = no_platform_env(TILERACE_REQUIRE_OPENCL=require)
                p = subprocess.run([sys.executable, helper, script], capture_output=True,
                                   env=env, timeout=120)
                self.assertEqual(p.returncode, want, p.stdout + p.stderr)
                if want == 1:
                    self.assertIn(b"TILERACE_REQUIRE_OPENCL=1", p.stdout)
        # with a device, the script runs
        if HAS_OPENCL and tt.opencl_devices()[0]:
            env = dict(os.environ, TILERACE_REQUIRE_OPENCL="1")
            p = subprocess.run([sys.executable, helper, script], env=env, timeout=120)
            self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
