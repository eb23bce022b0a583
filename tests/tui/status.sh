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
if has_method sync.status; then
	wait_for "a device without a hub says so" "no hub"
else
	wait_for "a heph without sync state says local" "local"
fi

# two devices rename the same task; merging the other's ops here (as a sync
# would, from another process) leaves a conflict: the TUI follows by itself
h edit "$T" --title "Renamed here" >/dev/null
wait_for "the local rename shows" "Renamed here"
h --db "$OTHER" edit "$T" --title "Renamed there" >/dev/null
h --db "$OTHER" ops --json | h apply - >/dev/null
wait_for "merged ops show up without a key" "1 conflict"
expect_eq "heph agrees there is one open conflict" 1 "$(h conflicts --json | json_get 'len(d)')"
stop_tui

if has_method hub.set && has_method sync.status; then
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
fi
finish
