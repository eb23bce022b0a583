#!/usr/bin/env python3
"""Benchmarks of heph search and heph import taskwarrior (not tests).

usage: search_import.py HEPH [--tasks N] [--runs R]

Generates N tasks with gen.py (default 100000) as heph ops and as a
Taskwarrior export, applies the ops, then times one `heph search` process
per query (median of R runs, wall and CPU), and `heph import taskwarrior`
of 10,000 tasks into an empty database (and again, when nothing is new).
Budgets (issue 3): search at most 20 ms, import of 10k tasks at most 2 s.
CPU time is given beside wall time: on a shared machine it is the steadier.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES = ["invoice", "review slides", "call*", "step", "first step", "invoice step", "xyzzy"]


def timed(cmd, runs):
    walls, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append((time.perf_counter() - t0) * 1000)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("heph")
    ap.add_argument("--tasks", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    heph = os.path.abspath(a.heph)
    with tempfile.TemporaryDirectory() as d:
        ops, db = os.path.join(d, "ops.jsonl"), os.path.join(d, "heph.db")
        with open(ops, "w") as f:
            subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--tasks", str(a.tasks)], stdout=f,
                           stderr=subprocess.DEVNULL, check=True)
        subprocess.run([heph, "--db", db, "apply", ops], stdout=subprocess.DEVNULL, check=True)
        print("heph search, %d tasks (%d runs each; median ms)" % (a.tasks, a.runs))
        print("| query | wall | cpu |\n|---|---|---|")
        for q in QUERIES:
            w, c = timed([heph, "--db", db, "search"] + q.split(), a.runs)
            print("| `%s` | %.1f | %.1f |" % (q, w, c))

        tw = os.path.join(d, "tw.jsonl")
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--tasks", "10000", "--projects", "300",
                        "--taskwarrior", tw], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls, cpus = [], []
        for i in range(3):
            idb = os.path.join(d, "import%d.db" % i)
            w, c = timed([heph, "--db", idb, "import", "taskwarrior", tw], 1)
            walls.append(w)
            cpus.append(c)
        again = timed([heph, "--db", os.path.join(d, "import0.db"), "import", "taskwarrior", tw], 1)
        print("\nheph import taskwarrior, 10000 tasks (median of 3; s)")
        print("| | wall | cpu |\n|---|---|---|")
        print("| into an empty database | %.2f | %.2f |" % (statistics.median(walls) / 1000, statistics.median(cpus) / 1000))
        print("| the same file again | %.2f | %.2f |" % (again[0] / 1000, again[1] / 1000))


if __name__ == "__main__":
    main()
