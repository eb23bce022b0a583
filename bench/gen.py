#!/usr/bin/env python3
"""Generate a realistic heph op stream (JSON lines, the format of
`heph ops --json`) for benchmarks: nested projects, tasks with context docs,
do-dates, late-ons, attention, recurrence, bodies with wiki links, and about
80% of tasks completed. Deterministic for a given seed.

usage: gen.py --tasks N [--projects P] [--seed S] [--taskwarrior FILE] [--pairs FILE] > ops.jsonl

--taskwarrior writes the same tasks as `task import` JSON (one object a line);
--pairs writes "heph-node-id taskwarrior-uuid" for each outstanding task, so
that benchmarks can complete the same tasks in both. Neither changes the op
stream: the Taskwarrior side draws from its own random generator.
"""
import argparse
import datetime
import json
import random
import sys

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(ms, rnd):
    t = ms
    head = []
    for _ in range(10):
        head.append(CROCKFORD[t & 31])
        t >>= 5
    r = rnd.getrandbits(80)
    tail = []
    for _ in range(16):
        tail.append(CROCKFORD[r & 31])
        r >>= 5
    return "".join(reversed(head)) + "".join(reversed(tail))


class Stream:
    def __init__(self, out, origin, start_ms, rnd):
        self.out, self.origin, self.ms, self.counter, self.rnd = out, origin, start_ms, 0, rnd
        self.count = 0

    def op(self, typ, payload):
        self.counter += 1
        if self.counter > 50:
            self.ms += 1
            self.counter = 0
        hlc = "%015d-%05d-%s" % (self.ms, self.counter, self.origin)
        rec = {"op_id": ulid(self.ms, self.rnd), "hlc": hlc, "origin": self.origin,
               "type": typ, "payload": payload}
        self.out.write(json.dumps(rec, separators=(",", ":")))
        self.out.write("\n")
        self.count += 1

    def new_id(self):
        return ulid(self.ms, self.rnd)


WORDS = ("call email review draft fix plan buy book send write read check clean "
         "update order prepare renew pay file sort tidy water backup").split()
NOUNS = ("invoice report dentist groceries taxes slides garden car insurance "
         "passport budget newsletter server laptop kitchen roof bike library").split()
RECUR = [None] * 12 + ["FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=WEEKLY;INTERVAL=2",
                       "FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=WEEKLY;BYDAY=MO,WE"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--outstanding", type=float, default=0.2)
    ap.add_argument("--today", default="2026-11-27")
    ap.add_argument("--taskwarrior", help="also write the same tasks as `task import` JSON here")
    ap.add_argument("--pairs", help="also write 'node_id uuid' of each outstanding task here")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    twrnd = random.Random(a.seed + 1)
    today = datetime.date.fromisoformat(a.today)
    start = int(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    s = Stream(sys.stdout, "%016x" % rnd.getrandbits(64), start, rnd)

    projects = []   # (id, name, path)
    for i in range(a.projects):
        pid = s.new_id()
        name = "p%d-%s" % (i, rnd.choice(NOUNS))
        s.op("node.create", {"node_id": pid, "kind": "project", "title": name})
        path = name
        # about a third of projects nest under an earlier one (depth up to ~4)
        if projects and rnd.random() < 0.6:
            parent = rnd.choice(projects[-200:])
            s.op("link.add", {"link_id": s.new_id(), "src": pid, "dst": parent[0], "type": "parent"})
            path = parent[2] + "." + name
        projects.append((pid, name, path))

    tw = []
    pairs = []
    task_ids = []
    for i in range(a.tasks):
        tid, did = s.new_id(), s.new_id()
        title = "%s %s %d" % (rnd.choice(WORDS), rnd.choice(NOUNS), i)
        fields = {"node_id": tid, "title": title}
        att = rnd.choices(["red", "orange", "white", "blue"], [5, 15, 65, 15])[0]
        if att != "white":
            fields["attention"] = att
        do = late = None
        if rnd.random() < 0.4:
            do = (today + datetime.timedelta(days=rnd.randint(-30, 30))).isoformat()
            fields["do_date"] = do
        if rnd.random() < 0.15:
            late = (today + datetime.timedelta(days=rnd.randint(-10, 40))).isoformat()
            fields["late_on"] = late
        rec = rnd.choice(RECUR)
        if rec:
            fields["recurrence"] = rec
        s.op("task.create", fields)
        body = "Notes for %s.\n\n- [ ] first step\n- [x] second step\n" % title
        if task_ids and rnd.random() < 0.3:
            body += "\nSee [[%s]].\n" % rnd.choice(task_ids[-500:])
        s.op("node.create", {"node_id": did, "kind": "doc", "title": title, "body": body})
        s.op("link.add", {"link_id": s.new_id(), "src": tid, "dst": did, "type": "canonical-context"})
        proj = rnd.choice(projects) if projects and rnd.random() < 0.9 else None
        if proj:
            s.op("link.add", {"link_id": s.new_id(), "src": tid, "dst": proj[0], "type": "in-project"})
        done = rnd.random() >= a.outstanding
        if done:
            s.op("task.set", {"node_id": tid, "state": "done"})
        task_ids.append(tid)
        if a.taskwarrior or a.pairs:
            uuid = "%08x-%04x-4%03x-8%03x-%012x" % (twrnd.getrandbits(32), twrnd.getrandbits(16),
                                                    twrnd.getrandbits(12), twrnd.getrandbits(12),
                                                    twrnd.getrandbits(48))
            t = {"description": title, "status": "completed" if done else "pending",
                 "uuid": uuid, "entry": "20240101T000000Z"}
            if proj:
                t["project"] = proj[2]
            if do:
                t["scheduled"] = do.replace("-", "") + "T000000Z"
            if late:
                t["due"] = late.replace("-", "") + "T000000Z"
            if att != "white":
                t["priority"] = {"red": "H", "orange": "M", "blue": "L"}[att]
            if done:
                t["end"] = "20250101T000000Z"
            tw.append(t)
            if not done:
                pairs.append((tid, uuid))
    if a.taskwarrior:
        with open(a.taskwarrior, "w") as f:
            for t in tw:
                f.write(json.dumps(t) + "\n")
    if a.pairs:
        with open(a.pairs, "w") as f:
            for tid, uuid in pairs:
                f.write("%s %s\n" % (tid, uuid))
    print("generated %d ops" % s.count, file=sys.stderr)


if __name__ == "__main__":
    main()
