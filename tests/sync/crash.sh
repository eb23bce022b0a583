#!/bin/bash
# crash.sh — kill -9 in the middle of sync. The hub dies while a spoke
# pushes a long history in small batches; restarted, it has lost nothing and
# holds every op once, and the spoke resumes where the hub stopped. A fresh
# spoke killed while pulling resumes at its cursor instead of starting over.
. "$(dirname "$0")/lib.sh"

new_token hub dev
start_hub hub
PORT=${HUB_URL##*:}
python3 "$HERE/../../bench/gen.py" --tasks 3000 --projects 60 --seed 4 > "$TMP/ops.jsonl" 2>/dev/null
total=$(wc -l < "$TMP/ops.jsonl")
h --db "$TMP/big.db" apply "$TMP/ops.jsonl" >/dev/null
h --db "$TMP/big.db" hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null
hub_ops() { sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog' 2>/dev/null || echo 0; }
hub_holds() { [ "$(hub_ops)" -ge "$1" ]; }

# push in batches of 50 ops; kill -9 the hub once it holds some of them
HEPH_SYNC_BATCH=50 "$HEPH" --db "$TMP/big.db" sync >"$TMP/push.out" 2>"$TMP/push.err" &
SYNC=$!
wait_for "the hub starts taking ops" 60 hub_holds 500
{ kill -9 "$HUB_PID"; wait "$HUB_PID"; } 2>/dev/null
partial=$(hub_ops)
wait "$SYNC"
expect_eq "the interrupted sync fails as unavailable" 14 "$?"
expect_eq "the hub was killed part-way" True "$(python3 -c "print(0 < $partial < $total)")"
pending=$(h --db "$TMP/big.db" sync --status --json | json_get 'd["pending_push"]')
expect_eq "the spoke still has the rest to push" True "$(python3 -c "print($pending > 0 and $pending <= $total - $partial + 50)")"

start_hub hub --http-addr "127.0.0.1:$PORT"
expect_eq "the restarted hub kept what it had committed" "$partial" "$(hub_ops)"
out=$(HEPH_SYNC_BATCH=50 h --db "$TMP/big.db" sync --json)
expect_eq "the spoke resumes: it pushes only what the hub lacks (or the batch in flight)" True \
	"$(echo "$out" | json_get "d['pushed'] <= $total - $partial + 50")"
expect_eq "the hub now holds every op" "$total" "$(hub_ops)"
expect_eq "each op once" "$total" "$(sqlite3 "$TMP/hub.db" 'SELECT count(DISTINCT op_id) FROM oplog')"
h --db "$TMP/ref.db" apply "$TMP/ops.jsonl" >/dev/null
want=$(h --db "$TMP/ref.db" digest)
expect_eq "the hub's state is the state of those ops applied once" "$want" "$(h --db "$TMP/hub.db" digest)"
expect_eq "the spoke agrees" "$want" "$(h --db "$TMP/big.db" digest)"
expect_eq "nothing is left to push" 0 "$(h --db "$TMP/big.db" sync --status --json | json_get 'd["pending_push"]')"

# a fresh spoke killed in the middle of its pull resumes at its cursor
h --db "$TMP/fresh.db" hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null
cursor() { sqlite3 "$TMP/fresh.db" "SELECT coalesce((SELECT value FROM sync_state WHERE key = 'pull_cursor'), 0)" 2>/dev/null || echo 0; }
pulled_past() { [ "$(cursor)" -ge "$1" ]; }
HEPH_SYNC_BATCH=50 "$HEPH" --db "$TMP/fresh.db" sync >/dev/null 2>&1 &
SYNC=$!
wait_for "the fresh spoke starts pulling" 60 pulled_past 500
{ kill -9 "$SYNC"; wait "$SYNC"; } 2>/dev/null
at=$(cursor)
expect_eq "it was killed part-way" True "$(python3 -c "print(0 < $at < $total)")"
held=$(sqlite3 "$TMP/fresh.db" 'SELECT count(*) FROM oplog')
expect_eq "what it pulled was committed with its cursor" True "$(python3 -c "print($held >= $at)")"
out=$(h --db "$TMP/fresh.db" sync --json)
expect_eq "the next sync pulls only the rest" "$((total - held))" "$(echo "$out" | json_get 'd["pulled"]')"
expect_eq "and pushes nothing back" 0 "$(echo "$out" | json_get 'd["pushed"]')"
expect_eq "the fresh spoke converges" "$want" "$(h --db "$TMP/fresh.db" digest)"
finish
