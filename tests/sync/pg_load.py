#!/usr/bin/env python3
"""pg_load.py OUT TOKEN-FILE URL... — writes through the hub's /rpc while
its database may go away: N task.create requests (N from $LOAD_N, default
40), each with its own Idempotency-Key and sent to the URLs in turn, each
retried (after the Retry-After a 503 names, or a moment after a refused
connection) until it is answered 200. Writes OUT as JSON: the titles made,
how many 503s came and whether every 503 carried Retry-After."""
import http.client
import json
import sys
import time
import urllib.parse
import uuid

out, token_file, urls = sys.argv[1], sys.argv[2], sys.argv[3:]
token = open(token_file).read().strip()
n = int(__import__("os").environ.get("LOAD_N", "40"))
run = uuid.uuid4().hex[:8]
titles, unavailable, with_retry_after, refused = [], 0, 0, 0
for i in range(n):
    title = f"load {run} {i}"
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "task.create", "params": {"title": title}})
    key = uuid.uuid4().hex
    u = urllib.parse.urlsplit(urls[i % len(urls)])
    for attempt in range(600):
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            c.request("POST", "/rpc", body=body, headers={"Authorization": "Bearer " + token,
                                                          "Content-Type": "application/json",
                                                          "Idempotency-Key": key})
            r = c.getresponse()
            text = r.read()
            c.close()
        except OSError:
            refused += 1
            time.sleep(0.2)
            continue
        if r.status == 200:
            titles.append(title)
            break
        if r.status == 503:
            unavailable += 1
            ra = r.getheader("Retry-After")
            if ra is not None:
                with_retry_after += 1
            time.sleep(min(float(ra or 1), 0.5))
            continue
        sys.exit(f"request {i}: {r.status} {text[:300]!r}")
    else:
        sys.exit(f"request {i} never went through")
json.dump({"titles": titles, "unavailable": unavailable, "with_retry_after": with_retry_after,
           "refused": refused}, open(out, "w"))
