#!/usr/bin/env python3
"""The README's option tables are what `tilerace help --markdown COMMAND` prints from the option
table in the source, so the two cannot disagree. Each table sits between

    <!-- options: tilerace help --markdown COMMAND -->
    ...
    <!-- end options -->

and every command that takes options has one. `test_readme_options.py --write [README]` puts
freshly generated tables in place."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
BLOCK = re.compile(r"(<!-- options: tilerace help --markdown (\w+) -->\n)(.*?)(<!-- end options -->)",
                   re.S)
COMMANDS_WITH_OPTIONS = ("run", "replay", "compare", "devices", "selftest", "serve", "bench")


def generated(command):
    p = subprocess.run([tt.BINARY, "help", "--markdown", command], capture_output=True,
                       timeout=60, check=True)
    return p.stdout.decode()


class ReadmeOptions(unittest.TestCase):
    def test_tables_are_generated(self):
        with open(README, encoding="utf-8") as f:
            text = f.read()
        found = []
        for m in BLOCK.finditer(text):
            command = m.group(2)
            found.append(command)
            with self.subTest(command=command):
                self.assertEqual(m.group(3), generated(command),
                                 f"README's {command} options differ from the source; "
                                 f"run tests/test_readme_options.py --write")
        self.assertEqual(sorted(found), sorted(COMMANDS_WITH_OPTIONS))

    def test_markdown_of_an_unknown_command_fails(self):
        p = subprocess.run([tt.BINARY, "help", "--markdown", "nosuch"], capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"unknown command 'nosuch'", p.stderr)


def write(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = BLOCK.sub(lambda m: m.group(1) + generated(m.group(2)) + m.group(4), text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--write":
        write(sys.argv[2] if len(sys.argv) > 2 else README)
    else:
        unittest.main(verbosity=2)
