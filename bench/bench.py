#!/usr/bin/env python3
"""heph's benchmarks: heph against Taskwarrior and against SQLite itself.

usage: bench.py HEPH [--quick] [--out bench/RESULTS.md] [--sizes 10000,100000,1000000]
                [--baseline OLD_HEPH --baseline-rev REV] [--tw-max 100000]

For each size the data generator (gen.py) writes one set of tasks twice: as
heph ops and as a Taskwarrior import file. heph applies the ops (timed: the
engine's ops per second and peak memory), Taskwarrior imports the tasks,
and then each pair of commands is timed as whole processes with hyperfine,
over repeated runs (median, min, max). The floor is the same query run by
the sqlite3 shell on the same database: every heph figure is also given as
a multiple of what SQLite itself needs for it. Writes (add, done) are timed
on their own copies of the databases, one fresh task per run.

--baseline times another heph build (bench/run.sh builds BASELINE=REV for
it) on the same data in the same run: it applies the same ops into its own
database and runs the same commands, so every table has heph-now beside
heph-before. Taskwarrior runs on the sets of up to --tw-max tasks: on 1M
tasks its import alone needs about 5 GB of memory and each read takes
seconds, so it is skipped there (the table says so).

Every figure of issue 15's table that is about these reads and apply gets
its goal beside it, and a summary table at the top says which are met.

The results replace bench/RESULTS.md (a Markdown table with the machine and
the date). Everything runs in a temporary directory that is removed after.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TODAY = "2026-11-27"  # gen.py's default "today"; HEPH_NOW for heph
LOAD = "?"
NEXT_LIMIT = 10       # heph next's default number of tasks (NEXT_LIMIT in src/lib/domain/views.c)
VIEW_LIMIT = 100      # a view's default number of tasks (VIEW_LIMIT in src/lib/domain/views.c)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


CPU = {}  # command -> mean CPU seconds (user + system) per run, from hyperfine


def hyperfine(cmds, runs, env, warmup=3, params=None):
    """Time each command; returns a list of lists of seconds (one per command).
    The mean CPU time of each is kept in CPU (steadier than wall time on a
    busy machine)."""
    out = tempfile.mktemp(suffix=".json")
    args = ["hyperfine", "-N", "--style", "none", "-w", str(warmup), "-r", str(runs), "--export-json", out]
    if params:
        args += ["-L", params[0], ",".join(params[1])]
    subprocess.run(args + cmds, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(out) as f:
        res = json.load(f)["results"]
    os.unlink(out)
    for c, r in zip(cmds * len(res), res):
        CPU.setdefault(c, []).append(r["user"] + r["system"])
    return [r["times"] for r in res]


def cpu_ms(cmd):
    v = CPU.get(cmd)
    return "%.1f" % (1000 * statistics.mean(v)) if v else "—"


def stats(times):
    ms = [t * 1000 for t in times]
    return statistics.median(ms), min(ms), max(ms)


def fmt(st):
    if st is None:
        return "—"
    med, lo, hi = st
    return "%.1f (%.1f–%.1f)" % (med, lo, hi)


def ratio(a, b):
    if a is None or b is None or b[0] == 0:
        return "—"
    r = a[0] / b[0]
    return ("%.3f×" if r < 0.1 else "%.2f×") % r


def peak_kb(cmd, env):
    r = subprocess.run(["/usr/bin/time", "-f", "%M %e %U %S"] + cmd, env=env, text=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = r.stderr.strip().splitlines()[-1].split()
    peak_kb.cpu = float(last[2]) + float(last[3])
    return int(last[0]), float(last[1])


def cpu_model(default="?"):
    """The CPU's model name from /proc/cpuinfo, or default."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return default


def machine():
    cpu = cpu_model()
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024 // 1024
    except OSError:
        pass
    return "%s, %d cores, %d GiB, %s %s" % (cpu, os.cpu_count() or 0, mem, platform.system(), platform.release())


# The SQL that heph runs for each read, as the sqlite3 shell runs it. The
# list is read part by part in index order (late, then each band; see
# src/lib/domain/query.c), with each row's neighbours for its short id and
# its handle.
FLOOR = {
    "list": "".join(
        "SELECT n.id, n.title, t.state, t.attention, t.do_date, t.late_on, t.recurrence, t.project_id, "
        "p.title, t.context_id, t.created_hlc, n.updated_hlc, n.tombstone_hlc, "
        "(SELECT max(node_id) FROM tasks WHERE node_id < t.node_id), "
        "(SELECT min(node_id) FROM tasks WHERE node_id > t.node_id), t.handle, "
        "(SELECT max(handle) FROM tasks WHERE state = 'outstanding' AND deleted = 0 AND handle < t.handle), "
        "(SELECT min(handle) FROM tasks WHERE state = 'outstanding' AND deleted = 0 AND handle > t.handle) "
        "FROM tasks t JOIN nodes n ON n.id = t.node_id LEFT JOIN nodes p ON p.id = t.project_id "
        "WHERE t.state = 'outstanding' AND t.deleted = 0 AND %s ORDER BY %s;" % part for part in [
            ("t.late_on IS NOT NULL AND t.late_on < '%s'" % TODAY,
             "t.late_on, CASE t.attention WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'white' THEN 2 ELSE 3 END, "
             "t.created_hlc, t.node_id")] + [
            ("t.attention = '%s' AND (t.late_on IS NULL OR t.late_on >= '%s')" % (band, TODAY),
             "t.created_hlc, t.node_id") for band in ("red", "orange", "white", "blue")]),
    "projects": "SELECT id, title, parent_id FROM nodes WHERE kind = 'project' AND tombstone_hlc IS NULL; "
                "SELECT project_id, count(*) FROM tasks WHERE state = 'outstanding' AND deleted = 0 "
                "AND project_id IS NOT NULL GROUP BY project_id;",
    "count": "SELECT count(*) FROM tasks WHERE state = 'outstanding' AND deleted = 0;",
    # what is next: its candidates in rank order, the first N and every red one
    # beyond (the answer heph gives), for N = 10 (next) and 100 (view tom)
    "next": "SELECT id, title, attention, do_date, late_on FROM (SELECT n.id, n.title, t.attention, t.do_date, "
            "t.late_on, row_number() OVER (ORDER BY (t.late_on IS NOT NULL AND t.late_on < '%s') DESC, "
            "CASE WHEN t.late_on < '%s' THEN t.late_on END, "
            "CASE t.attention WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END, t.created_hlc, t.node_id) AS k "
            "FROM tasks t JOIN nodes n ON n.id = t.node_id "
            "WHERE t.state = 'outstanding' AND t.deleted = 0 AND t.attention <> 'blue' "
            "AND (t.do_date IS NULL OR t.do_date <= '%s')) WHERE k <= %%d OR attention = 'red' ORDER BY k;"
            % (TODAY, TODAY, TODAY),
}


def floor_write(kind, node_id):
    """What SQLite needs for the rows heph writes: one transaction."""
    if kind == "add":
        return ("BEGIN IMMEDIATE; "
                "INSERT INTO oplog(op_id, hlc, origin, type, payload, status, local) VALUES "
                "(hex(randomblob(13)), '009999999999999-00000-ffffffffffffffff', 'ffffffffffffffff', "
                "'task.create', '{\"title\":\"bench task\"}', 0, 1); "
                "INSERT INTO nodes(id, kind, title, created_hlc, updated_hlc) VALUES "
                "(hex(randomblob(13)), 'task', 'bench task', '0', '0'); "
                "INSERT INTO tasks(node_id, created_hlc) VALUES (hex(randomblob(13)), '0'); COMMIT;")
    return ("BEGIN IMMEDIATE; "
            "INSERT INTO oplog(op_id, hlc, origin, type, payload, status, local) VALUES "
            "(hex(randomblob(13)), '009999999999999-00000-ffffffffffffffff', 'ffffffffffffffff', "
            "'task.set', '{\"state\":\"done\"}', 0, 1); "
            "UPDATE tasks SET state = 'done' WHERE node_id = '%s'; COMMIT;" % node_id)


def has_verb(heph, verb):
    return subprocess.run([heph, verb, "--help"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


# Issue 15's goals for these commands: (row, size) -> (text, test of the row).
# A row is a dict with the medians "h", "tw", "floor" (ms, or None).
def goal(name, n):
    fast = {100000: 10, 1000000: 15}
    if name == "outstanding list" and n == 10000:
        return "≥ 10× faster than Taskwarrior", lambda r: r["tw"] is not None and r["tw"] >= 10 * r["h"]
    if name == "outstanding list" and n == 100000:
        return "≤ 1.2× the floor", lambda r: r["floor"] is not None and r["h"] <= 1.2 * r["floor"]
    if name != "outstanding list" and n in fast:
        return "≤ %d ms" % fast[n], lambda r, ms=fast[n]: r["h"] <= ms
    return None, None


APPLY_GOAL = 200000  # ops per second, issue 15


def median(st):
    return st[0] if st else None


def run_size(heph, n, runs, work, env, base=None, tw=True):
    d = os.path.join(work, "n%d" % n)
    os.makedirs(d)
    ops, twf, pairs = (os.path.join(d, x) for x in ("ops.jsonl", "tw.json", "pairs.txt"))
    with open(ops, "w") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--tasks", str(n), "--pairs", pairs]
                       + (["--taskwarrior", twf] if tw else []),
                       stdout=f, stderr=subprocess.DEVNULL, check=True)
    nops = sum(1 for _ in open(ops))
    db = os.path.join(d, "heph.db")
    kb, secs = peak_kb([heph, "--db", db, "apply", ops], env)
    res = {"n": n, "ops": nops, "apply_s": secs, "apply_kb": kb, "apply_cpu": peak_kb.cpu, "tw": tw,
           "base": base is not None}
    bdb = os.path.join(d, "before.db")
    if base:
        # the baseline applies the same ops into its own database (an older
        # heph may not open a newer schema); the data are the same
        kb, secs = peak_kb([base, "--db", bdb, "apply", ops], env)
        res.update(b_apply_s=secs, b_apply_kb=kb, b_apply_cpu=peak_kb.cpu)
        sh([base, "--db", bdb, "digest"], env=env)
    os.unlink(ops)

    twdir = os.path.join(d, "tw")
    os.makedirs(twdir)
    rc = os.path.join(d, "taskrc")
    with open(rc, "w") as f:
        f.write("data.location=%s\nconfirmation=no\nverbose=nothing\nhooks=off\nrecurrence=off\n"
                "gc=on\nnews.version=2.6.2\n" % twdir)
    tenv = dict(env, TASKRC=rc)
    if tw:
        kb, secs = peak_kb(["task", "import", twf], tenv)
        res["tw_import_s"], res["tw_import_kb"] = secs, kb
        os.unlink(twf)
    res["outstanding"] = int(sh(["sqlite3", db, "SELECT count(*) FROM tasks WHERE state='outstanding' "
                                 "AND deleted=0"]).stdout)
    res["projects"] = int(sh(["sqlite3", db, "SELECT count(*) FROM nodes WHERE kind='project'"]).stdout)
    # Let heph's own files exist again after the sqlite3 shell (it removes
    # the WAL as it closes): heph keeps them between commands.
    sh([heph, "--db", db, "digest"], env=env)

    rows = []

    def row(name, hc, twc, t_h, t_tw, t_f, t_b, c_h, c_tw, c_b):
        g, ok = goal(name, n)
        r = {"name": name, "hc": hc, "twc": twc, "t_h": t_h, "t_tw": t_tw, "t_f": t_f, "t_b": t_b,
             "c_h": c_h, "c_tw": c_tw, "c_b": c_b, "goal": g or "—", "met": "—"}
        if g and t_h:
            r["met"] = "met" if ok({"h": median(t_h), "tw": median(t_tw), "floor": median(t_f)}) else "**not met**"
        rows.append(r)

    reads = [("outstanding list", "task list", "list", "list"),
             ("what is next", "task next", "next", "next"),
             ("top of mind", "task ready", "view tom", "tom"),
             ("project overview", "task projects", "project list", "projects"),
             ("count outstanding", "task count status:pending", "count", "count")]
    for name, twc, verb, floor in reads:
        hc = "%s --db %s %s" % (heph, db, verb) if has_verb(heph, verb.split()[0]) else None
        bc = "%s --db %s %s" % (base, bdb, verb) if base and has_verb(base, verb.split()[0]) else None
        t_tw = stats(hyperfine([twc], runs, tenv)[0]) if tw else None
        t_h = stats(hyperfine([hc], runs, env)[0]) if hc else None
        t_b = stats(hyperfine([bc], runs, env)[0]) if bc else None
        t_f = None
        if floor and hc:
            q = os.path.join(d, "floor-%s.sql" % floor)
            with open(q, "w") as f:
                sql = FLOOR["next"] % (NEXT_LIMIT if floor == "next" else VIEW_LIMIT) \
                    if floor in ("next", "tom") else FLOOR[floor]
                f.write(sql + "\n")
            t_f = stats(hyperfine(["sqlite3 -batch -init %s %s .quit" % (q, db)], runs, env)[0])
        row(name, "`%s`" % (verb if hc else "(pending)"), "`%s`" % twc, t_h, t_tw, t_f, t_b,
            cpu_ms(hc) if hc else "—", cpu_ms(twc) if tw else "—", cpu_ms(bc) if bc else "—")

    # Writes, each on its own copies so the reads above saw the generated set.
    pending = [line.split() for line in open(pairs)]
    wd = os.path.join(d, "w")
    os.makedirs(wd)
    wdb, wfloor, wtw = os.path.join(wd, "heph.db"), os.path.join(wd, "floor.db"), os.path.join(wd, "tw")
    wbdb = os.path.join(wd, "before.db")
    sh(["sqlite3", db, ".backup %s" % wdb])
    sh(["sqlite3", db, ".backup %s" % wfloor])
    if base:
        sh(["sqlite3", bdb, ".backup %s" % wbdb])
        sh([base, "--db", wbdb, "digest"], env=env)
    if tw:
        shutil.copytree(twdir, wtw)
    wrc = os.path.join(wd, "taskrc")
    with open(rc) as f, open(wrc, "w") as g:
        g.write(f.read().replace(twdir, wtw))
    wenv = dict(env, TASKRC=wrc)
    sh([heph, "--db", wdb, "digest"], env=env)
    q = os.path.join(wd, "add.sql")
    with open(q, "w") as f:
        f.write(floor_write("add", None) + "\n")
    add_h = "%s --db %s task \"bench task\"" % (heph, wdb)
    add_b = "%s --db %s task \"bench task\"" % (base, wbdb) if base else None
    row("add a task", "`task \"bench task\"`", "`task add \"bench task\"`",
        stats(hyperfine([add_h], runs, env)[0]),
        stats(hyperfine(["task add \"bench task\""], runs, wenv)[0]) if tw else None,
        stats(hyperfine(["sqlite3 -batch -init %s %s .quit" % (q, wfloor)], runs, env)[0]),
        stats(hyperfine([add_b], runs, env)[0]) if base else None,
        cpu_ms(add_h), cpu_ms("task add \"bench task\"") if tw else "—", cpu_ms(add_b) if base else "—")
    # each run completes a task of its own: heph, Taskwarrior, the floor
    # and the baseline take disjoint quarters of the outstanding ones
    k = min(runs, len(pending) // 4)
    picks = pending[:4 * k]
    hids, tids = [p[0] for p in picks], [p[1] for p in picks]
    for i, nid in enumerate(hids):
        with open(os.path.join(wd, "done%d.sql" % i), "w") as f:
            f.write(floor_write("done", nid) + "\n")
    flat = lambda ts: [t for one in ts for t in one]
    done_h, done_tw = "%s --db %s done {x}" % (heph, wdb), "task {x} done"
    done_b = "%s --db %s done {x}" % (base, wbdb) if base else None
    t_h = hyperfine([done_h], 1, env, warmup=0, params=("x", hids[:k]))
    t_tw = hyperfine([done_tw], 1, wenv, warmup=0, params=("x", tids[k:2 * k])) if tw else None
    t_f = hyperfine(["sqlite3 -batch -init %s/done{x}.sql %s .quit" % (wd, wfloor)], 1, env, warmup=0,
                    params=("x", [str(i) for i in range(2 * k, 3 * k)]))
    t_b = hyperfine([done_b], 1, env, warmup=0, params=("x", hids[3 * k:4 * k])) if base else None
    row("complete a task", "`done ID`", "`task UUID done`", stats(flat(t_h)), stats(flat(t_tw)) if tw else None,
        stats(flat(t_f)), stats(flat(t_b)) if base else None, cpu_ms(done_h), cpu_ms(done_tw) if tw else "—",
        cpu_ms(done_b) if base else "—")
    kb, _ = peak_kb([heph, "--db", db, "list"], env)
    res["list_kb"] = kb
    if base:
        res["b_list_kb"], _ = peak_kb([base, "--db", bdb, "list"], env)
    res["rows"] = rows
    shutil.rmtree(d, ignore_errors=True)  # a 1M set is gigabytes
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("heph")
    ap.add_argument("--quick", action="store_true", help="10k tasks only, fewer runs")
    ap.add_argument("--sizes", default=None)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--baseline", help="another heph build, timed beside this one")
    ap.add_argument("--baseline-rev", default="baseline", help="what the baseline is (a git revision)")
    ap.add_argument("--tw-max", type=int, default=100000, help="run Taskwarrior on sets of up to this many tasks")
    a = ap.parse_args()
    heph = os.path.abspath(a.heph)
    base = os.path.abspath(a.baseline) if a.baseline else None
    sizes = [int(x) for x in (a.sizes or ("10000" if a.quick else "10000,100000,1000000")).split(",")]
    runs = 10 if a.quick else 20
    env = dict(os.environ, HEPH_NOW=TODAY, NO_COLOR="1")
    env.pop("HEPH_DB", None)
    global LOAD
    LOAD = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    work = tempfile.mkdtemp(prefix="heph-bench.")
    try:
        results = []
        for n in sizes:
            print("bench: %d tasks..." % n, file=sys.stderr)
            # Taskwarrior takes seconds per command on the large set: fewer runs there.
            results.append(run_size(heph, n, runs if n <= 10000 else 10, work, env, base, n <= a.tw_max))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    tw_version = sh(["task", "--version"]).stdout.strip()
    sq_version = sh(["sqlite3", "--version"]).stdout.split()[0]
    before = " (`%s`)" % a.baseline_rev
    out = ["# heph benchmarks", "",
           "Regenerated by `make bench` (`bench/run.sh`%s); do not edit by hand." % (", QUICK=1" if a.quick else ""),
           "",
           "- Machine: %s; load average when the run began: %s (on a busy machine the wall-clock"
           " figures grow; the CPU columns, user + system time per run, much less)" % (machine(), LOAD),
           "- Date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "- heph %s; Taskwarrior %s; SQLite %s; %d runs per command on 10k tasks, 10 on larger sets"
           " (median, min–max, in ms)" % (sh([heph, "--version"]).stdout.split()[1], tw_version, sq_version, runs),
           "- Every figure is a whole process, start to exit. The floor is the same statements heph runs"
           " (or, for writes, the same rows in one transaction) through the `sqlite3` shell on the same database.",
           ]
    if base:
        out.append("- Before: heph built from `%s` (`BASELINE=%s`), on the same data in the same run:"
                   " it applied the same ops into its own database." % (a.baseline_rev, a.baseline_rev))
    skipped = [r["n"] for r in results if not r["tw"]]
    if skipped:
        out.append("- Taskwarrior was not run on the set(s) of %s tasks (above `--tw-max %d`): its import of"
                   " 100k tasks already takes about 550 MiB and 5 s and each of its reads up to a second there,"
                   " growing with the data, so on 1M tasks it would need gigabytes and minutes for each"
                   " table." % (", ".join(format(n, ",") for n in skipped), a.tw_max))
    out.append("")

    # issue 15's figures first, with their goals
    summary = []
    for r in results:
        for w in r["rows"]:
            if w["goal"] != "—":
                what = "`heph %s`" % w["hc"].strip("`")
                if w["name"] == "outstanding list" and r["n"] == 10000:
                    fig = "Taskwarrior's time / heph's: %s (%s against %s ms)" % (
                        ratio(w["t_tw"], w["t_h"]), fmt(w["t_h"]), fmt(w["t_tw"]))
                elif w["name"] == "outstanding list":
                    fig = "%s ms, %s the floor" % (fmt(w["t_h"]), ratio(w["t_h"], w["t_f"]))
                else:
                    fig = "%s ms" % fmt(w["t_h"])
                summary.append("| %s, %s tasks | %s | %s | %s |" % (what, format(r["n"], ","), fig, w["goal"],
                                                                    w["met"]))
        aps = int(r["ops"] / r["apply_s"]) if r["apply_s"] else 0
        summary.append("| `heph apply`, %s tasks (%s ops, one transaction) | %s ops/s | ≥ %s ops/s | %s |" % (
            format(r["n"], ","), format(r["ops"], ","), format(aps, ","), format(APPLY_GOAL, ","),
            "met" if aps >= APPLY_GOAL else "**not met**"))
    out += ["## Issue 15's figures for these commands", "",
            "| figure | measured | goal | |", "|---|---|---|---|"] + summary + [""]

    for r in results:
        bcols = base is not None
        out += ["## %s tasks (%s outstanding) in %s nested projects" % (
            format(r["n"], ","), format(r["outstanding"], ","), format(r["projects"], ",")), "",
            "| command | heph | heph ms | heph CPU ms | goal | |"
            + (" before ms | before CPU ms | now / before |" if bcols else "")
            + " SQLite floor ms | heph / floor | Taskwarrior | Taskwarrior ms | heph / Taskwarrior | Taskwarrior CPU ms |",
            "|---|---|---|---|---|---|" + ("---|---|---|" if bcols else "") + "---|---|---|---|---|---|"]
        for w in r["rows"]:
            line = "| %s | %s | %s | %s | %s | %s |" % (w["name"], w["hc"], fmt(w["t_h"]), w["c_h"], w["goal"],
                                                     w["met"])
            if bcols:
                line += " %s | %s | %s |" % (fmt(w["t_b"]), w["c_b"], ratio(w["t_h"], w["t_b"]))
            line += " %s | %s | %s | %s | %s | %s |" % (fmt(w["t_f"]), ratio(w["t_h"], w["t_f"]), w["twc"],
                                                       fmt(w["t_tw"]) if r["tw"] else "not run",
                                                       ratio(w["t_h"], w["t_tw"]), w["c_tw"])
            out.append(line)
        out.append("")
    col = lambda f: " | ".join(f(r) for r in results) + " |"
    mib = lambda kb: "%d MiB" % (kb // 1024)
    ops_s = lambda ops, s: format(int(ops / s), ",") if s else "—"
    out += ["## Engine", "",
            "| figure | " + " | ".join("%s tasks" % format(r["n"], ",") for r in results) + " |",
            "|---|" + "---|" * len(results),
            "| ops in the stream | " + col(lambda r: format(r["ops"], ",")),
            "| `heph apply`: seconds | " + col(lambda r: "%.2f" % r["apply_s"]),
            "| `heph apply`: ops per second (goal ≥ %s) | " % format(APPLY_GOAL, ",")
            + col(lambda r: ops_s(r["ops"], r["apply_s"])),
            "| `heph apply`: ops per CPU second (user + system) | " + col(lambda r: ops_s(r["ops"], r["apply_cpu"])),
            "| `heph apply`: peak memory | " + col(lambda r: mib(r["apply_kb"])),
            "| `heph list`: peak memory | " + col(lambda r: mib(r["list_kb"]))]
    if base:
        out += ["| before%s: `heph apply` ops per second | " % before + col(lambda r: ops_s(r["ops"], r["b_apply_s"])),
                "| before%s: `heph apply` ops per CPU second | " % before
                + col(lambda r: ops_s(r["ops"], r["b_apply_cpu"])),
                "| before%s: `heph apply` peak memory | " % before + col(lambda r: mib(r["b_apply_kb"])),
                "| before%s: `heph list` peak memory | " % before + col(lambda r: mib(r["b_list_kb"]))]
    out += ["| `task import`: seconds | " + col(lambda r: "%.2f" % r["tw_import_s"] if r["tw"] else "not run"),
            "| `task import`: peak memory | " + col(lambda r: mib(r["tw_import_kb"]) if r["tw"] else "not run"),
            "",
            "The sync figures (a fresh spoke's full pull, hub pushes per second with 50 spokes and their"
            " p99, memory) are in `bench/RESULTS-sync.md`, written by the same `make bench`. A command"
            " shown as pending has no heph verb yet.", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
