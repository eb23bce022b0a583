#!/usr/bin/env python3
"""concurrent.py URL TOKEN OPS-FILE N — N pushes at once, each of one op of
OPS-FILE (one JSON op per line, at least N), on their own connections; push
number N/2 also carries an op stamped an hour ahead. Prints each push's
status, in push order, on one line."""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url, token, ops_file, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ops = [json.loads(l) for l in open(ops_file)][:n]
u = urllib.parse.urlsplit(url)
bad = dict(ops[n // 2])
bad["op_id"] = "01K00000000000000000000Z77"
bad["hlc"] = "%015d" % (int(time.time() * 1000) + 3600 * 1000) + bad["hlc"][15:]
status = [None] * n
start = threading.Barrier(n)


def push(i):
    body = {"protocol": 1, "ops": [ops[i]] + ([bad] if i == n // 2 else [])}
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.connect()
    start.wait()
    c.request("POST", "/sync/push", body=json.dumps(body),
              headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    status[i] = c.getresponse().status


threads = [threading.Thread(target=push, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(" ".join(str(s) for s in status))
