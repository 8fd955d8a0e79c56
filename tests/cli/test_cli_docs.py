#!/usr/bin/env python3
"""The help, the man page and the shell completions against the sources' tables: every command
of host/cli/commands.c and every option of host/core/options.c (read from the C sources here,
not from the generated files) appears in its command's --help and `help COMMAND`, in its
command's section of the man page and in its command's completion; the page renders without a
warning; bash completes commands, options, choices, files and device selectors; the page's
ENVIRONMENT names every variable the program reads and EXIT STATUS every exit code."""
import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GENERATED = os.environ.get("TILERACE_GENERATED", os.path.join(ROOT, "build", "generated"))
MAN_PAGE = os.path.join(GENERATED, "tilerace.1")
BASH_COMPLETION = os.path.join(GENERATED, "tilerace.bash")
ZSH_COMPLETION = os.path.join(GENERATED, "_tilerace")


def source(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def source_commands():
    """[(name, command id or None)] in the table's order."""
    return [(name, None if cid == "-1" else cid) for name, cid in
            re.findall(r'^\s*\{"([a-z]+)",\s*(TR_CMD_[A-Z_]+|-1),', source("host/cli/commands.c"),
                       re.M)]


def source_options():
    """{command id: [option dicts]} from the option table: name, short name, whether it takes
    a value, its choices' names."""
    text = source("host/core/options.c")
    masks = {m: cid for m, cid in re.findall(r"#define (\w+)\s+\(1u << (TR_CMD_\w+)\)", text)}
    all_ids = [cid for _, cid in source_commands() if cid]
    choices = {name: re.findall(r'\{"([^"]+)",', body) for name, body in
               re.findall(r"tr_option_choice (\w+)\[\] = \{(.*?)\{NULL, NULL\}", text, re.S)}
    table = text[text.index("const struct tr_option tr_options["):]
    options = {cid: [] for cid in all_ids}
    for entry in re.split(r"\n\s*\[TR_OPTION_\w+\]\s*=", table)[1:]:
        name = re.search(r'\.name = "([^"]+)"', entry).group(1)
        short = re.search(r"\.short_name = '(.)'", entry)
        mask = re.search(r"\.commands = ([A-Z_ |]+),", entry).group(1)
        kind = re.search(r"\.type = (TR_VALUE_\w+)", entry)
        kind = kind.group(1) if kind else "TR_VALUE_NUMBER"  # the NUMBER() macro
        chosen = re.search(r"\.choices = (\w+)", entry)
        option = dict(name=name, short=short.group(1) if short else None,
                      valued=kind != "TR_VALUE_NONE", kind=kind,
                      choices=choices[chosen.group(1)] if chosen else [])
        for m in (x.strip() for x in mask.split("|")):
            for cid in (all_ids if m == "ALL" else [masks[m]]):
                options[cid].append(option)
    return options


def tilerace(*args):
    p = subprocess.run([tt.BINARY] + list(args), capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def built_commands():
    """The commands of the table that this build has: `help CMD` says the others are not."""
    built = []
    for name, cid in source_commands():
        rc, _, err = tilerace("help", name)
        if rc != 0:
            assert "not in this build" in err, err
            continue
        built.append((name, cid))
    return built


def render(page, width=80):
    env = dict(os.environ, MANWIDTH=str(width), LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)  # plain text, not overstrikes
    p = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, env=env,
                       timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def man_sections(text):
    """{section heading: text} of a rendered page; COMMANDS subsections as 'COMMANDS name'."""
    sections, name, sub = {}, None, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            name, sub = line.strip(), None
            continue
        m = re.match(r"^   (\S+)$", line)
        if name == "COMMANDS" and m:
            sub = m.group(1)
            continue
        key = f"{name} {sub}" if sub else name
        sections[key] = sections.get(key, "") + line + "\n"
    return sections


def bash_complete(words, script=BASH_COMPLETION):
    """COMPREPLY for COMP_WORDS=words (the cursor on the last word), as bash splits them."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (f"source '{script}' && COMP_WORDS=({quoted}) && "
               f"COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && _tilerace && "
               "printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                       timeout=120, cwd=ROOT)
    assert p.returncode == 0 and not p.stderr, (words, p.stderr.decode())
    return [w for w in p.stdout.decode().split("\n") if w]


def zsh_branches(text):
    """{command: its branch of the zsh function's case}"""
    return dict(re.findall(r"^  (\w+)\)\n(.*?)\n    ;;$", text, re.S | re.M))


class Tables(unittest.TestCase):
    maxDiff = 2000
    @classmethod
    def setUpClass(cls):
        cls.commands = built_commands()
        cls.options = source_options()
        cls.names = [name for name, _ in cls.commands]

    def test_the_tables_are_read(self):
        # the parsers above find what the sources certainly hold
        self.assertIn(("run", "TR_CMD_RUN"), self.commands)
        self.assertIn("help", self.names)
        run = {o["name"]: o for o in self.options["TR_CMD_RUN"]}
        self.assertEqual(run["mode"]["choices"][:3], ["sequential", "concurrent", "dynamic"])
        self.assertEqual(run["out"]["short"], "o")
        self.assertIn("help", {o["name"] for o in self.options["TR_CMD_DEVICES"]})

    def test_every_command_has_its_own_help(self):
        for name, cid in self.commands:
            with self.subTest(command=name):
                rc, own, err = tilerace(name, "--help")
                self.assertEqual((rc, err), (0, ""))
                rc, via_help, err = tilerace("help", name)
                self.assertEqual((rc, err, via_help), (0, "", own))
                usage = "[run]" if name == "run" else name
                self.assertTrue(own.startswith(f"Usage: tilerace {usage}"), own[:80])
                for o in self.options.get(cid, []):
                    self.assertRegex(own, rf"(?m)^  (-{o['short']}, )?--{o['name']}\b")
        rc, out, err = tilerace("help")
        self.assertEqual((rc, err), (0, ""))
        for name in self.names:
            self.assertRegex(out, rf"(?m)^  {name} ")

    def test_man_page_renders_without_warnings(self):
        rc, _, err = render(MAN_PAGE)
        self.assertEqual((rc, err), (0, ""))
        p = subprocess.run(["groff", "-man", "-ww", "-z", MAN_PAGE], capture_output=True,
                           timeout=120)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""))

    def test_man_page_has_every_command_and_option(self):
        _, text, _ = render(MAN_PAGE)
        sections = man_sections(text)
        for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "ENVIRONMENT", "FILES",
                        "EXAMPLES", "SEE ALSO"):
            self.assertIn(heading, sections)
        for name, cid in self.commands:
            with self.subTest(command=name):
                section = sections.get(f"COMMANDS {name}")
                self.assertIsNotNone(section, f"no COMMANDS subsection for {name}")
                self.assertIn(f"tilerace {'[run]' if name == 'run' else name}",
                              sections["SYNOPSIS"])
                for o in self.options.get(cid, []):
                    self.assertRegex(section, rf"(?m)^       (-{o['short']}, )?--{o['name']}\b")
                    for choice in o["choices"]:
                        self.assertIn(choice, section)

    def test_man_page_environment_and_exit_status(self):
        _, text, _ = render(MAN_PAGE)
        sections = man_sections(text)
        read = set()
        for path in glob.glob(os.path.join(ROOT, "host", "**", "*.c"), recursive=True):
            with open(path) as f:
                read |= set(re.findall(r'getenv\("(\w+)"\)', f.read()))
        self.assertIn("TILERACE_CPU_ISA", read)
        for variable in read:
            self.assertRegex(sections["ENVIRONMENT"], rf"\b{variable}\b")
        codes = re.findall(r"TR_EXIT_\w+ = (\d+)", source("host/cli/exit_codes.h"))
        self.assertGreaterEqual(len(codes), 5)
        self.assertEqual(re.findall(r"(?m)^       (\d+)\s", sections["EXIT STATUS"]), codes)

    def test_bash_completion_has_every_command_and_option(self):
        self.assertEqual(bash_complete(["tilerace", ""]), self.names)
        for name, cid in self.commands:
            if cid is None:
                continue
            with self.subTest(command=name):
                words = ["tilerace", "--"] if name == "run" else ["tilerace", name, "--"]
                offered = bash_complete(words)
                self.assertEqual(sorted(offered),
                                 sorted("--" + o["name"] for o in self.options[cid]))
                for o in self.options[cid]:
                    if o["choices"] and o["kind"] == "TR_VALUE_CHOICE":
                        self.assertEqual(bash_complete(words[:-1] + [f"--{o['name']}", ""]),
                                         o["choices"])

    def test_bash_completes_a_command_an_option_a_choice_and_files(self):
        self.assertEqual(bash_complete(["tilerace", "sel"]), ["selftest"])
        self.assertEqual(bash_complete(["tilerace", "--time-l"]), ["--time-limit-ms"])
        self.assertEqual(bash_complete(["tilerace", "run", "--mode", "dy"]), ["dynamic"])
        # --mode=dyn: bash splits at '='
        self.assertEqual(bash_complete(["tilerace", "--mode", "=", "con"]), ["concurrent"])
        self.assertEqual(bash_complete(["tilerace", "help", "dev"]), ["devices"])
        with tempfile.TemporaryDirectory() as tmp:
            for f in ("run-a.json", "run-b.json"):
                open(os.path.join(tmp, f), "w").close()
            os.mkdir(os.path.join(tmp, "kernels"))
            self.assertEqual(sorted(bash_complete(["tilerace", "-o", f"{tmp}/run-"])),
                             [f"{tmp}/run-a.json", f"{tmp}/run-b.json"])
            self.assertEqual(bash_complete(["tilerace", "selftest", "--kernel-dir", f"{tmp}/"]),
                             [f"{tmp}/kernels"])
            if "replay" in self.names:
                self.assertEqual(len(bash_complete(["tilerace", "replay", f"{tmp}/run-"])), 2)

    def test_bash_completes_device_selectors_from_the_program(self):
        rc, out, err = tilerace("devices", "--selectors")
        self.assertEqual((rc, err), (0, ""))
        selectors = out.split()
        self.assertEqual(selectors[0], "cpu")
        for s in selectors:
            self.assertRegex(s, r"^(cpu|opencl|gpu|pocl|[a-z]+|opencl:\d+\.\d+)$")
        rc, listing, _ = tilerace("devices", "--json")
        for selector in re.findall(r'"selector":\s*"([^"]+)"', listing):
            self.assertIn(selector, selectors)
        # the completion asks the program it completes (COMP_WORDS[0])
        self.assertEqual(bash_complete([tt.BINARY, "--device", ""]), selectors)
        self.assertEqual(bash_complete([tt.BINARY, "--device", "cpu,c"]), ["cpu,cpu"])
        indexed = [s for s in selectors if ":" in s]
        if indexed:
            # opencl:0.0: bash splits at ':' and replaces what follows it
            head, tail = indexed[0].split(":")
            self.assertEqual(bash_complete([tt.BINARY, "--device", head, ":", tail[:1]]),
                             [s.split(":")[1] for s in indexed if s.split(":")[1][:1] == tail[:1]])

    def test_zsh_completion_has_every_command_and_option(self):
        p = subprocess.run(["zsh", "-n", ZSH_COMPLETION], capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""))
        with open(ZSH_COMPLETION) as f:
            text = f.read()
        self.assertTrue(text.startswith("#compdef tilerace\n"))
        branches = zsh_branches(text)
        self.assertEqual(list(branches), self.names)
        for name in self.names:
            self.assertRegex(text, rf"(?m)^    '{name}:")
        for name, cid in self.commands:
            for o in self.options.get(cid, []):
                with self.subTest(command=name, option=o["name"]):
                    self.assertRegex(branches[name], rf"--{o['name']}=?\[")
                    if o["kind"] == "TR_VALUE_CHOICE":
                        self.assertIn(f"--{o['name']}=[", branches[name])
                        self.assertIn("(" + " ".join(o["choices"]) + ")", branches[name])


if __name__ == "__main__":
    unittest.main(verbosity=2)
