#!/bin/bash
# remote.sh — heph --remote URL (and $HEPH_REMOTE) sends each verb to the
# hub's /rpc; hephd --mode client serves a socket that forwards every call
# there. Answers are the hub's, errors keep their exit status, and no local
# database is made.
. "$(dirname "$0")/lib.sh"

new_token hub dev
start_hub hub
R() { "$HEPH" --remote "$HUB_URL" --token-file "$TMP/dev.token" "$@"; }

T=$(R task "made remotely" --attention red)
expect_eq "the task is on the hub" "made remotely" "$(h --db "$TMP/hub.db" show "$T" --json | json_get 'd["title"]')"
expect_eq "list: remote and the hub's own agree" "$(h --db "$TMP/hub.db" list --json)" "$(R list --json)"
expect_eq "HEPH_REMOTE works like --remote" "$(R list --json)" \
	"$(HEPH_REMOTE="$HUB_URL" HEPH_TOKEN_FILE="$TMP/dev.token" "$HEPH" list --json)"
expect_status "done remotely" 0 R done "$T"
expect_eq "the hub has it done" done "$(h --db "$TMP/hub.db" show "$T" --json | json_get 'd["state"]')"
expect_eq "digest remotely is the hub's" "$(h --db "$TMP/hub.db" digest)" "$(R digest)"
expect_status "an unknown id: exit 4" 4 R show 7ZZZZZZZZZ
expect_contains "with the hub's message" "7ZZZZZZZZZ" "$ERR"
expect_status "invalid input: exit 3" 3 R task "x" --attention purple
expect_eq "ops remotely are the hub's ops" "$(h --db "$TMP/hub.db" ops --json)" "$(R ops --json)"
h --db "$TMP/other.db" task "from a file" >/dev/null
h --db "$TMP/other.db" ops --json > "$TMP/other.jsonl"
expect_status "apply remotely" 0 R apply "$TMP/other.jsonl"
expect_contains "the applied ops are on the hub" "from a file" "$(h --db "$TMP/hub.db" list)"
expect_status "call remotely" 0 R call rpc.methods
expect_contains "the hub lends the methods only hephd links" "<strong>" \
	"$(R call doc.render "{\"id\":\"$(R doc "rendered" --body 'some **bold** text')\"}")"
expect_status "no token: exit 10" 10 "$HEPH" --remote "$HUB_URL" list
expect_status "an unreachable hub: exit 14" 14 "$HEPH" --remote "http://127.0.0.1:1" list
expect_status "not a URL: exit 2" 2 "$HEPH" --remote "ftp://example" list
expect_status "hub set is for this device" 2 R hub set "$HUB_URL"
expect_status "sync through --remote: the hub is not told to sync (a device-local method)" 11 R sync
expect_contains "it says so" "not callable remotely" "$ERR"
expect_eq "no local database was made" no "$(test -e "$HEPH_DB" && echo yes || echo no)"

# hephd --mode client forwards its socket to the hub
"$HEPHD" --mode client --hub-url "$HUB_URL" --token-file "$TMP/dev.token" --socket "$TMP/c.sock" \
	--ready-file "$TMP/c.ready" 2>"$TMP/c.log" &
PIDS="$PIDS $!"
wait_for "client mode starts" 30 test -S "$TMP/c.sock"
r=$(rpc "$TMP/c.sock" '{"jsonrpc":"2.0","id":1,"method":"task.list","params":{"all":true}}')
expect_eq "client mode answers with the hub's tasks" "$(h --db "$TMP/hub.db" list --all --json | json_get 'json.dumps(d, sort_keys=True)')" \
	"$(echo "$r" | json_get 'json.dumps(d["result"]["tasks"], sort_keys=True)')"
rpc "$TMP/c.sock" '{"jsonrpc":"2.0","id":2,"method":"task.create","params":{"title":"through client mode"}}' >/dev/null
expect_contains "a write through client mode lands on the hub" "through client mode" "$(h --db "$TMP/hub.db" list)"
r=$(rpc "$TMP/c.sock" '{"jsonrpc":"2.0","id":3,"method":"node.get","params":{"id":"7ZZZZZZZZZ"}}')
expect_eq "errors come back with their code and id" "-32004 3" "$(echo "$r" | json_get '"%d %d" % (d["error"]["code"], d["id"])')"
stop "$HUB_PID"
r=$(rpc "$TMP/c.sock" '{"jsonrpc":"2.0","id":4,"method":"task.list"}')
expect_eq "with the hub gone: unavailable" "-32014 4" "$(echo "$r" | json_get '"%d %d" % (d["error"]["code"], d["id"])')"
finish
