#!/bin/bash
# metrics.sh — GET /metrics on a hub is Prometheus text that Prometheus'
# own parser (python3-prometheus-client) reads, with counts that follow what
# the hub did: pushes, pulls, ops applied, requests by route and status,
# errors by name, the latency histogram, open connections, the database's
# size and the fleet by version. It is readable from loopback; every
# request is one log line with a request id.
. "$(dirname "$0")/lib.sh"
PARSE=/usr/bin/python3 # Debian's, with python3-prometheus-client
metrics() { http GET "$HUB_URL/metrics" | cut -d' ' -f2- | sed 's/\\n/\n/g' | "$PARSE" "$HERE/metrics.py"; }
# value NAME{LABELS} — one sample's value from the parsed metrics in $M
value() { echo "$M" | grep -F "$1 " | awk '{print $2}'; }

new_token hub laptop
start_hub hub
expect_status "the parser reads a fresh hub's metrics" 0 metrics
M=$OUT
expect_eq "no push yet" 0.0 "$(value 'heph_sync_pushes_total{}')"

h --db "$TMP/a.db" hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null
for i in 1 2 3; do h --db "$TMP/a.db" task "task $i" >/dev/null; done
ops=$(h --db "$TMP/a.db" ops --json | wc -l)
expect_status "a spoke syncs" 0 h --db "$TMP/a.db" sync
http POST "$HUB_URL/rpc" "" "" >/dev/null # unauthorized: an error answered
expect_status "the parser reads them again" 0 metrics
M=$OUT
expect_eq "one push" 1.0 "$(value 'heph_sync_pushes_total{}')"
expect_eq "its ops applied" "$ops.0" "$(value 'heph_sync_ops_applied_total{}')"
expect_eq "pulls counted" 1 "$([ "$(value 'heph_sync_pulls_total{}' | cut -d. -f1)" -ge 1 ] && echo 1)"
expect_eq "the push by route and status" 1.0 "$(value 'heph_http_requests_total{route=push,status=200}')"
expect_eq "the refused /rpc by status" 1.0 "$(value 'heph_http_requests_total{route=rpc,status=401}')"
expect_eq "and by error name" 1.0 "$(value 'heph_errors_total{code=unauthorized}')"
count=$(value 'heph_http_request_duration_seconds_count{}')
expect_eq "the histogram counts every request answered" "$count" "$(value 'heph_http_request_duration_seconds_bucket{le=+Inf}')"
expect_eq "and its sum is a time" 1 "$(echo "$M" | grep -c '^heph_http_request_duration_seconds_sum{} ')"
expect_eq "the connection asking is open" 1 "$([ "$(value 'heph_http_connections{}' | cut -d. -f1)" -ge 1 ] && echo 1)"
size=$(($(stat -c %s "$TMP/hub.db") + $(stat -c %s "$TMP/hub.db-wal" 2>/dev/null || echo 0)))
expect_eq "the database's size" "$size.0" "$(value 'heph_database_bytes{}')"
version=$("$HEPH" --version | awk '{print $2}')
expect_eq "the fleet by version: the hub and the spoke" 2.0 "$(value "heph_fleet_devices{version=$version}")"

# one log line per request, each with its own id
log=$(grep ' http: req=' "$TMP/hub.log")
expect_contains "the push is logged" "POST /sync/push 200" "$log"
expect_contains "the refused call too" "POST /rpc 401" "$log"
ids=$(echo "$log" | sed 's/.* req=\([0-9]*\) .*/\1/')
expect_eq "request ids are unique" "$(echo "$ids" | wc -l)" "$(echo "$ids" | sort -u | wc -l)"
finish
