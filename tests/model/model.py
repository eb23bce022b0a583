#!/usr/bin/env python3
"""model.py — a model-based test of heph's user-visible behaviour.

A small reference model (this file) says what heph should show; random
sequences of real `heph` commands run on two or three replicas (each its own
SQLite file), replicas exchange ops directly (`heph ops --json | heph apply`)
or, with --hub, through a real hub (`hephd --mode server` on a loopback port,
each replica `heph sync`ing with a device token), and after every step the
real `heph --json` output of the replicas it touched is compared with the
model: each task's state, attention, dates, recurrence and project (heph
list --all), its related links (heph links), next's order (heph next --limit
0), the views' counts (heph view), the project tree with its counts (heph
project list) and the conflicts that settled ops have closed. A sequence
ends by syncing everything, after which every replica must equal the model
and hold one digest.

    model.py --seeds 1,2,3 --steps 40          fixed seeds (the suite)
    model.py --seeds 4,5 --hub --replicas 3    through a real hub (or --hub-seeds 4,5)
    model.py --seconds 600 --steps 60          random seeds until time is up (make soak;
                                               odd seeds go through a hub)
    model.py --seed 7 --steps 40 --only 3,9,12 replay exactly those steps

A failing seed prints what differs, shrinks the sequence (dropping steps
while the failure stays) and prints the command that replays the short
sequence. Actions name tasks and projects by the order they were created in
the sequence, so a shortened sequence still means the same thing. A seed
gives the same sequence every time.

What the model covers: task create/edit (attention, do-date, late-on, title,
project, recurrence cleared), recurring tasks (daily, every 3 days, weekly:
done and skip move the do-date to the first occurrence after both today and
the current one), done, drop, rm of tasks and projects (--yes), project add
(nested), moving a project under another (heph link add P Q parent, refused
when it would make a cycle on that replica; a cycle two replicas make is
broken at the project whose move is the newest), related links added and
removed (an observed-remove set: a remove takes only the adds its replica
saw), undo of the last change of a replica (create, edit, done, drop, skip,
filing, moves, links, resolutions, imports; undo walks back, there is no
redo; a field another write changed since is left alone), conflicts made by
real concurrent edits and settled with `heph conflicts resolve` (the kept
value is written again; every replica holding the settling op must show the
conflict closed, whatever order ops came in), Taskwarrior imports (fresh
ones and the same file again, on the same or another replica: ids come from
the uuids, so nothing doubles), and sync. Registers are last-writer-wins by
HLC (the step order: steps are sequential, so a later step writes a later
clock), a create writes only the fields it carries, the link rule (the live
link with the latest clock files a task or a project) and tombstones are
monotonic. Not modelled: undo of rm (it makes a copy under a new id) and of
a change whose node was deleted since; bodies, docs and the log. Today is
fixed by HEPH_NOW.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HEPH = os.environ.get("HEPH", "heph")
HEPHD = os.environ.get("HEPHD") or os.path.join(os.path.dirname(os.path.abspath(HEPH)), "..", "daemon", "hephd")
TODAY = "2026-11-18"
BANDS = ["red", "orange", "white", "blue"]
FIELDS = ["title", "state", "attention", "do_date", "late_on", "recurrence"]
# the rules the model knows: (what heph --recur takes, the stored rule, days between occurrences)
RULES = {"daily": ("FREQ=DAILY", 1), "every 3 days": ("FREQ=DAILY;INTERVAL=3", 3), "weekly": ("FREQ=WEEKLY", 7)}
STEP_OF = {rule: step for rule, step in RULES.values()}


def day(offset):
    d = datetime.date(2026, 11, 18) + datetime.timedelta(days=offset)
    return d.isoformat()


def next_occurrence(rule, do_date):
    """The first occurrence strictly after both today and the current one."""
    k = STEP_OF[rule]
    dd = datetime.date.fromisoformat(do_date)
    after = max(dd, datetime.date.fromisoformat(TODAY))
    n = (after - dd).days // k + 1
    return (dd + datetime.timedelta(days=n * k)).isoformat()


# ---- the model ----

class Reg:
    """A last-writer-wins register: (stamp, value). Stamp 0: never written."""
    __slots__ = ("stamp", "value")

    def __init__(self, stamp, value):
        self.stamp, self.value = stamp, value


def new_task(s, title, att="white", dd=None, lo=None, rec=None, state="outstanding", carried=None):
    """A task as its create leaves it: the fields the create carries have
    its stamp, the others were never written."""
    vals = {"title": title, "state": state, "attention": att, "do_date": dd, "late_on": lo, "recurrence": rec}
    carried = FIELDS if carried is None else carried
    t = {f: Reg(s if f in carried else 0, v) for f, v in vals.items()}
    t["deleted"] = Reg(0, False)
    t["created"] = Reg(s, s)
    return t


class Replica:
    """What one replica should hold. Every write carries the global step
    stamp; merging keeps the later stamp per register."""

    def __init__(self, name):
        self.name = name
        self.tasks = {}      # key -> {field: Reg, "deleted": Reg, "created": Reg}
        self.projects = {}   # key -> {"title": Reg, "deleted": Reg, "created": Reg}
        self.links = {}      # (kind, key) -> {tag: (stamp, dst, removed)}  kind: "task" | "project" | "rel"
        self.resolved = set()  # (node key, field, hlc) named by settling ops this replica holds
        self.history = []    # this replica's own changes, newest last (for undo; not replicated)

    def merge(self, other):
        for k, t in other.tasks.items():
            mine = self.tasks.get(k)
            if mine is None:
                self.tasks[k] = {f: Reg(r.stamp, r.value) for f, r in t.items()}
                continue
            for f, r in t.items():
                if f == "created":
                    if r.stamp < mine[f].stamp:
                        mine[f] = Reg(r.stamp, r.value)
                elif r.stamp > mine[f].stamp:
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
        self.resolved |= other.resolved

    # derived, as heph derives it
    def alive_project(self, k):
        p = self.projects.get(k)
        return p is not None and not p["deleted"].value

    def alive_task(self, k):
        return k in self.tasks and not self.tasks[k]["deleted"].value

    def latest(self, lk, alive):
        best = None
        for stamp, dst, removed in self.links.get(lk, {}).values():
            if not removed and alive(dst) and (best is None or stamp > best[0]):
                best = (stamp, dst)
        return best[1] if best else None

    def latest_link(self, lk, alive):
        best = None
        for stamp, dst, removed in self.links.get(lk, {}).values():
            if not removed and alive(dst) and (best is None or stamp > best[0]):
                best = (stamp, dst)
        return best

    def parent_of(self, k):
        """The live parent link with the latest stamp, to a live project;
        none for the project of a cycle (two devices each moved one project
        under the other) whose link is the newest of the cycle."""
        raw = {}
        for p in self.projects:
            if self.alive_project(p):
                best = self.latest_link(("project", p), self.alive_project)
                if best:
                    raw[p] = best
        roots = set()
        for start in raw:
            path = []
            p = start
            while p in raw and p not in roots and p not in path:
                path.append(p)
                p = raw[p][1]
            if p in path:
                cycle = path[path.index(p):]
                roots.add(max(cycle, key=lambda c: raw[c][0]))
        return None if k in roots or k not in raw else raw[k][1]

    def project_of(self, k):
        return self.latest(("task", k), self.alive_project)

    def related(self, k):
        return sorted({dst for stamp, dst, removed in self.links.get(("rel", k), {}).values() if not removed})

    def live_tags(self, lk, dst=None):
        return [(tag, d) for tag, (st, d, rem) in self.links.get(lk, {}).items()
                if not rem and (dst is None or d == dst)]

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

    def relink(self, lk, dst, s):
        """A move: remove the tags seen, add one (filing where it already is
        writes too). Returns the undo record."""
        tags = self.links.setdefault(lk, {})
        removed = self.live_tags(lk)
        for tag, d in removed:
            st, _, _ = tags[tag]
            tags[tag] = (st, d, True)
        added = None
        if dst:
            added = "%s@%s" % (lk[1], s)
            tags[added] = (s, dst, False)
        return {"kind": "links", "lk": lk, "removed": removed, "added": [added] if added else [], "stamp": s}


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
# (the fourth task created in the sequence), "p1", and "i2.0" (the first
# task of the third Taskwarrior file).

def tw_batch(rng, b):
    out = []
    for n in range(rng.randint(1, 3)):
        t = {"uuid": "%08x-0000-4000-8000-%012x" % (b, n), "description": "imported %d.%d" % (b, n),
             "status": rng.choice(["pending", "pending", "completed", "deleted"]),
             "entry": "20261101T1%d%02d00Z" % (n, b % 60)}
        if rng.random() < 0.5:
            t["priority"] = rng.choice("HML")
        if rng.random() < 0.4:
            t["due"] = day(rng.randint(-3, 5)).replace("-", "") + "T120000Z"
        if rng.random() < 0.3:
            t["scheduled"] = day(rng.randint(-3, 5)).replace("-", "") + "T120000Z"
        out.append(t)
    return out


def gen_action(rng, reps, counters, batches, hub):
    r = rng.randrange(len(reps))
    rep = reps[r]
    tasks = [k for k in rep.tasks if not rep.tasks[k]["deleted"].value]
    projects = [k for k in rep.projects if rep.alive_project(k)]
    roll = rng.random()

    def date_or_none():
        return None if rng.random() < 0.4 else day(rng.randint(-6, 8))
    if roll < 0.14:
        if hub and (len(reps) == 1 or rng.random() < 0.7):
            return ["hubsync", r]
        if len(reps) > 1:
            other = rng.choice([i for i in range(len(reps)) if i != r])
            return ["sync", r, other]
    if roll < 0.3 or not tasks:
        x = rng.random()
        if x < 0.2 or not projects and x < 0.4:
            counters["p"] += 1
            parent = rng.choice(projects) if projects and rng.random() < 0.5 else None
            return ["project", r, "p%d" % (counters["p"] - 1), parent]
        if x < 0.3:
            if batches and rng.random() < 0.4:
                b = rng.randrange(len(batches))
            else:
                batches.append(tw_batch(rng, len(batches)))
                b = len(batches) - 1
            return ["import", r, b, batches[b]]
        counters["t"] += 1
        rec = rng.choice(list(RULES)) if rng.random() < 0.25 else None
        return ["task", r, "t%d" % (counters["t"] - 1), rng.choice(BANDS), date_or_none(), date_or_none(),
                rng.choice(projects) if projects and rng.random() < 0.5 else None, rec]
    k = rng.choice(tasks)
    if roll < 0.38 and len(reps) > 1:
        # a race: the same field of one task edited on two replicas before
        # they sync (what makes conflicts)
        other = rng.choice([i for i in range(len(reps)) if i != r])
        both = [t for t in tasks if reps[other].alive_task(t)]
        if both:
            field = rng.choice(["attention", "do_date", "late_on", "title"])
            vals = {"attention": BANDS, "title": ["title a", "title b", "title c"],
                    "do_date": [None, day(1), day(3)], "late_on": [None, day(-1), day(4)]}[field]
            v1, v2 = rng.sample(vals, 2)
            race = ["race", r, other, rng.choice(both), field, v1, v2]
            if rng.random() < 0.6:
                # then the two meet, and one of them settles what they see
                meet = [["hubsync", r], ["hubsync", other], ["hubsync", r]] if hub else [["sync", r, other]]
                return [race] + meet + [["resolve", rng.choice([r, other]), rng.randrange(8),
                                         rng.choice(["mine", "theirs"])]]
            return race
    if roll < 0.5:
        field = rng.choice(["attention", "do_date", "late_on", "title", "project", "project", "recurrence"])
        if field == "attention":
            v = rng.choice(BANDS)
        elif field == "title":
            v = "title %d" % rng.randrange(1000)
        elif field == "project":
            v = rng.choice(projects) if projects and rng.random() < 0.7 else None
        elif field == "recurrence":
            v = None
        else:
            v = date_or_none()
        return ["edit", r, k, field, v]
    if roll < 0.58:
        recurring = [t for t in tasks if rep.tasks[t]["recurrence"].value]
        if recurring and rng.random() < 0.5:
            return [rng.choice(["done", "skip"]), r, rng.choice(recurring)]
        return [rng.choice(["done", "done", "drop", "skip"]), r, k]
    if roll < 0.64:
        return ["undo", r]
    if roll < 0.7:
        return ["resolve", r, rng.randrange(8), rng.choice(["mine", "theirs"])]
    if roll < 0.78 and len(tasks) >= 2:
        linked = [(a, b) for a in tasks for b in rep.related(a)]
        if linked and rng.random() < 0.4:
            return ["unlink", r] + list(rng.choice(linked))
        a, b = rng.sample(tasks, 2)
        return ["link", r, a, b]
    if roll < 0.83:
        return ["rm", r, k]
    if roll < 0.88 and projects:
        return ["rm", r, rng.choice(projects)]
    if len(projects) >= 2:
        a, b = rng.sample(projects, 2)
        return ["move", r, a, b]
    return ["done", r, k]


class Failure(Exception):
    pass


class Hub:
    """A real hub: hephd --mode server on an ephemeral loopback port, and a
    device token per replica."""

    def __init__(self, d, env, nreps):
        self.db = os.path.join(d, "hub.db")
        ready = os.path.join(d, "hub.url")
        self.log = open(os.path.join(d, "hub.log"), "ab")
        self.proc = subprocess.Popen([HEPHD, "--mode", "server", "--db", self.db, "--ready-file", ready,
                                      "--http-addr", "127.0.0.1:0", "--web-root", "none"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.time() + 120
        while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise Failure("the hub did not start; see %s" % self.log.name)
            time.sleep(0.01)
        self.url = open(ready).read().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Run:
    """One sequence on heph and on the model. With dry, the model alone (to
    generate actions that name what exists)."""

    def __init__(self, nreps, workdir=None, hub=False, dry=False):
        self.dir = workdir
        self.dry = dry
        self.reps = [Replica("r%d" % i) for i in range(nreps)]
        self.hubrep = Replica("hub")
        self.ids = {}
        self.stamp = 0
        self.hub = None
        self.env = dict(os.environ, HEPH_NOW=TODAY, NO_COLOR="1")
        for k in ("HEPH_REMOTE", "HEPH_SOCKET", "HEPH_TOKEN_FILE", "HEPH_DB"):
            self.env.pop(k, None)
        if hub and not dry:
            self.hub = Hub(workdir, self.env, nreps)
            for r in range(nreps):
                tok = os.path.join(workdir, "r%d.token" % r)
                with open(tok, "wb") as f:
                    subprocess.run([HEPHD, "--db", self.hub.db, "token", "create", "r%d" % r], check=True,
                                   stdout=f, stderr=subprocess.DEVNULL, env=self.env)
                self.heph(r, "hub", "set", self.hub.url, "--token-file", tok)

    def close(self):
        if self.hub:
            self.hub.stop()

    def heph(self, r, *args, ok=True, stdin=None):
        p = subprocess.run([HEPH, "--db", os.path.join(self.dir, "r%d.db" % r)] + list(args), env=self.env,
                           input=stdin, capture_output=True, text=True)
        if ok and p.returncode != 0:
            raise Failure("heph %s on r%d failed (%d): %s" % (" ".join(args), r, p.returncode, p.stderr.strip()))
        return p

    def j(self, r, *args):
        return json.loads(self.heph(r, *args, "--json").stdout)

    def id_of(self, key):
        return self.ids[key]

    def sync_model(self, a, b):
        a.merge(b)
        b.merge(a)

    # -- one action --
    def apply(self, a):
        """Run one action on heph and on the model; False when the action
        does not apply here (a key it names is not on that replica)."""
        kind, r = a[0], a[1]
        rep = self.reps[r]
        self.stamp += 1
        s = self.stamp
        dry = self.dry
        if kind == "sync":
            other = a[2]
            if not dry:
                for src, dst in ((r, other), (other, r)):
                    ops = self.heph(src, "ops", "--json").stdout
                    self.heph(dst, "apply", "-", stdin=ops)
            self.sync_model(rep, self.reps[other])
            return True
        if kind == "hubsync":
            if not dry:
                self.heph(r, "sync")
            self.sync_model(self.hubrep, rep)
            return True
        if kind == "project":
            key, parent = a[2], a[3]
            if parent is not None and not rep.alive_project(parent):
                return False
            if not dry:
                args = ["project", "add", "project %s" % key]
                if parent:
                    args += ["--parent", self.ids[parent]]
                self.ids[key] = self.heph(r, *args).stdout.strip()
            rep.projects[key] = {"title": Reg(s, "project %s" % key), "deleted": Reg(0, False), "created": Reg(s, s)}
            if parent:
                rep.links[("project", key)] = {"%s@%d" % (key, s): (s, parent, False)}
            rep.history.append({"kind": "create", "keys": [key], "stamp": s})
            return True
        if kind == "task":
            key, att, dd, lo, proj, rec = a[2:8]
            if proj is not None and not rep.alive_project(proj):
                return False
            if rec and dd is None:
                dd = TODAY  # a rule with no do-date starts at its first occurrence from today
            if not dry:
                args = ["task", "task %s" % key, "--attention", att]
                if dd:
                    args += ["--do-date", dd]
                if lo:
                    args += ["--late-on", lo]
                if proj:
                    args += ["--project", self.ids[proj]]
                if rec:
                    args += ["--recur", rec]
                self.ids[key] = self.heph(r, *args).stdout.strip()
            rep.tasks[key] = new_task(s, "task %s" % key, att, dd, lo, RULES[rec][0] if rec else None)
            if proj:
                rep.links[("task", key)] = {"%s@%d" % (key, s): (s, proj, False)}
            rep.history.append({"kind": "create", "keys": [key], "stamp": s})
            return True
        if kind == "import":
            return self.do_import(r, a[2], a[3], s)
        if kind == "race":
            other, key, field, v1, v2 = a[2:7]
            self.stamp -= 1
            one = self.apply(["edit", r, key, field, v1])
            two = self.apply(["edit", other, key, field, v2])
            if two and not self.dry:
                self.check(other)
            return one or two
        if kind == "undo":
            return self.undo(r, s)
        if kind == "resolve":
            return self.resolve(r, a[2], a[3], s)
        key = a[2]
        if key[0] in "ti" and not rep.alive_task(key):
            return False
        if key[0] == "p" and not rep.alive_project(key):
            return False
        if kind == "edit":
            field, v = a[3], a[4]
            t = rep.tasks[key]
            if field == "recurrence" and not t["recurrence"].value:
                return False  # already none
            if field == "project":
                if v is not None and not rep.alive_project(v):
                    return False
                if not dry:
                    self.heph(r, "edit", self.ids[key], "--project", self.ids[v] if v else "none")
                if not v and not rep.live_tags(("task", key)):
                    return True  # in no project already: nothing written
                rep.history.append(rep.relink(("task", key), v, s))
                return True
            if field == "do_date" and v is None and t["recurrence"].value:
                return False  # a recurring task keeps a do-date (not modelled)
            if not dry:
                opt = {"attention": "--attention", "do_date": "--do-date", "late_on": "--late-on", "title": "--title",
                       "recurrence": "--recur"}[field]
                self.heph(r, "edit", self.ids[key], opt, v if v is not None else "none")
            rep.history.append({"kind": "set", "key": key, "before": {field: t[field].value}, "stamp": s})
            t[field] = Reg(s, v)
            return True
        if kind in ("done", "drop", "skip"):
            t = rep.tasks[key]
            p = None if dry else self.heph(r, kind, self.ids[key], ok=False)
            rec = t["recurrence"].value
            if kind == "skip" and (not rec or t["state"].value != "outstanding"):
                if p and p.returncode == 0:
                    raise Failure("skip of a task that does not recur (or is closed) was accepted")
                self.stamp -= 1
                return True
            target = {"done": "done", "drop": "dropped"}.get(kind)
            if t["state"].value != "outstanding":
                # already so: nothing to change; the other end: refused
                if p and (p.returncode == 0) != (t["state"].value == target):
                    raise Failure("%s of a %s task: exit %d (%s)" % (kind, t["state"].value, p.returncode,
                                                                   p.stderr.strip()))
                self.stamp -= 1
                return True
            if p and p.returncode != 0:
                raise Failure("heph %s failed: %s" % (kind, p.stderr.strip()))
            if rec and kind != "drop":
                # the task moves on in place
                rep.history.append({"kind": "set", "key": key, "before": {"do_date": t["do_date"].value}, "stamp": s})
                t["do_date"] = Reg(s, next_occurrence(rec, t["do_date"].value))
                return True
            rep.history.append({"kind": "set", "key": key, "before": {"state": "outstanding"}, "stamp": s})
            t["state"] = Reg(s, target)
            return True
        if kind == "rm":
            if not dry:
                self.heph(r, "rm", self.ids[key], "--yes")
            (rep.tasks if key[0] in "ti" else rep.projects)[key]["deleted"] = Reg(s, True)
            rep.history.append({"kind": "rm", "stamp": s})
            return True
        if kind in ("link", "unlink"):
            other = a[3]
            if not rep.alive_task(other):
                return False
            lk = ("rel", key)
            if kind == "link":
                if not dry:
                    self.heph(r, "link", "add", self.ids[key], self.ids[other], "related")
                tag = "%s@%d" % (key, s)
                rep.links.setdefault(lk, {})[tag] = (s, other, False)
                rep.history.append({"kind": "links", "lk": lk, "removed": [], "added": [tag], "stamp": s})
                return True
            seen = rep.live_tags(lk, other)
            p = None if dry else self.heph(r, "link", "rm", self.ids[key], self.ids[other], "related", ok=False)
            if not seen:
                if p and p.returncode == 0:
                    raise Failure("removing a link that is not there was accepted")
                self.stamp -= 1
                return True
            if p and p.returncode != 0:
                raise Failure("heph link rm failed: %s" % p.stderr.strip())
            for tag, d in seen:
                rep.links[lk][tag] = (rep.links[lk][tag][0], d, True)
            rep.history.append({"kind": "links", "lk": lk, "removed": seen, "added": [], "stamp": s})
            return True
        if kind == "move":
            child, parent = a[2], a[3]
            if not rep.alive_project(parent):
                return False
            loop = parent in rep.subtree(child)
            p = None if dry else self.heph(r, "link", "add", self.ids[child], self.ids[parent], "parent", ok=False)
            if loop:
                if p and p.returncode == 0:
                    raise Failure("moving %s under its own subtree (%s) was accepted" % (child, parent))
                self.stamp -= 1
                return True
            if p and p.returncode != 0:
                raise Failure("moving %s under %s failed: %s" % (child, parent, p.stderr.strip()))
            rep.history.append(rep.relink(("project", child), parent, s))
            return True
        raise AssertionError(kind)

    def do_import(self, r, b, batch, s):
        rep = self.reps[r]
        keys = ["i%d.%d" % (b, n) for n in range(len(batch))]
        if not self.dry:
            out = self.heph(r, "import", "taskwarrior", "-", "--json", stdin=json.dumps(batch)).stdout
            res = json.loads(out)
            new = [k for k in keys if k not in rep.tasks]
            if res.get("created") != len(new):
                raise Failure("import of file %d: heph made %s, the model %d (%s)" % (b, res.get("created"),
                                                                                        len(new), out.strip()))
            # the ids come from the uuids: the same on every replica
            if keys[0] not in self.ids:
                self.learn_ids(r, batch, keys)
        made = []
        for n, (key, t) in enumerate(zip(keys, batch)):
            if key in rep.tasks:
                continue  # heph leaves a task it has (live or deleted) as it is
            carried = ["title", "state"]
            att = {"H": "red", "M": "orange", "L": "white"}.get(t.get("priority"), "white")
            if "priority" in t and att != "white":
                carried.append("attention")
            lo = t["due"][:4] + "-" + t["due"][4:6] + "-" + t["due"][6:8] if "due" in t else None
            dd = t["scheduled"][:4] + "-" + t["scheduled"][4:6] + "-" + t["scheduled"][6:8] if "scheduled" in t else None
            carried += (["late_on"] if lo else []) + (["do_date"] if dd else [])
            state = {"pending": "outstanding", "completed": "done", "deleted": "dropped"}[t["status"]]
            rep.tasks[key] = new_task(s + n / 100.0, t["description"], att, dd, lo, None, state, carried)
            made.append(key)
        if made:
            rep.history.append({"kind": "create", "keys": made, "stamp": s})
        return True

    def learn_ids(self, r, batch, keys):
        by_title = {t["title"]: t["node_id"] for t in self.j(r, "list", "--all")}
        for key, t in zip(keys, batch):
            if t["description"] in by_title:
                self.ids[key] = by_title[t["description"]]
        missing = [k for k in keys if k not in self.ids]
        if missing:
            # imported before and deleted since on this replica: not listed
            raise Failure("imported tasks %s are not listed" % missing)

    def undo(self, r, s):
        rep = self.reps[r]
        if not rep.history:
            return False
        c = rep.history[-1]
        if c["kind"] == "rm":
            return False  # a copy under a new id: not modelled
        keys = c.get("keys") or [c.get("key") or c["lk"][1]]
        if any(k in rep.tasks and rep.tasks[k]["deleted"].value or k in rep.projects and not rep.alive_project(k)
               for k in keys):
            return False  # deleted since: not modelled
        if c["kind"] == "links":
            removed_dead = [d for tag, d in c["removed"]
                            if (d in rep.tasks and not rep.alive_task(d)) or (d in rep.projects and not rep.alive_project(d))]
            if removed_dead or any(not rep.alive_task(d) for tag, (st, d, rem) in rep.links.get(c["lk"], {}).items()
                                   if tag in c["added"] and c["lk"][0] == "rel"):
                return False
        if not self.dry:
            p = self.heph(r, "undo", "--json", ok=False)
            if p.returncode != 0:
                raise Failure("undo failed: %s" % p.stderr.strip())
        rep.history.pop()
        if c["kind"] == "create":
            for k in c["keys"]:
                (rep.tasks if k in rep.tasks else rep.projects)[k]["deleted"] = Reg(s, True)
        elif c["kind"] == "set":
            t = rep.tasks[c["key"]]
            for f, v in c["before"].items():
                if t[f].stamp == c["stamp"]:   # nobody wrote it since
                    t[f] = Reg(s, v)
        elif c["kind"] == "links":
            lk = c["lk"]
            tags = rep.links.setdefault(lk, {})
            gone = set()
            for tag in c["added"]:
                st, d, rem = tags[tag]
                if not rem:
                    tags[tag] = (st, d, True)
                    gone.add(tag)
            for n, (tag, d) in enumerate(c["removed"]):
                moved = lk[0] != "rel" and any(st > c["stamp"] and t2 not in c["added"]
                                               for t2, (st, d2, rem) in tags.items() if not rem)
                there = any(d2 == d and not rem and t2 not in gone for t2, (st, d2, rem) in tags.items())
                if not moved and not there:
                    tags["%s@%d.%d" % (lk[1], s, n)] = (s, d, False)
        return True

    def resolve(self, r, pick, keep, s):
        if self.dry:
            return False
        rep = self.reps[r]
        name = {v: k for k, v in self.ids.items()}
        cs = [c for c in self.j(r, "conflicts") if not c.get("kind") and name.get(c["node_id"]) in rep.tasks
              and c["field"] in FIELDS and rep.alive_task(name[c["node_id"]])]
        if not cs:
            return False
        c = cs[pick % len(cs)]
        key, field = name[c["node_id"]], c["field"]
        t = rep.tasks[key]
        if c["current"] != t[field].value:
            raise Failure("r%d conflict %d on %s.%s shows %r, the model holds %r" % (r, c["id"], key, field,
                                                                                  c["current"], t[field].value))
        mine_is_current = c["mine"] == "current"
        kept = c["current"] if (keep == "mine") == mine_is_current else c["other"]
        res = self.j(r, "conflicts", "resolve", str(c["id"]), "--keep", keep)
        if res.get("value") != kept:
            raise Failure("r%d resolve %d --keep %s kept %r, the model %r" % (r, c["id"], keep, res.get("value"), kept))
        op = json.loads(self.heph(r, "ops", "--json").stdout.strip().splitlines()[-1])
        named = op["payload"].get("resolves", {}).get("hlcs", [])
        if len(named) != 2:
            raise Failure("the settling op names %r" % (op["payload"],))
        rep.resolved |= {(key, field, h) for h in named}
        rep.history.append({"kind": "set", "key": key, "before": {field: t[field].value}, "stamp": s})
        t[field] = Reg(s, kept)
        return True

    def settle(self):
        """Sync everything; every replica must then equal the model and one
        another."""
        n = len(self.reps)
        if self.hub:
            for _ in range(2):
                for r in range(n):
                    self.apply(["hubsync", r])
        else:
            for r in range(1, n):
                self.apply(["sync", 0, r])
            for r in range(1, n):
                self.apply(["sync", 0, r])
        for r in range(n):
            self.check(r)
        digests = {self.heph(r, "digest").stdout.strip() for r in range(n)}
        if len(digests) != 1:
            raise Failure("after a full sync the replicas hold %d digests" % len(digests))

    # -- comparing heph with the model --
    def check(self, r):
        rep = self.reps[r]
        name = {v: k for k, v in self.ids.items()}
        # every task: its fields
        got = {}
        for t in self.j(r, "list", "--all"):
            k = name.get(t["node_id"])
            if k is None:
                raise Failure("r%d lists a task the model never made: %s" % (r, t["title"]))
            got[k] = (t["title"], t["state"], t["attention"], t["do_date"], t["late_on"], t["recurrence"],
                      name.get(t["project_id"]) if t["project_id"] else None)
        want = {}
        for k in rep.live_tasks():
            want[k] = tuple(rep.value(k, f) for f in FIELDS) + (rep.project_of(k),)
        if got != want:
            diff = ["%s: heph %s, model %s" % (k, got.get(k), want.get(k))
                    for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
            raise Failure("r%d tasks differ (title, state, attention, do, late, rule, project):\n  %s" %
                          (r, "\n  ".join(diff)))
        # related links, from each live task that has any in the model or in heph
        for k in sorted(set(k for (kind, k) in rep.links if kind == "rel") & set(want)):
            links = self.j(r, "links", self.ids[k])
            have = sorted(name.get(l["dst"], l["dst"]) for l in links if l["type"] == "related" and l["src"] == self.ids[k])
            if have != rep.related(k):
                raise Failure("r%d %s's related links: heph %s, model %s" % (r, k, have, rep.related(k)))
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
        # a conflict that a settling op this replica holds names is closed
        if rep.resolved:
            for c in self.j(r, "conflicts"):
                k = name.get(c["node_id"])
                if not c.get("kind") and (k, c["field"], c["other_hlc"]) in rep.resolved:
                    raise Failure("r%d keeps conflict %d (%s.%s, %r lost) open though it holds the op that "
                                  "settled it" % (r, c["id"], k, c["field"], c["other"]))


def run_actions(actions, nreps, hub=False, verbose=False, stats=None, every=1):
    """Run a sequence and settle; None when it passes, else (step index,
    message); the index len(actions) is the final sync."""
    d = tempfile.mkdtemp(prefix="heph-model.")
    run = None
    try:
        run = Run(nreps, d, hub=hub)
        for i, a in enumerate(actions):
            try:
                if verbose:
                    print("  step %d: %s" % (i, json.dumps(a)))
                stamp = run.stamp
                applied = run.apply(a)
                if stats is not None:
                    k = a[0] if applied and run.stamp > stamp else a[0] + " (nothing to do)"
                    stats[k] = stats.get(k, 0) + 1
                if applied and (i + 1) % every == 0:
                    run.check(a[1])
                    if a[0] == "sync":
                        run.check(a[2])
            except Failure as e:
                return i, str(e)
        try:
            run.settle()
        except Failure as e:
            return len(actions), str(e)
        return None
    except Failure as e:
        return 0, str(e)
    finally:
        if run:
            run.close()
        shutil.rmtree(d, ignore_errors=True)


def generate(seed, steps, nreps, hub):
    rng = random.Random(seed)
    # the model decides what can be named; a dry model run keeps keys valid
    dry = Run(nreps, dry=True)
    counters = {"t": 0, "p": 0}
    batches = []
    actions = []
    for _ in range(steps):
        a = gen_action(rng, dry.reps, counters, batches, hub)
        for a in (a if isinstance(a[0], list) else [a]):
            actions.append(a)
            dry.apply(a)
    return actions[:steps]


def shrink(actions, nreps, hub, budget_s, every=1):
    """Drop chunks of steps while the sequence still fails; the indices of
    the original steps kept."""
    keep = list(range(len(actions)))
    end = time.time() + budget_s
    chunk = max(1, len(keep) // 2)
    while chunk >= 1 and time.time() < end:
        i, changed = 0, False
        while i < len(keep) and time.time() < end:
            trial = keep[:i] + keep[i + chunk:]
            if trial and run_actions([actions[k] for k in trial], nreps, hub, every=every):
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
    ap.add_argument("--hub", action="store_true", help="sync through a real hub too (hephd --mode server)")
    ap.add_argument("--check-every", type=int, default=1,
                    help="compare after every Nth step only (the end is always compared; a failure shrinks "
                         "comparing after every step)")
    ap.add_argument("--hub-seeds", help="comma-separated seeds run through a real hub on three replicas")
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
    stats = {}

    def one(seed, hub, nreps):
        actions = generate(seed, o.steps, nreps, hub)
        idx = list(range(len(actions)))
        if o.only:
            idx = [int(x) for x in o.only.split(",")]
        res = run_actions([actions[i] for i in idx], nreps, hub, o.verbose, stats, o.check_every)
        if not res:
            return True
        step, msg = res
        where = "the final sync" if step == len(idx) else "step %d (%s)" % (idx[step], json.dumps(actions[idx[step]]))
        print("FAIL seed %d%s at %s:\n%s" % (seed, " (through a hub)" if hub else "", where, msg))
        sys.stdout.flush()
        kept = shrink([actions[i] for i in idx[:step + 1]], nreps, hub, o.shrink_seconds)
        kept = [idx[i] for i in kept]
        print("shrunk to %d steps:" % len(kept))
        for i in kept:
            print("  %d: %s" % (i, json.dumps(actions[i])))
        print("replay: HEPH=%s HEPHD=%s python3 %s --seed %d --steps %d --replicas %d%s --only %s --verbose" %
              (HEPH, HEPHD, os.path.abspath(__file__), seed, o.steps, nreps, " --hub" if hub else "",
               ",".join(map(str, kept))))
        return False

    hub_seeds = [int(x) for x in o.hub_seeds.split(",")] if o.hub_seeds else []
    if seeds is not None or hub_seeds:
        for s in seeds or []:
            n += 1
            failed += not one(s, o.hub, o.replicas)
        for s in hub_seeds:
            n += 1
            failed += not one(s, True, 3)
    else:
        rng = random.Random()
        while time.time() - start < (o.seconds or 60):
            n += 1
            s = rng.randrange(1 << 30)
            failed += not one(s, o.hub or s % 2 == 1, o.replicas if s % 4 < 2 else 3)
    print("%d seed(s) of %d steps: %d failed (%.0f s)" % (n, o.steps, failed, time.time() - start))
    print("steps run: " + ", ".join("%s %d" % kv for kv in sorted(stats.items())))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
