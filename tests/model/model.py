#!/usr/bin/env python3
"""model.py — a model-based test of heph's user-visible behaviour.

A small reference model (this file) says what heph should show; random
sequences of real `heph` commands run on one or several replicas (each its
own SQLite file), replicas exchange ops with `heph ops --json | heph apply -`,
and after every step the real `heph --json` output of the touched replica
is compared with the model: each task's state, attention, dates and project
(heph list --all), next's order (heph next --limit 0), the views' counts
(heph view), and the project tree with its counts (heph project list).

    model.py --seeds 1,2,3 --steps 40          fixed seeds (the suite)
    model.py --seconds 600 --steps 60          random seeds until time is up (make soak)
    model.py --seed 7 --steps 40 --only 3,9,12 replay exactly those steps

A failing seed prints what differs, shrinks the sequence (dropping steps
while the failure stays) and prints the command that replays the short
sequence. Actions name tasks and projects by the order they were created in
the sequence, so a shortened sequence still means the same thing.

What the model covers: task create/edit (attention, do-date, late-on,
title, project), done, drop, rm of tasks and projects (--yes), project add
(nested), moving a project under another (heph link add P Q parent, refused
when it would make a cycle on that replica), and sync between replicas,
with last-writer-wins registers by HLC (the step order: steps are
sequential, so a later step writes a later clock), the link rule (the live
link with the latest clock files a task or a project) and monotonic
tombstones. Not modelled (yet): recurrence, skip, undo, conflicts, import.
Today is fixed by HEPH_NOW.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HEPH = os.environ.get("HEPH", "heph")
TODAY = "2026-11-18"
BANDS = ["red", "orange", "white", "blue"]


def day(offset):
    import datetime
    d = datetime.date(2026, 11, 18) + datetime.timedelta(days=offset)
    return d.isoformat()


# ---- the model ----

class Reg:
    """A last-writer-wins register: (stamp, value)."""
    __slots__ = ("stamp", "value")

    def __init__(self, stamp, value):
        self.stamp, self.value = stamp, value


class Replica:
    """What one replica should hold. Every write carries the global step
    stamp; merging keeps the later stamp per register."""

    def __init__(self, name):
        self.name = name
        self.tasks = {}      # key -> {field: Reg}, plus "created" stamp
        self.projects = {}   # key -> {"title": Reg, "deleted": Reg}
        self.links = {}      # (kind, key) -> {tag: (stamp, dst, removed)}  kind: "task" | "project"
        self.ids = {}        # key -> real node id (shared by every replica)

    def merge(self, other):
        for k, t in other.tasks.items():
            mine = self.tasks.setdefault(k, {})
            for f, r in t.items():
                if f == "created":
                    mine.setdefault("created", r)
                elif f not in mine or r.stamp > mine[f].stamp:
                    mine[f] = Reg(r.stamp, r.value)
        for k, p in other.projects.items():
            mine = self.projects.setdefault(k, {})
            for f, r in p.items():
                if f == "created":
                    mine.setdefault("created", r)
                elif f not in mine or r.stamp > mine[f].stamp:
                    mine[f] = Reg(r.stamp, r.value)
        for k, tags in other.links.items():
            mine = self.links.setdefault(k, {})
            for tag, (stamp, dst, removed) in tags.items():
                have = mine.get(tag)
                mine[tag] = (stamp, dst, removed or (have[2] if have else False))

    # derived, as heph derives it
    def alive_project(self, k):
        p = self.projects.get(k)
        return p is not None and not p["deleted"].value

    def parent_of(self, k):
        """The live parent link with the latest stamp, to a live project."""
        best = None
        for stamp, dst, removed in self.links.get(("project", k), {}).values():
            if not removed and (best is None or stamp > best[0]):
                best = (stamp, dst)
        if best and self.alive_project(best[1]):
            return best[1]
        return None

    def project_of(self, k):
        best = None
        for stamp, dst, removed in self.links.get(("task", k), {}).values():
            if not removed and (best is None or stamp > best[0]):
                best = (stamp, dst)
        if best and self.alive_project(best[1]):
            return best[1]
        return None

    def live_tasks(self):
        return [k for k, t in self.tasks.items() if not t["deleted"].value]

    def subtree(self, root):
        out, todo = set(), [root]
        while todo:
            k = todo.pop()
            if k in out:
                continue
            out.add(k)
            todo += [c for c in self.projects if self.alive_project(c) and self.parent_of(c) == k]
        return out

    def value(self, k, f):
        return self.tasks[k][f].value


def late(r, k):
    lo = r.value(k, "late_on")
    return lo is not None and lo < TODAY


def next_order(r):
    cands = []
    for k in r.live_tasks():
        if r.value(k, "state") != "outstanding" or r.value(k, "attention") == "blue":
            continue
        dd = r.value(k, "do_date")
        if dd is not None and dd > TODAY and not late(r, k):
            continue
        cands.append(k)

    def key(k):
        lt = late(r, k)
        return (0 if lt else 1, r.value(k, "late_on") if lt else "", BANDS.index(r.value(k, "attention")),
                r.tasks[k]["created"].stamp)
    return sorted(cands, key=key)


# ---- actions ----
# An action is a JSON-able list: [kind, replica, args...]. Keys are "t3"
# (the fourth task created in the sequence) and "p1".

def gen_action(rng, reps, counters):
    r = rng.randrange(len(reps))
    rep = reps[r]
    tasks = [k for k in rep.tasks if not rep.tasks[k]["deleted"].value]
    projects = [k for k in rep.projects if rep.alive_project(k)]
    roll = rng.random()

    def date_or_none():
        return None if rng.random() < 0.4 else day(rng.randint(-6, 8))
    if len(reps) > 1 and roll < 0.15:
        other = rng.choice([i for i in range(len(reps)) if i != r])
        return ["sync", r, other]
    if roll < 0.35 or not tasks:
        if rng.random() < 0.25 or not projects and rng.random() < 0.5:
            counters["p"] += 1
            parent = rng.choice(projects) if projects and rng.random() < 0.5 else None
            return ["project", r, "p%d" % (counters["p"] - 1), parent]
        counters["t"] += 1
        return ["task", r, "t%d" % (counters["t"] - 1), rng.choice(BANDS), date_or_none(), date_or_none(),
                rng.choice(projects) if projects and rng.random() < 0.5 else None]
    k = rng.choice(tasks)
    if roll < 0.6:
        field = rng.choice(["attention", "do_date", "late_on", "title", "project"])
        if field == "attention":
            v = rng.choice(BANDS)
        elif field == "title":
            v = "title %d" % rng.randrange(1000)
        elif field == "project":
            v = rng.choice(projects) if projects and rng.random() < 0.7 else None
        else:
            v = date_or_none()
        return ["edit", r, k, field, v]
    if roll < 0.72:
        return [rng.choice(["done", "drop"]), r, k]
    if roll < 0.8:
        return ["rm", r, k]
    if roll < 0.88 and projects:
        return ["rm", r, rng.choice(projects)]
    if len(projects) >= 2:
        a, b = rng.sample(projects, 2)
        return ["move", r, a, b]
    return ["done", r, k]


class Failure(Exception):
    pass


class Run:
    def __init__(self, nreps, workdir):
        self.dir = workdir
        self.reps = [Replica("r%d" % i) for i in range(nreps)]
        self.ids = {}
        self.stamp = 0
        self.env = dict(os.environ, HEPH_NOW=TODAY, NO_COLOR="1")
        self.env.pop("HEPH_REMOTE", None)
        self.env.pop("HEPH_SOCKET", None)

    def heph(self, r, *args, ok=True, stdin=None):
        p = subprocess.run([HEPH, "--db", os.path.join(self.dir, "r%d.db" % r)] + list(args), env=self.env,
                           input=stdin, capture_output=True, text=True)
        if ok and p.returncode != 0:
            raise Failure("heph %s on r%d failed (%d): %s" % (" ".join(args), r, p.returncode, p.stderr.strip()))
        return p

    def j(self, r, *args):
        return json.loads(self.heph(r, *args, "--json").stdout)

    def apply(self, a):
        """Run one action on heph and on the model; False when the action
        does not apply here (a key it names is not on that replica)."""
        kind, r = a[0], a[1]
        rep = self.reps[r]
        self.stamp += 1
        s = self.stamp
        if kind == "sync":
            other = a[2]
            for src, dst in ((r, other), (other, r)):
                ops = self.heph(src, "ops", "--json").stdout
                self.heph(dst, "apply", "-", stdin=ops)
            self.reps[r].merge(self.reps[other])
            self.reps[other].merge(self.reps[r])
            return True
        if kind == "project":
            key, parent = a[2], a[3]
            if parent is not None and not rep.alive_project(parent):
                return False
            args = ["project", "add", "project %s" % key]
            if parent:
                args += ["--parent", self.ids[parent]]
            self.ids[key] = self.heph(r, *args).stdout.strip()
            rep.projects[key] = {"title": Reg(s, "project %s" % key), "deleted": Reg(0, False), "created": Reg(s, s)}
            if parent:
                rep.links[("project", key)] = {"%s@%d" % (key, s): (s, parent, False)}
            return True
        if kind == "task":
            key, att, dd, lo, proj = a[2:7]
            if proj is not None and not rep.alive_project(proj):
                return False
            args = ["task", "task %s" % key, "--attention", att]
            if dd:
                args += ["--do-date", dd]
            if lo:
                args += ["--late-on", lo]
            if proj:
                args += ["--project", self.ids[proj]]
            self.ids[key] = self.heph(r, *args).stdout.strip()
            t = {"title": Reg(s, "task %s" % key), "state": Reg(s, "outstanding"), "attention": Reg(s, att),
                 "do_date": Reg(s, dd), "late_on": Reg(s, lo), "deleted": Reg(0, False), "created": Reg(s, s)}
            rep.tasks[key] = t
            if proj:
                rep.links[("task", key)] = {"%s@%d" % (key, s): (s, proj, False)}
            return True
        key = a[2]
        if key.startswith("t") and (key not in rep.tasks or rep.tasks[key]["deleted"].value):
            return False
        if key.startswith("p") and not rep.alive_project(key):
            return False
        if kind == "edit":
            field, v = a[3], a[4]
            t = rep.tasks[key]
            if field == "project":
                if v is not None and not rep.alive_project(v):
                    return False
                self.heph(r, "edit", self.ids[key], "--project", self.ids[v] if v else "none")
                tags = rep.links.setdefault(("task", key), {})
                if v and {dst for (st, dst, rem) in tags.values() if not rem} == {v}:
                    return True  # already exactly there: heph changes nothing
                for tag, (st, dst, rem) in list(tags.items()):
                    tags[tag] = (st, dst, True)   # removes the adds it sees
                if v:
                    tags["%s@%d" % (key, s)] = (s, v, False)
                return True
            if t["state"].value != "outstanding" and field != "title":
                pass  # heph edits a closed task's fields too
            opt = {"attention": "--attention", "do_date": "--do-date", "late_on": "--late-on", "title": "--title"}[field]
            self.heph(r, "edit", self.ids[key], opt, v if v is not None else "none")
            t[field] = Reg(s, v)
            return True
        if kind in ("done", "drop"):
            t = rep.tasks[key]
            p = self.heph(r, kind, self.ids[key], ok=False)
            target = "done" if kind == "done" else "dropped"
            if t["state"].value != "outstanding":
                # already so: nothing to change; the other end: refused
                if (p.returncode == 0) != (t["state"].value == target):
                    raise Failure("%s of a %s task: exit %d (%s)" % (kind, t["state"].value, p.returncode,
                                                                   p.stderr.strip()))
                self.stamp -= 1
                return True
            if p.returncode != 0:
                raise Failure("heph %s failed: %s" % (kind, p.stderr.strip()))
            t["state"] = Reg(s, "done" if kind == "done" else "dropped")
            return True
        if kind == "rm":
            self.heph(r, "rm", self.ids[key], "--yes")
            if key.startswith("t"):
                rep.tasks[key]["deleted"] = Reg(s, True)
            else:
                rep.projects[key]["deleted"] = Reg(s, True)
            return True
        if kind == "move":
            child, parent = a[2], a[3]
            if not rep.alive_project(parent):
                return False
            loop = child in rep.subtree(child) and parent in rep.subtree(child)
            p = self.heph(r, "link", "add", self.ids[child], self.ids[parent], "parent", ok=False)
            if loop:
                if p.returncode == 0:
                    raise Failure("moving %s under its own subtree (%s) was accepted" % (child, parent))
                return True
            if p.returncode != 0:
                raise Failure("moving %s under %s failed: %s" % (child, parent, p.stderr.strip()))
            tags = rep.links.setdefault(("project", child), {})
            if {dst for (st, dst, rem) in tags.values() if not rem} == {parent}:
                return True  # already exactly there: heph changes nothing
            for tag, (st, dst, rem) in list(tags.items()):
                tags[tag] = (st, dst, True)
            tags["%s@%d" % (child, s)] = (s, parent, False)
            return True
        raise AssertionError(kind)

    def check(self, r):
        rep = self.reps[r]
        name = {v: k for k, v in self.ids.items()}
        # every task: state and fields
        got = {}
        for t in self.j(r, "list", "--all"):
            k = name.get(t["node_id"])
            if k is None:
                raise Failure("r%d lists a task the model never made: %s" % (r, t["title"]))
            got[k] = (t["title"], t["state"], t["attention"], t["do_date"], t["late_on"],
                      name.get(t["project_id"]) if t["project_id"] else None)
        want = {}
        for k in rep.live_tasks():
            want[k] = (rep.value(k, "title"), rep.value(k, "state"), rep.value(k, "attention"),
                       rep.value(k, "do_date"), rep.value(k, "late_on"), rep.project_of(k))
        if got != want:
            diff = ["%s: heph %s, model %s" % (k, got.get(k), want.get(k))
                    for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
            raise Failure("r%d tasks differ:\n  %s" % (r, "\n  ".join(diff)))
        # next's order
        got_next = [name.get(t["node_id"]) for t in self.j(r, "next", "--limit", "0")]
        want_next = next_order(rep)
        if got_next != want_next:
            raise Failure("r%d next: heph %s, model %s" % (r, got_next, want_next))
        # the views' counts
        counts = {v["name"]: v["count"] for v in self.j(r, "view")}
        outstanding = [k for k in rep.live_tasks() if rep.value(k, "state") == "outstanding"]
        want_counts = {
            "tom": len(want_next),
            "ondeck": sum(1 for k in outstanding if rep.value(k, "attention") == "blue"),
            "tasks": len(outstanding),
            "inbox": sum(1 for k in outstanding if rep.project_of(k) is None),
        }
        for v, n in want_counts.items():
            if counts.get(v) != n:
                raise Failure("r%d view %s counts %s, model %d" % (r, v, counts.get(v), n))
        # the project tree and its counts
        tree = {}
        for p in self.j(r, "project", "list"):
            k = name.get(p["node_id"])
            tree[k] = (name.get(p["parent_id"]) if p["parent_id"] else None, p["open_count"], p["open_count_total"])
        want_tree = {}
        for k in rep.projects:
            if not rep.alive_project(k):
                continue
            own = sum(1 for t in outstanding if rep.project_of(t) == k)
            sub = rep.subtree(k)
            total = sum(1 for t in outstanding if rep.project_of(t) in sub)
            want_tree[k] = (rep.parent_of(k), own, total)
        if tree != want_tree:
            diff = ["%s: heph %s, model %s" % (k, tree.get(k), want_tree.get(k))
                    for k in sorted(set(tree) | set(want_tree), key=str) if tree.get(k) != want_tree.get(k)]
            raise Failure("r%d project tree differs (parent, own, with subprojects):\n  %s" % (r, "\n  ".join(diff)))
        # a project's filter agrees with its count
        for k in want_tree:
            n = len(self.j(r, "list", "--project", self.ids[k]))
            if n != tree[k][2]:
                raise Failure("r%d list --project %s shows %d tasks, the tree counts %d" % (r, k, n, tree[k][2]))


def run_actions(actions, nreps, verbose=False):
    """Run a sequence; None when it passes, else (step index, message)."""
    d = tempfile.mkdtemp(prefix="heph-model.")
    run = Run(nreps, d)
    try:
        for i, a in enumerate(actions):
            try:
                if verbose:
                    print("  step %d: %s" % (i, json.dumps(a)))
                if run.apply(a):
                    run.check(a[1])
                    if a[0] == "sync":
                        run.check(a[2])
            except Failure as e:
                return i, str(e)
        return None
    finally:
        shutil.rmtree(d, ignore_errors=True)


def generate(seed, steps, nreps):
    rng = random.Random(seed)
    # the model decides what can be named; a dry model run keeps keys valid
    reps = [Replica("r%d" % i) for i in range(nreps)]
    counters = {"t": 0, "p": 0}
    actions = []
    stamp = 0
    for _ in range(steps):
        a = gen_action(rng, reps, counters)
        actions.append(a)
        stamp += 1
        dry_apply(reps, a, stamp)
    return actions


def dry_apply(reps, a, s):
    """The model side of an action only, to generate valid next actions."""
    kind, r = a[0], a[1]
    rep = reps[r]
    if kind == "sync":
        reps[r].merge(reps[a[2]])
        reps[a[2]].merge(reps[r])
    elif kind == "project":
        rep.projects[a[2]] = {"title": Reg(s, a[2]), "deleted": Reg(0, False), "created": Reg(s, s)}
        if a[3]:
            rep.links[("project", a[2])] = {"%s@%d" % (a[2], s): (s, a[3], False)}
    elif kind == "task":
        rep.tasks[a[2]] = {"title": Reg(s, a[2]), "state": Reg(s, "outstanding"), "attention": Reg(s, a[3]),
                           "do_date": Reg(s, a[4]), "late_on": Reg(s, a[5]), "deleted": Reg(0, False),
                           "created": Reg(s, s)}
        if a[6]:
            rep.links[("task", a[2])] = {"%s@%d" % (a[2], s): (s, a[6], False)}
    elif kind == "rm":
        (rep.tasks if a[2].startswith("t") else rep.projects)[a[2]]["deleted"] = Reg(s, True)
    elif kind == "move":
        if not (a[2] in rep.subtree(a[2]) and a[3] in rep.subtree(a[2])):
            tags = rep.links.setdefault(("project", a[2]), {})
            for tag, (st, dst, rem) in list(tags.items()):
                tags[tag] = (st, dst, True)
            tags["%s@%d" % (a[2], s)] = (s, a[3], False)


def shrink(actions, nreps, budget_s):
    """Drop chunks of steps while the sequence still fails; the indices of
    the original steps kept."""
    keep = list(range(len(actions)))
    end = time.time() + budget_s
    chunk = max(1, len(keep) // 2)
    while chunk >= 1 and time.time() < end:
        i, changed = 0, False
        while i < len(keep) and time.time() < end:
            trial = keep[:i] + keep[i + chunk:]
            if trial and run_actions([actions[k] for k in trial], nreps):
                keep, changed = trial, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return keep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", help="comma-separated seeds")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--seconds", type=float, help="random seeds until this many seconds have passed")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--only", help="replay only these step indices (comma-separated)")
    ap.add_argument("--shrink-seconds", type=float, default=120)
    ap.add_argument("--verbose", action="store_true")
    o = ap.parse_args()
    if o.seed is not None:
        seeds = [o.seed]
    elif o.seeds:
        seeds = [int(x) for x in o.seeds.split(",")]
    else:
        seeds = None
    start, n, failed = time.time(), 0, 0

    def one(seed):
        actions = generate(seed, o.steps, o.replicas)
        idx = list(range(len(actions)))
        if o.only:
            idx = [int(x) for x in o.only.split(",")]
        res = run_actions([actions[i] for i in idx], o.replicas, o.verbose)
        if not res:
            return True
        step, msg = res
        print("FAIL seed %d at step %d (%s):\n%s" % (seed, idx[step], json.dumps(actions[idx[step]]), msg))
        kept = shrink([actions[i] for i in idx[:step + 1]], o.replicas, o.shrink_seconds)
        kept = [idx[i] for i in kept]
        print("shrunk to %d steps:" % len(kept))
        for i in kept:
            print("  %d: %s" % (i, json.dumps(actions[i])))
        print("replay: HEPH=%s python3 %s --seed %d --steps %d --replicas %d --only %s --verbose" %
              (HEPH, os.path.abspath(__file__), seed, o.steps, o.replicas, ",".join(map(str, kept))))
        return False

    if seeds is not None:
        for s in seeds:
            n += 1
            failed += not one(s)
    else:
        rng = random.Random()
        while time.time() - start < (o.seconds or 60):
            n += 1
            failed += not one(rng.randrange(1 << 30))
    print("%d seed(s) of %d steps on %d replica(s): %d failed (%.0f s)" %
          (n, o.steps, o.replicas, failed, time.time() - start))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
