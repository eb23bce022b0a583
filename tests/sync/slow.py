#!/usr/bin/env python3
"""slow.py URL N — N clients connect to the hub and stall: half send part of
their headers, half a declared body they never finish. While they stall, a
normal request must be answered; then every stalled connection must be
closed by the hub. Prints "served=STATUS closed=K/N after=SECONDS"."""
import socket
import sys
import time
import urllib.parse
import urllib.request

u = urllib.parse.urlsplit(sys.argv[1])
n = int(sys.argv[2])
stalled = []
for i in range(n):
    s = socket.create_connection((u.hostname, u.port))
    if i % 2:
        s.sendall(b"POST /sync/push HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n{\"protocol\":1," % u.netloc.encode())
    else:
        s.sendall(b"GET /sync/pull?protocol=1 HTTP/1.1\r\nHost: %s\r\nX-Slow: " % u.netloc.encode())
    stalled.append(s)
t0 = time.time()
status = urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=5).status
closed = 0
for s in stalled:
    s.settimeout(30)
    try:
        data = s.recv(4096)
        while data:  # an error response may come before the close
            data = s.recv(4096)
    except ConnectionResetError:
        pass
    except socket.timeout:
        continue  # still open after 30 s: not closed
    closed += 1
print("served=%d closed=%d/%d after=%d" % (status, closed, n, round(time.time() - t0)))
