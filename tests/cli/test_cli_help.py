#!/usr/bin/env python3
"""Help from the command line: `tilerace help` is the overview; `tilerace COMMAND --help` and
`tilerace help COMMAND` print that command's own help (its usage and options, not the
others'); an unknown command or option is one error line with a suggestion."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

# an option only this command takes, and one it does not
OWN = {
    "run": ("--time-limit-ms N", "--max-input-mb N"),
    "replay": ("--max-input-mb N", "--time-limit-ms N"),
    "compare": ("--max-input-mb N", "--time-limit-ms N"),
    "devices": ("--json", "--kernel-dir DIR"),
    "selftest": ("--require-opencl", "--max-input-mb N"),
    "serve": ("--cap-pixels N", "--width N"),
    "bench": ("--workload LIST", "--width N"),
}


def tilerace(*args):
    p = subprocess.run([tt.BINARY] + list(args), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Help(unittest.TestCase):
    def test_overview(self):
        for args in (["help"], ["--help"], ["-h"]):
            with self.subTest(args=args):
                rc, out, err = tilerace(*args)
                self.assertEqual((rc, err), (0, ""))
                self.assertTrue(out.startswith("Usage: tilerace [run] [OPTIONS]\n"), out[:80])
                for command in OWN:
                    self.assertIn(f"\n  {command} ", out)
                self.assertIn("--time-limit-ms N", out)
                self.assertIn("Exit codes:", out)

    def test_each_command_has_its_own_help(self):
        for command, (own, other) in OWN.items():
            for args in ([command, "--help"], [command, "-h"], ["help", command]):
                with self.subTest(args=args):
                    rc, out, err = tilerace(*args)
                    self.assertEqual((rc, err), (0, ""))
                    usage = "[run]" if command == "run" else command
                    self.assertTrue(out.startswith(f"Usage: tilerace {usage} "), out[:80])
                    self.assertIn(own, out)
                    self.assertNotIn(other, out)
                    self.assertIn("-h, --help", out)
        rc, out, _ = tilerace("help", "help")
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("Usage: tilerace help [COMMAND]"))

    def test_help_of_an_unknown_command(self):
        rc, out, err = tilerace("help", "nosuch")
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "tilerace: help: unknown command 'nosuch' (commands: run, replay, "
                              "compare, devices, selftest, serve, bench, help)\n")
        rc, out, err = tilerace("help", "sevre")
        self.assertEqual(rc, 2)
        self.assertIn("unknown command 'sevre'; did you mean serve?", err)

    def test_suggestions(self):
        for args, fragment in (
                (["serv"], "unknown command 'serv'; did you mean serve?"),
                (["--widht", "8"], "unknown option '--widht'; did you mean --width? "
                                   "(see tilerace --help)"),
                (["run", "--tile", "8"], "did you mean --tile-w or --tile-h?"),
                (["devices", "--jsno"], "devices: unknown option '--jsno'; did you mean --json? "
                                        "(see tilerace devices --help)"),
                (["replay", "--max-inptu-mb", "1", "x.json", "-o", "x.html"],
                 "replay: unknown option '--max-inptu-mb'; did you mean --max-input-mb?"),
                (["serve", "--cap-pixles", "5"], "did you mean --cap-pixels?"),
                (["--frobnicate"], "unknown option '--frobnicate' (see tilerace --help)")):
            with self.subTest(args=args):
                rc, out, err = tilerace(*args)
                self.assertEqual((rc, out), (2, ""))
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn(fragment, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
