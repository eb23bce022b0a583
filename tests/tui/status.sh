#!/bin/bash
# status.sh — the status line: open conflicts, and the sync state (hub,
# offline, ops waiting) when this heph keeps one; ops merged by another
# process (as a sync does) show up by themselves.
. "$(dirname "$0")/lib.sh"

OTHER="$TMP/other.db"
T=$(h task "Shared task")
h ops --json | h --db "$OTHER" apply - >/dev/null

start_tui 120 20
select_entry tasks
wait_for "a device without a hub says so" "no hub"

# two devices rename the same task; merging the other's ops here (as a sync
# would, from another process) leaves a conflict: the TUI follows by itself
h edit "$T" --title "Renamed here" >/dev/null
wait_for "the local rename shows" "Renamed here"
h --db "$OTHER" edit "$T" --title "Renamed there" >/dev/null
h --db "$OTHER" ops --json | h apply - >/dev/null
wait_for "merged ops show up without a key" "1 conflict"
expect_eq "heph agrees there is one open conflict" 1 "$(h conflicts --json | json_get 'len(d)')"
stop_tui

# a hub nobody answers at: offline, never synced, ops waiting
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
h hub set "http://127.0.0.1:$port" >/dev/null
h sync >/dev/null 2>&1
pending=$(h call sync.status | json_get 'd["pending_push"]')
start_tui 120 20
wait_for "an unreachable hub shows as offline" "offline"
wait_for "no sync has succeeded" "never synced"
wait_for "ops not yet pushed are counted" "$pending to push"
stop_tui

# a real hub, and a hephd syncing this database with it in the background
if [ -n "${HEPHD:-}" ]; then
	"$HEPHD" --mode server --db "$TMP/hub.db" --ready-file "$TMP/hub.url" --http-addr 127.0.0.1:0 \
		2>>"$TMP/hub.log" &
	HUB_PID=$!
	PIDS="$PIDS $HUB_PID"
	_poll 10 test -s "$TMP/hub.url" || cat "$TMP/hub.log" >&2
	"$HEPHD" --db "$TMP/hub.db" token create laptop >"$TMP/laptop.token" 2>/dev/null
	h hub set "$(cat "$TMP/hub.url")" --token-file "$TMP/laptop.token" >/dev/null
	"$HEPHD" --mode local --db "$HEPH_DB" --socket "$TMP/hephd.sock" --ready-file "$TMP/hephd.ready" \
		--sync-interval 1 2>>"$TMP/hephd.log" &
	SPOKE_PID=$!
	PIDS="$PIDS $SPOKE_PID"
	_poll 10 test -s "$TMP/hephd.ready" || cat "$TMP/hephd.log" >&2

	start_tui 120 20 HEPH_SOCKET="$TMP/hephd.sock"
	select_entry tasks
	# ("never synced" holds "synced " too: first wait for a sync to succeed)
	wait_gone "a hephd syncing this database: a sync succeeds" "never synced"
	wait_for "the last sync's age" "synced "
	expect_not_contains "the hephd is seen" "no hephd" "$(screen)"
	expect_not_contains "nothing is offline" "offline" "$(screen)"
	# a task added in the TUI reaches the hub through the hephd
	keys a
	type_text "Made in the TUI"
	keys Enter
	wait_for "added" "added: Made in the TUI"
	hub_has() { h --db "$TMP/hub.db" list --json | json_get 'any(t["title"] == "Made in the TUI" for t in d)' | grep -q True; }
	if _poll "$WAIT" hub_has; then _ok; else _report "a task added in the TUI reaches the hub" "$(cat "$TMP/hephd.log")"; fi
	wait_gone "nothing left to push" "to push"
	# the hub goes away: offline, and the ops made meanwhile wait
	kill -TERM "$HUB_PID"
	wait "$HUB_PID" 2>/dev/null
	wait_for "a hub that went away shows as offline" "offline"
	keys a
	type_text "Made offline"
	keys Enter
	wait_for "an op made offline waits" "to push"
	# the hephd goes away: the status says so after a refresh
	kill -TERM "$SPOKE_PID"
	wait "$SPOKE_PID" 2>/dev/null
	keys r
	wait_for "no hephd serves the database any more" "no hephd"
	stop_tui
fi
finish
