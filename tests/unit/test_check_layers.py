#!/usr/bin/env python3
"""check_layers.py on copies of host/ with one include or link line made wrong: each must fail
and name the file, the line and the library; the untouched copy must pass."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_layers.py")
HOST = os.path.join(HERE, "..", "..", "host")


class CheckLayers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tilerace-layers-")
        self.host = os.path.join(self.tmp.name, "host")
        shutil.copytree(HOST, self.host)

    def tearDown(self):
        self.tmp.cleanup()

    def check(self):
        p = subprocess.run([sys.executable, CHECKER, self.host], capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout + p.stderr

    def add_line(self, rel, line):
        """Puts line after the first #include of host/REL; returns its line number."""
        path = os.path.join(self.host, rel)
        with open(path) as f:
            lines = f.read().split("\n")
        at = next(i for i, t in enumerate(lines) if t.startswith("#include")) + 1
        lines.insert(at, line)
        with open(path, "w") as f:
            f.write("\n".join(lines))
        return at + 1

    def assert_fails(self, *fragments):
        rc, out = self.check()
        self.assertEqual(rc, 1, out)
        for fragment in fragments:
            self.assertIn(fragment, out)

    def test_the_tree_as_it_is_passes(self):
        rc, out = self.check()
        self.assertEqual(rc, 0, out)

    def test_core_includes_the_server(self):
        n = self.add_line("core/params.c", '#include "server/server.h"')
        self.assert_fails(f"host/core/params.c:{n}: core includes 'server/server.h' of server")

    def test_core_includes_any_other_library(self):
        for other in ("cpu/pixel.h", "output/png.h", "opencl/device.h", "devices/job.h",
                      "replay/page.h", "cli/usage.h"):
            with self.subTest(other=other):
                shutil.rmtree(self.host)
                shutil.copytree(HOST, self.host)
                n = self.add_line("core/tile_grid.h", f'#include "{other}"')
                self.assert_fails(f"host/core/tile_grid.h:{n}: core includes '{other}'")

    def test_a_library_beside_it(self):
        n = self.add_line("cpu/backend.c", '#include "output/png.h"')
        self.assert_fails(f"host/cpu/backend.c:{n}: cpu includes 'output/png.h' of output")

    def test_a_library_above_it(self):
        n = self.add_line("opencl/device.c", '#include "devices/job.h"')
        self.assert_fails(f"host/opencl/device.c:{n}: opencl includes 'devices/job.h' of devices")

    def test_angle_brackets_and_relative_paths(self):
        self.add_line("replay/page.c", "#include <server/sse.h>")
        self.add_line("output/png.c", '#include "../cli/run.h"')
        self.assert_fails("replay includes 'server/sse.h' of server",
                          "output includes '../cli/run.h' of cli")

    def test_packages_of_optional_backends(self):
        self.add_line("devices/job.c", "#include <CL/cl.h>")
        self.add_line("cli/devices.c", "#include <microhttpd.h>")
        self.assert_fails("devices includes <CL/cl.h>, which only opencl may include",
                          "cli includes <microhttpd.h>, which only server may include")

    def test_a_folder_without_a_layer(self):
        os.mkdir(os.path.join(self.host, "vulkan"))
        self.assert_fails("host/vulkan/ is not in the layer table")

    def test_a_link_line_against_the_layers(self):
        cmake = os.path.join(self.host, "CMakeLists.txt")
        with open(cmake) as f:
            text = f.read()
        old = "target_link_libraries(tilerace_core PUBLIC "
        self.assertIn(old, text)
        with open(cmake, "w") as f:
            f.write(text.replace(old, old + "tilerace_output "))
        self.assert_fails("tilerace_core links output; the layers say none")

    def test_allowed_includes_from_far_below(self):
        # cli reaches core through devices and cpu: a direct include is fine
        self.add_line("cli/usage.c", '#include "cpu/pixel.h"')
        rc, out = self.check()
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
