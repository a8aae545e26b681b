#!/usr/bin/env python3
"""Layout rules of issue 14, checked on every test run (meson suite unit).

  scripts/layout_check.py [--objs BUILD_DIR]

1. No file over 700 lines in dataplane/, control/, conf/, shm/.
2. No function over 80 lines on the packet path: dataplane/ (the engines
   under dhcp/, tftp/, net/ and the worker glue).  The project's style puts
   a function's opening '{' and closing '}' alone in column 0, which is what
   this counts between (body lines, braces excluded).
3. No include circle anywhere and, with --objs, no call circle between the
   object files of a library (scripts/include_graph.py).
Exit status 1 with one line per violation.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE_DIRS = ("dataplane", "control", "conf", "shm")
MAX_LINES = 700
FN_DIRS = ("dataplane",)
MAX_FN = 80


def sources(dirs):
    for d in dirs:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(base, f)


def functions(lines):
    """(name, first line, body length) of each column-0 braced function."""
    start = None
    for i, l in enumerate(lines):
        if l.startswith("{") and i > 0 and "(" in "".join(lines[max(0, i - 4):i]):
            name = lines[i - 1].split("(")[0].split()[-1] if "(" in lines[i - 1] else "?"
            for k in range(i - 1, max(-1, i - 5), -1):
                if "(" in lines[k] and not lines[k].startswith((" ", "\t")):
                    name = lines[k].split("(")[0].split()[-1].lstrip("*")
                    break
            start = (name, i)
        elif l.startswith("}") and start:
            yield start[0], start[1] + 1, i - start[1] - 1
            start = None


def main():
    bad = []
    for p in sources(SIZE_DIRS):
        with open(p, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        rel = os.path.relpath(p, ROOT)
        if n > MAX_LINES:
            bad.append("%s: %d lines (at most %d)" % (rel, n, MAX_LINES))
        if rel.startswith(FN_DIRS) and p.endswith(".c"):
            for name, at, body in functions(lines):
                if body > MAX_FN:
                    bad.append("%s:%d: %s(): %d lines (at most %d on the packet path)"
                               % (rel, at, name, body, MAX_FN))
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "include_graph.py")] + sys.argv[1:]
    r = subprocess.run(cmd, capture_output=True, text=True)
    for l in r.stdout.splitlines():
        if l.startswith("circle"):
            bad.append(l)
    if r.returncode not in (0, 1):
        bad.append("include_graph.py failed: " + r.stderr.strip())
    for b in bad:
        print(b)
    print("layout: %d violation(s)" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
