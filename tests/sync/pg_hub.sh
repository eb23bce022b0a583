#!/bin/bash
# pg_hub.sh — a hub for many owners on PostgreSQL (hephd --store): a private
# PostgreSQL 15 cluster, two hephd instances on it, two owners with two
# spokes each. The spokes sync through both instances at random, the web
# app's /rpc writes on either; every owner's replicas converge, and neither
# owner ever sees the other's data however they try (guessed ids, another
# owner's op ids replayed, cursors past their own log, batch RPC mixing, an
# Idempotency-Key of the other's). The admin verbs refuse what they must.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
S="--store $PG_URL"

# ---- owners and tokens ----
expect_status "an owner is added" 0 "$HEPHD" owner add alice $S
expect_status "a second owner" 0 "$HEPHD" owner add bob $S --sub bob-at-idp
expect_status "the same owner again is a conflict" 6 "$HEPHD" owner add alice $S
expect_contains "... and says so" "exists already" "$ERR"
expect_status "a bad owner name is refused" 2 "$HEPHD" owner add "Al/ice" $S
expect_status "a token needs its owner" 2 "$HEPHD" token create x $S
expect_status "a token of an unknown owner" 4 "$HEPHD" token create x --owner carol $S
for t in a1 a2; do "$HEPHD" token create $t --owner alice $S >"$TMP/$t.token" 2>/dev/null; done
for t in b1 b2; do "$HEPHD" token create $t --owner bob $S >"$TMP/$t.token" 2>/dev/null; done
expect_status "a live token's name is the owner's once" 6 "$HEPHD" token create a1 --owner alice $S
expect_status "owners need a store" 2 "$HEPHD" owner list
ol=$("$HEPHD" owner list --json $S)
expect_eq "owner list names both" "alice bob" "$(echo "$ol" | json_get '" ".join(o["name"] for o in d)')"
expect_eq "... with their live tokens" "2 2" "$(echo "$ol" | json_get '" ".join(str(o["tokens"]) for o in d)')"
tl=$("$HEPHD" token list --owner bob --json $S)
expect_eq "token list --owner shows that owner's" "b1 b2" "$(echo "$tl" | json_get '" ".join(t["name"] for t in d)')"
"$HEPHD" token create gone --owner bob $S >"$TMP/gone.token" 2>/dev/null
expect_status "a token is revoked" 0 "$HEPHD" token revoke gone --owner bob $S
expect_status "revoking another owner's token finds none" 4 "$HEPHD" token revoke a1 --owner bob $S
expect_status "--store and --no-auth do not go together" 2 "$HEPHD" --mode server --no-auth $S

# ---- two instances ----
start_hub A $S --state-dir "$TMP/stateA"
A=$HUB_URL
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL
INST=("$A" "$B")
expect_contains "a revoked token is refused" "401" "$(http GET "$A/sync/pull?protocol=1&after=0" "$(cat "$TMP/gone.token")")"
expect_contains "no token is refused" "401" "$(http GET "$A/sync/pull?protocol=1&after=0")"
expect_contains "/healthz answers" '"ok":true' "$(http GET "$B/healthz")"
c1=$(http GET "$A/config"); c2=$(http GET "$B/config")
expect_eq "both instances are one hub to /config" "${c1#200 }" "${c2#200 }"

owner_of() { case $1 in a*) echo alice ;; *) echo bob ;; esac; }
for s in a1 a2 b1 b2; do
	h --db "$TMP/$s.db" hub set "$A" --token-file "$TMP/$s.token" >/dev/null
	h --db "$TMP/$s.db" task "first task of $s" >/dev/null
done

# ---- at random: writes on spokes, /rpc writes on either instance, syncs through either ----
RANDOM=16
n=0
for step in $(seq 40); do
	s=$(printf 'a1\na2\nb1\nb2\n' | sed -n "$((RANDOM % 4 + 1))p")
	inst=${INST[$((RANDOM % 2))]}
	case $((RANDOM % 4)) in
	0) h --db "$TMP/$s.db" task "$s task $step" >/dev/null ;;
	1) t=$(h --db "$TMP/$s.db" list --json | json_get 'd[0]["handle"] if d else ""')
	   [ -n "$t" ] && h --db "$TMP/$s.db" edit "$t" --title "$s edit $step" >/dev/null ;;
	2) printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"rpc %s %s"}}' "$(owner_of $s)" $step >"$TMP/req"
	   r=$(http POST "$inst/rpc" "$(cat "$TMP/$s.token")" "$TMP/req")
	   [ "${r%% *}" = 200 ] || { _report "an /rpc write on an instance" "$r"; } ;;
	3) h --db "$TMP/$s.db" hub set "$inst" --token-file "$TMP/$s.token" >/dev/null
	   h --db "$TMP/$s.db" sync >/dev/null 2>"$TMP/sync.err" || _report "$s syncs through $inst" "$(cat "$TMP/sync.err")"
	   n=$((n + 1)) ;;
	esac
done
# two rounds through alternating instances reach everyone
for round in 0 1; do
	for s in a1 a2 b1 b2; do
		h --db "$TMP/$s.db" hub set "${INST[$(((round + ${s#?}) % 2))]}" --token-file "$TMP/$s.token" >/dev/null
		expect_status "$s syncs (round $round)" 0 h --db "$TMP/$s.db" sync
	done
done
expect_eq "alice's spokes converge" "$(h --db "$TMP/a1.db" digest)" "$(h --db "$TMP/a2.db" digest)"
expect_eq "bob's spokes converge" "$(h --db "$TMP/b1.db" digest)" "$(h --db "$TMP/b2.db" digest)"
expect_eq "nothing is left to push" "0 0 0 0" "$(for s in a1 a2 b1 b2; do h --db "$TMP/$s.db" sync --status --json | json_get 'd["pending_push"]'; done | tr '\n' ' ' | sed 's/ $//')"
for own in alice bob; do
	expect_eq "$own's op-log holds each op once, seqs 1..head without a gap" \
		"$(psql_q "SELECT head FROM heph_owners WHERE name = '$own'") $(psql_q "SELECT head FROM heph_owners WHERE name = '$own'")" \
		"$(psql_q "SELECT count(DISTINCT op_id), max(seq) FROM heph_ops WHERE owner = '$own'" | tr '|' ' ')"
done
# the /rpc replicas of both instances read their owner's state
for inst in "$A" "$B"; do
	for s in a1 b1; do
		printf '{"jsonrpc":"2.0","id":1,"method":"task.list","params":{"limit":500}}' >"$TMP/req"
		want=$(h --db "$TMP/$s.db" list --json | json_get '" ".join(sorted(t["node_id"] for t in d))')
		got=$(http POST "$inst/rpc" "$(cat "$TMP/$s.token")" "$TMP/req" | sed 's/^200 //' | json_get '" ".join(sorted(t["node_id"] for t in d["result"]["tasks"]))')
		expect_eq "/rpc on $inst reads $(owner_of $s)'s state" "$want" "$got"
	done
done
alice_titles=$(h --db "$TMP/a1.db" list --json | json_get '"\n".join(sorted(t["title"] for t in d))')
bob_titles=$(h --db "$TMP/b1.db" list --json | json_get '"\n".join(sorted(t["title"] for t in d))')
expect_not_contains "bob's spokes hold nothing of alice's" "first task of a" "$bob_titles"
expect_not_contains "... nor alice's /rpc writes" "rpc alice" "$bob_titles"
expect_not_contains "alice's hold nothing of bob's" "first task of b" "$alice_titles"
expect_eq "(both owners hold tasks of their own to compare)" "True True" \
	"$(for s in a1 b1; do h --db "$TMP/$s.db" list --json | json_get 'len(d) > 0'; done | tr '\n' ' ' | sed 's/ $//')"

# ---- read-your-writes across instances ----
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"written on A"}}' >"$TMP/req"
id=$(http POST "$A/rpc" "$(cat "$TMP/a1.token")" "$TMP/req" | sed 's/^200 //' | json_get 'd["result"]["node_id"]')
printf '{"jsonrpc":"2.0","id":2,"method":"node.get","params":{"id":"%s"}}' "$id" >"$TMP/req"
expect_contains "a write on A is read at once on B" '"title":"written on A"' "$(http POST "$B/rpc" "$(cat "$TMP/a2.token")" "$TMP/req")"

# ---- bob tries to reach alice's data ----
r=$(http POST "$B/rpc" "$(cat "$TMP/b1.token")" "$TMP/req")
expect_contains "bob guessing alice's node id finds nothing" 404 "$r"
expect_not_contains "... and learns nothing of it" "written on A" "$r"
printf '[{"jsonrpc":"2.0","id":1,"method":"task.list","params":{}},{"jsonrpc":"2.0","id":2,"method":"node.get","params":{"id":"%s"}}]' "$id" >"$TMP/req"
r=$(http POST "$A/rpc" "$(cat "$TMP/b1.token")" "$TMP/req")
expect_not_contains "a batch mixing in alice's id shows none of hers" "written on A" "$r"
expect_not_contains "... nor any of her tasks" "first task of a1" "$r"
for inst in "$A" "$B"; do
	r=$(http GET "$inst/sync/pull?protocol=1&after=0" "$(cat "$TMP/b1.token")")
	bob_hub=$(psql_q "SELECT hub_id FROM heph_owners WHERE name = 'bob'")
	expect_eq "bob's pull on $inst names bob's hub" "$bob_hub" "$(echo "${r#200 }" | json_get 'd["hub"]')"
	expect_eq "... and holds exactly bob's ops" "$(psql_q "SELECT string_agg(op_id, ' ' ORDER BY seq) FROM heph_ops WHERE owner = 'bob'")" \
		"$(echo "${r#200 }" | json_get '" ".join(o["op_id"] for o in d["ops"])')"
done
bob_head=$(psql_q "SELECT head FROM heph_owners WHERE name = 'bob'")
r=$(http GET "$A/sync/pull?protocol=1&after=$((bob_head + 1000))" "$(cat "$TMP/b1.token")")
expect_eq "a cursor past bob's log gets bob's head and no ops" "$bob_head 0" "$(echo "${r#200 }" | json_get 'str(d["head"])+" "+str(len(d["ops"]))')"
# bob replays alice's ops: they land in bob's log as his, alice's is untouched
alice_head=$(psql_q "SELECT head FROM heph_owners WHERE name = 'alice'")
alice_ops=$(http GET "$A/sync/pull?protocol=1&after=0&limit=3" "$(cat "$TMP/a1.token")")
echo "${alice_ops#200 }" | json_get 'json.dumps({"protocol":1,"origin":d["ops"][0]["origin"],"ops":[{k:v for k,v in o.items() if k!="seq"} for o in d["ops"]]})' >"$TMP/replay.json" 2>/dev/null ||
	python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(json.dumps({'protocol':1,'ops':[{k:v for k,v in o.items() if k!='seq'} for o in d['ops']]}))" "${alice_ops#200 }" >"$TMP/replay.json"
r=$(http POST "$B/sync/push" "$(cat "$TMP/b1.token")" "$TMP/replay.json")
expect_eq "bob's push of alice's op ids is new to bob (no hint that alice has them)" "0 3" \
	"$(echo "${r#200 }" | json_get 'str(d["duplicate"])+" "+str(d["received"])')"
expect_eq "alice's head did not move" "$alice_head" "$(psql_q "SELECT head FROM heph_owners WHERE name = 'alice'")"
r=$(http POST "$A/sync/push" "$(cat "$TMP/a1.token")" "$TMP/replay.json")
expect_eq "the same ops pushed again by alice, to the other instance, are duplicates" "3 $alice_head" \
	"$(echo "${r#200 }" | json_get 'str(d["duplicate"])+" "+str(d["head"])')"

# ---- Idempotency-Key: once across instances, scoped to its owner ----
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"once only"}}' >"$TMP/req"
r1=$(http POST "$A/rpc" "$(cat "$TMP/a1.token")" "$TMP/req" "Idempotency-Key:k-1")
r2=$(http POST "$B/rpc" "$(cat "$TMP/a1.token")" "$TMP/req" "Idempotency-Key:k-1")
expect_eq "the same key on the other instance gets the kept answer" "$r1" "$r2"
printf '{"jsonrpc":"2.0","id":1,"method":"task.list","params":{"limit":500}}' >"$TMP/list"
expect_eq "... and the task was made once" 1 "$(http POST "$B/rpc" "$(cat "$TMP/a1.token")" "$TMP/list" | sed 's/^200 //' | json_get 'len([t for t in d["result"]["tasks"] if t["title"]=="once only"])')"
r3=$(http POST "$A/rpc" "$(cat "$TMP/b1.token")" "$TMP/req" "Idempotency-Key:k-1")
expect_contains "bob's same key is his own request" 200 "$r3"
expect_eq "... made in bob's data, not answered from alice's" 1 "$(http POST "$A/rpc" "$(cat "$TMP/b1.token")" "$TMP/list" | sed 's/^200 //' | json_get 'len([t for t in d["result"]["tasks"] if t["title"]=="once only"])')"
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"another"}}' >"$TMP/req2"
expect_contains "the key with another request is 422" "422" "$(http POST "$B/rpc" "$(cat "$TMP/a1.token")" "$TMP/req2" "Idempotency-Key:k-1")"

# ---- removing an owner ----
expect_status "an owner is removed" 0 "$HEPHD" owner remove bob $S
expect_contains "their tokens stop working" 401 "$(http GET "$A/sync/pull?protocol=1&after=0" "$(cat "$TMP/b1.token")")"
expect_eq "their op-log is gone" 0 "$(psql_q "SELECT count(*) FROM heph_ops WHERE owner = 'bob'")"
expect_status "removing them again finds none" 4 "$HEPHD" owner remove bob $S
finish
