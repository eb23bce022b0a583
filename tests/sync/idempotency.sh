#!/bin/bash
# idempotency.sh — a writing POST /rpc with an Idempotency-Key runs once: a
# retry with the same key gets the first answer and changes nothing, also
# after the hub restarted; another key runs again; a key that is not a
# visible-ASCII word is not kept (the request runs each time).
. "$(dirname "$0")/lib.sh"

new_token hub dev
TOK=$(cat "$TMP/dev.token")
start_hub hub

add() { # add [HEADER...] — task.create "Buy milk" through /rpc
	echo '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"Buy milk"}}' >"$TMP/add.json"
	http POST "$HUB_URL/rpc" "$TOK" "$TMP/add.json" "$@"
}
tasks() { HEPH_DB="$TMP/hub.db" "$HEPH" count; }

first=$(add "Idempotency-Key: k-1")
expect_contains "the first request runs" '"node_id"' "$first"
expect_eq "one task" 1 "$(tasks)"
expect_eq "a retry gets the first answer" "$first" "$(add "Idempotency-Key: k-1")"
expect_eq "and changes nothing" 1 "$(tasks)"

stop "$HUB_PID"
start_hub hub
expect_eq "after a restart of the hub, the same answer" "$first" "$(add "Idempotency-Key: k-1")"
expect_eq "and still one task" 1 "$(tasks)"

other=$(add "Idempotency-Key: k-2")
expect_eq "another key runs again" 2 "$(tasks)"
expect_eq "with its own answer" True "$(test "$other" != "$first" && echo True)"
add "Idempotency-Key: not kept" >/dev/null
add "Idempotency-Key: not kept" >/dev/null
expect_eq "a key with a space is not kept: each request runs" 4 "$(tasks)"
add >/dev/null
expect_eq "without a key every request runs" 5 "$(tasks)"
finish
