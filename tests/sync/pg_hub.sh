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
expect_status "--authorized-sub is the SQLite hub's: a PostgreSQL hub's subjects belong to owners" 2 \
	"$HEPHD" --mode server $S --oidc-issuer http://127.0.0.1:1 --oidc-audience x --authorized-sub bob-at-idp
expect_contains "... and says how" "hephd owner add NAME --sub" "$ERR"

# ---- two instances ----
start_hub A $S --state-dir "$TMP/stateA"
A=$HUB_URL
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL B_PID=$HUB_PID
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
# kept answers are pruned per owner as on the SQLite hub: the newest
# HEPH_IDEM_KEEP of an owner stay (heph/idem.h gives the number)
KEEP=$(sed -n 's/^#define HEPH_IDEM_KEEP \([0-9][0-9]*\).*/\1/p' "$HERE/../../include/heph/idem.h")
[ -n "$KEEP" ] || _report "HEPH_IDEM_KEEP is read from heph/idem.h" "not found"
for own in alice bob; do
	psql_q "INSERT INTO heph_idem (owner, principal, key, request, answer, at) SELECT '$own', '$own/token:x', 'old-' || i, 'x', '{}', now() - interval '1 day' + i * interval '1 ms' FROM generate_series(1, $KEEP) i"
done
bob_idem=$(psql_q "SELECT count(*) FROM heph_idem WHERE owner = 'bob'")
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"past the keep"}}' >"$TMP/req"
expect_contains "a write with a new key past the keep" 200 "$(http POST "$B/rpc" "$(cat "$TMP/a1.token")" "$TMP/req" "Idempotency-Key:k-new")"
expect_eq "alice keeps her newest $KEEP answers, the oldest dropped" "$KEEP 0 1 1 1" \
	"$(psql_q "SELECT count(*), count(*) FILTER (WHERE key = 'old-1'), count(*) FILTER (WHERE key = 'old-$KEEP'), count(*) FILTER (WHERE key = 'k-1'), count(*) FILTER (WHERE key = 'k-new') FROM heph_idem WHERE owner = 'alice'" | tr '|' ' ')"
expect_eq "bob's answers are not alice's to prune" "$bob_idem" "$(psql_q "SELECT count(*) FROM heph_idem WHERE owner = 'bob'")"
expect_eq "the kept answer of the new key is still given" 1 "$(http POST "$A/rpc" "$(cat "$TMP/a1.token")" "$TMP/req" "Idempotency-Key:k-new" >/dev/null; http POST "$A/rpc" "$(cat "$TMP/a1.token")" "$TMP/list" | sed 's/^200 //' | json_get 'len([t for t in d["result"]["tasks"] if t["title"]=="past the keep"])')"

# ---- removing an owner ----
# bob has a row in every table of his (a calendar feed too), and a replica
# on both instances
printf '{"jsonrpc":"2.0","id":1,"method":"calendar.url","params":{}}' >"$TMP/req"
bob_feed=$(http POST "$A/rpc" "$(cat "$TMP/b1.token")" "$TMP/req" | sed 's/^200 //' | json_get 'd["result"]["path"]')
expect_contains "(bob has a calendar feed)" "200" "$(http GET "$B$bob_feed")"
bob_hub=$(psql_q "SELECT hub_id FROM heph_owners WHERE name = 'bob'")
tables="heph_ops heph_tokens heph_subjects heph_devices heph_idem heph_settings"
count_bob() { for t in $tables; do psql_q "SELECT count(*) > 0 FROM $t WHERE owner = 'bob'"; done | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "(bob has rows in every owner table: $tables)" "t t t t t t" "$(count_bob)"
expect_eq "(bob has a replica on both instances)" "yes yes" \
	"$(for d in stateA stateB; do [ -f "$TMP/$d/$bob_hub.db" ] && echo yes || echo no; done | tr '\n' ' ' | sed 's/ $//')"
expect_status "an owner is removed" 0 "$HEPHD" owner remove bob $S
expect_eq "everything of theirs is gone from PostgreSQL" "f f f f f f" "$(count_bob)"
expect_contains "their calendar feed is gone on every instance" "404 404" "$(http GET "$A$bob_feed" | cut -c1-3) $(http GET "$B$bob_feed" | cut -c1-3)"
printf '{"jsonrpc":"2.0","id":1,"method":"task.list","params":{}}' >"$TMP/req"
echo '{"protocol":1,"ops":[]}' >"$TMP/empty.json"
for inst in "$A" "$B"; do
	expect_contains "their token is refused by /rpc on $inst, which has their replica" 401 "$(http POST "$inst/rpc" "$(cat "$TMP/b1.token")" "$TMP/req")"
	expect_contains "... by pull" 401 "$(http GET "$inst/sync/pull?protocol=1&after=0" "$(cat "$TMP/b1.token")")"
	expect_contains "... and by push" 401 "$(http POST "$inst/sync/push" "$(cat "$TMP/b2.token")" "$TMP/empty.json")"
done
expect_status "removing them again finds none" 4 "$HEPHD" owner remove bob $S
# a new owner of the same name is someone else: nothing of the old one shows,
# and the old replicas are deleted (B, down meanwhile, when it starts)
stop "$B_PID"
expect_status "an owner of the same name is added again" 0 "$HEPHD" owner add bob $S
"$HEPHD" token create b3 --owner bob $S >"$TMP/b3.token" 2>/dev/null
expect_eq "the new bob sees no task of the old one on A" 0 "$(http POST "$A/rpc" "$(cat "$TMP/b3.token")" "$TMP/req" | sed 's/^200 //' | json_get 'len(d["result"]["tasks"])')"
expect_eq "A deleted the old bob's replica" no "$([ -e "$TMP/stateA/$bob_hub.db" ] && echo yes || echo no)"
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL
expect_eq "B deleted it when it started" no "$([ -e "$TMP/stateB/$bob_hub.db" ] && echo yes || echo no)"
expect_eq "the new bob sees no task of the old one on B" 0 "$(http POST "$B/rpc" "$(cat "$TMP/b3.token")" "$TMP/req" | sed 's/^200 //' | json_get 'len(d["result"]["tasks"])')"
expect_contains "alice is served as before" '"ok":true' "$(http GET "$B/healthz")"
expect_contains "... her token too" 200 "$(http POST "$B/rpc" "$(cat "$TMP/a1.token")" "$TMP/req")"
finish
