#!/usr/bin/env python3
"""Installed like a package: `cmake --install` into a temporary prefix puts the programs, the
man page, the completions, the JSON schemas and the kernels where Debian expects them, and
everything runs from there (a run checked against the installed schema, devices, selftest,
bench --quick, the ceiling, man -l, the completions sourced). `cpack -G DEB` makes a package
whose Depends name the Debian packages of every library tilerace links."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

BUILD = os.environ.get("TILERACE_BUILD_DIR", "build")
INSTALLED = ("bin/tilerace", "bin/tilerace-ceiling", "share/man/man1/tilerace.1",
             "share/bash-completion/completions/tilerace",
             "share/zsh/vendor-completions/_tilerace",
             "share/tilerace/tilerace-output.schema.json",
             "share/tilerace/kernels/mandelbrot.cl")


def call(args, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, timeout=600, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}: "
                             f"{p.stderr.decode()[-2000:]}")
    return p.stdout.decode()


def man_warnings(page):
    env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    p = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, env=env,
                       timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tilerace-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        call(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        cls.tilerace = os.path.join(cls.prefix, "bin", "tilerace")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_files_where_debian_expects_them(self):
        for path in INSTALLED:
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, path)), path)
        for program in ("tilerace", "tilerace-ceiling"):
            self.assertTrue(os.access(os.path.join(self.prefix, "bin", program), os.X_OK))
        # every schema of docs/ is installed
        docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
        for schema in glob.glob(os.path.join(docs, "*.schema.json")):
            self.assertTrue(os.path.isfile(os.path.join(
                self.prefix, "share", "tilerace", os.path.basename(schema))), schema)

    def test_installed_tilerace_runs(self):
        out = os.path.join(self.tmp, "run.json")
        call([self.tilerace, "--width", 96, "--height", 64, "--tile-w", 32, "--tile-h", 32,
              "--time-limit-ms", 0, "--quiet", "-o", out])
        with open(out) as f:
            doc = json.load(f)
        import jsonschema
        with open(os.path.join(self.prefix, "share/tilerace/tilerace-output.schema.json")) as f:
            jsonschema.validate(doc, json.load(f))
        self.assertEqual(len(doc["data"]), 6)
        self.assertIn("cpu", call([self.tilerace, "devices"]))
        self.assertEqual(call([self.tilerace, "devices", "--selectors"]).split()[0], "cpu")
        call([self.tilerace, "selftest"])
        # the benchmark from the installed binary alone (needs the bench command)
        call([self.tilerace, "bench", "--quick"])
        ceiling = call([os.path.join(self.prefix, "bin", "tilerace-ceiling"), "--help"])
        self.assertIn("tilerace-ceiling", ceiling)

    def test_installed_man_page(self):
        page = os.path.join(self.prefix, "share/man/man1/tilerace.1")
        rc, text, err = man_warnings(page)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("tilerace - ", text)
        # the page names the files where this installation put them
        self.assertIn(os.path.join(self.prefix, "share/tilerace/tilerace-output.schema.json"),
                      re.sub(r"\s+", "", text))  # a long path is broken over lines
        # and man finds it by name in the prefix's man folder
        found = call(["man", "-M", os.path.join(self.prefix, "share/man"), "-w", "tilerace"])
        self.assertEqual(os.path.realpath(found.strip()), os.path.realpath(page))

    def test_installed_completions(self):
        bash = os.path.join(self.prefix, "share/bash-completion/completions/tilerace")
        program = (f"source '{bash}' && complete -p tilerace && "
                   f"COMP_WORDS=('{self.tilerace}' --mode con) && COMP_CWORD=2 && _tilerace && "
                   "echo \"${COMPREPLY[*]}\" && "
                   f"COMP_WORDS=('{self.tilerace}' --device '') && _tilerace && "
                   "echo \"${COMPREPLY[*]}\"")
        out = call(["bash", "--norc", "--noprofile", "-c", program]).splitlines()
        self.assertEqual(out[0], "complete -F _tilerace tilerace")
        self.assertEqual(out[1], "concurrent")
        self.assertEqual(out[2].split(), call([self.tilerace, "devices", "--selectors"]).split())
        zsh = os.path.join(self.prefix, "share/zsh/vendor-completions/_tilerace")
        call(["zsh", "-n", zsh])


def needed_packages(binary):
    """The Debian packages of the shared libraries binary links (objdump -p, dpkg -S)."""
    needed = re.findall(r"NEEDED\s+(\S+)", call(["objdump", "-p", binary]))
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", call(["ldd", binary]), re.M))
    packages = set()
    for lib in needed:
        if lib.startswith(("libasan", "libubsan", "libtsan", "libstdc++", "libgcc_s")):
            continue  # sanitizer builds: not what the package is made from
        # the path ldd found, else the library's real path (merged /usr: dpkg knows one)
        for path in (resolved[lib], os.path.realpath(resolved[lib])):
            p = subprocess.run(["dpkg", "-S", path], capture_output=True, timeout=60)
            if p.returncode == 0:
                packages.add(p.stdout.decode().split(":")[0])
                break
        else:
            raise AssertionError(f"no Debian package has {lib} ({resolved[lib]})")
    return packages


class DebianPackage(unittest.TestCase):
    def test_cpack_deb(self):
        with tempfile.TemporaryDirectory(prefix="tilerace-deb-") as tmp:
            call(["cpack", "-G", "DEB", "-B", tmp, "--config",
                  os.path.join(BUILD, "CPackConfig.cmake")])
            debs = glob.glob(os.path.join(tmp, "*.deb"))
            self.assertEqual(len(debs), 1, os.listdir(tmp))
            info = call(["dpkg-deb", "-I", debs[0]])
            fields = dict(re.findall(r"^ (\w[\w-]*): (.*)$", info, re.M))
            self.assertEqual(fields["Package"], "tilerace")
            depends = {d.split()[0] for d in fields["Depends"].split(", ")}
            for package in needed_packages(tt.BINARY):
                self.assertIn(package, depends)
            if "opencl" in tt.BUILD_HAS:
                self.assertIn("ocl-icd-libopencl1", depends)
                self.assertEqual(fields.get("Recommends"), "pocl-opencl-icd")
            contents = call(["dpkg-deb", "-c", debs[0]])
            for path in INSTALLED:
                self.assertIn(f"./usr/{path}\n", contents)
            root = os.path.join(tmp, "root")
            call(["dpkg-deb", "-x", debs[0], root])
            rc, text, err = man_warnings(os.path.join(root, "usr/share/man/man1/tilerace.1"))
            self.assertEqual((rc, err), (0, ""))
            self.assertIn("/usr/share/tilerace/tilerace-output.schema.json",
                          re.sub(r"\s+", "", text))


if __name__ == "__main__":
    unittest.main(verbosity=2)
