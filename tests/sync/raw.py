#!/usr/bin/env python3
"""raw.py URL — send the bytes on stdin as they are to the hub at URL (a
request a well-behaved client would not write: two Content-Lengths, a
foreign Host) and print the status code, a space and the body on one
line. "{HOST}" in the request becomes the URL's host:port."""
import socket
import sys
import urllib.parse

u = urllib.parse.urlsplit(sys.argv[1])
req = sys.stdin.buffer.read().replace(b"{HOST}", u.netloc.encode()).replace(b"\n", b"\r\n")
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.sendall(req)
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if n and len(body) >= n[0]:
                break
except (socket.timeout, ConnectionResetError):
    pass
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "none"
print(status, body.decode("utf-8", "replace").replace("\n", "\\n"))
