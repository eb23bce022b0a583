#!/bin/bash
# socket.sh — a local hephd serves line-delimited JSON-RPC on a unix socket
# (mode 0600): a plain client calls methods and gets the answers the CLI
# gives; writes through the socket and writes by heph on the database reach
# the hub at once; a spoke whose hub is down keeps working and catches up;
# stale sockets are cleaned up, live ones are not taken over.
. "$(dirname "$0")/lib.sh"

new_token hub dev
start_hub hub
PORT=${HUB_URL##*:}
on s hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null
start_spoke s --sync-interval 3600
SPOKE=$SPOKE_PID
SOCK="$TMP/s.sock"
call() { rpc "$SOCK" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"$1\",\"params\":${2:-{\}}}"; }
result() { json_get 'json.dumps(d["result"], sort_keys=True)'; }

expect_eq "the socket is private" 600 "$(stat -c %a "$SOCK")"
T=$(call task.create '{"title":"over the socket","attention":"red"}' | json_get 'd["result"]["node_id"]')
expect_eq "a task made over the socket is in the database" "over the socket" "$(h --db "$TMP/s.db" show "$T" --json | json_get 'd["title"]')"
h --db "$TMP/s.db" task "by the CLI" --do-date 2026-11-20 >/dev/null
expect_eq "task.list: socket and CLI agree" "$(h --db "$TMP/s.db" list --json | json_get 'json.dumps(d, sort_keys=True)')" \
	"$(call task.list | json_get 'json.dumps(d["result"]["tasks"], sort_keys=True)')"
expect_eq "node.get: socket and CLI agree" "$(h --db "$TMP/s.db" show "$T" --json | json_get 'json.dumps(d, sort_keys=True)')" \
	"$(call node.get "{\"id\":\"$T\"}" | result)"
expect_eq "digest: socket and CLI agree" "$(h --db "$TMP/s.db" digest)" "$(call digest | json_get 'd["result"]["digest"]')"
r=$(call node.get '{"id":"7ZZZZZZZZZ"}')
expect_eq "an error keeps its JSON-RPC code" -32004 "$(echo "$r" | json_get 'd["error"]["code"]')"
expect_status "and the CLI's exit status for the same error" 4 h --db "$TMP/s.db" show 7ZZZZZZZZZ
expect_eq "the same message on both" "$ERR" "heph: $(echo "$r" | json_get 'd["error"]["message"]')"
r=$(rpc "$SOCK" '[{"jsonrpc":"2.0","id":1,"method":"digest"},{"jsonrpc":"2.0","id":2,"method":"project.list"}]')
expect_eq "a batch gets one answer per call" 2 "$(echo "$r" | json_get 'len(d)')"
r=$(printf '%s\n' '{"jsonrpc":"2.0","method":"task.create","params":{"title":"a notification"}}' \
	'{not json' '{"jsonrpc":"2.0","id":3,"method":"task.list"}' | rpc "$SOCK")
expect_contains "a malformed line gets a parse error" '"code":-32700' "$r"
expect_contains "a notification is carried out and the connection goes on" "a notification" "$r"

# writes reach the hub without asking: through the socket, and by heph directly
hub_has() { h --db "$TMP/hub.db" list 2>/dev/null | grep -q "$1"; }
wait_for "a write through the socket reaches the hub" 30 hub_has "over the socket"
h --db "$TMP/s.db" task "written directly to the database" >/dev/null
wait_for "a write by heph on the database reaches the hub" 30 hub_has "written directly"
r=$(call sync.now)
expect_eq "sync.now over the socket" 0 "$(echo "$r" | json_get 'd["result"]["pending_push"]')"
expect_contains "sync.status over the socket shows the daemon" '"daemon"' "$(call sync.status)"

# the hub goes down: the spoke keeps working and catches up when it returns
stop "$SPOKE"
start_spoke s --sync-interval 1
stop "$HUB_PID"
h --db "$TMP/s.db" task "while the hub is down" >/dev/null
expect_eq "the spoke answers while its hub is down" 1 "$(call task.list | grep -c 'while the hub is down')"
failed() { h --db "$TMP/s.db" sync --status --json | json_get 'd["last_error"]' | grep -q "$HUB_URL"; }
wait_for "the spoke notes that the hub is unreachable" 30 failed
start_hub hub --http-addr "127.0.0.1:$PORT"
wait_for "the spoke catches up once the hub is back" 30 hub_has "while the hub is down"
caught_up() { [ "$(h --db "$TMP/s.db" sync --status --json | json_get 'd["last_error"]')" = None ]; }
wait_for "and clears its error" 30 caught_up

# sockets: stale ones are replaced, live ones refused, other files left alone
{ kill -9 "$SPOKE_PID"; wait "$SPOKE_PID"; } 2>/dev/null
expect_eq "a killed hephd leaves its socket behind" 1 "$(test -S "$SOCK" && echo 1)"
start_spoke s
expect_contains "the stale socket is removed" "removing stale socket" "$(cat "$TMP/s.log")"
expect_contains "and served again" '"result"' "$(call digest)"
expect_status "a second hephd on a live socket is refused" 6 "$HEPHD" --mode local --db "$TMP/s.db" --socket "$SOCK"
expect_contains "it says why" "another hephd" "$ERR"
echo "precious" > "$TMP/file.sock"
expect_status "a file that is not a socket is not replaced" 6 "$HEPHD" --mode local --db "$TMP/s.db" --socket "$TMP/file.sock"
expect_eq "and is left alone" precious "$(cat "$TMP/file.sock")"
finish
