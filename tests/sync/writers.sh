#!/bin/bash
# writers.sh — every way of writing one database at once loses nothing:
# a local hephd's socket, heph writing the spoke's database directly, the
# spoke's background sync, and on the hub /rpc (heph --remote), /sync/push
# (another device's sync) and heph writing the hub's database directly, all
# running together. Every write must succeed and every task reach every
# replica, which must then agree. The rule it checks is the one in
# src/daemon/hephd.h: each write is one BEGIN IMMEDIATE transaction, and
# SQLite (not a mutex, which cannot reach another process) orders writers.
. "$(dirname "$0")/lib.sh"

N=12
new_token hub dev
start_hub hub
on s hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null
h --db "$TMP/t.db" hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null
start_spoke s --sync-interval 1

# writer NAME CMD... — N tasks titled "NAME i", each by CMD TITLE; a failed
# write is recorded in $TMP/failed
writer() {
	local who=$1 i
	shift
	for i in $(seq "$N"); do
		"$@" "$who $i" >/dev/null 2>>"$TMP/$who.err" || echo "$who $i" >>"$TMP/failed"
	done
}
socket() { on s task "$1"; }
direct() { h --db "$TMP/s.db" task "$1"; }
remote() { "$HEPH" --remote "$HUB_URL" --token-file "$TMP/dev.token" task "$1"; }
hubdb() { h --db "$TMP/hub.db" task "$1"; }
pusher() { h --db "$TMP/t.db" task "$1" && h --db "$TMP/t.db" sync; }
: >"$TMP/failed"
writer socket socket &
w1=$!
writer direct direct &
w2=$!
writer remote remote &
w3=$!
writer hubdb hubdb &
w4=$!
writer pusher pusher &
w5=$!
for _ in $(seq 6); do on s sync >/dev/null 2>>"$TMP/sync.err"; done & # sync.now beside the background cycle
w6=$!
wait $w1 $w2 $w3 $w4 $w5 $w6

expect_eq "every write succeeded" "" "$(cat "$TMP/failed")"
[ -s "$TMP/failed" ] && cat "$TMP"/*.err >&2
on s sync >/dev/null
h --db "$TMP/t.db" sync >/dev/null
on s sync >/dev/null
# missing DB — the written titles DB lacks (one line), else nothing
missing() {
	h --db "$TMP/$1.db" list --json | python3 -c 'import json,sys
have = {t["title"] for t in json.load(sys.stdin)}
want = {"%s %d" % (w, i) for w in ("socket", "direct", "remote", "hubdb", "pusher") for i in range(1, int(sys.argv[1]) + 1)}
print(", ".join(sorted(want - have)))' "$N"
}
expect_eq "the hub holds every task" "" "$(missing hub)"
expect_eq "the spoke holds every task" "" "$(missing s)"
expect_eq "the other device holds every task" "" "$(missing t)"
expect_eq "the spoke and the hub agree" "$(h --db "$TMP/hub.db" digest)" "$(h --db "$TMP/s.db" digest)"
expect_eq "the other device and the hub agree" "$(h --db "$TMP/hub.db" digest)" "$(h --db "$TMP/t.db" digest)"
expect_eq "no op is left unapplied" 0 "$(h --db "$TMP/hub.db" ops --unapplied --json | grep -c .)"
finish
