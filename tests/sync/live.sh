#!/bin/bash
# live.sh — live sync: a change pushed by one device reaches another
# device's running hephd without a manual sync and long before its
# --sync-interval (an hour here), because each spoke keeps a pull waiting
# on the hub (GET /sync/pull?wait=SECS) that the hub answers when a write
# commits. Not timed: a change that waited for the interval would never
# arrive within the test's patience. Hub and spokes stop promptly with
# pulls parked.
. "$(dirname "$0")/lib.sh"

new_token hub a
new_token hub b
start_hub hub
HUB=$HUB_PID
on a hub set "$HUB_URL" --token-file "$TMP/a.token" >/dev/null
on b hub set "$HUB_URL" --token-file "$TMP/b.token" >/dev/null
start_spoke a --sync-interval 3600
A=$SPOKE_PID
start_spoke b --sync-interval 3600
B=$SPOKE_PID
local_b() { "$HEPH" --db "$TMP/b.db" "$@"; } # b's database, not through its hephd
has_title() { local_b list --json | json_get "'$1' in [t['title'] for t in d] or exit(1)"; }
# page_of — an HTTP answer to a pull (as http prints it) as "STATUS HEAD OPS"
page_of() { python3 -c 'import json,sys; s,b=sys.stdin.read().split(" ",1); d=json.loads(b); print(s, d["head"], len(d["ops"]))'; }

# the hub: a pull with nothing new waits; its wait is checked
head=$(http GET "$HUB_URL/sync/pull?protocol=1&after=0" "$(cat "$TMP/a.token")" | cut -d' ' -f2- | json_get 'd["head"]')
expect_eq "a wait over 60 s is refused" 400 "$(http GET "$HUB_URL/sync/pull?protocol=1&after=0&wait=61" "$(cat "$TMP/a.token")" | cut -d' ' -f1)"
expect_eq "a wait that is no number is refused" 400 "$(http GET "$HUB_URL/sync/pull?protocol=1&after=0&wait=soon" "$(cat "$TMP/a.token")" | cut -d' ' -f1)"
expect_eq "a pull with nothing new answers when its wait is over, with nothing" "200 $head 0" \
	"$(http GET "$HUB_URL/sync/pull?protocol=1&after=$head&wait=1" "$(cat "$TMP/a.token")" | page_of)"
# a wake that brings a parked pull nothing new (a write through /rpc that
# changes nothing, as another owner's push would on a hub for many) parks it
# again: it is answered when its wait is over, never at once with nothing,
# which a client would take for a hub that does not wait
printf '{"jsonrpc":"2.0","id":1,"method":"task.edit","params":{"id":"01M00000000000000000000000","title":"x"}}' >"$TMP/nothing.json"
t0=$(date +%s%N)
http GET "$HUB_URL/sync/pull?protocol=1&after=$head&wait=3" "$(cat "$TMP/a.token")" >"$TMP/parked.out" &
parked=$!
sleep 1
http POST "$HUB_URL/rpc" "$(cat "$TMP/a.token")" "$TMP/nothing.json" >"$TMP/nothing.out"
wait "$parked"
waited_ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "a write through /rpc that changes nothing is refused" 1 "$(grep -c '"error"' "$TMP/nothing.out")"
expect_eq "a parked pull woken with nothing new waits on (answered after ${waited_ms} ms of its 3 s)" 1 \
	"$((waited_ms >= 2900))"
expect_eq "and is answered with nothing" "200 $head 0" "$(page_of <"$TMP/parked.out")"

# a change on a reaches b's database: a pushes at once, the hub wakes b's waiting pull
on a task "made on a" --attention red >/dev/null
wait_for "a task made on a reaches b without a sync" 30 has_title "made on a"
on a task "made on a, again" >/dev/null
wait_for "and the next one too (b waits again)" 30 has_title "made on a, again"
# a write through the hub's /rpc (the web app's way) is news too
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"made in the web app"}}' >"$TMP/req.json"
expect_eq "a task made through the hub's /rpc" 200 "$(http POST "$HUB_URL/rpc" "$(cat "$TMP/a.token")" "$TMP/req.json" | cut -d' ' -f1)"
wait_for "reaches b" 30 has_title "made in the web app"
wait_for "and a" 30 sh -c "'$HEPH' --db '$TMP/a.db' list --json | grep -q 'made in the web app'"
expect_eq "b's log says each came by a sync" 1 "$(grep -c 'synced with' "$TMP/b.log" | awk '{print ($1 >= 3)}')"
expect_eq "the replicas agree" "$("$HEPH" --db "$TMP/a.db" digest)" "$(local_b digest)"

# stopping with pulls parked: both ends stop at once, without waiting out the wait
kill -TERM "$B"
wait_for "a spoke stops while its pull waits on the hub" 10 sh -c "! kill -0 $B 2>/dev/null"
kill -TERM "$HUB"
wait_for "the hub stops with a pull parked" 10 sh -c "! kill -0 $HUB 2>/dev/null"
wait "$B" 2>/dev/null
expect_eq "the spoke stopped cleanly" 0 "$?"
wait "$HUB" 2>/dev/null
expect_eq "the hub stopped cleanly" 0 "$?"
# a keeps working without its hub and catches up when it is back
on a task "while the hub was away" >/dev/null
start_hub hub --http-addr "127.0.0.1:${HUB_URL##*:}"
wait_for "a spoke whose hub comes back pushes what waited" 30 sh -c \
	"'$HEPH' --db '$TMP/hub.db' list --json | grep -q 'while the hub was away'"
stop "$A"
finish
