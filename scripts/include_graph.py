#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Include graph and circles (issue 14).

  scripts/include_graph.py [--list DIR...] [--objs BUILD_DIR]

1. Files: every `#include "..."` between the tree's .c/.h files (resolved
   against the repository root, then the including file's folder).  Prints
   each circle (strongly connected component) found anywhere in the tree.
2. With --objs: calls between the object files of each static library in
   BUILD_DIR (nm: undefined symbol in a.o defined by b.o -> a calls b).  A
   circle here is the "helper defined in the orchestrator that calls it"
   pattern, which header-level graphs miss when one private header declares
   several files' functions.
With --list, also prints the include edges of the files under each DIR.
Exit status 1 when any circle is found.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = {'.git', 'build', 'subprojects'}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if x not in SKIP and not x.startswith('build')]
        for f in files:
            if f.endswith(('.c', '.h')):
                yield os.path.relpath(os.path.join(d, f), ROOT)


def include_edges():
    edges = defaultdict(set)
    for f in sources():
        try:
            text = open(os.path.join(ROOT, f), errors='replace').read()
        except OSError:
            continue
        for inc in INC.findall(text):
            for cand in (inc, os.path.normpath(os.path.join(os.path.dirname(f), inc))):
                if os.path.isfile(os.path.join(ROOT, cand)):
                    edges[f].add(cand)
                    break
    return edges


def sccs(edges):
    """Tarjan, iterative.  Returns the components that form a circle."""
    nodes = set(edges) | {v for vs in edges.values() for v in vs}
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = n[0]; n[0] += 1
        stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n[0]; n[0] += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in edges.get(v, ()):
                    out.append(sorted(comp))
    return out


def object_edges(build):
    """Per static library: which object calls which."""
    libs = defaultdict(dict)
    objs = []
    for d, _, files in os.walk(build):
        if d.endswith('.a.p'):
            objs += [os.path.join(d, f) for f in sorted(files) if f.endswith('.o')]
    # One nm for every object (-A: each line starts with its file): one
    # process per object took 3-6 s of the layout test's run on this tree.
    for p in objs:
        libs[os.path.relpath(os.path.dirname(p), build)][os.path.basename(p)[:-2]] = (set(), set())
    nm = subprocess.run(['nm', '-A'] + objs, capture_output=True, text=True).stdout if objs else ''
    for line in nm.splitlines():
        p, sep, rest = line.partition('.o:')
        if not sep:
            continue
        p += '.o'
        key = os.path.relpath(os.path.dirname(p), build), os.path.basename(p)[:-2]
        if key[1] not in libs.get(key[0], {}):
            continue
        defs, undef = libs[key[0]][key[1]]
        parts = rest.split()
        if len(parts) == 2 and parts[0] == 'U':
            undef.add(parts[1])
        elif len(parts) == 3 and parts[1] in 'TDBRCW':
            defs.add(parts[2])
    out = {}
    for lib, objs in libs.items():
        e = defaultdict(set)
        for a, (_, undef) in objs.items():
            for b, (defs, _) in objs.items():
                if a != b and undef & defs:
                    e[a].add(b)
        out[lib] = e
    return out


def main(argv):
    lst, build = [], None
    i = 0
    while i < len(argv):
        if argv[i] == '--list':
            i += 1
            while i < len(argv) and not argv[i].startswith('--'):
                lst.append(argv[i].rstrip('/') + '/'); i += 1
            continue
        if argv[i] == '--objs':
            build = argv[i + 1]; i += 2
            continue
        sys.exit(__doc__)
    edges = include_edges()
    for a in sorted(edges):
        if any(a.startswith(d) for d in lst):
            print('%s -> %s' % (a, ', '.join(sorted(edges[a]))))
    bad = 0
    comps = sccs(edges)
    for c in comps:
        print('circle (includes): %s' % ' <-> '.join(c))
        bad += 1
    print('include circles in the tree: %d' % len(comps))
    if build:
        for lib, e in sorted(object_edges(build).items()):
            for c in sccs(e):
                print('circle (calls, %s): %s' % (lib, ' <-> '.join(c)))
                bad += 1
        print('object call graphs checked under %s' % build)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
