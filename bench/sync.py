#!/usr/bin/env python3
"""Sync benchmarks (not tests): real hephd processes on loopback.

usage: sync.py BUILD [--ops N] [--spokes S] [--pushes P] [--out FILE]

1. A fresh spoke pulls and applies N ops (default 1,000,000, from gen.py)
   from a hub: wall time, ops/s and the spoke's peak memory, next to the time
   `heph apply` takes for the same ops on its own (the engine's floor);
   then the same join from the hub's snapshot (HEPH_SYNC_SNAPSHOT=always),
   once while the hub writes it and once finding it kept.
2. S spokes (default 50, threads of bench/pushload, each its own device and
   connection) push small batches (5 ops) concurrently to a fresh hub:
   pushes/s and latency p50/p99/max.
3. Resident memory of an idle hephd: a hub and a local spoke just started,
   and the hub again after it served the big pull.
4. Live sync: L clients (default 1000) each with a pull parked on the hub
   (GET /sync/pull?wait=60): the hub's memory and CPU while they wait; then
   one push: how long until a parked pull answers and until all have, and
   until a spoke's hephd (sync interval an hour) holds the pushed task.
5. Both at once: L live clients parked on a fresh hub while S spokes push
   as in 2. Each client, once answered, asks again from the head it was
   given (as a spoke's hephd does), over its keep-alive connection: the
   hub's memory and CPU, pushes/s and their latency, and how many answers
   the live clients got.

6. The hub on PostgreSQL (hephd --store, a private PostgreSQL 15 cluster
   made here): the pushes of 2 against one instance and against two on one
   database, and a fresh spoke's bootstrap of what they pushed.

--parts picks some of them (pull,push,idle,live,mixed,pg; default all).

Targets from the issue: pull 1M ops in at most 10 s; at least 5,000
pushes/s with p99 under 50 ms; an idle hephd under 10 MB PSS; 1,000 live
clients cost the hub under 64 MB and no measurable CPU, pushes going on. Figures are printed
and written to FILE (default bench/RESULTS-sync.md) as Markdown, whatever
they are. Everything runs in a temporary directory that is removed after,
and every process started here is stopped.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time

from bench import cpu_model  # bench/bench.py, beside this file

HERE = os.path.dirname(os.path.abspath(__file__))


class Procs:
    def __init__(self):
        self.procs = []

    def start(self, args, log):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "a"))
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in self.procs:
            self.stop(p)


def wait_file(path, secs=20):
    end = time.time() + secs
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                return f.read().strip()
        time.sleep(0.02)
    sys.exit("timed out waiting for " + path)


def mem_kb(pid):
    """(VmRSS, RssAnon, Pss) of a process, in KB. Pss shares each library
    page among the processes that map it."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k = line.split(":")[0]
            if k in ("VmRSS", "RssAnon"):
                out[k] = int(line.split()[1])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                out["Pss"] = int(line.split()[1])
    return out.get("VmRSS", 0), out.get("RssAnon", 0), out.get("Pss", 0)


def cpu_s(pid):
    """User + system CPU seconds a process has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(args, env=None):
    """Run args; (wall seconds, CPU seconds, peak RSS in KB, stdout)."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M"] + args, capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(args), r.stderr))
    u, s, m = r.stderr.strip().splitlines()[-1].split()
    return secs, float(u) + float(s), int(m), r.stdout


def parked_pulls(url, token, after, n):
    """n sockets, each sending a pull that waits on the hub (wait=60)."""
    import socket
    from urllib.parse import urlsplit
    u = urlsplit(url)
    req = ("GET /sync/pull?protocol=1&after=%d&limit=1&wait=60 HTTP/1.1\r\nHost: %s\r\n"
           "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % (after, u.netloc, token)).encode()
    socks = []
    for _ in range(n):
        c = socket.create_connection((u.hostname, u.port))
        c.sendall(req)
        socks.append(c)
    return socks


def live_rows(a, heph, hephd, procs, tmp, env, mem):
    """Live sync: parked pulls, a push, and how soon they hear of it."""
    import selectors
    import urllib.request
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.live + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.live + 256), hard))
    subprocess.run([hephd, "--db", "live.db", "token", "create", "bench"], stdout=open("live.token", "w"),
                   stderr=subprocess.DEVNULL, check=True)
    token = open("live.token").read().strip()
    hub = procs.start([hephd, "--mode", "server", "--db", "live.db", "--http-addr", "127.0.0.1:0",
                       "--max-connections", str(a.live + 100), "--max-per-address", str(a.live + 100),
                       "--ready-file", "live.url"], "live.log")
    url = wait_file("live.url")
    subprocess.run([heph, "--db", "writer.db", "hub", "set", url, "--token-file", "live.token"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    subprocess.run([heph, "--db", "writer.db", "task", "first"], env=env, stdout=subprocess.DEVNULL, check=True)
    subprocess.run([heph, "--db", "writer.db", "sync"], env=env, stdout=subprocess.DEVNULL, check=True)
    head = json.load(urllib.request.urlopen(urllib.request.Request(
        url + "/sync/pull?protocol=1&after=0&limit=1", headers={"Authorization": "Bearer " + token})))["head"]
    # a spoke's hephd that hears of news only through live sync
    subprocess.run([heph, "--db", "reader.db", "hub", "set", url, "--token-file", "live.token"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    spoke = procs.start([hephd, "--mode", "local", "--db", "reader.db", "--socket", os.path.join(tmp, "reader.sock"),
                         "--ready-file", "reader.ready", "--sync-interval", "3600"], "reader.log")
    wait_file("reader.ready")
    base = mem_kb(hub.pid)
    socks = parked_pulls(url, token, head, a.live)
    time.sleep(3)
    parked = mem_kb(hub.pid)
    cpu0 = cpu_s(hub.pid)
    time.sleep(10)
    idle_cpu = cpu_s(hub.pid) - cpu0
    sel = selectors.DefaultSelector()
    for c in socks:
        c.setblocking(False)
        sel.register(c, selectors.EVENT_READ)
    subprocess.run([heph, "--db", "writer.db", "task", "live news"], env=env, stdout=subprocess.DEVNULL, check=True)
    t0 = time.perf_counter()
    subprocess.run([heph, "--db", "writer.db", "sync"], env=env, stdout=subprocess.DEVNULL, check=True)
    pushed = time.perf_counter()
    first = last = None
    answered = 0
    while answered < len(socks) and time.perf_counter() - t0 < 30:
        for key, _ in sel.select(timeout=1):
            now = time.perf_counter()
            first = first or now
            last = now
            sel.unregister(key.fileobj)
            answered += 1
    seen = None
    while time.perf_counter() - t0 < 30:
        out = subprocess.run([heph, "--db", "reader.db", "--json", "list"], capture_output=True, text=True).stdout
        if "live news" in out:
            seen = time.perf_counter()
            break
        time.sleep(0.02)
    for c in socks:
        c.close()
    procs.stop(spoke)
    procs.stop(hub)
    ms = lambda t: "%.0f ms" % (1000 * (t - pushed)) if t else "never (30 s)"
    return [
        ("live sync: %d pulls parked on the hub" % a.live,
         "hub RSS %.1f MB before, %.1f MB with them parked (+%.1f KB each); hub CPU over 10 s idle: %.0f ms"
         % (base[0] / 1024, parked[0] / 1024, (parked[0] - base[0]) / a.live, idle_cpu * 1000),
         "< 64 MB, no measurable CPU"),
        ("live sync: one push (heph sync, %.0f ms) reaches them" % (1000 * (pushed - t0)),
         "first parked pull answered %s after the push returned, all %d/%d by %s; a spoke's hephd (sync "
         "interval 1 h) holds the task %s after it" % (ms(first), answered, a.live, ms(last), ms(seen)), "≤ 1 s"),
    ]


class LiveClient:
    """One live-sync client: a pull parked on the hub, for one op as a
    spoke's hephd and the web app ask (they learn of news this way and then
    sync); when answered, the next one at once from the head it was given
    (a spoke would sync first: this client is the busier one), on a new
    connection when the hub closed the last."""

    def __init__(self, sel, host, port, netloc, token):
        self.sel, self.addr, self.netloc, self.token = sel, (host, port), netloc, token
        self.sock = None
        self.answers = self.reconnects = 0
        self.connect()

    def connect(self):
        import selectors
        import socket
        if self.sock:
            self.sel.unregister(self.sock)
            self.sock.close()
            self.reconnects += 1
        self.sock = socket.create_connection(self.addr)
        self.buf = b""
        self.sel.register(self.sock, selectors.EVENT_READ, self)

    def ask(self, after):
        self.sock.sendall(("GET /sync/pull?protocol=1&after=%d&limit=1&wait=60 HTTP/1.1\r\nHost: %s\r\n"
                           "Authorization: Bearer %s\r\n\r\n" % (after, self.netloc, self.token)).encode())

    def readable(self):
        """Read what came; False when the hub closed the connection before
        an answer."""
        data = self.sock.recv(1 << 16)
        if not data:
            return False
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return True
        head = self.buf[:end].decode("latin-1").lower().split("\r\n")
        length = 0
        for line in head:
            if line.startswith("content-length:"):
                length = int(line.split(":")[1])
        if len(self.buf) < end + 4 + length:
            return True
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        self.answers += 1
        if "connection: close" in head:
            self.connect()
        self.ask(json.loads(body)["head"])
        return True


def mixed_rows(a, hephd, pushload, procs):
    """L live clients parked on a hub while S spokes push."""
    import selectors
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.live + a.spokes + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.live + a.spokes + 256), hard))
    subprocess.run([hephd, "--db", "mixed.db", "token", "create", "bench"], stdout=open("mixed.token", "w"),
                   stderr=subprocess.DEVNULL, check=True)
    token = open("mixed.token").read().strip()
    room = str(a.live + a.spokes + 100)
    hub = procs.start([hephd, "--mode", "server", "--db", "mixed.db", "--http-addr", "127.0.0.1:0",
                       "--max-connections", room, "--max-per-address", room, "--ready-file", "mixed.url"],
                      "mixed.log")
    url = wait_file("mixed.url")
    from urllib.parse import urlsplit
    u = urlsplit(url)
    base = mem_kb(hub.pid)
    sel = selectors.DefaultSelector()
    clients = []
    for _ in range(a.live):
        c = LiveClient(sel, u.hostname, u.port, u.netloc, token)
        c.ask(0)
        clients.append(c)
    time.sleep(2)
    parked = mem_kb(hub.pid)
    cpu0 = cpu_s(hub.pid)
    peak = parked[0]
    load = subprocess.Popen([pushload, url, "mixed.token", str(a.spokes), str(a.pushes), "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lost = 0
    next_mem = time.perf_counter()
    while load.poll() is None:
        for key, _ in sel.select(timeout=0.05):
            if not key.data.readable():
                sel.unregister(key.fileobj)
                lost += 1
        if time.perf_counter() >= next_mem:
            peak = max(peak, mem_kb(hub.pid)[0])
            next_mem += 0.25
    cpu = cpu_s(hub.pid) - cpu0
    settle = time.perf_counter() + 2  # the clients park again
    while time.perf_counter() < settle:
        for key, _ in sel.select(timeout=0.05):
            if not key.data.readable():
                sel.unregister(key.fileobj)
                lost += 1
    out, err = load.communicate()
    if load.returncode != 0:
        sys.exit("pushload failed: " + out + err)
    pl = json.loads(out)
    answers = sum(c.answers for c in clients)
    after = mem_kb(hub.pid)
    for c in clients:
        c.sock.close()
    procs.stop(hub)
    return [
        ("%d live clients parked while %d spokes push 5-op batches (%d pushes)" % (a.live, pl["spokes"], pl["pushes"]),
         "%d pushes/s; p50 %.1f ms, p99 %.1f ms, max %.1f ms; hub CPU %.2f ms per push; hub RSS %.1f MB "
         "before the clients, %.1f MB with them parked, %.1f MB at most while the pushes ran, %.1f MB "
         "after them with the clients parked again; %d answers to live clients (%.1f per client), %d "
         "connections lost"
         % (pl["pushes_per_s"], pl["p50_ms"], pl["p99_ms"], pl["max_ms"], 1000 * cpu / pl["pushes"],
            base[0] / 1024, parked[0] / 1024, peak / 1024, after[0] / 1024, answers, answers / max(1, a.live),
            lost),
         "≥ 5,000/s, p99 < 50 ms; the clients < 64 MB"),
    ]


def pg_rows(a, heph, hephd, pushload, procs, tmp, env):
    """The same pushes and a fresh spoke's bootstrap against the hub on
    PostgreSQL (hephd --store): one instance, then two on one database, next
    to the SQLite hub, on a private PostgreSQL 15 cluster made here."""
    pg_bin = "/usr/lib/postgresql/15/bin"
    if not os.path.exists(os.path.join(pg_bin, "initdb")):
        return [("hub on PostgreSQL", "skipped: PostgreSQL 15 is not installed (sh scripts/deps.sh)", "—")]
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    data, sock = os.path.join(tmp, "pg", "data"), os.path.join(tmp, "pg", "sock")
    os.makedirs(data)
    os.makedirs(sock)
    os.chmod(tmp, 0o755)
    if os.getuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", os.path.join(tmp, "pg")], check=True)
    q = subprocess.DEVNULL
    subprocess.run(as_pg + [pg_bin + "/initdb", "-D", data, "-U", "heph", "-A", "trust", "--no-sync"],
                   stdout=q, stderr=q, check=True)
    subprocess.run(as_pg + [pg_bin + "/pg_ctl", "-D", data, "-w", "-l", os.path.join(tmp, "pg", "log"), "-o",
                            "-k %s -c listen_addresses=''" % sock, "start"], stdout=q, stderr=q, check=True)
    rows = []
    try:
        subprocess.run(as_pg + [pg_bin + "/createdb", "-h", sock, "-U", "heph", "heph"], check=True)
        store = "postgresql:///heph?host=%s&user=heph" % sock
        subprocess.run([hephd, "owner", "add", "bench", "--store", store], stderr=q, check=True)
        subprocess.run([hephd, "token", "create", "bench", "--owner", "bench", "--store", store],
                       stdout=open("pg.token", "w"), stderr=q, check=True)
        hubs, urls = [], []
        for i in (1, 2):
            hubs.append(procs.start([hephd, "--mode", "server", "--store", store, "--state-dir", "pgstate%d" % i,
                                     "--http-addr", "127.0.0.1:0", "--ready-file", "pg%d.url" % i], "pg%d.log" % i))
            urls.append(wait_file("pg%d.url" % i))
        for n in (1, 2):
            each = max(1, a.spokes // n)
            loads = [subprocess.Popen([pushload, urls[i], "pg.token", str(each), str(a.pushes), "5"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]
            t0 = time.perf_counter()
            res = []
            for l in loads:
                out, err = l.communicate()
                if l.returncode != 0:
                    sys.exit("pushload failed: " + out + err)
                res.append(json.loads(out))
            wall = time.perf_counter() - t0
            pushes = sum(r["pushes"] for r in res)
            rows.append(("%d spokes push 5-op batches concurrently (%d pushes) to the PostgreSQL hub, %s"
                         % (each * n, pushes, "one instance" if n == 1 else "two instances (half the spokes each)"),
                         "%d pushes/s; p50 %.1f ms, p99 %.1f ms, max %.1f ms%s"
                         % (pushes / wall if n > 1 else res[0]["pushes_per_s"], max(r["p50_ms"] for r in res),
                            max(r["p99_ms"] for r in res), max(r["max_ms"] for r in res),
                            " (the worse instance's latencies)" if n > 1 else ""), "—"))
        # a fresh spoke's bootstrap of the ops pushed above, from the PostgreSQL hub and from a SQLite hub
        # holding the same ops
        subprocess.run([heph, "--db", "pgspoke.db", "hub", "set", urls[0], "--token-file", "pg.token"], env=env,
                       stdout=q, check=True)
        s, cpu, kb, out = timed([heph, "--db", "pgspoke.db", "--json", "sync"], env)
        pulled = json.loads(out)["pulled"]
        rows.append(("a fresh spoke bootstraps from the PostgreSQL hub (%d ops)" % pulled,
                     "%.2f s wall (%.0f ops/s); CPU %.1f s; peak RSS %.0f MB" % (s, pulled / s, cpu, kb / 1024), "—"))
        ops = subprocess.run([heph, "--db", "pgspoke.db", "ops", "--json"], capture_output=True, text=True,
                             check=True).stdout
        subprocess.run([heph, "--db", "sqlhub.db", "apply", "-"], input=ops, text=True, stdout=q, check=True)
        subprocess.run([hephd, "--db", "sqlhub.db", "token", "create", "bench"], stdout=open("sql.token", "w"),
                       stderr=q, check=True)
        sql = procs.start([hephd, "--mode", "server", "--db", "sqlhub.db", "--http-addr", "127.0.0.1:0",
                           "--ready-file", "sql.url"], "sql.log")
        subprocess.run([heph, "--db", "sqlspoke.db", "hub", "set", wait_file("sql.url"), "--token-file", "sql.token"],
                       env=env, stdout=q, check=True)
        s, cpu, kb, out = timed([heph, "--db", "sqlspoke.db", "--json", "sync"], env)
        pulled = json.loads(out)["pulled"]
        rows.append(("a fresh spoke bootstraps from the SQLite hub (the same %d ops)" % pulled,
                     "%.2f s wall (%.0f ops/s); CPU %.1f s; peak RSS %.0f MB" % (s, pulled / s, cpu, kb / 1024), "—"))
        procs.stop(sql)
        for h in hubs:
            procs.stop(h)
    finally:
        for h in procs.procs:
            procs.stop(h)
        subprocess.run(as_pg + [pg_bin + "/pg_ctl", "-D", data, "-w", "-m", "fast", "stop"], stdout=q, stderr=q)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--ops", type=int, default=1000000)
    ap.add_argument("--spokes", type=int, default=50)
    ap.add_argument("--pushes", type=int, default=200)
    ap.add_argument("--live", type=int, default=1000)
    ap.add_argument("--parts", default="pull,push,idle,live,mixed,pg")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS-sync.md"))
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    unknown = parts - {"pull", "push", "idle", "live", "mixed", "pg"}
    if unknown:
        sys.exit("unknown --parts: " + ", ".join(sorted(unknown)))
    heph = os.path.abspath(os.path.join(a.build, "src/cli/heph"))
    hephd = os.path.abspath(os.path.join(a.build, "src/daemon/hephd"))
    pushload = os.path.abspath(os.path.join(a.build, "bench/pushload"))
    procs = Procs()
    tmp = tempfile.mkdtemp(prefix="heph-sync-bench.")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("HEPH_SOCKET", None)
    rows = []
    load0 = load()
    mem = lambda m: "RSS %.1f MB (%.1f MB anonymous, the rest library pages); PSS %.1f MB" % (
        m[0] / 1024, m[1] / 1024, m[2] / 1024)
    try:
        os.chdir(tmp)
        if "pull" in parts:
            # --- the big pull ---
            tasks = max(1, int(a.ops / 4.708))
            with open("ops.jsonl", "w") as f:
                subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--tasks", str(tasks),
                                "--projects", "1000"], stdout=f, stderr=subprocess.DEVNULL, check=True)
            n = sum(1 for _ in open("ops.jsonl"))
            apply_s, apply_cpu, apply_kb, _ = timed([heph, "--db", "hub.db", "apply", "ops.jsonl"], env)
            subprocess.run([hephd, "--db", "hub.db", "token", "create", "bench"], stdout=open("bench.token", "w"),
                           stderr=subprocess.DEVNULL, check=True)
            hub = procs.start([hephd, "--mode", "server", "--db", "hub.db", "--http-addr", "127.0.0.1:0",
                               "--ready-file", "hub.url"], "hub.log")
            url = wait_file("hub.url")
            time.sleep(1)
            hub_idle = mem_kb(hub.pid)
            subprocess.run([heph, "--db", "spoke.db", "hub", "set", url, "--token-file", "bench.token"], env=env,
                           stdout=subprocess.DEVNULL, check=True)
            hub_cpu0 = cpu_s(hub.pid)
            # the replay: past HEPH_SYNC_SNAPSHOT_MIN ops a fresh spoke would
            # take the snapshot instead
            pull_s, pull_cpu, pull_kb, out = timed([heph, "--db", "spoke.db", "--json", "sync"],
                                                   dict(env, HEPH_SYNC_SNAPSHOT="never"))
            hub_pull_cpu = cpu_s(hub.pid) - hub_cpu0
            pulled = json.loads(out)["pulled"]
            same = subprocess.run([heph, "--db", "spoke.db", "digest"], capture_output=True, text=True).stdout == \
                subprocess.run([heph, "--db", "hub.db", "digest"], capture_output=True, text=True).stdout
            # the same join from the hub's snapshot: the first one writes it
            # on the hub, the next finds it kept
            hub_digest = subprocess.run([heph, "--db", "hub.db", "digest"], capture_output=True, text=True).stdout
            snap_rows = []
            for i, how in enumerate(("the hub writes the snapshot", "the snapshot kept on the hub")):
                db = "snap%d.db" % i
                subprocess.run([heph, "--db", db, "hub", "set", url, "--token-file", "bench.token"], env=env,
                               stdout=subprocess.DEVNULL, check=True)
                hub_cpu0 = cpu_s(hub.pid)
                snap_s, snap_cpu, snap_kb, out = timed([heph, "--db", db, "--json", "sync"],
                                                       dict(env, HEPH_SYNC_SNAPSHOT="always"))
                hub_snap_cpu = cpu_s(hub.pid) - hub_cpu0
                took = json.loads(out).get("snapshot")
                same_snap = subprocess.run([heph, "--db", db, "digest"], capture_output=True,
                                           text=True).stdout == hub_digest
                snap_rows.append(("a fresh spoke joins a hub holding %d ops, by snapshot (%s)" % (n, how),
                                  "%.1f s wall; CPU %.1f s spoke + %.1f s hub; peak RSS %.0f MB%s%s"
                                  % (snap_s, snap_cpu, hub_snap_cpu, snap_kb / 1024,
                                     "" if took else " — NO SNAPSHOT TAKEN",
                                     "" if same_snap else " — DIGESTS DIFFER"),
                                  "≤ 5 s wall, ≤ 64 MB"))
            hub_after = mem_kb(hub.pid)
            procs.stop(hub)
            rows.append(("fresh spoke pulls and applies %d ops" % n,
                         "%.1f s wall (%.0f ops/s); CPU %.1f s spoke + %.1f s hub; peak RSS %.0f MB%s"
                         % (pull_s, pulled / pull_s, pull_cpu, hub_pull_cpu, pull_kb / 1024,
                            "" if same else " — DIGESTS DIFFER"), "≤ 10 s"))
            rows.append(("the same ops applied locally (heph apply, one transaction): the engine's floor",
                         "%.1f s wall (%.0f ops/s); CPU %.1f s; peak RSS %.0f MB"
                         % (apply_s, n / apply_s, apply_cpu, apply_kb / 1024), "—"))
            rows += snap_rows
            rows.append(("idle hephd: a hub just started (%d-op database)" % n, mem(hub_idle), "< 10 MB"))
            rows.append(("hephd: the hub after serving the big pull", mem(hub_after), "—"))

        if "push" in parts or "idle" in parts:
            subprocess.run([hephd, "--db", "push.db", "token", "create", "bench"], stdout=open("push.token", "w"),
                           stderr=subprocess.DEVNULL, check=True)
            hub = procs.start([hephd, "--mode", "server", "--db", "push.db", "--http-addr", "127.0.0.1:0",
                               "--ready-file", "push.url"], "push.log")
            purl = wait_file("push.url")
        if "push" in parts:
            # --- many spokes pushing ---
            hub_cpu0 = cpu_s(hub.pid)
            r = subprocess.run([pushload, purl, "push.token", str(a.spokes), str(a.pushes), "5"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit("pushload failed: " + r.stdout + r.stderr)
            pl = json.loads(r.stdout)
            hub_push_cpu = cpu_s(hub.pid) - hub_cpu0
            rows.append(("%d spokes push 5-op batches concurrently (%d pushes)" % (pl["spokes"], pl["pushes"]),
                         "%d pushes/s; p50 %.1f ms, p99 %.1f ms, max %.1f ms; hub CPU %.2f ms per push"
                         % (pl["pushes_per_s"], pl["p50_ms"], pl["p99_ms"], pl["max_ms"],
                            1000 * hub_push_cpu / pl["pushes"]), "≥ 5,000/s, p99 < 50 ms"))
        if "push" in parts or "idle" in parts:
            # stopped before the idle spoke starts, as the figures before: a hub
            # on the same machine would share hephd's and the libraries' pages
            # with it, which PSS would count in the spoke's favour
            procs.stop(hub)
        if "idle" in parts:
            # --- idle memory ---
            subprocess.run([heph, "--db", "idle.db", "hub", "set", purl, "--token-file", "push.token"], env=env,
                           stdout=subprocess.DEVNULL, check=True)
            spoke = procs.start([hephd, "--mode", "local", "--db", "idle.db", "--socket",
                                 os.path.join(tmp, "idle.sock"), "--ready-file", "idle.ready"], "idle.log")
            wait_file("idle.ready")
            time.sleep(2)
            spoke_idle = mem_kb(spoke.pid)
            procs.stop(spoke)
            lone = procs.start([hephd, "--mode", "local", "--db", "lone.db", "--socket",
                                os.path.join(tmp, "lone.sock"), "--ready-file", "lone.ready"], "lone.log")
            wait_file("lone.ready")
            time.sleep(2)
            lone_idle = mem_kb(lone.pid)
            procs.stop(lone)
            rows.append(("idle hephd: a local spoke with a hub (socket, sync thread, live listener, libcurl "
                         "loaded)", mem(spoke_idle), "< 10 MB PSS"))
            rows.append(("idle hephd: a local replica without a hub", mem(lone_idle), "< 10 MB PSS"))
        if "live" in parts:
            rows += live_rows(a, heph, hephd, procs, tmp, env, mem)
        if "mixed" in parts:
            rows += mixed_rows(a, hephd, pushload, procs)
        if "pg" in parts:
            rows += pg_rows(a, heph, hephd, pushload, procs, tmp, env)
    finally:
        procs.stop_all()
        os.chdir(HERE)
        subprocess.run(["rm", "-rf", tmp])

    cpu = cpu_model(platform.processor() or platform.machine())
    text = ["# Sync benchmarks", "",
            "Written by `bench/sync.py` on %s, %s, %d CPUs, load average %.1f at the start and %.1f at "
            "the end. Real hephd processes on loopback; wall-clock figures of whole processes, and the CPU "
            "time they used (which other load on the machine does not inflate)."
            % (datetime.date.today().isoformat(), cpu, os.cpu_count(), load0, load()),
            "", "| what | measured | target |", "|---|---|---|"]
    text += ["| %s | %s | %s |" % r for r in rows]
    text.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
