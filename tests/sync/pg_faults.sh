#!/bin/bash
# pg_faults.sh — a PostgreSQL hub when things fail. Two hephd instances on a
# private PostgreSQL 15 cluster:
#  - one instance is killed (SIGKILL) in the middle of a spoke's pushes,
#    20 times: the other keeps serving, the killed one restarts and serves,
#    and in the end no op is lost or duplicated;
#  - PostgreSQL itself stops and starts again while /rpc writes and a
#    spoke's background sync go on: hephd answers 503 with Retry-After while
#    it is down, recovers by itself, and every write is there exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
S="--store $PG_URL"
pg_owner alice s web
start_hub A $S --state-dir "$TMP/stateA"
A=$HUB_URL A_PID=$HUB_PID A_PORT=${HUB_URL##*:}
start_hub B $S --state-dir "$TMP/stateB"
B=$HUB_URL
pull_ok() { http GET "$1/sync/pull?protocol=1&after=0&limit=1" "$(cat "$TMP/s.token")" | grep -q '^200 '; }

# ---- kill -9 one instance in the middle of pushes, 20 times ----
on s hub set "$A" --token-file "$TMP/s.token" >/dev/null
start_spoke s --sync-interval 3600 --sync-batch 5
batch() { # 30 task.create in one JSON-RPC batch on the spoke's socket
	python3 -c "import json,sys; print(json.dumps([{'jsonrpc':'2.0','id':i,'method':'task.create','params':{'title':'k%s %d'%(sys.argv[1],i)}} for i in range(30)]))" "$1" |
		rpc "$TMP/s.sock" >/dev/null
}
RANDOM=7
kills=0 served=0 restarted=0
for round in $(seq 20); do
	batch "$round"
	on s sync >/dev/null 2>&1 &
	sync_pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -KILL "$A_PID" 2>/dev/null && kills=$((kills + 1))
	wait "$A_PID" 2>/dev/null
	wait "$sync_pid" 2>/dev/null
	pull_ok "$B" && served=$((served + 1))
	start_hub A $S --state-dir "$TMP/stateA" --http-addr "127.0.0.1:$A_PORT"
	A_PID=$HUB_PID
	pull_ok "$A" && restarted=$((restarted + 1))
done
expect_eq "instance A was killed 20 times" 20 "$kills"
expect_eq "B served through every kill" 20 "$served"
expect_eq "A served again after every restart" 20 "$restarted"
expect_status "the spoke syncs once A is back" 0 on s sync
expect_status "... and again (nothing left)" 0 on s sync
expect_eq "nothing waits to be pushed" 0 "$(on s sync --status --json | json_get 'd["pending_push"]')"
spoke_ops=$(on s ops --json | wc -l)
expect_eq "every op of the spoke is in PostgreSQL once, seqs without a gap" "$spoke_ops $spoke_ops $spoke_ops" \
	"$(psql_q "SELECT count(*), count(DISTINCT op_id), max(seq) FROM heph_ops WHERE owner = 'alice'" | tr '|' ' ')"
expect_eq "every task made is on the hub" 600 "$(printf '{"jsonrpc":"2.0","id":1,"method":"task.count","params":{}}' |
	http POST "$B/rpc" "$(cat "$TMP/s.token")" - | sed 's/^200 //' | json_get 'd["result"]["count"] if isinstance(d["result"],dict) and "count" in d["result"] else d["result"]')"
h --db "$TMP/fresh.db" hub set "$B" --token-file "$TMP/s.token" >/dev/null
expect_status "a fresh spoke bootstraps from B" 0 h --db "$TMP/fresh.db" sync
expect_eq "... to the same state" "$(on s digest)" "$(h --db "$TMP/fresh.db" digest)"

# ---- PostgreSQL restarted under load ----
on s hub set "$B" --token-file "$TMP/s.token" >/dev/null
stop "$SPOKE_PID"
start_spoke s --sync-interval 1 --sync-batch 5
LOAD_N=40 python3 "$HERE/pg_load.py" "$TMP/load.json" "$TMP/web.token" "$A" "$B" 2>"$TMP/load.err" &
load_pid=$!
for i in $(seq 5); do on s task "offline $i" >/dev/null; done
pg_stop
r=$(HEADERS=1 http POST "$A/rpc" "$(cat "$TMP/web.token")" <(printf '{"jsonrpc":"2.0","id":1,"method":"task.list","params":{}}'))
expect_contains "/rpc answers 503 while PostgreSQL is down" "503 " "$r"
expect_contains "... with Retry-After" "Retry-After: " "$r"
expect_contains "... and says what is away" "PostgreSQL" "$r"
r=$(HEADERS=1 http GET "$B/sync/pull?protocol=1&after=0" "$(cat "$TMP/s.token")")
expect_contains "a pull answers 503 with Retry-After too" "503 " "$r"
expect_contains "... with Retry-After" "Retry-After: " "$r"
expect_contains "/healthz says so" "503" "$(http GET "$A/healthz")"
for i in $(seq 5); do on s task "while down $i" >/dev/null; done
sleep 1
pg_up
wait_for "hephd recovers by itself" 30 pull_ok "$A"
wait "$load_pid"
expect_eq "every /rpc write went through in the end" 0 $?
[ -s "$TMP/load.err" ] && cat "$TMP/load.err" >&2
expect_eq "... all 40 of them" 40 "$(json_get 'len(d["titles"])' <"$TMP/load.json")"
expect_eq "every 503 the writes met carried Retry-After" "$(json_get 'd["unavailable"]' <"$TMP/load.json")" \
	"$(json_get 'd["with_retry_after"]' <"$TMP/load.json")"
expect_status "the spoke syncs" 0 on s sync
expect_status "... again" 0 on s sync
list=$(printf '{"jsonrpc":"2.0","id":1,"method":"task.list","params":{"limit":2000}}' | http POST "$A/rpc" "$(cat "$TMP/web.token")" - | sed 's/^200 //')
titles=$(echo "$list" | json_get '"\n".join(t["title"] for t in d["result"]["tasks"])')
for t in $(json_get '" ".join(t.replace(" ", "_") for t in d["titles"])' <"$TMP/load.json"); do
	c=$(echo "$titles" | grep -cx "${t//_/ }")
	[ "$c" = 1 ] || _report "the write \"${t//_/ }\" is there once" "found $c times"
done
_ok
expect_eq "the spoke's writes while PostgreSQL was down arrived" 10 "$(echo "$titles" | grep -c -e '^offline ' -e '^while down ')"
expect_eq "the op-log holds each op once, seqs without a gap" \
	"$(psql_q "SELECT count(DISTINCT op_id), count(DISTINCT op_id) FROM heph_ops WHERE owner = 'alice'" | tr '|' ' ')" \
	"$(psql_q "SELECT count(*), max(seq) FROM heph_ops WHERE owner = 'alice'" | tr '|' ' ')"
expect_eq "the spoke and a fresh bootstrap agree" "$(on s digest)" "$(h --db "$TMP/fresh.db" sync >/dev/null && h --db "$TMP/fresh.db" digest)"
finish
