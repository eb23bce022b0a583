# lib.sh — the harness of the sync tests: everything in tests/cli/lib.sh,
# plus real hephd processes (a hub on an ephemeral loopback port, spokes
# with their own databases and sockets) that are always torn down.
. "$(dirname "$0")/../cli/lib.sh"
: "${HEPHD:?HEPHD must point at the hephd binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
unset HEPH_SOCKET HEPH_TOKEN_FILE HEPH_SYNC_BATCH XDG_RUNTIME_DIR 2>/dev/null || true
PIDS=""

teardown() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap teardown EXIT

# wait_for DESC SECONDS CMD... — poll CMD until it succeeds; a failure is
# reported (and returns 1) if it never does.
wait_for() {
	desc=$1 secs=$2
	shift 2
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(($(date +%s%N) / 1000000))" -gt "$end" ]; then
			_report "$desc" "not true after ${secs}s: $*"
			return 1
		fi
		sleep 0.05
	done
	_ok
}

# start_hub NAME [HEPHD-OPTIONS] — a hub on $TMP/NAME.db; sets HUB_URL and
# HUB_PID. Pass --http-addr 127.0.0.1:PORT to reuse a port.
start_hub() {
	name=$1
	shift
	rm -f "$TMP/$name.url"
	"$HEPHD" --mode server --db "$TMP/$name.db" --ready-file "$TMP/$name.url" --http-addr 127.0.0.1:0 "$@" \
		2>>"$TMP/$name.log" &
	HUB_PID=$!
	PIDS="$PIDS $HUB_PID"
	for _ in $(seq 200); do [ -s "$TMP/$name.url" ] && break; sleep 0.05; done
	HUB_URL=$(cat "$TMP/$name.url" 2>/dev/null)
	[ -n "$HUB_URL" ] || { echo "hub $name did not start:" >&2; cat "$TMP/$name.log" >&2; return 1; }
}

# start_spoke NAME [HEPHD-OPTIONS] — a local hephd on $TMP/NAME.db with the
# socket $TMP/NAME.sock; sets SPOKE_PID.
start_spoke() {
	name=$1
	shift
	rm -f "$TMP/$name.ready"
	"$HEPHD" --mode local --db "$TMP/$name.db" --socket "$TMP/$name.sock" --ready-file "$TMP/$name.ready" "$@" \
		2>>"$TMP/$name.log" &
	SPOKE_PID=$!
	PIDS="$PIDS $SPOKE_PID"
	for _ in $(seq 200); do [ -s "$TMP/$name.ready" ] && break; sleep 0.05; done
	[ -s "$TMP/$name.ready" ] || { echo "spoke $name did not start:" >&2; cat "$TMP/$name.log" >&2; return 1; }
}

# stop PID — stop a process started here (SIGTERM) and wait for it.
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# on NAME ARGS... — heph on spoke NAME's database, through its socket when
# its hephd runs.
on() {
	name=$1
	shift
	HEPH_SOCKET="$TMP/$name.sock" "$HEPH" --db "$TMP/$name.db" "$@"
}

# new_token HUB NAME — make a device token on the hub's database, in $TMP/NAME.token
new_token() {
	"$HEPHD" --db "$TMP/$1.db" token create "$2" >"$TMP/$2.token" 2>/dev/null
}

# http METHOD URL [TOKEN] [BODY-FILE] — prints "STATUS BODY" on one line
http() { python3 "$HERE/httpreq.py" "$@"; }

# rpc SOCKET LINE — send one line to a hephd socket, print the answer line
rpc() { python3 "$HERE/rpc.py" "$@"; }
