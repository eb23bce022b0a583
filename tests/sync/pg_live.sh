#!/bin/bash
# pg_live.sh — live sync through a PostgreSQL hub with two instances: a
# spoke whose pull waits on instance B gets a change another spoke pushed
# through instance A without a manual sync and long before its
# --sync-interval (an hour), because A's push NOTIFYs B (LISTEN heph_ops).
# Not timed: a change that waited for the interval would never arrive within
# the test's patience. Another owner's spoke never gets it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
S="--store $PG_URL"
pg_owner alice a b
pg_owner bob c
start_hub A $S --state-dir "$TMP/stateA"
A=$HUB_URL
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL B_PID=$HUB_PID
on a hub set "$A" --token-file "$TMP/a.token" >/dev/null
on b hub set "$B" --token-file "$TMP/b.token" >/dev/null
on c hub set "$B" --token-file "$TMP/c.token" >/dev/null
for s in a b c; do start_spoke $s --sync-interval 3600; done
has_title() { "$HEPH" --db "$TMP/$1.db" list --json | json_get "'$2' in [t['title'] for t in d] or exit(1)"; }
# the hub: a pull waiting 60 s on B answers when a push commits through A
head=$(http GET "$B/sync/pull?protocol=1&after=0" "$(cat "$TMP/a.token")" | cut -d' ' -f2- | json_get 'd["head"]')
BODY_FILE="$TMP/waited" http GET "$B/sync/pull?protocol=1&after=$head&wait=60" "$(cat "$TMP/a.token")" >/dev/null &
waiter=$!
PIDS="$PIDS $waiter"
sleep 1 # parked
h --db "$TMP/raw.db" task "raw" >/dev/null
h --db "$TMP/raw.db" hub set "$A" --token-file "$TMP/a.token" >/dev/null
h --db "$TMP/raw.db" sync >/dev/null
wait_for "the pull parked on B answers before its 60 s are over" 30 sh -c "! kill -0 $waiter"
expect_eq "... with the op pushed through A" True "$(json_get 'len(d["ops"]) > 0' <"$TMP/waited")"
sleep 1 # the spokes' first cycles and their pulls parked on the hub
on a task "pushed through A" >/dev/null
wait_for "b, parked on B, gets a's change pushed through A" 30 has_title b "pushed through A"
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"web app on B"}}' >"$TMP/req"
http POST "$B/rpc" "$(cat "$TMP/b.token")" "$TMP/req" >/dev/null
wait_for "a, parked on A, gets the web app's write on B" 30 has_title a "web app on B"
expect_status "c (bob) has none of it" 1 has_title c "pushed through A"
# PostgreSQL restarts: the listener connects again and live sync goes on
pg_stop
pg_up
wait_for "the hub reaches PostgreSQL again" 30 sh -c "python3 '$HERE/httpreq.py' GET '$B/healthz' | grep -q '^200 '"
sleep 2 # the spokes' pulls, failed while it was away, are parked again
on a task "after the restart" >/dev/null
wait_for "live sync goes on after PostgreSQL restarted" 60 has_title b "after the restart"
stop "$B_PID"
finish
