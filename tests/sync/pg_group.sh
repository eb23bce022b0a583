#!/bin/bash
# pg_group.sh — a PostgreSQL hub takes pushes in groups (one transaction per
# group on each instance's committer, pg.c pg_push_group) without weakening
# what a push promises. Two instances, two owners; every op is pushed twice,
# once through each instance, in random batches from 12 threads at once
# (tests/sync/pg_group.py), while a puller per owner pulls through B:
# - each owner's log holds every op sent, each once, with seqs 1..head;
# - the answers count each op as new exactly once (the sum of "applied" is
#   the number of ops, the rest are duplicates), and a push with a clock an
#   hour ahead is refused alone;
# - the puller, reading while pushes commit, saw seqs 1..head in order
#   with no hole: none became visible after a greater one;
# - neither owner got the other's ops;
# - the pushes went through the committer (its count at stop).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
S="--store $PG_URL"
for o in alice bob; do
	"$HEPHD" owner add $o $S 2>/dev/null
	"$HEPHD" token create t --owner $o $S >"$TMP/$o.token" 2>/dev/null
	for i in $(seq 25); do
		id=$(h --db "$TMP/$o.db" task "$o task $i")
		[ "$i" -gt 10 ] || h --db "$TMP/$o.db" done "$id" >/dev/null
	done
	h --db "$TMP/$o.db" ops --json >"$TMP/$o.jsonl"
done
start_hub A $S --state-dir "$TMP/stateA"
A=$HUB_URL A_PID=$HUB_PID
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL B_PID=$HUB_PID
python3 "$HERE/pg_group.py" "$TMP/out.json" "$A" "$B" \
	"alice:$TMP/alice.token:$TMP/alice.jsonl" "bob:$TMP/bob.token:$TMP/bob.jsonl" ||
	{ echo "pg_group.py failed" >&2; exit 1; }
r() { json_get "$1" <"$TMP/out.json"; }
for o in alice bob; do
	other=$([ $o = alice ] && echo bob || echo alice)
	n=$(wc -l <"$TMP/$o.jsonl")
	pushes=$(r "sum(d['$o']['status'].values())")
	expect_eq "$o: every push is answered 200" "{'200': $pushes}" "$(r "d['$o']['status']")"
	expect_eq "$o: the push with a clock ahead is refused alone" 400 "$(r "d['$o']['bad_status']")"
	expect_eq "$o: each op counted new once in the answers" "$n" "$(r "d['$o']['applied']")"
	expect_eq "$o: ... and a duplicate once" "$n" "$(r "d['$o']['duplicate']")"
	expect_eq "$o: the log holds each op once, seqs 1..head" "$n $n $n 1 $n" \
		"$(psql_q "SELECT count(*), count(DISTINCT op_id), max(seq), min(seq), (SELECT head FROM heph_owners WHERE name = '$o') FROM heph_ops WHERE owner = '$o'" | tr '|' ' ')"
	expect_eq "$o: the log's op ids are the ones sent" "$(r "' '.join(d['$o']['sent'])")" \
		"$(psql_q "SELECT string_agg(op_id, ' ' ORDER BY op_id) FROM heph_ops WHERE owner = '$o'")"
	expect_eq "$o: the puller on B saw seqs 1..head in order, none skipped" True \
		"$(r "d['$o']['pulled_seqs'] == list(range(1, $n + 1))")"
	expect_eq "$o: ... every op, once" True "$(r "sorted(d['$o']['pulled_ids']) == d['$o']['sent']")"
	expect_eq "$o: ... and none of the other owner's" True \
		"$(r "not set(d['$o']['pulled_ids']) & set(d['$other']['sent'])")"
done
# each instance's committer took its pushes (logged at a clean stop)
stop "$A_PID"
stop "$B_PID"
a=$(sed -n 's/.*hub: \([0-9]*\) pushes committed in.*/\1/p' "$TMP/A.log")
b=$(sed -n 's/.*hub: \([0-9]*\) pushes committed in.*/\1/p' "$TMP/B.log")
expect_eq "the committers took every push (the refused ones too)" \
	"$(r "sum(sum(v['status'].values()) + 1 for v in d.values())")" "$((${a:-0} + ${b:-0}))"
finish
