#!/usr/bin/env python3
"""soak.py — the convergence soak: a real hub (hephd --mode server on an
ephemeral loopback port) and several spokes (real databases, changed through
the real `heph` CLI, and through a spoke hephd's socket when one runs),
driven by a seeded random schedule of:

  changes     tasks, quick adds, edits of every task field, done / skip /
              drop (recurring tasks too), projects and moves between them,
              docs, context docs and journals with [[wiki links]] and #tags,
              log entries, aliases, links added and removed, tombstones,
              undo, conflict resolutions, Taskwarrior imports, and writes on
              the hub itself through POST /rpc;
  races       the same node changed on two or three spokes before they sync:
              one field, a link added here and removed there, a task moved
              to different projects, a recurring task done on two devices, a
              tombstone against an edit, one day's journal written on two
              devices, bodies with wiki links;
  delivery    syncs (sometimes in pages of a few ops), ops passed directly
              from spoke to spoke (`heph ops --json | heph apply`, a random
              subset, shuffled, with duplicates), raw pushes of shuffled
              duplicates to /sync/push;
  failures    a spoke cut off for a while, the hub stopped or killed, the hub
              killed -9 in the middle of a sync and restarted, a spoke's
              sync or apply killed -9 part-way, a spoke's hephd killed -9.

Each seed ends with a full sync round (every spoke syncs twice). Then every
replica must hold the hub's digest and the hub's number of ops, nothing may
be waiting (deferred) or left to push, every database must pass
PRAGMA integrity_check, the everyday reads must answer, and no process may
have reported a sanitizer error. A failing seed is printed with the command
that replays it (the same schedule; the moments kills land can differ).

With --pg the hub is the one for many owners (docs/explanation/
postgresql-hub.md): a private PostgreSQL 15 cluster for the run (as
tests/sync/pg.sh makes one; a database per seed), two hephd instances on it,
each with its own --state-dir, and two owners, alice and bob, each with 2-3
spokes of their own. Every sync, raw push and /rpc write goes through either
instance at random (a storm pushes one owner's ops through both at once);
changes, races and exchanges stay within one owner. The hub failures strike
an instance at a time: one is stopped or killed -9 for a while (both may end
up down; stopped, its owner replicas are sometimes deleted: they are a
cache), one is killed -9 in the middle of a spoke's sync and restarted while
the other serves, and an owner's data is lost (the owner removed and added
again, new tokens) while both instances serve. The hub's side is read without a file: each
owner's head as both instances answer a pull (they must agree), the
owner's log in PostgreSQL (seqs 1..head, each op once), a fresh replica
pulled through each instance (their digest is the hub's) and /rpc digest
on each instance. Every replica of an owner must hold that digest and head
many ops, and none may hold anything of the other owner: no op id, no node
id (but journals' and tags', which both derive from a date or a name), no
word of the other's vocabulary (each owner writes words of its own). The
instances' owner replicas must pass PRAGMA integrity_check too.

Usage (HEPH and HEPHD name the binaries):
  soak.py --seeds 1,2,3            these seeds
  soak.py --seconds 300            random seeds until the time is up
  soak.py --seed N [--keep] [-v]   one seed; --keep leaves its directory
Options: --spokes K (default: 2-4, chosen by the seed), --steps N
(default 70), --keep-failed, --snapshots (every replica whose pull cursor is
0 starts from the hub's snapshot: HEPH_SYNC_SNAPSHOT=always for heph and
every hephd; the digests must still agree), --pg (above; --spokes K is then
each owner's; PG_BIN names PostgreSQL's binaries, default
/usr/lib/postgresql/15/bin).
  soak.py --pg --seconds 600       the PostgreSQL hub for ten minutes
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

HEPH = os.environ.get("HEPH", "")
HEPHD = os.environ.get("HEPHD", "")
TODAY = "2026-11-18"
WORDS = ["alpha", "bravo", "garden", "letter", "taxes", "paint", "dentist", "review", "plan", "call",
         "fix", "read", "kitchen", "budget", "notes", "trip", "bike", "report", "draft", "order"]
# the second owner of a PostgreSQL hub writes these (no word in both lists)
WORDS_B = ["apple", "harbor", "violin", "pepper", "canyon", "meadow", "rocket", "saddle", "tundra", "walnut",
           "anchor", "bucket", "cobalt", "falcon", "ginger", "hammer", "island", "jungle", "lantern", "marble"]
VOCAB = [WORDS, WORDS_B]
TW_PROJECTS = [["home", "home.garden", "work"], ["house", "house.yard", "job"]]
PROJECTS = ["Home", "Work", "Deep Work", "Garden", "Errands", "Health"]
TAGS = ["urgent", "later", "idea", "waiting"]
DAYS = ["2026-11-17", "2026-11-18", "2026-11-19"]
RECUR = ["daily", "weekly", "every 3 days", "every other week", "monthly", "every month on the 15th",
         "weekdays", "every mon,thu", "FREQ=WEEKLY;COUNT=2"]
DATE_WORDS = ["today", "tomorrow", "+3d", "+2w", "fri", "2026-12-01", "2026-11-10", "none"]
# errors a change may meet on a replica that knows less, or more, than the
# schedule assumed: the node is gone or unknown, a name is ambiguous, the
# change does not fit the node's state. Anything else fails the seed.
SOFT = {3, 4, 5, 6}
# JSON-RPC error codes and the CLI exit status they map to
RPC_CODES = {-32602: 3, -32004: 4, -32005: 5, -32006: 6, -32603: 1, -32009: 9, -32014: 14}
KNOWN = {"node.create", "node.set", "node.tombstone", "task.create", "task.set", "link.add", "link.remove"}
SANITIZER = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Failure(Exception):
    pass


def ro(db):
    """A read-only connection to a replica's database (to pick targets and
    count ops; every change goes through heph or hephd)."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


class Proc:
    """Runs heph and hephd for one seed and remembers what it ran."""

    def __init__(self, run):
        self.run = run

    def heph(self, db, args, ok=(0,), sock=None, stdin=None, env=None, timeout=120):
        e = dict(self.run.env)
        if sock:
            e["HEPH_SOCKET"] = sock
        if env:
            e.update(env)
        cmd = [HEPH, "--db", db] + args
        try:
            p = subprocess.run(cmd, input=stdin, capture_output=True, env=e, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("hung for %ds: %s" % (timeout, " ".join(cmd)))
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        self.run.check_sanitizer(err, cmd)
        if p.returncode not in ok:
            raise Failure("exit %d (want %s): %s\n  stderr: %s" % (p.returncode, "/".join(map(str, ok)),
                                                                  " ".join(cmd)[:600], err.strip()[:600]))
        return p.returncode, out, err


class Instance:
    """One hephd --mode server process: the SQLite hub, or one of the
    instances in front of the PostgreSQL store. It keeps its port across
    restarts, so the spokes' hub URL stays right."""

    def __init__(self, run, name, store_args):
        self.run = run
        self.name = name
        self.store_args = store_args
        self.log = os.path.join(run.dir, name + ".log")
        self.proc = None
        self.port = 0
        self.url = None
        self.back_at = 0  # when stopped: the step it comes back at

    def up(self):
        return self.proc is not None

    def start(self):
        ready = os.path.join(self.run.dir, self.name + ".url")
        for attempt in range(50):
            if os.path.exists(ready):
                os.unlink(ready)
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen([HEPHD, "--mode", "server"] + self.store_args +
                                             ["--ready-file", ready, "--http-addr", "127.0.0.1:%d" % self.port,
                                              "--web-root", "none"],
                                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                             env=self.run.env)
            self.run.pids.add(self.proc)
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.path.exists(ready) and os.path.getsize(ready) > 0:
                    self.url = open(ready).read().strip()
                    self.port = int(self.url.rsplit(":", 1)[1])
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.005)
            rc = self.proc.poll()
            self.reap()
            if rc == 14:  # the port is still held by the one just killed
                time.sleep(0.1)
                continue
            raise Failure("%s did not start (exit %s); see %s" % (self.name, rc, self.log))
        raise Failure("%s could not get its port %d back" % (self.name, self.port))

    def reap(self):
        if self.proc:
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.run.pids.discard(self.proc)
            self.proc = None

    def stop(self, hard):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        self.reap()

    def request(self, method, path, token, body=None):
        u = urllib.parse.urlsplit(self.url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        try:
            c.request(method, path, body=body, headers={"Authorization": "Bearer " + token,
                                                        "Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()


class Owner:
    """Whose data a spoke holds. The SQLite hub has one owner; the
    PostgreSQL hub two, each writing words of its own vocabulary (and
    importing Taskwarrior uuids and projects of its own), so that a title or
    body of one owner's found on the other's replicas is a leak, not a
    coincidence."""

    def __init__(self, run, k, name):
        self.k = k
        self.name = name
        self.vocab = VOCAB[k]
        self.spokes = []
        self.tw_pool = ["%08x-%04x-4000-8000-%012x" % (run.seed & 0xffffffff, k, i) for i in range(4)]
        self.tw_projects = TW_PROJECTS[k]

    def token(self):
        """A live token of this owner (its first spoke's), for the hub's /rpc."""
        return open(self.spokes[0].token).read().strip()


class SqliteHub:
    """The embedded hub: one hephd on hub.db. The soak reads hub.db for the
    hub's digest and op count."""
    pg = False

    def __init__(self, run):
        self.run = run
        self.db = os.path.join(run.dir, "hub.db")
        self.instances = [Instance(run, "hub", ["--db", self.db])]
        self.losses = 0  # lose() keeps each loss's files apart

    def token(self, owner, name):
        p = subprocess.run([HEPHD, "--db", self.db, "token", "create", name], check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=self.run.env)
        return p.stdout

    def ops(self, owner, inst=None):
        con = ro(self.db)
        try:
            return con.execute("SELECT count(*) FROM oplog").fetchone()[0]
        finally:
            con.close()

    def tasks(self, owner, inst):
        con = ro(self.db)
        try:
            return [x[0] for x in con.execute("SELECT node_id FROM tasks t JOIN nodes n ON n.id = t.node_id "
                                              "WHERE n.tombstone_hlc IS NULL ORDER BY node_id")]
        finally:
            con.close()

    def lose(self, owner):
        """The hub's database is lost: a new one (another hub id) in its place."""
        # Each loss keeps its files under a name of its own: a second loss
        # must not rename onto the first one's (hub.db-snapshots is a
        # directory, and renaming onto a non-empty one fails).
        self.losses += 1
        for f in os.listdir(self.run.dir):
            if f.startswith("hub.db"):
                os.rename(os.path.join(self.run.dir, f),
                          os.path.join(self.run.dir, "lost%d-%s" % (self.losses, f)))

    def replica_files(self):
        return [("hub", self.db)]


class PgCluster:
    """A private PostgreSQL 15 cluster for the whole run (as tests/sync/pg.sh
    makes one): initdb in a temporary directory, a Unix socket only, run as
    the postgres user when we are root. Each seed gets a database of its
    own, dropped when the seed passes."""

    def __init__(self):
        self.bin = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
        if not os.access(os.path.join(self.bin, "initdb"), os.X_OK):
            sys.exit("soak.py: PostgreSQL 15 is not installed (%s): sh scripts/deps.sh" % self.bin)
        self.base = tempfile.mkdtemp(prefix="heph-soak-pg.")
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        os.mkdir(self.data)
        os.mkdir(self.sock)
        if os.geteuid() == 0:
            for d in (self.base, self.data, self.sock):
                shutil.chown(d, "postgres", "postgres")
        self.running = False
        self.pg(["initdb", "-D", self.data, "-U", "heph", "-A", "trust", "--no-sync", "-E", "UTF8"])
        self.start()

    def pg(self, argv, stdin=None):
        cmd = [os.path.join(self.bin, argv[0])] + argv[1:]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
        if p.returncode != 0:
            raise Failure("%s: exit %d: %s" % (" ".join(argv[:3]), p.returncode,
                                               (p.stdout + p.stderr).decode("utf-8", "replace")[:1000]))
        return p.stdout.decode()

    def start(self):
        self.pg(["pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.base, "server.log"),
                 "-o", "-k %s -c listen_addresses='' -c fsync=off" % self.sock, "start"])
        self.running = True

    def stop(self, remove=True):
        if self.running:
            self.pg(["pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop"])
            self.running = False
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, db):
        return "postgresql:///%s?host=%s&user=heph" % (db, self.sock)

    def psql(self, db, sql):
        """One query's rows, each a list of columns."""
        out = self.pg(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-h", self.sock, "-U", "heph", "-d", db, "-c", sql])
        return [l.split("\t") for l in out.splitlines() if l]


class PgHub:
    """The hub for many owners: a database of its own on the run's cluster,
    two hephd instances on it (each with its own --state-dir of owner
    replicas). Spokes sync, push and write through either at random. The
    hub's op count is the owner's head as a pull answers it; its digest is a
    fresh replica's, made at the end by a pull through each instance."""
    pg = True

    def __init__(self, run, cluster):
        self.run = run
        self.cluster = cluster
        self.dbname = "soak_%d_%d" % (run.seed & 0xffffffff, os.getpid())
        self.url = cluster.url(self.dbname)
        self.instances = []
        for name in ("hubA", "hubB"):
            state = os.path.join(run.dir, name + "-replicas")
            self.instances.append(Instance(run, name, ["--store", self.url, "--state-dir", state]))
            self.instances[-1].state = state

    def create(self, owners):
        self.cluster.pg(["createdb", "-h", self.cluster.sock, "-U", "heph", self.dbname])
        for o in owners:
            self.admin(["owner", "add", o.name])

    def drop(self):
        try:
            self.cluster.pg(["dropdb", "-h", self.cluster.sock, "-U", "heph", "--if-exists", self.dbname])
        except Failure:
            pass

    def admin(self, argv):
        p = subprocess.run([HEPHD] + argv + ["--store", self.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.run.env)
        self.run.check_sanitizer(p.stderr.decode("utf-8", "replace"), ["hephd"] + argv)
        if p.returncode != 0:
            raise Failure("hephd %s: exit %d: %s" % (" ".join(argv), p.returncode, p.stderr.decode()[:500]))
        return p.stdout

    def token(self, owner, name):
        return self.admin(["token", "create", name, "--owner", owner.name])

    def any_up(self, prefer=None):
        ups = [i for i in self.instances if i.up()]
        if prefer in ups:
            return prefer
        return ups[0] if ups else None

    def head(self, owner, inst):
        """The owner's head (seqs 1..head, each op once) as inst answers a
        pull past the end of the log: (hub id, head)."""
        status, body = inst.request("GET", "/sync/pull?protocol=1&after=%d&limit=1" % (1 << 53), owner.token())
        if status != 200:
            raise Failure("a pull of %s's head on %s answered %d: %s" % (owner.name, inst.name, status, body[:300]))
        d = json.loads(body)
        if d.get("ops"):
            raise Failure("a pull past %s's head on %s returned ops" % (owner.name, inst.name))
        return d["hub"], d["head"]

    def ops(self, owner, inst=None):
        inst = self.any_up(inst)
        if inst is None:
            raise Failure("no instance is up to count %s's ops" % owner.name)
        return self.head(owner, inst)[1]

    def rpc(self, owner, inst, method, params):
        req = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params, "today": TODAY}
        status, body = inst.request("POST", "/rpc", owner.token(), json.dumps(req))
        if status != 200 or not body.startswith("{") or "error" in json.loads(body):
            raise Failure("/rpc %s for %s on %s: %d %s" % (method, owner.name, inst.name, status, body[:300]))
        return json.loads(body)["result"]

    def tasks(self, owner, inst):
        res = self.rpc(owner, inst, "task.list", {"limit": 1000})
        return sorted(t["node_id"] for t in res["tasks"])

    def lose(self, owner):
        """The owner's data is lost: removed and added again (another hub
        id, an empty log); their old tokens stop working."""
        self.admin(["owner", "remove", owner.name])
        self.admin(["owner", "add", owner.name])

    def log_rows(self, owner):
        """count(*), count(DISTINCT op_id), min(seq), max(seq) of the owner's
        log and the owner's head, read in PostgreSQL itself."""
        rows = self.cluster.psql(self.dbname, "SELECT count(*), count(DISTINCT o.op_id), coalesce(min(o.seq), 0), "
                                              "coalesce(max(o.seq), 0), w.head FROM heph_owners w LEFT JOIN heph_ops o "
                                              "ON o.owner = w.name WHERE w.name = '%s' GROUP BY w.head" % owner.name)
        return [int(x) for x in rows[0]] if rows else None

    def replica_files(self):
        out = []
        for inst in self.instances:
            if os.path.isdir(inst.state):
                for f in sorted(os.listdir(inst.state)):
                    if f.endswith(".db"):
                        out.append(("%s replica %s" % (inst.name, f), os.path.join(inst.state, f)))
        return out


class Spoke:
    def __init__(self, run, name, owner):
        self.run = run
        self.name = name
        self.owner = owner       # whose data it holds
        self.url = None          # the hub instance it is set to
        self.db = os.path.join(run.dir, self.name + ".db")
        self.sock = os.path.join(run.dir, self.name + ".sock")
        self.log = os.path.join(run.dir, self.name + ".log")
        self.token = os.path.join(run.dir, self.name + ".token")
        self.daemon = None       # the hephd serving this database, when one runs
        self.live = False        # whether this spoke runs a hephd at all
        self.offline_until = 0   # cut off from the hub until this step
        self.today = TODAY       # HEPH_NOW of this device

    def heph(self, args, ok=(0,), env=None, **kw):
        e = {"HEPH_NOW": self.today}
        e.update(env or {})
        return self.run.p.heph(self.db, args, ok=ok, sock=self.sock, env=e, **kw)

    def env(self, **kw):
        e = dict(self.run.env, HEPH_SOCKET=self.sock, HEPH_NOW=self.today)
        e.update(kw)
        return e

    def start_daemon(self):
        ready = os.path.join(self.run.dir, self.name + ".ready")
        if os.path.exists(ready):
            os.unlink(ready)
        batch = ["--sync-batch", str(self.run.rng.choice([3, 50, 1000]))]
        with open(self.log, "ab") as log:
            self.daemon = subprocess.Popen([HEPHD, "--mode", "local", "--db", self.db, "--socket", self.sock,
                                            "--ready-file", ready, "--sync-interval", "3600"] + batch,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                           env=self.run.env)
        self.run.pids.add(self.daemon)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                return
            if self.daemon.poll() is not None:
                break
            time.sleep(0.005)
        raise Failure("%s's hephd did not start (exit %s); see %s" % (self.name, self.daemon.poll(), self.log))

    def stop_daemon(self, hard):
        if not self.daemon:
            return
        self.daemon.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        try:
            self.daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
            raise Failure("%s's hephd did not stop on SIGTERM" % self.name)
        self.run.pids.discard(self.daemon)
        if not hard and self.daemon.returncode != 0:
            raise Failure("%s's hephd exited %d on SIGTERM; see %s" % (self.name, self.daemon.returncode, self.log))
        self.daemon = None

    def rpc(self, method, params):
        """One JSON-RPC call on the hephd socket: (exit status, result)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(120)
        try:
            s.connect(self.sock)
            req = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params, "today": self.today}
            s.sendall(json.dumps(req).encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise Failure("%s's hephd closed the socket during %s" % (self.name, method))
                buf += chunk
        finally:
            s.close()
        ans = json.loads(buf)
        if "error" in ans:
            return RPC_CODES.get(ans["error"].get("code"), 1), ans["error"].get("message", "")
        return 0, ans.get("result")

    def state(self):
        """What this replica holds now, to choose targets from."""
        con = ro(self.db)
        try:
            rows = con.execute(
                "SELECT n.id, n.kind, n.title, n.tombstone_hlc IS NULL, t.state, t.recurrence, "
                "EXISTS (SELECT 1 FROM links l WHERE l.dst = n.id AND l.type = 'canonical-context'), "
                "EXISTS (SELECT 1 FROM links l WHERE l.src = n.id AND l.type = 'log-of') "
                "FROM nodes n LEFT JOIN tasks t ON t.node_id = n.id").fetchall()
            links = con.execute("SELECT src, dst, type FROM links WHERE type NOT IN "
                                "('canonical-context', 'log-of', 'wiki', 'tag')").fetchall()
        finally:
            con.close()
        st = State()
        for nid, kind, title, live, tstate, recur, is_ctx, is_log in rows:
            if kind == "doc" and is_ctx:
                kind = "ctx"
            elif kind == "doc" and is_log:
                kind = "log"
            st.nodes[nid] = (kind, title, bool(live), tstate, recur)
        st.links = links
        return st


class State:
    def __init__(self):
        self.nodes = {}
        self.links = []

    def ids(self, kinds, live=True, pred=None):
        return sorted(n for n, (k, t, lv, s, r) in self.nodes.items()
                      if k in kinds and (lv or not live) and (pred is None or pred(self.nodes[n])))


class Run:
    def __init__(self, seed, args, cluster=None):
        self.seed = seed
        self.args = args
        self.rng = random.Random(seed)
        self.dir = tempfile.mkdtemp(prefix="heph-soak-%d." % seed)
        self.env = dict(os.environ)
        for k in ("HEPH_DB", "HEPH_REMOTE", "HEPH_TOKEN_FILE", "HEPH_SYNC_BATCH", "XDG_RUNTIME_DIR",
                  "XDG_DATA_HOME", "HEPH_SYNC_SNAPSHOT"):
            self.env.pop(k, None)
        if args.snapshots:
            # every replica whose pull cursor is 0 (a new one, or one reset
            # by a hub restored from a backup) starts from the hub's snapshot
            self.env["HEPH_SYNC_SNAPSHOT"] = "always"
        self.env.update({"HEPH_NOW": TODAY, "NO_COLOR": "1", "XDG_CONFIG_HOME": self.dir})
        self.pids = set()
        self.p = Proc(self)
        self.trace = []
        self.step = 0
        self.sanitizer = []
        self.stats = {}
        if cluster:
            # two owners, each with spokes of their own (--spokes: each)
            self.hub = PgHub(self, cluster)
            self.owners = [Owner(self, 0, "alice"), Owner(self, 1, "bob")]
            for o in self.owners:
                n = args.spokes or self.rng.choice([2, 2, 3])
                o.spokes = [Spoke(self, "%s%d" % (o.name[0], i), o) for i in range(n)]
        else:
            self.hub = SqliteHub(self)
            self.owners = [Owner(self, 0, "hub")]
            n = args.spokes or self.rng.choice([2, 3, 3, 4])
            self.owners[0].spokes = [Spoke(self, "s%d" % i, self.owners[0]) for i in range(n)]
        self.spokes = [sp for o in self.owners for sp in o.spokes]
        self.owner = self.owners[0]  # whose words words() writes
        # a spoke with its own hephd (background sync, changes over the
        # socket) in most seeds (of each owner)
        for o in self.owners:
            if self.rng.random() < 0.6:
                self.rng.choice(o.spokes).live = True
        # devices do not always agree on the day (a recurring task done on
        # two of them may then move to different days: the later write wins)
        for sp in self.spokes[1:]:
            if self.rng.random() < 0.3:
                sp.today = self.rng.choice(DAYS)

    # ---- bookkeeping ----

    def note(self, what):
        self.trace.append("%3d %s" % (self.step, what))
        if self.args.verbose:
            print("  " + self.trace[-1], file=sys.stderr)

    def count(self, what):
        self.stats[what] = self.stats.get(what, 0) + 1

    def check_sanitizer(self, text, cmd):
        for s in SANITIZER:
            if s in text:
                raise Failure("sanitizer report from %s:\n%s" % (" ".join(cmd)[:300], text[:3000]))

    def cleanup(self):
        for p in list(self.pids):
            if p.poll() is None:
                p.kill()
            p.wait()
        self.pids.clear()

    # ---- doing a change on a spoke ----

    def call(self, sp, method, params, ok=SOFT, how=None):
        """Make a change on spoke sp: through its hephd's socket when one runs
        (mostly), else with heph (a verb where one maps, else heph call)."""
        ok = {0} | set(ok)
        if how is None:
            how = "rpc" if sp.daemon and self.rng.random() < 0.7 else "cli"
        if how == "rpc" and sp.daemon:
            rc, res = sp.rpc(method, params)
            if rc not in ok:
                raise Failure("%s over %s's socket: error %d: %s (params %s)" % (method, sp.name, rc, res,
                                                                                json.dumps(params)[:300]))
            self.count("%s %s" % (method, "ok" if rc == 0 else "soft%d" % rc))
            return rc, res if rc == 0 else None
        argv = verb_argv(method, params, self.rng)
        if argv is None:
            argv = ["--json", "call", method, json.dumps(params)]
        rc, out, err = sp.heph(argv, ok=tuple(ok))
        self.count("%s %s" % (method, "ok" if rc == 0 else "soft%d" % rc))
        res = None
        if rc == 0 and argv[0] == "--json":
            res = json.loads(out)
        elif rc == 0:
            res = out.strip()
        return rc, res

    def words(self, n=None):
        return " ".join(self.rng.choice(self.owner.vocab) for _ in range(n or self.rng.randint(1, 3)))

    def acting(self, owner):
        """Changes from here on are owner's (their words, their spokes)."""
        self.owner = owner
        return owner

    def pick_owner(self):
        return self.acting(self.rng.choice(self.owners) if len(self.owners) > 1 else self.owners[0])

    def body(self, st):
        """Markdown with checklist items, [[wiki links]] to what the replica
        holds (by id, id|label, title; some tombstoned) and #tags."""
        r = self.rng
        lines = []
        for _ in range(r.randint(1, 4)):
            c = r.random()
            if c < 0.3:
                lines.append("- [%s] %s" % (r.choice(" x"), self.words()))
            elif c < 0.7 and st.nodes:
                nid = r.choice(sorted(st.nodes))
                kind, title = st.nodes[nid][0], st.nodes[nid][1]
                form = r.random()
                if form < 0.4:
                    lines.append("see [[%s]] %s" % (nid, self.words(1)))
                elif form < 0.7:
                    lines.append("see [[%s|%s]]" % (nid, self.words(1)))
                elif title and "\n" not in title and "]" not in title and "|" not in title:
                    lines.append("about [[%s]]" % title)
                else:
                    lines.append("[[%s]]" % self.words(1))
            elif c < 0.85:
                lines.append("%s #%s" % (self.words(), r.choice(TAGS)))
            else:
                lines.append(self.words(4))
        return "\n".join(lines) + "\n"

    # ---- changes ----

    def task_fields(self, st, edit):
        r = self.rng
        p = {}
        if r.random() < 0.5 or not edit:
            p["title"] = self.words()
        if r.random() < 0.4:
            p["attention"] = r.choice(["red", "orange", "white", "blue"])
        if r.random() < 0.3:
            d = r.choice(DATE_WORDS)
            if edit or d != "none":
                p["do_date"] = d
        if r.random() < 0.2:
            d = r.choice(DATE_WORDS)
            if edit or d != "none":
                p["late_on"] = d
        projects = st.ids({"project"})
        if r.random() < 0.4 and projects:
            p["project"] = r.choice(projects + (["none"] if edit else []))
        if r.random() < 0.15:
            p["recur"] = r.choice(RECUR + (["none"] if edit else []))
        return p

    def change(self, sp, st=None):
        """One random change on spoke sp."""
        r = self.rng
        self.acting(sp.owner)
        st = st or sp.state()
        tasks = st.ids({"task"})
        open_tasks = st.ids({"task"}, pred=lambda n: n[3] == "outstanding")
        recurring = st.ids({"task"}, pred=lambda n: n[3] == "outstanding" and n[4])
        projects = st.ids({"project"})
        docs = st.ids({"doc", "journal", "project"})
        anything = st.ids({"task", "project", "doc", "journal", "ctx"})
        c = r.random()
        if c < 0.10 or not tasks:
            p = self.task_fields(st, False)
            if r.random() < 0.3:
                p["body"] = self.body(st)
            if r.random() < 0.2:
                p["tags"] = [r.choice(TAGS)]
            self.note("%s task.create %s" % (sp.name, json.dumps(p)))
            self.call(sp, "task.create", p)
        elif c < 0.14:
            text = self.words(2)
            if r.random() < 0.5:
                text += " " + r.choice(["tomorrow", "fri", "in 3 days", "2026-12-02", "today"])
            if r.random() < 0.5:
                text += " " + r.choice(["p1", "p2", "p3", "p4"])
            if r.random() < 0.5:
                text += " #" + r.choice(PROJECTS)
            if r.random() < 0.3:
                text += " " + r.choice(["every week", "every 3 days", "every month on the 15th", "daily"])
            self.note("%s task.add %r" % (sp.name, text))
            if sp.daemon and r.random() < 0.5:
                self.call(sp, "task.add", {"text": text}, how="rpc")
            else:
                rc, _, _ = sp.heph(["add", text], ok=(0,) + tuple(SOFT))
                self.count("add %s" % rc)
        elif c < 0.30:
            tid = r.choice(tasks)
            p = self.task_fields(st, True)
            if not p:
                p["attention"] = r.choice(["red", "orange", "white", "blue"])
            p["id"] = tid
            self.note("%s task.edit %s" % (sp.name, json.dumps(p)))
            self.call(sp, "task.edit", p)
        elif c < 0.38:
            pool = recurring if recurring and r.random() < 0.6 else open_tasks or tasks
            tid = r.choice(pool)
            m = r.choice(["task.done", "task.done", "task.skip", "task.drop"])
            self.note("%s %s %s" % (sp.name, m, tid))
            self.call(sp, m, {"id": tid})
        elif c < 0.42:
            pool = anything if r.random() < 0.3 else tasks
            nid = r.choice(pool)
            self.note("%s node.remove %s (%s)" % (sp.name, nid, st.nodes[nid][0]))
            self.call(sp, "node.remove", {"id": nid})
        elif c < 0.52:
            self.link_change(sp, st)
        elif c < 0.56:
            name = r.choice(PROJECTS)
            p = {"name": name}
            if projects and r.random() < 0.4:
                p["parent"] = r.choice(projects)
            self.note("%s project.add %s" % (sp.name, json.dumps(p)))
            self.call(sp, "project.add", p)
        elif c < 0.59 and len(projects) >= 2:
            a, b = r.sample(projects, 2)
            self.note("%s project move %s under %s" % (sp.name, a, b))
            self.call(sp, "link.add", {"src": a, "dst": b, "type": "parent"})
        elif c < 0.64:
            p = {"title": self.words(), "body": self.body(st)}
            self.note("%s doc.create %s" % (sp.name, json.dumps(p)))
            self.call(sp, "doc.create", p)
        elif c < 0.71 and docs:
            self.doc_edit(sp, st, r.choice(docs))
        elif c < 0.78:
            self.context_edit(sp, st, r.choice(tasks))
        elif c < 0.81:
            tid = r.choice(tasks)
            self.note("%s log.append %s" % (sp.name, tid))
            self.call(sp, "log.append", {"id": tid, "text": self.words()})
        elif c < 0.86:
            self.journal(sp, st, r.choice(DAYS))
        elif c < 0.88 and anything:
            nid = r.choice(anything)
            p = {"id": nid, ("add" if r.random() < 0.7 else "remove"): [r.choice(self.owner.vocab) + "-" + r.choice(TAGS)]}
            self.note("%s node.aliases %s" % (sp.name, json.dumps(p)))
            self.call(sp, "node.aliases", p)
        elif c < 0.91:
            self.resolve(sp)
        elif c < 0.94:
            self.note("%s undo" % sp.name)
            if sp.daemon and r.random() < 0.5:
                self.call(sp, "undo", {}, how="rpc")
            else:
                rc, _, _ = sp.heph(["undo"], ok=(0,) + tuple(SOFT))
                self.count("undo %s" % rc)
        elif c < 0.96:
            self.tw_import(sp)
        else:
            tid = r.choice(tasks)
            p = {"id": tid, "attention": r.choice(["red", "orange", "white", "blue"])}
            self.note("%s attention %s" % (sp.name, json.dumps(p)))
            if r.random() < 0.5:
                rc, _, _ = sp.heph(["attention", tid, p["attention"]], ok=(0,) + tuple(SOFT))
                self.count("attention %s" % rc)
            else:
                self.call(sp, "task.edit", p)

    def link_change(self, sp, st, src=None, dst=None, typ=None, add=None):
        r = self.rng
        if add is None:
            add = r.random() < 0.55
        if src is None:
            if not add and st.links and r.random() < 0.8:
                src, dst, typ = r.choice(st.links)
            else:
                pool = st.ids({"task", "project", "doc", "journal"})
                if len(pool) < 2:
                    return
                src, dst = r.sample(pool, 2)
                typ = r.choice(["related", "related", "blocks", "depends-on"])
                if st.nodes[src][0] == "task" and st.nodes[dst][0] == "project" and r.random() < 0.5:
                    typ = "in-project"
        m = "link.add" if add else "link.remove"
        self.note("%s %s %s -%s-> %s" % (sp.name, m, src, typ, dst))
        self.call(sp, m, {"src": src, "dst": dst, "type": typ})

    def doc_edit(self, sp, st, nid):
        r = self.rng
        p = {"id": nid}
        c = r.random()
        if c < 0.45:
            p["body"] = self.body(st)
        elif c < 0.85:
            p["append"] = self.body(st).rstrip("\n")
        else:
            p["title"] = self.words()
        self.note("%s doc.edit %s" % (sp.name, json.dumps(p)))
        self.call(sp, "doc.edit", p)

    def context_edit(self, sp, st, tid):
        p = {"id": tid}
        if self.rng.random() < 0.5:
            p["body"] = self.body(st)
        else:
            p["append"] = self.body(st).rstrip("\n")
        self.note("%s context.edit %s" % (sp.name, json.dumps(p)))
        self.call(sp, "context.edit", p)

    def journal(self, sp, st, day):
        p = {"date": day}
        c = self.rng.random()
        if c < 0.5:
            p["append"] = self.body(st).rstrip("\n")
        elif c < 0.8:
            p["body"] = self.body(st)
        self.note("%s journal.open %s" % (sp.name, json.dumps(p)))
        self.call(sp, "journal.open", p)

    def resolve(self, sp):
        rc, out, _ = sp.heph(["--json", "conflicts"])
        open_ = [c for c in json.loads(out) if c.get("kind") != "project-cycle"]  # settled by a move
        if not open_:
            return
        c = self.rng.choice(open_)
        keep = self.rng.choice(["mine", "theirs"])
        self.note("%s conflicts.resolve %s (%s of %s) keep %s" % (sp.name, c["id"], c["field"], c["node_id"], keep))
        self.call(sp, "conflicts.resolve", {"id": c["id"], "keep": keep})

    def tw_import(self, sp):
        r = self.rng
        tasks = []
        pool = sp.owner.tw_pool
        for uuid in r.sample(pool, r.randint(1, 3)):
            t = {"uuid": uuid, "description": "imported " + self.words(1), "status": r.choice(["pending", "pending", "completed"]),
                 "entry": "20261101T1%d0000Z" % pool.index(uuid)}
            if r.random() < 0.5:
                t["project"] = r.choice(sp.owner.tw_projects)
            if r.random() < 0.4:
                t["priority"] = r.choice("HML")
            if r.random() < 0.4:
                t["tags"] = [r.choice(TAGS)]
            if r.random() < 0.4:
                t["annotations"] = [{"entry": "20261102T090000Z", "description": self.words()}]
            if r.random() < 0.3:
                t["due"] = "20261125T230000Z"
            tasks.append(t)
        self.note("%s import taskwarrior %s" % (sp.name, [t["uuid"][-2:] for t in tasks]))
        rc, _, _ = sp.heph(["import", "taskwarrior", "-"], ok=(0,) + tuple(SOFT), stdin=json.dumps(tasks).encode())
        self.count("import %s" % rc)

    # ---- races: the same node changed on several spokes before they sync ----

    def race(self):
        r = self.rng
        spokes = self.pick_owner().spokes
        n = min(len(spokes), r.choice([2, 2, 3]))
        group = r.sample(spokes, n)
        states = [sp.state() for sp in group]
        shared = set(states[0].nodes)
        for s in states[1:]:
            shared &= set(s.nodes)

        def live(kinds, pred=None):
            return sorted(x for x in shared
                          if all(s.nodes[x][0] in kinds and s.nodes[x][2] and (pred is None or pred(s.nodes[x]))
                                 for s in states))
        tasks = live({"task"})
        kind = r.choice(["fields", "fields", "link", "move", "recurring", "tombstone", "journal", "bodies",
                         "project"])
        self.note("race %s on %s" % (kind, ",".join(sp.name for sp in group)))
        self.count("race " + kind)
        if kind == "fields" and tasks:
            tid = r.choice(tasks)
            field = r.choice(["title", "attention", "do_date", "late_on", "recur"])
            for sp, st in zip(group, states):
                p = {"id": tid}
                if field == "title":
                    p["title"] = self.words()
                elif field == "attention":
                    p["attention"] = r.choice(["red", "orange", "white", "blue"])
                elif field == "recur":
                    p["recur"] = r.choice(RECUR + ["none"])
                else:
                    p[field] = r.choice(DATE_WORDS)
                self.note("%s task.edit %s" % (sp.name, json.dumps(p)))
                self.call(sp, "task.edit", p)
        elif kind == "link":
            pool = live({"task", "project", "doc", "journal"})
            if len(pool) < 2:
                return
            a, b = r.sample(pool, 2)
            typ = r.choice(["related", "blocks"])
            # one spoke adds, the others remove what they have seen
            for i, (sp, st) in enumerate(zip(group, states)):
                self.link_change(sp, st, a, b, typ, add=(i == 0 or r.random() < 0.3))
        elif kind == "move" and tasks:
            tid = r.choice(tasks)
            projects = live({"project"})
            for sp, st in zip(group, states):
                dst = r.choice(projects + ["none"]) if projects else "none"
                p = {"id": tid, "project": dst}
                self.note("%s task.edit %s" % (sp.name, json.dumps(p)))
                self.call(sp, "task.edit", p)
        elif kind == "project":
            projects = live({"project"})
            if len(projects) < 2:
                return
            for sp, st in zip(group, states):
                a, b = r.sample(projects, 2)
                self.note("%s project move %s under %s" % (sp.name, a, b))
                self.call(sp, "link.add", {"src": a, "dst": b, "type": "parent"})
        elif kind == "recurring":
            rec = live({"task"}, lambda n: n[3] == "outstanding" and n[4])
            if not rec:
                if not tasks:
                    return
                tid = r.choice(tasks)
                # make one recurring on a single spoke, sync it to the group
                # first next time; for now, two devices give it a rule
                for sp in group:
                    p = {"id": tid, "recur": r.choice(["daily", "weekly"])}
                    self.note("%s task.edit %s" % (sp.name, json.dumps(p)))
                    self.call(sp, "task.edit", p)
                return
            tid = r.choice(rec)
            for sp in group:
                m = r.choice(["task.done", "task.done", "task.done", "task.skip", "task.edit"])
                p = {"id": tid}
                if m == "task.edit":
                    p["do_date"] = r.choice(DATE_WORDS[:-1])
                self.note("%s %s %s" % (sp.name, m, json.dumps(p)))
                self.call(sp, m, p)
                if r.random() < 0.3:
                    self.note("%s context.edit append (checklist)" % sp.name)
                    self.call(sp, "context.edit", {"id": tid, "append": "- [x] " + self.words()})
        elif kind == "tombstone":
            pool = live({"task", "doc", "project", "journal", "ctx"})
            if not pool:
                return
            nid = r.choice(pool)
            k = states[0].nodes[nid][0]
            self.note("%s node.remove %s (%s)" % (group[0].name, nid, k))
            self.call(group[0], "node.remove", {"id": nid})
            for sp, st in zip(group[1:], states[1:]):
                if k == "task":
                    c = r.random()
                    if c < 0.3:
                        self.context_edit(sp, st, nid)
                    elif c < 0.5:
                        others = st.ids({"doc", "project", "task"})
                        if others:
                            self.link_change(sp, st, nid, r.choice(others), "related", add=True)
                    elif c < 0.7:
                        self.note("%s task.done %s" % (sp.name, nid))
                        self.call(sp, "task.done", {"id": nid})
                    else:
                        p = dict(self.task_fields(st, True), id=nid)
                        self.note("%s task.edit %s" % (sp.name, json.dumps(p)))
                        self.call(sp, "task.edit", p)
                elif k in ("doc", "journal", "project", "ctx"):
                    if k == "project" and r.random() < 0.5 and st.ids({"task"}):
                        p = {"id": r.choice(st.ids({"task"})), "project": nid}
                        self.note("%s task.edit %s" % (sp.name, json.dumps(p)))
                        self.call(sp, "task.edit", p)
                    else:
                        self.doc_edit(sp, st, nid)
        elif kind == "journal":
            day = r.choice(DAYS)
            for sp, st in zip(group, states):
                self.journal(sp, st, day)
        elif kind == "bodies":
            pool = live({"doc", "journal", "project"})
            if tasks and (not pool or r.random() < 0.5):
                tid = r.choice(tasks)
                for sp, st in zip(group, states):
                    self.context_edit(sp, st, tid)
            elif pool:
                nid = r.choice(pool)
                for sp, st in zip(group, states):
                    self.doc_edit(sp, st, nid)

    # ---- delivery ----

    def hub_up(self):
        return any(i.up() for i in self.hub.instances)

    def pick_instance(self, up=False):
        """A hub instance at random (the only one of the SQLite hub); with up,
        one that runs, or None when none does."""
        cands = [i for i in self.hub.instances if i.up() or not up]
        if len(cands) <= 1:
            return cands[0] if cands else None
        return self.rng.choice(cands)

    def route(self, sp, inst=None, up=False):
        """Point sp's hub setting at inst (default: pick_instance(up)) and
        return it: every sync of a spoke of the PostgreSQL hub goes through
        either instance."""
        inst = inst or self.pick_instance(up)
        if inst is not None and sp.url != inst.url:
            sp.heph(["hub", "set", inst.url, "--token-file", sp.token])
            sp.url = inst.url
        return inst

    def sync(self, sp, final=False):
        r = self.rng
        env = {}
        if not final and r.random() < 0.3:
            env["HEPH_SYNC_BATCH"] = str(r.choice([1, 2, 5]))
        inst = self.route(sp, up=final)
        want = (0,) if inst.up() else (14,)
        self.note("%s sync%s%s%s" % (sp.name, " (batch %s)" % env["HEPH_SYNC_BATCH"] if env else "",
                                     " via " + inst.name if self.hub.pg else "",
                                     "" if inst.up() else " (%s down)" % inst.name))
        rc, out, err = sp.heph(["--json", "sync"], ok=want, env=env)
        self.count("sync %d" % rc)
        if rc == 0 and '"snapshot"' in out and json.loads(out).get("snapshot"):
            self.count("snapshot joins")

    def exchange(self):
        """Ops passed directly from one spoke to another: a random subset of
        the sender's log, shuffled, some twice; the apply killed -9 now and
        then."""
        r = self.rng
        a, b = r.sample(self.pick_owner().spokes, 2)
        _, out, _ = a.heph(["ops", "--json"])
        lines = [l for l in out.splitlines() if l.strip()]
        if not lines:
            return
        if r.random() < 0.5:
            lines = r.sample(lines, r.randint(1, len(lines)))
        lines += r.sample(lines, r.randint(0, min(5, len(lines))))
        r.shuffle(lines)
        data = ("\n".join(lines) + "\n").encode()
        kill = r.random() < 0.25
        self.note("exchange %s -> %s: %d op lines%s" % (a.name, b.name, len(lines), ", killed" if kill else ""))
        if not kill:
            b.heph(["apply", "-"], stdin=data)
            self.count("exchange")
            return
        # kill -9 part-way: the apply is one transaction, all or nothing
        path = os.path.join(self.dir, "exchange.jsonl")
        with open(path, "wb") as f:
            f.write(data)
        p = subprocess.Popen([HEPH, "--db", b.db, "apply", path], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=b.env())
        self.pids.add(p)
        time.sleep(r.random() * 0.03)
        p.kill()
        _, err = p.communicate()
        self.pids.discard(p)
        self.check_sanitizer(err.decode("utf-8", "replace"), ["heph apply"])
        self.count("exchange killed" if p.returncode < 0 else "exchange finished before kill")
        self.integrity(b)

    def raw_push(self):
        """A push straight to /sync/push: a subset of a spoke's ops,
        shuffled, with duplicates, as a confused or replaying client would;
        now and then with an op of a type this version does not know and a
        known op carrying payload fields it does not know (from a newer
        version: stored, and the known one applied)."""
        r = self.rng
        sp = r.choice(self.spokes)
        inst = self.pick_instance(up=True)
        if inst is None:
            return
        _, out, _ = sp.heph(["ops", "--json"])
        ops = [json.loads(l) for l in out.splitlines() if l.strip()]
        if not ops:
            return
        ops = r.sample(ops, r.randint(1, len(ops)))
        ops += r.sample(ops, r.randint(0, min(4, len(ops))))
        newer = []
        if r.random() < 0.3:
            st = sp.state()
            nodes = st.ids({"task", "doc", "project"})
            hlc = "%015d-00000-%s" % (int(time.time() * 1000), "0e0e0e0e0e0e0e0e")
            newer.append({"op_id": ulid(r), "hlc": hlc, "origin": "0e0e0e0e0e0e0e0e", "type": "task.pin",
                          "payload": {"node_id": r.choice(nodes) if nodes else ulid(r), "pinned": True}})
            if nodes:
                hlc = "%015d-00001-%s" % (int(time.time() * 1000), "0e0e0e0e0e0e0e0e")
                newer.append({"op_id": ulid(r), "hlc": hlc, "origin": "0e0e0e0e0e0e0e0e", "type": "node.set",
                              "payload": {"node_id": r.choice(nodes), "title": "from a newer version",
                                          "colour": "teal", "base": {"title": ""}}})
        ops += newer
        r.shuffle(ops)
        self.note("raw push of %d ops from %s's log%s to %s" % (len(ops), sp.name,
                                                               ", %d from a newer version" % len(newer) if newer else "",
                                                               inst.name))
        # the envelope names the pushing device, as a real client's does: the
        # hub binds a device to the token that first reports it (hostile.sh
        # checks that another token is refused for it)
        con = ro(sp.db)
        try:
            origin = con.execute("SELECT value FROM meta WHERE key = 'origin'").fetchone()[0]
        finally:
            con.close()
        status, body = inst.request("POST", "/sync/push", open(sp.token).read().strip(),
                                        json.dumps({"protocol": 1, "origin": origin, "ops": ops,
                                                    "from_the_future": True}))
        if status != 200:
            raise Failure("raw push answered %d: %s" % (status, body[:500]))
        self.count("raw push")

    def hub_write(self, quiet=False):
        """A change made on the hub itself through POST /rpc (as the web app
        does)."""
        r = self.rng
        inst = self.pick_instance(up=True)
        if inst is None:
            return
        o = self.pick_owner()
        tasks = self.hub.tasks(o, inst)
        if tasks and r.random() < 0.7:
            m, p = r.choice([("task.edit", {"id": r.choice(tasks), "title": self.words()}),
                             ("task.edit", {"id": r.choice(tasks), "attention": r.choice(["red", "blue"])}),
                             ("task.done", {"id": r.choice(tasks)}),
                             ("context.edit", {"id": r.choice(tasks), "append": "- [ ] " + self.words()})])
        else:
            m, p = "task.create", {"title": self.words()}
        self.note("%s /rpc %s %s%s" % (inst.name, m, json.dumps(p), " for " + o.name if self.hub.pg else ""))
        req = {"jsonrpc": "2.0", "id": 1, "method": m, "params": p, "today": TODAY}
        status, body = inst.request("POST", "/rpc", o.token(), json.dumps(req))
        ans = json.loads(body) if body.startswith("{") else {}
        if "error" in ans:
            code = RPC_CODES.get(ans["error"].get("code"), 1)
            if code not in SOFT:
                raise Failure("hub /rpc %s: %d %s" % (m, status, body[:500]))
        elif status != 200:
            raise Failure("hub /rpc %s: %d %s" % (m, status, body[:500]))
        self.count("hub rpc")

    def storm(self):
        """Every reachable spoke syncs at once (one of them twice, in two
        processes), while the hub takes a write through /rpc: pushes that
        the hub commits together."""
        r = self.rng
        if not self.hub_up():
            return
        sps = [sp for sp in self.spokes if sp.offline_until <= self.step]
        if not sps:
            return
        twice = r.choice(sps)
        runs = []
        for sp in sps + ([twice] if not twice.daemon else []):
            self.route(sp, up=True)
            env = sp.env()
            if r.random() < 0.4:
                env["HEPH_SYNC_BATCH"] = str(r.choice([1, 3]))
            runs.append((sp, subprocess.Popen([HEPH, "--db", sp.db, "sync"], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, env=env)))
            self.pids.add(runs[-1][1])
        self.note("storm: %s sync at once" % ",".join(sp.name for sp, _ in runs))
        self.hub_write()
        for sp, p in runs:
            try:
                _, err = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                raise Failure("%s's sync hung in a storm" % sp.name)
            self.pids.discard(p)
            err = err.decode("utf-8", "replace")
            self.check_sanitizer(err, ["heph sync"])
            if p.returncode != 0:
                raise Failure("%s's sync in a storm: exit %d: %s" % (sp.name, p.returncode, err[:500]))
        self.count("storm")

    def hub_replaced(self):
        """The hub's database is lost: a new, empty hub (another hub id)
        takes its place at the same address. Every spoke must notice, start
        over, and give the new hub everything it holds. On the PostgreSQL
        hub, one owner is removed and added again while the instances
        serve: the other owner must not notice."""
        o = self.pick_owner()
        if not self.hub.pg:
            self.hub.instances[0].stop(hard=True)
        self.hub.lose(o)
        for sp in o.spokes:
            tok = self.hub.token(o, sp.name)
            with open(sp.token, "wb") as f:
                f.write(tok)
        if not self.hub.pg:
            self.hub.instances[0].start()
            self.note("the hub's database was lost: a new empty hub serves the same address")
        else:
            self.note("%s's data was lost: the owner removed and added again (new tokens)" % o.name)
        self.count("hub replaced")

    # ---- failures ----

    def backlog(self, sp):
        """How much a sync of sp has to move: ops to push, ops to pull."""
        con = ro(sp.db)
        try:
            row = con.execute("SELECT coalesce((SELECT value FROM sync_state WHERE key = 'pull_cursor'), 0)").fetchone()
            mine = con.execute("SELECT count(*) FROM oplog").fetchone()[0]
        finally:
            con.close()
        _, out, _ = sp.heph(["--json", "sync", "--status"])
        return json.loads(out).get("pending_push", 0) + max(0, self.hub.ops(sp.owner) - int(row[0])), mine

    def hub_kill_mid_sync(self):
        """kill -9 the hub while a spoke syncs in pages of one or two ops,
        then start it again on its port."""
        r = self.rng
        cands = [sp for sp in self.spokes if sp.offline_until <= self.step and not sp.daemon]
        inst = self.pick_instance(up=True)
        if inst is None or not cands:
            return
        # the op count is read on the other instance while this one dies
        others = [i for i in self.hub.instances if i is not inst and i.up()]
        other = others[0] if others else inst
        sp = max(cands, key=lambda x: (self.backlog(x)[0], r.random()))
        self.route(sp, inst)
        before = self.hub.ops(sp.owner, inst)
        _, held = self.backlog(sp)
        env = sp.env(HEPH_SYNC_BATCH=str(r.choice([1, 2])))
        p = subprocess.Popen([HEPH, "--db", sp.db, "sync"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env)
        self.pids.add(p)
        want = r.randint(1, 4)
        deadline = time.time() + 30

        def moved():
            if self.hub.ops(sp.owner, other) >= before + want:
                return True
            con = ro(sp.db)
            try:
                return con.execute("SELECT count(*) FROM oplog").fetchone()[0] >= held + want
            finally:
                con.close()
        while p.poll() is None and time.time() < deadline and not moved():
            time.sleep(0.001)
        inst.stop(hard=True)
        _, err = p.communicate()
        self.pids.discard(p)
        self.check_sanitizer(err.decode("utf-8", "replace"), ["heph sync"])
        if p.returncode not in (0, 14):
            raise Failure("%s's sync when %s was killed under it: exit %d: %s" % (sp.name, inst.name, p.returncode,
                                                                                 err.decode()[:500]))
        for name, db in self.hub.replica_files():
            if name.startswith(inst.name):
                self.integrity_db(db, name)
        inst.start()
        self.note("%s killed -9 while %s synced (the hub took %d ops; sync exit %d); restarted" %
                  (inst.name, sp.name, self.hub.ops(sp.owner, inst) - before, p.returncode))
        self.count("hub killed mid-sync" if p.returncode == 14 else "hub killed after a sync")

    def spoke_kill_mid_sync(self):
        """kill -9 a spoke's `heph sync` once it has taken or given a few
        ops (pages of one to three)."""
        r = self.rng
        cands = [sp for sp in self.spokes if not sp.daemon and sp.offline_until <= self.step]
        inst = self.pick_instance(up=True)
        if not cands or inst is None:
            return
        sp = max(cands, key=lambda x: (self.backlog(x)[0], r.random()))
        self.route(sp, inst)
        _, held = self.backlog(sp)
        before = self.hub.ops(sp.owner, inst)
        env = sp.env(HEPH_SYNC_BATCH=str(r.choice([1, 2, 3])))
        p = subprocess.Popen([HEPH, "--db", sp.db, "sync"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env)
        self.pids.add(p)
        want = r.randint(1, 3)
        deadline = time.time() + 30

        def moved():
            if self.hub.ops(sp.owner, inst) >= before + want:
                return True
            con = ro(sp.db)
            try:
                return con.execute("SELECT count(*) FROM oplog").fetchone()[0] >= held + want
            finally:
                con.close()
        while p.poll() is None and time.time() < deadline and not moved():
            time.sleep(0.001)
        p.kill()
        _, err = p.communicate()
        self.pids.discard(p)
        self.check_sanitizer(err.decode("utf-8", "replace"), ["heph sync"])
        self.note("%s's sync killed -9 (%s)" % (sp.name, "part-way" if p.returncode < 0 else "after it ended"))
        self.count("spoke sync killed" if p.returncode < 0 else "spoke sync ended before the kill")
        self.integrity(sp)

    def daemon_event(self):
        r = self.rng
        sps = [sp for sp in self.spokes if sp.live]
        if not sps:
            return
        sp = sps[0] if len(sps) == 1 else r.choice(sps)
        self.acting(sp.owner)
        if sp.daemon:
            hard = r.random() < 0.5
            if hard:
                # let it start a background cycle first, then kill it
                self.call(sp, "task.create", {"title": self.words()}, how="rpc")
                time.sleep(r.random() * 0.02)
            sp.stop_daemon(hard)
            self.note("%s's hephd %s" % (sp.name, "killed -9" if hard else "stopped"))
            self.count("daemon killed" if hard else "daemon stopped")
            self.integrity(sp)
        else:
            sp.start_daemon()
            self.note("%s's hephd started" % sp.name)

    def integrity(self, sp):
        self.integrity_db(sp.db, sp.name)

    def integrity_db(self, db, name):
        if not os.path.exists(db):
            return
        con = ro(db)
        try:
            res = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
        if res != [("ok",)]:
            raise Failure("%s: integrity_check: %s" % (name, res[:5]))

    # ---- the schedule ----

    def setup(self):
        self.p.heph(os.path.join(self.dir, "none.db"), ["--version"])
        if self.hub.pg:
            self.hub.create(self.owners)
        for sp in self.spokes:
            tok = self.hub.token(sp.owner, sp.name)
            with open(sp.token, "wb") as f:
                f.write(tok)
        for inst in self.hub.instances:
            inst.start()
        for sp in self.spokes:
            self.route(sp)
            if sp.live:
                sp.start_daemon()
        # a shared beginning: projects, tasks (one recurring) and a doc on
        # each owner's first spoke, synced everywhere
        for o in self.owners:
            self.acting(o)
            s0 = o.spokes[0]
            for name in PROJECTS[:3]:
                self.call(s0, "project.add", {"name": name}, ok=())
            for i in range(4):
                p = {"title": self.words()}
                if i == 0:
                    p["recur"] = "weekly"
                self.call(s0, "task.create", p, ok=())
            self.call(s0, "doc.create", {"title": "index", "body": self.body(s0.state())}, ok=())
        for sp in self.spokes + [o.spokes[0] for o in self.owners]:
            self.sync(sp, final=True)

    def one_step(self):
        r = self.rng
        c = r.random()
        if c < 0.38:
            self.change(r.choice(self.spokes))
        elif c < 0.53:
            self.race()
        elif c < 0.68:
            sp = r.choice(self.spokes)
            if sp.offline_until <= self.step:
                self.sync(sp)
        elif c < 0.72:
            sp = r.choice(self.spokes)
            sp.offline_until = self.step + r.randint(3, 25)
            self.note("%s cut off until step %d" % (sp.name, sp.offline_until))
            if sp.daemon:
                sp.stop_daemon(hard=False)
            self.count("partition")
        elif c < 0.78:
            self.exchange()
        elif c < 0.81:
            self.raw_push()
        elif c < 0.84:
            self.hub_write()
        elif c < 0.86:
            self.storm()
        elif c < 0.89:
            inst = self.pick_instance(up=True)
            if inst:
                hard = r.random() < 0.5
                inst.stop(hard)
                inst.back_at = self.step + r.randint(2, 12)
                lost = self.hub.pg and not hard and r.random() < 0.3
                if lost:
                    # its owner replicas are a cache: rebuilt from the op-log
                    shutil.rmtree(inst.state, ignore_errors=True)
                self.note("%s %s until step %d%s" % (inst.name, "killed -9" if hard else "stopped", inst.back_at,
                                                     ", its replicas deleted" if lost else ""))
                self.count("hub down")
        elif c < 0.92:
            self.hub_kill_mid_sync()
        elif c < 0.95:
            self.spoke_kill_mid_sync()
        elif c < 0.995:
            self.daemon_event()
        else:
            self.hub_replaced()
        # the world heals on schedule
        for inst in self.hub.instances:
            if not inst.up() and self.step >= inst.back_at:
                inst.start()
                self.note("%s back" % inst.name)
        for sp in self.spokes:
            if sp.live and not sp.daemon and sp.offline_until <= self.step and r.random() < 0.3:
                sp.start_daemon()
                self.note("%s's hephd started" % sp.name)

    def finish(self):
        """Heal everything, sync everyone twice, compare."""
        for inst in self.hub.instances:
            if not inst.up():
                inst.start()
        for sp in self.spokes:
            sp.offline_until = 0
            if sp.live and not sp.daemon:
                sp.start_daemon()
        self.note("final sync round")
        for _ in range(2):
            for sp in self.spokes:
                self.sync(sp, final=True)
        bad = []
        replicas = {}   # owner name -> [(name, db)]: the owner's spokes and the hub's side
        for o in self.owners:
            if self.hub.pg:
                want, hub_ops, refs = self.pg_hub_state(o, bad)
            else:
                want, hub_ops, refs = self.digest(self.hub.db), self.hub.ops(o), [("hub", self.hub.db)]
            differs = False
            for sp in o.spokes:
                got = self.digest(sp.db)
                if got != want:
                    bad.append("%s's digest %s differs from the hub's %s" % (sp.name, got[:12], want[:12]))
                    differs = True
            replicas[o.name] = refs + [(sp.name, sp.db) for sp in o.spokes]
            for name, db in replicas[o.name]:
                con = ro(db)
                try:
                    n = con.execute("SELECT count(*) FROM oplog").fetchone()[0]
                finally:
                    con.close()
                if n != hub_ops:
                    bad.append("%s holds %d ops, the hub %d" % (name, n, hub_ops))
                _, out, _ = self.p.heph(db, ["ops", "--json", "--unapplied"])
                waiting = [l for l in out.splitlines() if l.strip() and json.loads(l)["type"] in KNOWN]
                if waiting:
                    bad.append("%s has ops never applied:\n    %s" % (name, "\n    ".join(waiting[:5])))
                self.integrity_db(db, name)
            if differs:
                bad.append(self.explain(refs[0][1], want, o.spokes))
        for sp in self.spokes:
            _, out, _ = sp.heph(["--json", "sync", "--status"])
            st = json.loads(out)
            if st.get("pending_push"):
                bad.append("%s still has %s ops to push" % (sp.name, st["pending_push"]))
        # the everyday reads answer on whatever the merge made
        for db in [db for o in self.owners for _, db in replicas[o.name]]:
            for args in (["project", "list"], ["--json", "list", "--all"], ["next"], ["view", "tom"],
                         ["--json", "conflicts", "--all"], ["tags"]):
                self.p.heph(db, args)
        if self.hub.pg:
            bad += self.leaks(replicas)
        for sp in self.spokes:
            sp.stop_daemon(hard=False)
        for inst in self.hub.instances:
            inst.stop(hard=False)
        if self.hub.pg:
            # the instances' owner replicas, killed -9 now and then, are whole
            for name, db in self.hub.replica_files():
                self.integrity_db(db, name)
        for log in [i.log for i in self.hub.instances] + [sp.log for sp in self.spokes]:
            if os.path.exists(log):
                self.check_sanitizer(open(log, errors="replace").read(), [log])
        if bad:
            raise Failure("replicas differ after the final sync round:\n  " + "\n  ".join(b for b in bad if b))

    def pg_hub_state(self, o, bad):
        """Owner o's state on the PostgreSQL hub, without reading a file: its
        head as each instance answers a pull, its log's shape in PostgreSQL
        (seqs 1..head, each op once), a fresh replica pulled through each
        instance (their digests must agree: the hub's digest), and /rpc
        digest on each instance (its replica of the owner). Returns the
        digest, the op count and the fresh replicas."""
        heads = [self.hub.head(o, inst) for inst in self.hub.instances]
        if len(set(heads)) != 1:
            bad.append("the instances answer different heads for %s: %s" % (o.name, heads))
        head = heads[0][1]
        count, distinct, lo, hi, owner_head = self.hub.log_rows(o)
        if (count, distinct, lo, hi, owner_head) != (head, head, 1 if head else 0, head, head):
            bad.append("%s's log in PostgreSQL is not seqs 1..%d each op once: %d rows, %d op ids, seqs %d..%d, "
                       "head %d" % (o.name, head, count, distinct, lo, hi, owner_head))
        fresh = []
        for inst in self.hub.instances:
            name = "fresh-%s-%s" % (o.name, inst.name)
            db, tok = os.path.join(self.dir, name + ".db"), os.path.join(self.dir, name + ".token")
            with open(tok, "wb") as f:
                f.write(self.hub.token(o, name))
            self.p.heph(db, ["hub", "set", inst.url, "--token-file", tok])
            self.p.heph(db, ["sync"])
            fresh.append((name, db))
        want = self.digest(fresh[0][1])
        for name, db in fresh[1:]:
            if self.digest(db) != want:
                bad.append("%s's digest %s differs from %s's %s" % (name, self.digest(db)[:12], fresh[0][0],
                                                                    want[:12]))
        for inst in self.hub.instances:
            got = self.hub.rpc(o, inst, "digest", {})["digest"]
            if got != want:
                bad.append("/rpc digest for %s on %s is %s, a fresh replica's %s" % (o.name, inst.name, got[:12],
                                                                                    want[:12]))
        if self.hub.head(o, self.hub.instances[0])[1] != head:
            bad.append("%s's head moved while fresh replicas pulled" % o.name)
        return want, head, fresh

    def leaks(self, replicas):
        """Nothing of one owner on another's replicas: no op id, no node id
        (but those derived from a name or a date, journals and tags, which
        both owners may make on their own), no word of the other's
        vocabulary in a title, body or alias."""
        held = {}
        for o in self.owners:
            ops, nodes, words = set(), set(), set()
            for name, db in replicas[o.name]:
                con = ro(db)
                try:
                    ops |= {x[0] for x in con.execute("SELECT op_id FROM oplog")}
                    rows = con.execute("SELECT id, kind, coalesce(title, ''), coalesce(body, ''), "
                                       "coalesce(aliases, '') FROM nodes").fetchall()
                finally:
                    con.close()
                for nid, kind, title, body, aliases in rows:
                    if kind not in ("journal", "tag"):
                        nodes.add(nid)
                    words |= set("".join(c if c.isalnum() else " " for c in title + " " + body + " " + aliases)
                                 .split())
            held[o.name] = (o, ops, nodes, words)
        bad = []
        for o, ops, nodes, words in held.values():
            mine = words & set(o.vocab)
            if not ops or not nodes or not mine:
                bad.append("%s's replicas hold nothing to compare (%d ops, %d nodes, %d words of theirs)" %
                           (o.name, len(ops), len(nodes), len(mine)))
            for other, ops2, nodes2, _ in held.values():
                if other is o:
                    continue
                for what, a, b in (("op", ops, ops2), ("node", nodes, nodes2)):
                    if a & b:
                        bad.append("%s's replicas hold %d %ss of %s's, e.g. %s" % (o.name, len(a & b), what,
                                                                                 other.name, sorted(a & b)[0]))
                theirs = words & set(other.vocab)
                if theirs:
                    bad.append("%s's replicas hold words only %s writes: %s" % (o.name, other.name,
                                                                                " ".join(sorted(theirs)[:8])))
        return bad

    def digest(self, db):
        _, out, _ = self.p.heph(db, ["digest"])
        return out.strip()

    def explain(self, ref, want, spokes):
        """The rows in which the first differing spoke and the hub's side
        (ref) disagree."""
        parts = [
            ("nodes", "SELECT id, kind, title, body, aliases, created_hlc, updated_hlc, tombstone_hlc, parent_id FROM nodes"),
            ("tasks", "SELECT node_id, state, attention, do_date, late_on, recurrence, context_id, project_id, "
                      "created_hlc, deleted FROM tasks"),
            ("links", "SELECT id, src, dst, type, hlc FROM links"),
            ("link_tombs", "SELECT link_id FROM link_tombs"),
            ("applied ops", "SELECT op_id FROM oplog WHERE status = 0"),
            ("clocks", "SELECT node_id, field, hlc FROM clocks"),
        ]
        for sp in spokes:
            if self.digest(sp.db) == want:
                continue
            lines = ["rows that differ between the hub and %s:" % sp.name]
            for name, sql in parts:
                a, b = ro(ref), ro(sp.db)
                try:
                    ra, rb = set(a.execute(sql).fetchall()), set(b.execute(sql).fetchall())
                except sqlite3.Error:
                    continue
                finally:
                    a.close()
                    b.close()
                for row in sorted(ra - rb, key=repr)[:6]:
                    lines.append("  %s hub: %s" % (name, repr(row)[:300]))
                for row in sorted(rb - ra, key=repr)[:6]:
                    lines.append("  %s %s: %s" % (name, sp.name, repr(row)[:300]))
            return "\n".join(lines)
        return ""

    def go(self):
        t0 = time.time()
        try:
            self.setup()
            for self.step in range(1, self.args.steps + 1):
                self.one_step()
            self.step += 1
            self.finish()
        finally:
            self.cleanup()
        return time.time() - t0


def ulid(rng):
    """A fresh ULID: the time in ms, then 80 random bits (Crockford base32)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    v = (int(time.time() * 1000) << 80) | rng.getrandbits(80)
    return "".join(alphabet[(v >> (5 * i)) & 31] for i in range(25, -1, -1))


def verb_argv(method, p, rng):
    """The heph verb for a call, half of the time where one maps; else None
    (the caller uses heph call)."""
    if rng.random() < 0.5:
        return None
    if method == "task.edit" and set(p) <= {"id", "title", "attention", "do_date", "late_on", "project", "recur"}:
        argv = ["edit", p["id"]]
        for k in ("title", "attention", "do_date", "late_on", "project", "recur"):
            if k in p:
                argv += ["--" + k.replace("_", "-"), p[k]]
        return argv
    if method == "node.remove":
        return ["rm", p["id"], "--yes"]  # a project with open tasks needs --yes without a terminal
    if method in ("task.done", "task.skip", "task.drop"):
        return [{"task.done": "done", "task.skip": "skip", "task.drop": "drop"}[method], p["id"]]
    if method in ("link.add", "link.remove"):
        return ["link", "add" if method == "link.add" else "rm", p["src"], p["dst"], p["type"]]
    if method == "context.edit":
        return ["context", p["id"]] + (["--body", p["body"]] if "body" in p else ["--append", p["append"]])
    if method == "doc.edit":
        argv = ["doc", "edit", p["id"]]
        for k in ("title", "body", "append"):
            if k in p:
                argv += ["--" + k, p[k]]
        return argv
    if method == "journal.open":
        argv = ["journal", p["date"]]
        for k in ("body", "append"):
            if k in p:
                argv += ["--" + k, p[k]]
        return argv
    if method == "log.append":
        return ["log", p["id"], p["text"]]
    if method == "project.add":
        return ["project", "add", p["name"]] + (["--parent", p["parent"]] if "parent" in p else [])
    if method == "task.create" and set(p) <= {"title", "attention", "do_date", "late_on", "project", "recur", "body"}:
        argv = ["task", p["title"]]
        for k in ("attention", "do_date", "late_on", "project", "recur", "body"):
            if k in p:
                argv += ["--" + k.replace("_", "-"), p[k]]
        return argv
    return None


def main():
    ap = argparse.ArgumentParser(description="the convergence soak (see the top of this file)")
    ap.add_argument("--seeds", help="comma-separated seeds")
    ap.add_argument("--seed", type=int, help="one seed")
    ap.add_argument("--seconds", type=float, help="random seeds until this many seconds have passed")
    ap.add_argument("--spokes", type=int, default=0)
    ap.add_argument("--steps", type=int, default=70)
    ap.add_argument("--snapshots", action="store_true",
                    help="replicas with an empty pull cursor start from the hub's snapshot (HEPH_SYNC_SNAPSHOT=always)")
    ap.add_argument("--pg", action="store_true",
                    help="the hub for many owners: two hephd instances on a private PostgreSQL cluster, two owners")
    ap.add_argument("--keep", action="store_true", help="keep every seed's directory")
    ap.add_argument("--keep-failed", action="store_true", help="keep a failing seed's directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not HEPH or not HEPHD:
        sys.exit("soak.py: HEPH and HEPHD must name the heph and hephd binaries")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.seed is not None:
        seeds = iter([args.seed])
    elif args.seeds:
        seeds = iter(int(s) for s in args.seeds.split(","))
    elif args.seconds:
        rnd = random.SystemRandom()
        seeds = iter(lambda: rnd.randrange(1, 2 ** 31), None)
    else:
        seeds = iter([1])
    start = time.time()
    passed, failed = 0, []
    joins = 0  # replicas that started from a snapshot (--snapshots)
    cluster = PgCluster() if args.pg else None
    try:
        for seed in seeds:
            if args.seconds and passed + len(failed) > 0 and time.time() - start > args.seconds:
                break
            ok, j = one_seed(seed, args, cluster)
            passed += ok
            joins += j
            if not ok:
                failed.append(seed)
    finally:
        if cluster and (args.keep or (args.keep_failed and failed)):
            cluster.stop(remove=False)
            print("  the PostgreSQL cluster's directory: " + cluster.base, file=sys.stderr)
        elif cluster:
            cluster.stop()
    print("%d seeds converged, %d failed%s in %.0fs" % (passed, len(failed),
                                                       " (%s)" % ",".join(map(str, failed)) if failed else "",
                                                       time.time() - start))
    if args.snapshots:
        # the run must have used what it tests, not fallen back to pulls
        print("%d replicas started from a snapshot" % joins)
        if passed and not joins:
            print("FAIL no replica started from a snapshot", file=sys.stderr)
            sys.exit(1)
    sys.exit(1 if failed else 0)


def one_seed(seed, args, cluster):
    """Run one seed: (whether it converged, replicas that started from a
    snapshot)."""
    run = Run(seed, args, cluster)
    try:
        secs = run.go()
        print("seed %d: %s, %d steps, converged in %.1fs" % (
            seed, " + ".join("%d spokes%s" % (len(o.spokes), " (one with hephd)" if any(s.live for s in o.spokes)
                                             else "") + (" of " + o.name if cluster else "") for o in run.owners)
            + (" on two instances" if cluster else ""), args.steps, secs)
            + (" (an instance down %d times, killed -9 during a sync %d, an owner lost %d)" % (
                run.stats.get("hub down", 0), run.stats.get("hub killed mid-sync", 0) +
                run.stats.get("hub killed after a sync", 0), run.stats.get("hub replaced", 0)) if cluster else ""),
            flush=True)
        if args.verbose:
            print("  " + ", ".join("%s: %d" % kv for kv in sorted(run.stats.items())), flush=True)
        if not args.keep:
            shutil.rmtree(run.dir, ignore_errors=True)
            if cluster:
                run.hub.drop()
        return True, run.stats.get("snapshot joins", 0)
    except (KeyboardInterrupt, SystemExit):
        if not args.keep:
            shutil.rmtree(run.dir, ignore_errors=True)
        raise
    except (Failure, Exception) as e:
        replay = "HEPH=%s HEPHD=%s python3 %s%s --seed %d --steps %d%s --keep -v" % (
            HEPH, HEPHD, os.path.abspath(__file__), " --pg" if cluster else "", seed, args.steps,
            " --spokes %d" % args.spokes if args.spokes else "")
        print("FAIL seed %d at step %d: %s" % (seed, run.step, e if isinstance(e, Failure) else repr(e)),
              file=sys.stderr)
        if not isinstance(e, Failure):
            import traceback
            traceback.print_exc()
        print("  the last steps:\n    " + "\n    ".join(run.trace[-25:]), file=sys.stderr)
        print("  replay: " + replay, file=sys.stderr)
        if args.keep or args.keep_failed:
            print("  its databases and logs: " + run.dir, file=sys.stderr)
            if cluster:
                print("  its PostgreSQL database: " + run.hub.url, file=sys.stderr)
        else:
            shutil.rmtree(run.dir, ignore_errors=True)
            if cluster:
                run.hub.drop()
        return False, 0


if __name__ == "__main__":
    main()
