#!/usr/bin/env python3
"""Every error that echoes user input stays one line of UTF-8 text: control characters, DEL and
bytes that are not UTF-8 are escaped, long values are cut between characters, and a refused
option is named as typed. Arguments here hold bytes a tab-separated case file cannot."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

E_ACUTE = "\u00e9".encode()


def tilerace(*args, env=None):
    """Runs tilerace with byte or text arguments; returns (exit code, stdout, stderr bytes)."""
    argv = [os.fsencode(tt.BINARY)] + [a if isinstance(a, bytes) else a.encode() for a in args]
    p = subprocess.run(argv, capture_output=True, timeout=60, env=env)
    return p.returncode, p.stdout, p.stderr


class OneLine(unittest.TestCase):
    def error(self, *args, code=2, env=None):
        """Runs a failing command; checks the error contract and returns stderr as text."""
        rc, out, err = tilerace(*args, env=env)
        self.assertEqual(rc, code, err)
        self.assertEqual(out, b"")
        text = err.decode("utf-8")  # strict: any byte that is not UTF-8 fails here
        self.assertTrue(text.startswith("tilerace: "), text)
        self.assertTrue(text.endswith("\n"), text)
        line = text[:-1]
        for c in line:
            self.assertFalse(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029",
                             f"control character {c!r} in {line!r}")
        return line

    def test_newlines_in_a_device_name(self):
        line = self.error("--device", "x\n" * 40)
        self.assertIn("--device: 'x\\nx\\nx\\n", line)
        self.assertIn("...' is too long", line)
        line = self.error("--device", "gpu\n0")
        self.assertIn("--device: 'gpu\\n0' is not a device", line)

    def test_control_del_and_invalid_bytes_are_escaped(self):
        line = self.error("--mode", b"a\x01b\x7fc\xffd\x1b[2J")
        self.assertIn("--mode: 'a\\x01b\\x7fc\\xffd\\x1b[2J' is not one of the accepted", line)
        line = self.error("--precision", "\u202eevil")  # a right-to-left override
        self.assertIn("'\\u202eevil'", line)
        line = self.error("--width", b"1\r\n2")
        self.assertIn("--width: '1\\r\\n2' is not a whole number", line)

    def test_long_values_are_cut_between_characters(self):
        for arg in ("--width", "--mode", "--kernel"):
            with self.subTest(arg=arg):
                line = self.error(arg, E_ACUTE * 60)  # 120 bytes; a byte cut would split one
                self.assertIn("'" + "\u00e9" * 40 + "...'", line)
        line = self.error("--device", "\u20ac" * 30)  # three bytes each, too long for a device
        self.assertIn("'" + "\u20ac" * 30 + "'", line)

    def test_a_non_ascii_short_option_is_named(self):
        self.assertIn("unknown option '-\u00e9' (see tilerace --help)",
                      self.error(b"-" + E_ACUTE))
        self.assertIn("unknown option '-\u00e9'", self.error("--quiet", b"-" + E_ACUTE))
        self.assertIn("replay: unknown option '-\u00e9'",
                      self.error("replay", "x.json", b"-" + E_ACUTE, "-o", "x.html"))
        self.assertIn("devices: unknown option '-\u00e9'", self.error("devices", b"-" + E_ACUTE))
        self.assertIn("selftest: unknown option '-\u00e9'", self.error("selftest", b"-" + E_ACUTE))
        if "server" in tt.BUILD_HAS:
            self.assertIn("unknown option '-\u00e9' (see tilerace serve --help)",
                          self.error("serve", b"-" + E_ACUTE))
        self.assertIn("unknown option '-\\xff'", self.error(b"-\xff"))
        self.assertIn("unknown option '--fro\\nb'", self.error("--fro\nb"))

    def test_arguments_and_paths(self):
        self.assertIn("unexpected argument 'a\\nb'", self.error("--quiet", "a\nb"))
        self.assertIn("unknown command 'a\\nb'", self.error("a\nb"))
        self.assertIn("devices: unexpected argument 'a\\tb'", self.error("devices", "a\tb"))
        self.assertIn("--image: 'k\\nd.jpg' does not end in .png",
                      self.error("--image", "k\nd.jpg"))
        self.assertIn("--image-format: 'x\\ny' is not one of",
                      self.error("--image", "a.png", "--image-format", "x\ny"))
        self.assertIn("--out: '/nonexistent-tilerace/a\\n\\xffb.json' cannot be written",
                      self.error("--out", b"/nonexistent-tilerace/a\n\xffb.json", "--width", "8",
                                 "--height", "8", code=4))

    def test_replay_paths(self):
        line = self.error("replay", b"/nonexistent-tilerace/r\n\x01\xfe.json", "-o", "x.html",
                          code=4)
        self.assertIn("replay: '/nonexistent-tilerace/r\\n\\x01\\xfe.json' cannot be read", line)
        with tempfile.TemporaryDirectory(prefix="tilerace-msg-") as tmp:
            bad = os.path.join(os.fsencode(tmp), b"bad\nrun\x7f.json")
            with open(bad, "wb") as f:
                f.write(b'{"a":\n\x01}')
            line = self.error("replay", bad, "-o", os.path.join(tmp, "r.html"))
            self.assertIn("bad\\nrun\\x7f.json' is not a tilerace run: line 2, column 1", line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
