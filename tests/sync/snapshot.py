#!/usr/bin/env python3
"""snapshot.py — a spoke starting from the hub's snapshot (GET /sync/snapshot)
instead of replaying its op-log. A real hub (hephd --mode server on loopback,
with device tokens), real spokes (heph sync, and a spoke hephd), and two small
servers of the test's own in front of the hub: one that cuts the snapshot's
download at random points, one that serves a broken snapshot while passing
everything else to the hub.

  same       a spoke started from the snapshot has the digest of one that
             replayed the op-log, and of the hub; its device id, its hub id
             and cursors are its own
  private    the snapshot file is a database of the hub's schema whose
             device tables are empty: no token hash, no device id of the
             hub's meta, no settings, no fleet, no undo history, not even in
             its free space; it needs the credential
  local      a spoke with ops made before its first sync keeps them through
             the snapshot, and the hub has them after
  cut        downloads cut at random points resume (Range, If-Range) within
             a sync, and across two syncs, and converge
  crash      a spoke's sync killed -9 at random moments of its join:
             its database stays whole with its own ops, and the next sync
             converges
  refused    a snapshot whose digest is wrong, that is not a heph snapshot,
             or is a heph snapshot with the wrong format inside: refused,
             the spoke's database unchanged; a format the spoke does not
             read (stated by the hub), or a hub without the endpoint: the
             op-log is pulled instead
  replaced   a spoke that meets another hub at its address starts over
             from that hub's snapshot, keeping and pushing what it held
  daemon     a spoke hephd (--sync-snapshot always) starts from it too
  busy       another process writing to the spoke's database during its
             join: the install gives way, the sync pulls the op-log, nothing
             written is lost

Usage: HEPH=... HEPHD=... snapshot.py [--seed N]
"""
import argparse
import hashlib
import http.server
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HEPH = os.environ["HEPH"]
HEPHD = os.environ["HEPHD"]
failures = 0
procs = []


def check(desc, ok, detail=""):
    global failures
    print(("ok    " if ok else "FAIL  ") + desc + ("" if ok else ": " + str(detail)), flush=True)
    if not ok:
        failures += 1


ENV = dict(os.environ, NO_COLOR="1", HEPH_NOW="2026-03-02")
for k in ("HEPH_DB", "HEPH_SOCKET", "HEPH_REMOTE", "HEPH_TOKEN_FILE", "HEPH_SYNC_BATCH", "HEPH_SYNC_SNAPSHOT",
          "XDG_RUNTIME_DIR"):
    ENV.pop(k, None)


def heph(db, *args, snapshot=None, ok=True):
    env = dict(ENV)
    if snapshot:
        env["HEPH_SYNC_SNAPSHOT"] = snapshot
    r = subprocess.run([HEPH, "--db", db] + list(args), capture_output=True, text=True, env=env)
    if "Sanitizer" in r.stderr or "runtime error" in r.stderr:
        sys.exit("FAIL  heph %s reported a sanitizer error:\n%s" % (" ".join(args), r.stderr))
    if ok and r.returncode != 0:
        sys.exit("FAIL  heph %s: %s" % (" ".join(args), r.stderr))
    return r


def sync(db, snapshot, ok=True):
    r = heph(db, "--json", "sync", snapshot=snapshot, ok=ok)
    return (json.loads(r.stdout) if r.returncode == 0 else None), r


def digest(db):
    return json.loads(heph(db, "--json", "digest").stdout)["digest"]


def status(db):
    return json.loads(heph(db, "--json", "sync", "--status").stdout)


def origin(db):
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT value FROM meta WHERE key = 'origin'").fetchone()[0]
    finally:
        c.close()


def state(db):
    """What a refused snapshot must leave as it was."""
    st = status(db)
    c = sqlite3.connect(db)
    try:
        ops = c.execute("SELECT count(*), coalesce(max(seq), 0) FROM oplog").fetchone()
    finally:
        c.close()
    return (digest(db), ops, st.get("pull_cursor"), st.get("push_cursor"), st.get("pending_push"), origin(db))


def device_token(db, where):
    """A device token of the hub at db, and the private file in where that
    holds it."""
    token = subprocess.run([HEPHD, "--db", db, "token", "create", "devices"], capture_output=True, text=True,
                           env=ENV, check=True).stdout.strip().splitlines()[-1]
    path = os.path.join(where, "devices.token")
    with open(path, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return token, path


class Hub:
    def __init__(self, tmp):
        self.db = os.path.join(tmp, "hub.db")
        self.ready = os.path.join(tmp, "hub.url")
        self.log = os.path.join(tmp, "hub.log")
        self.p = subprocess.Popen([HEPHD, "--mode", "server", "--db", self.db, "--http-addr", "127.0.0.1:0",
                                   "--ready-file", self.ready], stderr=open(self.log, "ab"), env=ENV)
        procs.append(self.p)
        for _ in range(200):
            if os.path.exists(self.ready) and os.path.getsize(self.ready):
                break
            time.sleep(0.05)
        else:
            sys.exit("FAIL  the hub did not start:\n" + open(self.log).read())
        self.url = open(self.ready).read().strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def get(self, path, token, headers=None):
        req = urllib.request.Request(self.url + path, headers=dict(headers or {}))
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


class CutProxy:
    """TCP in front of the hub: the next `cuts` snapshot answers are cut
    after a random number of bytes; everything else passes."""

    def __init__(self, hub_port, rng, size):
        self.hub_port, self.rng, self.size = hub_port, rng, size
        self.cuts = 0
        self.cut_done = 0
        self.max_cut = size  # a cut comes after fewer bytes than this
        self.ranged = 0       # snapshot requests that carried Range
        self.if_range = 0     # ... and If-Range
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.url = "http://127.0.0.1:%d" % self.srv.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        u = socket.create_connection(("127.0.0.1", self.hub_port))
        budget = [None]  # bytes left to pass back before the cut, None: no cut armed

        def up():
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    if d[:d.find(b" /") + 2] in (b"GET /", b"POST /") and b"GET /sync/snapshot" not in d:
                        budget[0] = None  # a cut armed for a snapshot's answer that ended whole
                    if b"GET /sync/snapshot" in d:
                        with self.lock:
                            if b"\r\nrange:" in d.lower():
                                self.ranged += 1
                            if b"\r\nif-range:" in d.lower():
                                self.if_range += 1
                            if self.cuts > 0:
                                self.cuts -= 1
                                budget[0] = self.rng.randrange(1, self.max_cut)
                    u.sendall(d)
            except OSError:
                pass
            finally:
                try:
                    u.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=up, daemon=True)
        t.start()
        try:
            while True:
                d = u.recv(65536)
                if not d:
                    break
                if budget[0] is not None:
                    if len(d) >= budget[0]:
                        c.sendall(d[:budget[0]])
                        with self.lock:
                            self.cut_done += 1
                        break
                    budget[0] -= len(d)
                c.sendall(d)
        except OSError:
            pass
        for s in (c, u):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        # Wake the accept() first: a socket closed under it leaves its fd
        # number free, and the accept, restarted after a signal, would take
        # the connections of the next server given that number.
        try:
            self.srv.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.srv.close()


class FakeHub:
    """An HTTP server that answers GET /sync/snapshot itself, as `mode`
    says, and passes every other request to the real hub."""

    def __init__(self, hub, good, good_headers):
        self.hub, self.good, self.good_headers = hub, good, good_headers
        self.mode = None
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path.startswith("/sync/snapshot"):
                    return outer.snapshot(self)
                req = urllib.request.Request(outer.hub.url + self.path)
                for k in ("Authorization",):
                    if self.headers.get(k):
                        req.add_header(k, self.headers[k])
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        code, body, ctype = r.status, r.read(), r.headers.get("Content-Type")
                except urllib.error.HTTPError as e:
                    code, body, ctype = e.code, e.read(), e.headers.get("Content-Type")
                self.send(code, body, {"Content-Type": ctype or "application/json"})

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                data = self.rfile.read(n)
                req = urllib.request.Request(outer.hub.url + self.path, data=data, method="POST")
                for k in ("Authorization", "Content-Type"):
                    if self.headers.get(k):
                        req.add_header(k, self.headers[k])
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        code, body = r.status, r.read()
                except urllib.error.HTTPError as e:
                    code, body = e.code, e.read()
                self.send(code, body, {"Content-Type": "application/json"})

            def send(self, code, body, headers):
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def snapshot(self, h):
        body = self.good
        hdr = {k: v for k, v in self.good_headers.items() if k.lower().startswith("heph-snapshot-") or k == "ETag"}
        if self.mode == "404":
            return h.send(404, b'{"error":{"code":-32004,"name":"not_found","message":"no such file"}}',
                          {"Content-Type": "application/json"})
        if self.mode == "bad-digest":
            hdr["Heph-Snapshot-Sha256"] = hashlib.sha256(b"something else").hexdigest()
        elif self.mode == "flipped":
            # one byte changed in the middle, the hub's digest kept
            b = bytearray(body)
            b[len(b) // 2] ^= 0xff
            body = bytes(b)
        elif self.mode == "not-heph":
            body = os.urandom(len(body))
            hdr["Heph-Snapshot-Sha256"] = hashlib.sha256(body).hexdigest()
        elif self.mode == "plain-sqlite":
            body = self.plain
            hdr["Heph-Snapshot-Sha256"] = hashlib.sha256(body).hexdigest()
        elif self.mode == "format-inside":
            # the right headers, the right digest, but format 99 in the file
            b = bytearray(body)
            b[60:64] = (99).to_bytes(4, "big")
            body = bytes(b)
            hdr["Heph-Snapshot-Sha256"] = hashlib.sha256(body).hexdigest()
        elif self.mode == "format-header":
            hdr["Heph-Snapshot-Format"] = "99"
        hdr["Heph-Snapshot-Size"] = str(len(body))
        hdr["ETag"] = '"%s"' % hdr["Heph-Snapshot-Sha256"]
        hdr["Content-Type"] = "application/vnd.heph.snapshot"
        h.send(200, body, hdr)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


SHIPPED = {"nodes", "tasks", "clocks", "links", "link_tombs", "oplog", "deferred", "conflicts", "resolutions"}
# the device's own (and the undo history, by local seq): in the file, empty
EMPTIED = {"meta", "settings", "sync_state", "sync_pulled", "tokens", "devices", "idempotency", "changes",
           "change_before"}


def fill(tmp, hub, token_file):
    """Two writers make a varied history on the hub: tasks, projects, done,
    deleted, links, and a conflict."""
    w1, w2 = os.path.join(tmp, "w1.db"), os.path.join(tmp, "w2.db")
    for w in (w1, w2):
        heph(w, "hub", "set", hub.url, "--token-file", token_file)
    for i in range(40):
        heph(w1, "add", "task %d of the snapshot +proj%d @ctx%d" % (i, i % 4, i % 3))
    heph(w1, "doc", "A doc about things", "--body", "see [[task 3 of the snapshot]]")
    sync(w1, "never")
    sync(w2, "never")
    tasks = json.loads(heph(w1, "--json", "list").stdout)
    rows = tasks.get("tasks", tasks) if isinstance(tasks, dict) else tasks
    handles = [t.get("handle") for t in rows if isinstance(t, dict) and t.get("handle")]
    for h in handles[:5]:
        heph(w1, "done", h)
    for h in handles[5:8]:
        heph(w2, "rm", h)
    if handles:
        heph(w1, "edit", handles[10], "--title", "edited on w1")
        heph(w2, "edit", handles[10], "--title", "edited on w2")
        heph(w2, "link", "add", handles[11], handles[12], "related")
    sync(w1, "never")
    sync(w2, "never")
    sync(w1, "never")
    return w1, w2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    print("seed %d (snapshot.py --seed %d replays it)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="heph-snapshot.")
    ENV["XDG_CONFIG_HOME"] = tmp
    hub = None
    try:
        db = os.path.join(tmp, "hub.db")
        token, token_file = device_token(db, tmp)
        # a private setting on the hub, which no snapshot may carry
        heph(db, "hub", "set", "http://private-setting.invalid/of-the-hub")
        hub = Hub(tmp)
        heph(db, "--remote", hub.url, "--token-file", token_file, "add", "written on the hub itself", ok=False)
        fill(tmp, hub, token_file)
        hub_digest = digest(hub.db)

        # --- same ---
        snap, rep = os.path.join(tmp, "snap.db"), os.path.join(tmp, "replay.db")
        for d in (snap, rep):
            heph(d, "hub", "set", hub.url, "--token-file", token_file)
        r, _ = sync(snap, "always")
        check("same: the first sync of an empty spoke starts from the snapshot", r.get("snapshot", 0) > 0, r)
        r2, _ = sync(rep, "never")
        check("same: with HEPH_SYNC_SNAPSHOT=never it replays the op-log", "snapshot" not in r2, r2)
        check("same: the snapshot's digest is the replay's", digest(snap) == digest(rep),
              (digest(snap), digest(rep)))
        check("same: and the hub's", digest(snap) == hub_digest)
        st = status(snap)
        hub_origin = origin(hub.db)
        check("same: the spoke keeps its own device id", origin(snap) not in (hub_origin, origin(rep)))
        check("same: its hub id is the hub's, its pull cursor the snapshot's seq",
              st.get("hub_id") == hub_origin and st.get("pull_cursor") == r["snapshot"], st)
        check("same: nothing waits to be pushed", st.get("pending_push") == 0, st)
        check("same: no download is left beside the database",
              not [f for f in os.listdir(tmp) if ".snapshot" in f])
        found = heph(snap, "search", "edited").stdout + heph(snap, "search", "doc about").stdout
        check("same: the search index was rebuilt", "edited on" in found and "A doc about" in found, found[:300])
        # a write on the hub after: pulled incrementally
        heph(rep, "add", "after the snapshot")
        sync(rep, "never")
        r, _ = sync(snap, "always")
        check("same: a later sync pulls from the snapshot's seq, not a new snapshot",
              "snapshot" not in r and r.get("pulled") == 3 and digest(snap) == digest(hub.db), r)

        # --- private ---
        code, hdrs, body = hub.get("/sync/snapshot?protocol=1", None)
        check("private: without a credential the snapshot is refused", code == 401, code)
        code, hdrs, body = hub.get("/sync/snapshot?protocol=1", token)
        check("private: with one it is served", code == 200 and len(body) > 0, code)
        check("private: its digest is the one stated",
              hashlib.sha256(body).hexdigest() == hdrs.get("Heph-Snapshot-Sha256"), hdrs)
        path = os.path.join(tmp, "fetched.snapshot")
        with open(path, "wb") as f:
            f.write(body)
        c = sqlite3.connect(path)
        tables = {n for (n,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = dict(c.execute("SELECT key, value FROM snapshot"))
        held = {t for t in EMPTIED & tables if c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]}
        h = sqlite3.connect(hub.db)
        schema = {n for (n,) in h.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        h.close()
        c.close()
        check("private: the file is the hub's schema and its own table", tables == schema | {"snapshot"},
              sorted(tables ^ (schema | {"snapshot"})))
        check("private: the replicated tables are in it, the device's own are empty",
              SHIPPED <= tables and EMPTIED <= tables and not held, (sorted(SHIPPED - tables), sorted(held)))
        check("private: it names its hub, seq and format", meta.get("hub") == hub_origin and
              int(meta.get("seq", 0)) == int(hdrs.get("Heph-Snapshot-Seq", -1)) and meta.get("format") == "2", meta)
        h = sqlite3.connect(hub.db)
        secrets = [v for (v,) in h.execute("SELECT hash FROM tokens")]
        secrets += [v for (v,) in h.execute("SELECT value FROM settings")]
        devices = h.execute("SELECT count(*) FROM devices").fetchone()[0]
        reports = [v for (v,) in h.execute("SELECT op_types FROM devices WHERE op_types IS NOT NULL")]
        h.close()
        leaked = [s for s in secrets if s and s.encode() in body]
        check("private: no token hash or setting of the hub's is in its bytes",
              len(secrets) >= 2 and not leaked, (secrets, leaked))
        check("private: the hub's fleet (%d devices) is not either" % devices,
              devices > 0 and reports and not [v for v in reports if v.encode() in body] and "devices" not in held)
        check("private: nor a token", token.encode() not in body)
        # what a hub keeps stays private to it
        snaps_dir = hub.db + "-snapshots"
        mode = os.stat(snaps_dir).st_mode & 0o777
        check("private: the hub keeps its snapshots in a directory of its own (0700)", mode == 0o700, oct(mode))

        # --- local ---
        loc = os.path.join(tmp, "local.db")
        heph(loc, "add", "made offline before the first sync")
        heph(loc, "add", "also made offline +offline")
        heph(loc, "hub", "set", hub.url, "--token-file", token_file)
        r, _ = sync(loc, "always")
        check("local: an empty pull cursor with local ops still starts from the snapshot", r.get("snapshot"), r)
        check("local: its own ops were pushed after", r.get("pushed") == 6 and r.get("pending_push") == 0, r)
        mine = heph(loc, "list").stdout
        check("local: they are still here", "made offline before" in mine and "also made offline" in mine, mine)
        on_hub = heph(hub.db, "list").stdout
        check("local: and on the hub", "made offline before" in on_hub and "also made offline" in on_hub)
        check("local: the spoke and the hub agree", digest(loc) == digest(hub.db))

        # --- cut ---
        size = int(hdrs["Heph-Snapshot-Size"])
        cp = CutProxy(hub.port, rng, size)
        cut = os.path.join(tmp, "cut.db")
        heph(cut, "hub", "set", cp.url, "--token-file", token_file)
        heph(cut, "add", "made on the cut spoke")
        cp.cuts = rng.randrange(1, 5)  # fewer than the tries of one sync
        r, res = sync(cut, "always", ok=False)
        check("cut: cut downloads resume within one sync (%d cuts)" % cp.cut_done,
              r is not None and r.get("snapshot") and cp.cut_done >= 1, res.stderr)
        check("cut: the resumed requests asked for the rest (Range, If-Range)",
              cp.ranged >= cp.cut_done and cp.if_range >= cp.cut_done, (cp.ranged, cp.if_range, cp.cut_done))
        check("cut: and it converges", digest(cut) == digest(hub.db) and status(cut).get("pending_push") == 0)
        cut2 = os.path.join(tmp, "cut2.db")
        heph(cut2, "hub", "set", cp.url, "--token-file", token_file)
        # every try cut after a few bytes: more tries than one sync makes
        cp.cuts, cp.cut_done, cp.ranged, cp.max_cut = 100, 0, 0, 2000
        r, res = sync(cut2, "always", ok=False)
        left = os.path.exists(cut2 + ".snapshot") and os.path.getsize(cut2 + ".snapshot") > 0
        check("cut: a sync whose every try is cut fails, keeping what came", r is None and left,
              (res.returncode, res.stderr, res.stdout, cp.cut_done, cp.ranged))
        check("cut: and changes nothing else", status(cut2).get("pull_cursor") == 0)
        before = cp.ranged
        cp.cuts = 0
        r, res = sync(cut2, "always", ok=False)
        check("cut: the next sync resumes the download", r is not None and r.get("snapshot") and cp.ranged > before,
              res.stderr)
        check("cut: and converges", digest(cut2) == digest(hub.db))
        cp.close()

        # --- crash ---
        # a spoke's sync killed -9 at random moments of its snapshot join
        # (download, checks, re-applying its own ops, the install, the pushes
        # after): each time its database is whole and keeps its own ops, and
        # the next sync converges
        timed = os.path.join(tmp, "timed.db")
        heph(timed, "hub", "set", hub.url, "--token-file", token_file)
        t0 = time.monotonic()
        sync(timed, "always")
        took = time.monotonic() - t0
        killed = converged = 0
        whole = kept = True
        left = []
        for i in range(8):
            # a spoke of its own ops, whose first syncs are killed at
            # random moments until one is not (at most three kills)
            crash = os.path.join(tmp, "crash%d.db" % i)
            heph(crash, "add", "made on crashed spoke %d" % i)
            heph(crash, "add", "also made on crashed spoke %d +crashed" % i)
            heph(crash, "hub", "set", hub.url, "--token-file", token_file)
            for _ in range(3):
                p = subprocess.Popen([HEPH, "--db", crash, "--json", "sync"],
                                     env=dict(ENV, HEPH_SYNC_SNAPSHOT="always"), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
                time.sleep(rng.uniform(0, took))
                if p.poll() is None:
                    p.kill()
                    killed += 1
                err = p.communicate()[1]
                if "Sanitizer" in err or "runtime error" in err:
                    sys.exit("FAIL  crash: heph sync reported a sanitizer error:\n" + err)
                c = sqlite3.connect(crash)
                try:
                    whole = whole and c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                finally:
                    c.close()
                mine = heph(crash, "list").stdout
                kept = kept and ("made on crashed spoke %d" % i) in mine and ("also made on crashed spoke %d" % i) in mine
                if p.returncode == 0:
                    break
            r, res = sync(crash, "always", ok=False)
            if r is not None and digest(crash) == digest(hub.db) and status(crash).get("pending_push") == 0:
                converged += 1
            else:
                print("      spoke %d: %s" % (i, res.stderr.strip()))
            left += [f for f in os.listdir(tmp) if f.startswith("crash%d.db" % i) and ".snapshot" in f]
        check("crash: syncs were killed part-way (%d of them)" % killed, killed > 0, took)
        check("crash: the database is whole after every kill", whole)
        check("crash: the spoke's own tasks survive every kill", kept)
        check("crash: the next sync of each converges with the hub", converged == 8, converged)
        on_hub = heph(hub.db, "list").stdout
        check("crash: every spoke's own tasks reached the hub",
              all(("made on crashed spoke %d" % i) in on_hub for i in range(8)))
        check("crash: no download is left beside a database", not left, left)

        # --- twice ---
        # two syncs of one fresh spoke at once (hephd's and a command's, or
        # two commands): one downloads and installs the snapshot while the
        # other waits for it, then pulls from the cursor it left; neither
        # fails, and the spoke converges
        rounds, both, one_took, same = 4, 0, 0, 0
        for i in range(rounds):
            twice = os.path.join(tmp, "twice%d.db" % i)
            heph(twice, "add", "made on spoke %d, synced twice at once" % i)
            heph(twice, "hub", "set", hub.url, "--token-file", token_file)
            ps = [subprocess.Popen([HEPH, "--db", twice, "--json", "sync"], env=dict(ENV, HEPH_SYNC_SNAPSHOT="always"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
            outs = [p.communicate() + (p.returncode,) for p in ps]
            for out, err, rc in outs:
                if "Sanitizer" in err or "runtime error" in err:
                    sys.exit("FAIL  twice: heph sync reported a sanitizer error:\n" + err)
            if all(rc == 0 for _, _, rc in outs):
                both += 1
            else:
                print("      twice %d: %s" % (i, " | ".join(err.strip() for _, err, rc in outs if rc)))
            took_snap = [json.loads(out).get("snapshot") for out, _, rc in outs if rc == 0]
            one_took += len([t for t in took_snap if t]) == 1
            same += digest(twice) == digest(hub.db) and status(twice).get("pending_push") == 0
        check("twice: both syncs of a spoke synced at once succeed (%d rounds)" % rounds, both == rounds, both)
        check("twice: one of them installed the snapshot, the other pulled after it", one_took == rounds, one_took)
        check("twice: each converges with the hub", same == rounds, same)
        left = [f for f in os.listdir(tmp) if f.startswith("twice") and ".snapshot" in f]
        check("twice: no download is left beside a database", not left, left)

        # --- replaced ---
        # a spoke whose hub is replaced by another (a new hub at its address,
        # or a hub restored from a backup that lacks ops it had pulled)
        # starts over, and joins the new hub from its snapshot rather than
        # by replaying its log; what it held that the new hub lacks (its own
        # ops and the old hub's) is kept and pushed
        moved = os.path.join(tmp, "moved.db")
        heph(moved, "hub", "set", hub.url, "--token-file", token_file)
        sync(moved, "never")
        heph(moved, "add", "made before the hub was replaced")
        other_dir = os.path.join(tmp, "other")
        os.mkdir(other_dir)
        other = Hub(other_dir)
        _, other_token_file = device_token(other.db, other_dir)
        writer = os.path.join(other_dir, "w.db")
        heph(writer, "hub", "set", other.url, "--token-file", other_token_file)
        for i in range(30):
            heph(writer, "add", "on the new hub %d" % i)
        sync(writer, "never")
        heph(moved, "hub", "set", other.url, "--token-file", other_token_file)
        r, res = sync(moved, "always", ok=False)
        check("replaced: a spoke that meets another hub joins it from its snapshot",
              r is not None and r.get("snapshot", 0) > 0, (res.stdout, res.stderr))
        check("replaced: and converges with it", digest(moved) == digest(other.db) and
              status(moved).get("pending_push") == 0 and status(moved).get("hub_id") == origin(other.db), status(moved))
        on_other = [t["title"] for t in json.loads(heph(other.db, "--json", "list", "--all").stdout)]
        check("replaced: what it held that the new hub lacked was pushed there",
              "made before the hub was replaced" in on_other and "task 39 of the snapshot +proj3 @ctx0" in on_other,
              len(on_other))
        other.p.terminate()
        other.p.wait(20)

        # --- refused ---
        _, good_hdrs, good = hub.get("/sync/snapshot?protocol=1", token)
        fake = FakeHub(hub, good, good_hdrs)
        plain = os.path.join(tmp, "plain.sqlite")
        pc = sqlite3.connect(plain)
        pc.execute("CREATE TABLE t (x)")
        pc.commit()
        pc.close()
        fake.plain = open(plain, "rb").read()
        victim = os.path.join(tmp, "victim.db")
        heph(victim, "add", "the victim's own op")
        heph(victim, "hub", "set", fake.url, "--token-file", token_file)
        before = state(victim)
        for mode, words in (("bad-digest", "digest"), ("flipped", "digest"), ("not-heph", "not a heph snapshot"),
                            ("plain-sqlite", "not a heph snapshot"), ("format-inside", "format")):
            fake.mode = mode
            r, res = sync(victim, "always", ok=False)
            check("refused: %s: the sync fails saying why" % mode,
                  r is None and words in res.stderr, (res.returncode, res.stderr.strip()))
            check("refused: %s: the spoke's database is unchanged" % mode, state(victim) == before,
                  (state(victim), before))
            check("refused: %s: no download is left" % mode,
                  not os.path.exists(victim + ".snapshot") and not os.path.exists(victim + ".snapshot.etag"))
        fake.mode = "format-header"
        r, res = sync(victim, "always", ok=False)
        check("refused: a format the spoke does not read: the op-log is pulled instead",
              r is not None and "snapshot" not in r and "format 99" in r.get("snapshot_refused", ""),
              (res.stdout, res.stderr))
        check("refused: and it converges", digest(victim) == digest(hub.db))
        old = os.path.join(tmp, "old-hub.db")
        heph(old, "hub", "set", fake.url, "--token-file", token_file)
        fake.mode = "404"
        r, res = sync(old, "always", ok=False)
        check("refused: a hub without snapshots (404): the op-log is pulled",
              r is not None and "snapshot" not in r and digest(old) == digest(hub.db), (res.stdout, res.stderr))
        fake.close()

        # --- daemon ---
        dd = os.path.join(tmp, "daemon.db")
        heph(dd, "hub", "set", hub.url, "--token-file", token_file)
        log = os.path.join(tmp, "daemon.log")
        ready = os.path.join(tmp, "daemon.ready")
        p = subprocess.Popen([HEPHD, "--mode", "local", "--db", dd, "--socket", os.path.join(tmp, "d.sock"),
                              "--ready-file", ready, "--sync-snapshot", "always", "--sync-interval", "3600"],
                             stderr=open(log, "ab"), env=ENV)
        procs.append(p)
        deadline = time.time() + 60
        while time.time() < deadline and "started from its snapshot" not in open(log).read():
            time.sleep(0.1)
        text = open(log).read()
        check("daemon: a spoke hephd starts from the snapshot", "started from its snapshot" in text, text[-500:])
        p.terminate()
        p.wait(20)
        check("daemon: and holds the hub's state", digest(dd) == digest(hub.db))
        bad = subprocess.run([HEPHD, "--mode", "local", "--db", dd, "--sync-snapshot", "sometimes"],
                             capture_output=True, text=True, env=ENV)
        check("daemon: --sync-snapshot takes auto, always or never", bad.returncode != 0 and
              "auto, always or never" in bad.stderr, bad.stderr)
        r = heph(dd, "sync", snapshot="sometimes", ok=False)
        check("HEPH_SYNC_SNAPSHOT takes auto, always or never", r.returncode != 0 and
              "auto, always or never" in r.stderr, r.stderr)

        # --- busy ---
        # another process writing to a spoke's database while it joins: the
        # install gives way (its pages are never copied over a write) and the
        # sync pulls the op-log instead; nothing written is lost, and the
        # spoke converges. Many ops of the spoke's own make the install long
        # enough for the writer to land in it; joins are tried until two
        # gave way (or eight were tried).
        many = os.path.join(tmp, "many.json")
        with open(many, "w") as f:
            json.dump([{"uuid": "00000000-0000-4000-8000-%012d" % i, "description": "imported %d" % i,
                        "status": "pending", "entry": "20260301T090000Z"} for i in range(1000)], f)
        gave_way, joins, lost, errors, reasons = 0, 0, [], [], set()
        for i in range(8):
            busy = os.path.join(tmp, "busy%d.db" % i)
            heph(busy, "import", "taskwarrior", many)
            heph(busy, "hub", "set", hub.url, "--token-file", token_file)
            stop, written = threading.Event(), []

            def write():
                while not stop.is_set():
                    title = "written during join %d.%d" % (i, len(written))
                    w = heph(busy, "add", title, ok=False)
                    if w.returncode != 0:
                        errors.append(w.stderr)
                        return
                    written.append(title)
            t = threading.Thread(target=write)
            t.start()
            r, res = sync(busy, "always", ok=False)
            stop.set()
            t.join()
            joins += 1
            check("busy: join %d with a writer beside it succeeds" % i, r is not None, res.stderr)
            if r is None:
                break
            refused = r.get("snapshot_refused", "")
            check("busy: it either installed the snapshot or gave way to the writer and pulled",
                  ("snapshot" in r) != bool(refused) and (not refused or "another process" in refused), r)
            gave_way += bool(refused)
            if refused:
                reasons.add(refused.split(" while ")[0].split(" when ")[0])
            sync(busy, "always")
            mine = heph(busy, "--json", "list", "--all").stdout + heph(hub.db, "--json", "list", "--all").stdout
            lost += [w for w in written if mine.count('"%s"' % w) != 2]
            check("busy: join %d converges with the hub (%d tasks written meanwhile)" % (i, len(written)),
                  digest(busy) == digest(hub.db) and status(busy).get("pending_push") == 0)
            if gave_way >= 2:
                break
        check("busy: no write of the writer failed", not errors, errors[:1])
        check("busy: no task written during a join was lost (on the spoke and on the hub)", not lost, lost[:5])
        check("busy: the install gave way to the writer in %d of %d joins (%s)" % (gave_way, joins, "; ".join(sorted(reasons))),
              gave_way >= 1)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for log in ("hub.log", "daemon.log", os.path.join("other", "hub.log")):
            path = os.path.join(tmp, log)
            text = open(path, errors="replace").read() if os.path.exists(path) else ""
            check("%s: no sanitizer report" % log, "Sanitizer" not in text and "runtime error" not in text,
                  text[-2000:])
        if hub and os.path.exists(hub.db + "-snapshots"):
            check("the hub removes its snapshots when it stops", not os.listdir(hub.db + "-snapshots"))
        if failures:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp)
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
