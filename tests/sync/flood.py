#!/usr/bin/env python3
"""flood.py — what a stranger on the network can make the hub spend, with
no credential (issue 19, items 1 and 2). A real hephd on loopback, started
and killed here by pid.

memory  50 connections send 30 MiB bodies at once: half a GET /healthz
        declaring a 32 MiB body (a route that takes none), half a POST /rpc
        with no credential. The hub must refuse each before reading its
        body: its RSS stays under 64 MiB throughout.
loris   1,000 connections from 127.0.0.2 each trickle a header line a
        second and never finish. /healthz from 127.0.0.1 still answers 200
        within 100 ms; the hub holds at most --max-per-address of them, closes
        those past --request-timeout, and logs the drops once per address.

Both are bounded: every connection is closed by the test within a deadline
of seconds, and the sender stops as soon as the hub refuses (or the RSS
limit is passed, which fails the test).
Usage: HEPHD=... flood.py"""
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HEPHD = os.environ["HEPHD"]
failures = 0


def check(desc, ok, detail=""):
    global failures
    print(("ok    " if ok else "FAIL  ") + desc + ("" if ok else ": " + detail), flush=True)
    if not ok:
        failures += 1


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


class Hub:
    def __init__(self, tmp, *opts):
        self.ready = os.path.join(tmp, "hub.url")
        self.log = os.path.join(tmp, "hub.log")
        self.p = subprocess.Popen([HEPHD, "--mode", "server", "--db", os.path.join(tmp, "hub.db"),
                                   "--http-addr", "127.0.0.1:0", "--ready-file", self.ready, *opts],
                                  stderr=open(self.log, "ab"))
        for _ in range(200):
            if os.path.exists(self.ready) and os.path.getsize(self.ready):
                break
            time.sleep(0.05)
        if not os.path.exists(self.ready):
            self.p.kill()
            sys.exit("FAIL  the hub did not start:\n" + open(self.log).read())
        self.url = open(self.ready).read().strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def head_only(port, head):
    """The hub's answer to a request whose head announces a body that never
    comes: what it answers before reading a body."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    answer = b""
    try:
        s.sendall(head.encode())
        while True:
            end = answer.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", answer[:end])
                if m and len(answer) >= end + 4 + int(m.group(1)):
                    break
            data = s.recv(65536)
            if not data:
                break
            answer += data
    except OSError:
        pass
    finally:
        s.close()
    return answer


def memory(tmp):
    hub = Hub(tmp)
    try:
        host = "127.0.0.1:%d" % hub.port
        chunk = b"x" * (256 << 10)
        per_conn = 30 << 20
        sel = selectors.DefaultSelector()
        conns = []
        get_head = "GET /healthz HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" % (host, 32 << 20)
        post_head = ("POST /rpc HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n" % (host, (32 << 20) - 1))
        for i in range(50):
            s = socket.create_connection(("127.0.0.1", hub.port))
            s.sendall((get_head if i % 2 else post_head).encode())
            s.setblocking(False)
            st = {"sock": s, "sent": 0, "answer": b"", "done": False}
            conns.append(st)
            sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, st)
        peak = base = rss_mib(hub.p.pid)
        deadline = time.time() + 60
        open_conns = len(conns)
        while open_conns and time.time() < deadline and peak < 64:
            for key, ev in sel.select(0.2):
                st = key.data
                s = st["sock"]
                try:
                    if ev & selectors.EVENT_READ:
                        data = s.recv(65536)
                        st["answer"] += data
                        if not data:
                            raise ConnectionResetError
                    if ev & selectors.EVENT_WRITE and st["sent"] < per_conn:
                        st["sent"] += s.send(chunk)
                except (ConnectionResetError, BrokenPipeError, OSError):
                    sel.unregister(s)
                    s.close()
                    st["done"] = True
                    open_conns -= 1
                    continue
                if st["sent"] >= per_conn and not st["done"]:
                    sel.modify(s, selectors.EVENT_READ, st)
            peak = max(peak, rss_mib(hub.p.pid))
        for st in conns:
            if not st["done"]:
                sel.unregister(st["sock"])
                st["sock"].close()
        sent = sum(st["sent"] for st in conns) >> 20
        check("memory: the hub's RSS stays under 64 MiB while 50 connections send bodies "
              "(peak %.1f MiB from %.1f, %d MiB sent)" % (peak, base, sent), peak < 64,
              "peak %.1f MiB" % peak)
        # A connection closed with its body unread may be reset before its
        # answer is read (on a loaded machine, all of them may be): judge the
        # answers that arrived, and those to one more request of each kind
        # that sends its head and no body, so that its answer cannot be lost.
        gets = [st["answer"] for i, st in enumerate(conns) if i % 2 and st["answer"]]
        posts = [st["answer"] for i, st in enumerate(conns) if not i % 2 and st["answer"]]
        gets.append(head_only(hub.port, get_head))
        posts.append(head_only(hub.port, post_head))
        check("memory: GETs with a body are refused with 400, before their body (%d answers)" % len(gets),
              gets and all(a.startswith(b"HTTP/1.1 400") for a in gets), repr(gets[:1])[:300])
        check("memory: the refusal names what is wrong", gets and all(b"takes no request body" in a for a in gets),
              repr(gets[:1])[-300:])
        check("memory: POSTs to /rpc with no credential are refused with 401, before their body (%d answers)"
              % len(posts), posts and all(a.startswith(b"HTTP/1.1 401") for a in posts), repr(posts[:1])[:300])
        with urllib.request.urlopen(hub.url + "/healthz", timeout=10) as r:
            check("memory: the hub still answers afterwards", r.status == 200)
    finally:
        hub.stop()


def loris(tmp):
    timeout = 4
    hub = Hub(tmp, "--request-timeout", str(timeout), "--timeout", "30")
    try:
        host = ("Host: 127.0.0.1:%d\r\n" % hub.port).encode()
        conns = []
        t_open = time.time()
        for i in range(1000):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.2", 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", hub.port))
                s.sendall(b"GET /healthz HTTP/1.1\r\n" + host)
            except OSError:
                s.close()
                continue
            s.setblocking(False)
            conns.append(s)
        check("loris: 1,000 slow connections were opened", len(conns) == 1000, "%d" % len(conns))

        def trickle():
            """one more header line on each connection still open; the
            number still open"""
            alive = 0
            for s in conns:
                if s.fileno() < 0:
                    continue
                try:
                    if s.recv(1) == b"":
                        s.close()
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    continue
                try:
                    s.send(b"X-Slow: a\r\n")
                    alive += 1
                except OSError:
                    s.close()
            return alive

        # the hub takes the connections from its listen queue at its own
        # pace: count those it holds once the count no longer moves
        held, prev = trickle(), -1
        while held != prev and time.time() < t_open + timeout - 1:
            time.sleep(0.3)
            held, prev = trickle(), held
        times = []
        statuses = []
        for _ in range(5):
            t0 = time.time()
            try:
                with urllib.request.urlopen(hub.url + "/healthz", timeout=5) as r:
                    statuses.append(r.status)
            except Exception as e:  # noqa: BLE001 — any failure is the finding
                statuses.append(str(e))
            times.append((time.time() - t0) * 1000)
            trickle()
        times.sort()
        check("loris: /healthz answers 200 while they are open", statuses == [200] * 5, repr(statuses))
        check("loris: /healthz answers within 100 ms (median %.1f ms)" % times[2], times[2] < 100,
              "times %s ms" % ["%.1f" % t for t in times])
        check("loris: the hub holds at most --max-per-address (64) of them (%d)" % held, 0 < held <= 64,
              "%d held" % held)
        # every one it held is closed once its request took --request-timeout
        end = t_open + timeout + 10
        alive = held
        while alive and time.time() < end:
            time.sleep(0.5)
            alive = trickle()
        check("loris: the hub closed every slow request after --request-timeout", alive == 0,
              "%d still open %.0f s after opening" % (alive, time.time() - t_open))
        for s in conns:
            s.close()
        log = open(hub.log).read()
        lines = [l for l in log.splitlines() if "127.0.0.2" in l]
        check("loris: the drops are logged once per address (%d lines)" % len(lines), len(lines) == 1, "\n".join(lines[:5]))
    finally:
        hub.stop()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "m"))
        os.makedirs(os.path.join(tmp, "l"))
        memory(os.path.join(tmp, "m"))
        loris(os.path.join(tmp, "l"))
    print("%d failure(s)" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
