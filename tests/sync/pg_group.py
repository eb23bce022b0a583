#!/usr/bin/env python3
"""pg_group.py OUT URL-A URL-B OWNER:TOKEN-FILE:OPS-FILE... — many pushes at
once through two instances of a PostgreSQL hub, so that each instance's
committer takes them in groups (pg.c, pg_push_group):

- every op of an owner (OPS-FILE: one JSON op a line) is pushed twice, in
  batches of 1 to 5 in two different random orders, one copy through each
  instance; the pushes of both owners are interleaved and sent from 12
  threads at once, each on its own connection;
- one push of each owner also carries an op stamped an hour ahead: that
  push alone is refused;
- meanwhile, for each owner, a puller pulls through instance B from its
  cursor, again and again, and records every page.

Writes OUT as JSON, per owner: the statuses of the pushes (a count of
each), the sums of the answers' applied and duplicate counts, the op ids
sent, and what the puller saw (the seqs in the order it got them and the op
ids)."""
import http.client
import json
import queue
import random
import sys
import threading
import time
import urllib.parse

out, url_a, url_b = sys.argv[1], sys.argv[2], sys.argv[3]
owners = []
for spec in sys.argv[4:]:
    name, token_file, ops_file = spec.split(":")
    owners.append({"name": name, "token": open(token_file).read().strip(),
                   "ops": [json.loads(l) for l in open(ops_file) if l.strip()]})
rng = random.Random(2026)
jobs = []
for o in owners:
    for url in (url_a, url_b):
        ops = o["ops"][:]
        rng.shuffle(ops)
        i = 0
        while i < len(ops):
            k = rng.randint(1, 5)
            jobs.append((o, url, ops[i:i + k], False))
            i += k
    bad = dict(o["ops"][0])
    bad["op_id"] = "01K00000000000000000000Z77"
    bad["hlc"] = "%015d" % (int(time.time() * 1000) + 3600 * 1000) + bad["hlc"][15:]
    jobs.append((o, url_a, [o["ops"][1], bad], True))
rng.shuffle(jobs)
todo = queue.Queue()
for j in jobs:
    todo.put(j)
result = {o["name"]: {"status": {}, "bad_status": None, "applied": 0, "duplicate": 0, "received": 0,
                      "sent": sorted({op["op_id"] for op in o["ops"]}), "pulled_seqs": [], "pulled_ids": [],
                      "pull_errors": []} for o in owners}
lock = threading.Lock()
pushing = True
start = threading.Barrier(12 + len(owners))


def conn(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def pusher():
    conns = {url_a: conn(url_a), url_b: conn(url_b)}
    start.wait()
    while True:
        try:
            o, url, ops, bad = todo.get_nowait()
        except queue.Empty:
            return
        body = json.dumps({"protocol": 1, "ops": ops})
        for attempt in range(3):
            try:
                c = conns[url]
                c.request("POST", "/sync/push", body=body,
                          headers={"Authorization": "Bearer " + o["token"], "Content-Type": "application/json"})
                r = c.getresponse()
                text = r.read()
                break
            except (OSError, http.client.HTTPException):
                conns[url].close()
                conns[url] = conn(url)
        else:
            raise SystemExit("a push never got an answer")
        with lock:
            res = result[o["name"]]
            if bad:
                res["bad_status"] = r.status
                continue
            res["status"][str(r.status)] = res["status"].get(str(r.status), 0) + 1
            if r.status == 200:
                a = json.loads(text)
                res["applied"] += a["applied"]
                res["duplicate"] += a["duplicate"]
                res["received"] += a["received"]


def puller(o):
    res = result[o["name"]]
    c = conn(url_b)
    after = 0
    start.wait()
    while True:
        last = not pushing
        c.request("GET", "/sync/pull?protocol=1&after=%d" % after, headers={"Authorization": "Bearer " + o["token"]})
        r = c.getresponse()
        page = json.loads(r.read())
        if r.status != 200:
            res["pull_errors"].append(r.status)
            return
        for op in page["ops"]:
            res["pulled_seqs"].append(op["seq"])
            res["pulled_ids"].append(op["op_id"])
        after = page["next"]
        if last and not page["more"]:
            return


threads = [threading.Thread(target=pusher) for _ in range(12)]
pullers = [threading.Thread(target=puller, args=(o,)) for o in owners]
for t in threads + pullers:
    t.start()
for t in threads:
    t.join()
pushing = False
for t in pullers:
    t.join()
json.dump(result, open(out, "w"))
