#!/usr/bin/env python3
"""rpc.py SOCKET [LINE] — a JSON-RPC client of hephd's unix socket: sends
LINE (or each line of standard input), prints each answer line. A line that
is a notification gets no answer, so none is read for it."""
import json
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb")
lines = [sys.argv[2]] if len(sys.argv) > 2 else [l.rstrip("\n") for l in sys.stdin if l.strip()]
for line in lines:
    f.write(line.encode() + b"\n")
    f.flush()
    try:
        req = json.loads(line)
        answered = not isinstance(req, dict) or "id" in req
    except ValueError:
        answered = True
    if answered:
        print(f.readline().decode().rstrip("\n"))
