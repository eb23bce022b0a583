#!/usr/bin/env python3
"""httpreq.py METHOD URL [TOKEN] [BODY-FILE|-] [Header:Value...] — one HTTP
request with python's http.client (no redirects, the path sent as given);
prints the status, a space and the body on one line. With CHUNKED=1 in the
environment the body is sent chunked, without a Content-Length; with
HEADERS=1 the answer's headers follow, one "Name: value" a line; with
BODY_FILE=PATH the body is also written there as it came (bytes).
The Host header is the URL's unless one is given."""
import http.client
import os
import sys
import urllib.parse

method, url = sys.argv[1], sys.argv[2]
token = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
body = None
if len(sys.argv) > 4 and sys.argv[4]:
    body = sys.stdin.buffer.read() if sys.argv[4] == "-" else open(sys.argv[4], "rb").read()
headers = {}
for h in sys.argv[5:]:
    k, v = h.split(":", 1)
    headers[k] = v.strip()
if token:
    headers["Authorization"] = "Bearer " + token
if body is not None:
    headers.setdefault("Content-Type", "application/json")
u = urllib.parse.urlsplit(url)
path = url[url.index(u.netloc) + len(u.netloc):] or "/"
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
if body is not None and os.environ.get("CHUNKED"):
    # no Content-Length: the body arrives in chunks of 1 KiB
    chunks = (body[i:i + 1024] for i in range(0, len(body), 1024))
    c.request(method, path, body=chunks, headers=headers, encode_chunked=True)
else:
    c.request(method, path, body=body, headers=headers)
r = c.getresponse()
raw = r.read()
if os.environ.get("BODY_FILE"):
    with open(os.environ["BODY_FILE"], "wb") as f:
        f.write(raw)
data = raw.decode("utf-8", "replace").replace("\n", "\\n")
print(r.status, data)
if os.environ.get("HEADERS"):
    for k, v in r.getheaders():
        print("%s: %s" % (k, v))
