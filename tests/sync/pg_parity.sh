#!/bin/bash
# pg_parity.sh — what the SQLite hub serves, a PostgreSQL hub (hephd
# --store) serves too, on every instance: a private PostgreSQL 15 cluster,
# two hephd instances on it, two owners.
#   snapshot   GET /sync/snapshot: a spoke joins from an owner's snapshot
#              through one instance and pulls through the other; its digest
#              is a replay's; the file states the owner's hub id and a seq
#              of the owner's log, holds none of the other owner's data and
#              none of the hub's private tables; a download cut short
#              resumes (206 on the same instance; the other instance's file
#              is sent whole, never mixed) and converges
#   calendar   GET /calendar/SECRET.ics: each owner's feed on both
#              instances, only that owner's tasks; a wrong secret, a
#              rotated one and a revoked one answer 404 on both; alarms
#              set through one instance show in the other's feed
#   metrics    GET /metrics answers (the counters)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
S="--store $PG_URL"

pg_owner alice a1 a2 a3 a4 a5
pg_owner bob b1
start_hub A $S --state-dir "$TMP/stateA"
A=$HUB_URL
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL

# sync NAME INSTANCE [ENV...] — heph sync of spoke NAME through INSTANCE
sync_via() {
	name=$1 inst=$2
	shift 2
	h --db "$TMP/$name.db" hub set "$inst" --token-file "$TMP/$name.token" >/dev/null
	env "$@" "$HEPH" --db "$TMP/$name.db" sync --json
}
# rpc_call INSTANCE TOKEN-NAME METHOD PARAMS — one /rpc request; prints its result's JSON
rpc_call() {
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}' "$3" "$4" >"$TMP/req"
	r=$(http POST "$1/rpc" "$(cat "$TMP/$2.token")" "$TMP/req")
	echo "${r#* }"
}

# ---- data: alice's on a1 (pushed through A), an /rpc write through B;
# bob's on b1 (through B), marked so that it can be looked for
for i in $(seq 12); do h --db "$TMP/a1.db" task "alice task $i" --late-on 2027-03-$((i % 28 + 1)) >/dev/null; done
h --db "$TMP/a1.db" edit "$(h --db "$TMP/a1.db" list --json | json_get 'd[0]["handle"]')" --title "alice edited" >/dev/null
expect_status "a1 pushes through A" 0 sync_via a1 "$A"
rpc_call "$B" a1 task.create '{"title":"alice rpc on B","late_on":"2027-04-01"}' >/dev/null
for i in $(seq 5); do h --db "$TMP/b1.db" task "BOBSECRET $i" --late-on 2027-05-0$i >/dev/null; done
expect_status "b1 pushes through B" 0 sync_via b1 "$B"
expect_status "a1 pulls its /rpc write through A" 0 sync_via a1 "$A"
HEAD=$(http GET "$A/sync/pull?protocol=1&after=0&limit=1" "$(cat "$TMP/a1.token")" | sed 's/^200 //' | json_get 'd["head"]')
HUBID=$(http GET "$A/sync/pull?protocol=1&after=0&limit=1" "$(cat "$TMP/a1.token")" | sed 's/^200 //' | json_get 'd["hub"]')

# ---- the snapshot file, as each instance serves it
snap() { # snap INSTANCE TOKEN-NAME OUT-PREFIX [HEADERS...] — status in OUT.st, body in OUT.db, headers in OUT.h
	inst=$1 tok=$2 out=$3
	shift 3
	HEADERS=1 BODY_FILE="$out.db" http GET "$inst/sync/snapshot?protocol=1" "$(cat "$TMP/$tok.token")" "" "$@" >"$out.raw"
	head -1 "$out.raw" | cut -d' ' -f1 >"$out.st"
	tail -n +2 "$out.raw" | tr -d '\r' >"$out.h"
}
hdr() { sed -n "s/^$2: //Ip" "$1.h" | head -1; }
snap "$A" a1 "$TMP/sA"
snap "$B" a1 "$TMP/sB"
for x in sA sB; do
	f=$TMP/$x
	expect_eq "$x: 200" 200 "$(cat "$f.st")"
	expect_eq "$x: its digest is its SHA-256" "$(sha256sum "$f.db" | cut -d' ' -f1)" "$(hdr "$f" Heph-Snapshot-Sha256)"
	expect_eq "$x: the ETag is that digest" "\"$(hdr "$f" Heph-Snapshot-Sha256)\"" "$(hdr "$f" ETag)"
	expect_eq "$x: its size" "$(stat -c %s "$f.db")" "$(hdr "$f" Heph-Snapshot-Size)"
	expect_eq "$x: the owner's hub id (as pull pages say)" "$HUBID" "$(hdr "$f" Heph-Snapshot-Hub)"
	expect_eq "$x: the owner's head (its replica caught up first)" "$HEAD" "$(hdr "$f" Heph-Snapshot-Seq)"
	expect_eq "$x: the file says the same" "$HUBID $HEAD" \
		"$(sqlite3 "$f.db" "SELECT (SELECT value FROM snapshot WHERE key='hub') || ' ' || (SELECT value FROM snapshot WHERE key='seq')")"
	expect_eq "$x: every op of the owner's log" "$HEAD" "$(sqlite3 "$f.db" "SELECT count(*) FROM oplog")"
	expect_eq "$x: no private table holds a row" "0 0 0 0 0 0 0" \
		"$(sqlite3 "$f.db" "SELECT (SELECT count(*) FROM meta) || ' ' || (SELECT count(*) FROM settings) || ' ' || (SELECT count(*) FROM sync_state) || ' ' || (SELECT count(*) FROM sync_pulled) || ' ' || (SELECT count(*) FROM tokens) || ' ' || (SELECT count(*) FROM devices) || ' ' || (SELECT count(*) FROM idempotency)")"
	expect_eq "$x: none of bob's data, not even in free pages" 0 "$(grep -c -a BOBSECRET "$f.db")"
	expect_eq "$x: alice's nodes, as her spoke has them" "$(sqlite3 "$TMP/a1.db" "SELECT group_concat(id) FROM (SELECT id FROM nodes ORDER BY id)")" \
		"$(sqlite3 "$f.db" "SELECT group_concat(id) FROM (SELECT id FROM nodes ORDER BY id)")"
done
snap "$B" b1 "$TMP/sbob"
expect_eq "bob's snapshot: 200" 200 "$(cat "$TMP/sbob.st")"
expect_eq "... none of alice's data" 0 "$(grep -c -a 'alice' "$TMP/sbob.db")"
expect_eq "... bob's nodes, as his spoke has them" "$(sqlite3 "$TMP/b1.db" "SELECT group_concat(id) FROM (SELECT id FROM nodes ORDER BY id)")" \
	"$(sqlite3 "$TMP/sbob.db" "SELECT group_concat(id) FROM (SELECT id FROM nodes ORDER BY id)")"
expect_contains "no credential, no snapshot" 401 "$(http GET "$A/sync/snapshot?protocol=1")"

# ---- resuming: Range with If-Range
EA=$(hdr "$TMP/sA" ETag) EB=$(hdr "$TMP/sB" ETag)
snap "$A" a1 "$TMP/rA" "Range:bytes=1000-" "If-Range:$EA"
expect_eq "the same instance's ETag: the rest (206)" 206 "$(cat "$TMP/rA.st")"
expect_eq "... the file's bytes from 1000" "$(tail -c +1001 "$TMP/sA.db" | sha256sum)" "$(sha256sum <"$TMP/rA.db")"
expect_eq "... its Content-Range" "bytes 1000-$(($(stat -c %s "$TMP/sA.db") - 1))/$(stat -c %s "$TMP/sA.db")" "$(hdr "$TMP/rA" Content-Range)"
snap "$B" a1 "$TMP/rB" "Range:bytes=1000-" "If-Range:$EA"
if [ "$EA" = "$EB" ]; then
	expect_eq "the other instance, the same file: the rest (206)" 206 "$(cat "$TMP/rB.st")"
else
	expect_eq "the other instance's ETag: the whole file (200), not a mix" 200 "$(cat "$TMP/rB.st")"
	expect_eq "... B's file whole" "$(sha256sum <"$TMP/sB.db")" "$(sha256sum <"$TMP/rB.db")"
fi
snap "$A" a1 "$TMP/rX" "Range:bytes=1000-" "If-Range:\"$(printf %064d 0)\""
expect_eq "an If-Range naming no file: the whole file" 200 "$(cat "$TMP/rX.st")"

# ---- spokes join from the snapshot through one instance, pull through the other
expect_status "a2 joins through A from the snapshot" 0 sync_via a2 "$A" HEPH_SYNC_SNAPSHOT=always
expect_eq "... it took the snapshot at the owner's head" "$HEAD" "$(echo "$OUT" | json_get 'd.get("snapshot")')"
expect_status "a3 replays the op-log" 0 sync_via a3 "$B" HEPH_SYNC_SNAPSHOT=never
expect_eq "... no snapshot" None "$(echo "$OUT" | json_get 'd.get("snapshot")')"
# a cut download: the first bytes of A's file, resumed through A and through B
head -c 3000 "$TMP/sA.db" >"$TMP/a4.db.snapshot"
echo "$HUBID $EA" >"$TMP/a4.db.snapshot.etag"
expect_status "a4 resumes A's cut download through A" 0 sync_via a4 "$A" HEPH_SYNC_SNAPSHOT=always
expect_eq "... from the snapshot" "$HEAD" "$(echo "$OUT" | json_get 'd.get("snapshot")')"
head -c 3000 "$TMP/sA.db" >"$TMP/a5.db.snapshot"
echo "$HUBID $EA" >"$TMP/a5.db.snapshot.etag"
expect_status "a5 resumes A's cut download through B" 0 sync_via a5 "$B" HEPH_SYNC_SNAPSHOT=always
expect_eq "... from the snapshot" "$HEAD" "$(echo "$OUT" | json_get 'd.get("snapshot")')"
# more writes everywhere, then everyone syncs through the other instance
h --db "$TMP/a2.db" task "a2 after its snapshot" >/dev/null
h --db "$TMP/a1.db" task "a1 later" >/dev/null
rpc_call "$A" a1 task.create '{"title":"alice rpc on A"}' >/dev/null
for round in 0 1; do
	for s in a1 a2 a3 a4 a5; do
		if [ $(((round + ${s#a}) % 2)) = 0 ]; then inst=$A; else inst=$B; fi
		expect_status "$s syncs (round $round)" 0 sync_via $s "$inst"
	done
done
D=$(h --db "$TMP/a3.db" digest)
for s in a1 a2 a4 a5; do
	expect_eq "$s (snapshot or not) has the replay's digest" "$D" "$(h --db "$TMP/$s.db" digest)"
done
expect_eq "no spoke of alice's holds bob's data" "" "$(grep -l -a BOBSECRET "$TMP"/a?.db 2>/dev/null)"

# ---- the calendar feed, per owner, on both instances
feed() { # feed INSTANCE PATH — "STATUS" and the body in $TMP/feed
	BODY_FILE="$TMP/feed" http GET "$1$2" | cut -d' ' -f1
}
PA=$(rpc_call "$A" a1 calendar.url '{}' | json_get 'd["result"]["path"]')
expect_contains "alice's feed is made through A" "/calendar/" "$PA"
PB=$(rpc_call "$B" b1 calendar.url '{}' | json_get 'd["result"]["path"]')
expect_contains "bob's through B" "/calendar/" "$PB"
expect_eq "alice's feed has no URL to show again on B (one exists)" "True None" \
	"$(rpc_call "$B" a2 calendar.url '{}' | json_get 'd["result"]["exists"], d["result"]["path"]' | tr -d '(),')"
for inst in "$A" "$B"; do
	n=${inst##*:}
	expect_eq "alice's feed on :$n" 200 "$(feed "$inst" "$PA")"
	expect_contains "... her tasks" "SUMMARY:Last day: alice rpc on B" "$(cat "$TMP/feed")"
	expect_eq "... none of bob's" 0 "$(grep -c BOBSECRET "$TMP/feed")"
	expect_eq "bob's feed on :$n" 200 "$(feed "$inst" "$PB")"
	expect_contains "... his tasks" "SUMMARY:Last day: BOBSECRET 1" "$(cat "$TMP/feed")"
	expect_eq "... none of alice's" 0 "$(grep -c alice "$TMP/feed")"
	expect_eq "a wrong secret on :$n" 404 "$(feed "$inst" "/calendar/$(printf %064d 7).ics")"
done
# alarms set through B show in A's feed
rpc_call "$B" a1 calendar.alarms '{"attention":"none"}' >/dev/null
feed "$A" "$PA" >/dev/null
expect_eq "alarms set through B: A's feed has none" 0 "$(grep -c BEGIN:VALARM "$TMP/feed")"
rpc_call "$A" a1 calendar.alarms '{"attention":["red","orange","white","blue"]}' >/dev/null
feed "$B" "$PA" >/dev/null
expect_eq "alarms set through A: B's feed has one per task" "$(grep -c BEGIN:VEVENT "$TMP/feed")" "$(grep -c BEGIN:VALARM "$TMP/feed")"
# rotated through B: the old secret is refused on both, the new one works on both
PA2=$(rpc_call "$B" a1 calendar.url '{"new":true}' | json_get 'd["result"]["path"]')
expect_contains "a new secret through B" "/calendar/" "$PA2"
for inst in "$A" "$B"; do
	n=${inst##*:}
	expect_eq "the rotated secret on :$n" 404 "$(feed "$inst" "$PA")"
	expect_eq "the new one on :$n" 200 "$(feed "$inst" "$PA2")"
	expect_eq "bob's still on :$n" 200 "$(feed "$inst" "$PB")"
done
# revoked through A
expect_eq "alice revokes through A" "True" "$(rpc_call "$A" a2 calendar.revoke '{}' | json_get 'd["result"]["revoked"]')"
for inst in "$A" "$B"; do
	expect_eq "the revoked secret on :${inst##*:}" 404 "$(feed "$inst" "$PA2")"
done
expect_eq "revoked: bob's is not" 200 "$(feed "$A" "$PB")"
expect_eq "only the hash is in PostgreSQL" "$(printf %s "${PB#/calendar/}" | sed 's/\.ics$//' | tr -d '\n' | sha256sum | cut -d' ' -f1)" \
	"$(psql_q "SELECT lookup FROM heph_settings WHERE owner = 'bob' AND key = 'calendar.feed'")"
expect_eq "... no secret anywhere in its tables" 0 "$(psql_q "SELECT count(*) FROM heph_settings WHERE value LIKE '%${PB:10:64}%'")"
# /metrics: the counters (no database file, no one fleet)
m=$(http GET "$B/metrics")
expect_eq "/metrics from loopback on B: 200" 200 "${m%% *}"
expect_contains "... with the requests B answered" 'heph_http_requests_total{route="snapshot",status="200"}' "$m"
# an owner removed: its secret answers 404
"$HEPHD" owner remove bob $S 2>/dev/null
expect_eq "a removed owner's feed" 404 "$(feed "$B" "$PB")"

finish
