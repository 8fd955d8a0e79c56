#!/usr/bin/env python3
"""The library layers of host/: a library includes only itself and the libraries below it.

    check_layers.py HOST_DIR      (exit 0: every include follows the layers; 1: one does not)

LAYERS is the rule, written once: each folder under host/ is a static library, with the
libraries it links directly. host/CMakeLists.txt must link exactly these (so the rule and the
build cannot drift apart), and every #include of a library's header, from any file under
host/, must name the file's own library or one it reaches through these links. The headers
of the optional packages belong to their backend alone: OpenCL's to opencl/, libmicrohttpd's
to server/, so the builds without them (TILERACE_OPENCL=OFF, TILERACE_SERVER=OFF) keep
compiling. A folder that is not in LAYERS fails too: a new library takes its place here.
"""
import os
import re
import sys

#   core <- cpu, output <- opencl <- devices <- bench, replay, server <- cli <- mpi
LAYERS = {
    "core": (),
    "cpu": ("core",),
    "output": ("core",),
    "opencl": ("core", "output"),
    "devices": ("cpu", "opencl"),
    "bench": ("devices",),
    "replay": ("output",),
    "server": ("devices", "replay"),
    "cli": ("bench", "devices", "replay", "server"),
    "mpi": ("cli",),
}
# Optional packages: the include paths that belong to one library only.
PACKAGE_HEADERS = {"CL/": "opencl", "microhttpd.h": "server", "mpi.h": "mpi"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
LINK = re.compile(r"target_link_libraries\(\s*tilerace_(\w+)([^)]*)\)")
ADD_LIBRARY = re.compile(r"add_library\(\s*tilerace_(\w+)")
SOURCE_SUFFIXES = (".c", ".h", ".inc", ".def")


def reachable(lib):
    """The libraries lib may include: itself and everything below it."""
    seen, todo = set(), [lib]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(LAYERS.get(name, ()))
    return seen


def included_library(host, path, quote, target):
    """The library a header belongs to, or None for system and generated headers."""
    candidates = [os.path.join(os.path.dirname(path), target)] if quote == '"' else []
    candidates.append(os.path.join(host, target))
    for c in candidates:
        if os.path.isfile(c):
            rel = os.path.relpath(os.path.realpath(c), os.path.realpath(host)).split(os.sep)
            return rel[0] if len(rel) > 1 and not rel[0].startswith("..") else None
    first = target.split("/", 1)[0]
    return first if "/" in target and first in LAYERS else None


def check_includes(host):
    problems = []
    for folder in sorted(os.listdir(host)):
        top = os.path.join(host, folder)
        if not os.path.isdir(top):
            continue
        if folder not in LAYERS:
            problems.append(f"host/{folder}/ is not in the layer table (LAYERS in "
                            "tests/unit/check_layers.py): "
                            "add it with the libraries it links")
            continue
        allowed = reachable(folder)
        for dirpath, _, names in os.walk(top):
            for name in sorted(n for n in names if n.endswith(SOURCE_SUFFIXES)):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, host)
                with open(path, errors="replace") as f:
                    lines = f.read().splitlines()
                for number, line in enumerate(lines, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    quote, target = m.groups()
                    owner = included_library(host, path, quote, target)
                    if owner is not None and owner not in allowed:
                        problems.append(f"host/{rel}:{number}: {folder} includes '{target}' "
                                        f"of {owner}, which is not below it (allowed: "
                                        f"{', '.join(sorted(allowed))})")
                    for prefix, package_owner in PACKAGE_HEADERS.items():
                        if quote == "<" and target.startswith(prefix) and folder != package_owner:
                            problems.append(f"host/{rel}:{number}: {folder} includes "
                                            f"<{target}>, which only {package_owner} may include")
    return problems


def check_links(host):
    """host/CMakeLists.txt links each library to exactly the libraries LAYERS names."""
    cmake = os.path.join(host, "CMakeLists.txt")
    if not os.path.isfile(cmake):
        return [f"{cmake} is missing"]
    with open(cmake) as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    problems = []
    declared = set(ADD_LIBRARY.findall(text))
    for lib in sorted(declared - set(LAYERS)):
        problems.append(f"host/CMakeLists.txt: tilerace_{lib} is not in the layer table "
                        "(LAYERS in tests/unit/check_layers.py)")
    links = {}
    for lib, rest in LINK.findall(text):
        links.setdefault(lib, set()).update(re.findall(r"\btilerace_(\w+)", rest))
    for lib in sorted(declared & set(LAYERS)):
        linked, wanted = links.get(lib, set()), set(LAYERS[lib])
        if linked != wanted:
            problems.append(f"host/CMakeLists.txt: tilerace_{lib} links "
                            f"{', '.join(sorted(linked)) or 'no library'}; the layers say "
                            f"{', '.join(sorted(wanted)) or 'none'}")
    return problems


def main(argv):
    if len(argv) != 2:
        print("usage: check_layers.py HOST_DIR", file=sys.stderr)
        return 2
    host = argv[1]
    if not os.path.isdir(host):
        print(f"check_layers: '{host}' is not a folder", file=sys.stderr)
        return 2
    problems = check_links(host) + check_includes(host)
    for p in problems:
        print(p)
    if not problems:
        print(f"check_layers: every include under {host} follows "
              "core <- cpu, output <- opencl <- devices <- replay, server <- cli")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
