# lib.sh — the harness of the mixed-version tests: everything in
# tests/sync/lib.sh (real hephd processes on loopback, always torn down),
# plus nodes that each run a version of heph.
#
# A node is a database, $TMP/NAME.db, and the version its binaries are:
#   1    this tree at feature level 1 ($HEPH, $HEPHD)
#   2    this tree at feature level 2 ($HEPH_L2, $HEPHD_L2): task.snooze,
#        the effort field and column, blocks links, project.rollup
#   old  heph as it was at commit $OLD_COMMIT ($HEPH_OLD, $HEPHD_OLD)
# Upgrading a node is giving it another version: the same database, another
# binary. The hub is the node "hub", served by hephd on a fixed port, so
# that an upgraded hub is found where the spokes look for it.
. "$(dirname "$0")/../sync/lib.sh"
SYNC_DIR=$(cd "$(dirname "$0")/../sync" && pwd)
http() { python3 "$SYNC_DIR/httpreq.py" "$@"; }
: "${HEPH_L2:?HEPH_L2 must point at heph built at feature level 2}"
: "${HEPHD_L2:?HEPHD_L2 must point at hephd built at feature level 2}"

# The schema versions of the two levels (level 2's adds its own migrations
# after level 1's, and stamps feature_base with S1).
S1=$("$HEPH" --version | sed -n 's/.*schema \([0-9]*\).*/\1/p')
S2=$("$HEPH_L2" --version | sed -n 's/.*schema \([0-9]*\).*/\1/p')

heph_of() {
	case $1 in
	1) echo "$HEPH" ;;
	2) echo "$HEPH_L2" ;;
	old) echo "${HEPH_OLD:?}" ;;
	p2) echo "${HEPH_PROTO2:?}" ;;
	esac
}

hephd_of() {
	case $1 in
	1) echo "$HEPHD" ;;
	2) echo "$HEPHD_L2" ;;
	old) echo "${HEPHD_OLD:?}" ;;
	esac
}

# version NAME VERSION — run node NAME on VERSION from now on
version() { echo "$2" >"$TMP/$1.version"; }
version_of() { cat "$TMP/$1.version"; }

# at NAME ARGS... — heph of NAME's version on NAME's database
at() {
	n=$1
	shift
	HEPH_SOCKET="$TMP/$n.sock" "$(heph_of "$(version_of "$n")")" --db "$TMP/$n.db" "$@"
}

# hub_start VERSION [HEPHD-OPTIONS] — serve $TMP/hub.db with hephd of VERSION,
# on the port it had before if it ran already; sets HUB_URL and HUB_PID.
# Without credentials (--no-auth) unless HUB_AUTH=1.
hub_start() {
	v=$1
	shift
	version hub "$v"
	addr=127.0.0.1:0
	[ -s "$TMP/hub.port" ] && addr=127.0.0.1:$(cat "$TMP/hub.port")
	rm -f "$TMP/hub.url"
	noauth=--no-auth
	[ "${HUB_AUTH:-0}" = 1 ] && noauth=
	"$(hephd_of "$v")" --mode server --db "$TMP/hub.db" --ready-file "$TMP/hub.url" --http-addr "$addr" $noauth "$@" \
		2>>"$TMP/hub.log" &
	HUB_PID=$!
	PIDS="$PIDS $HUB_PID"
	for _ in $(seq 200); do [ -s "$TMP/hub.url" ] && break; sleep 0.05; done
	HUB_URL=$(cat "$TMP/hub.url" 2>/dev/null)
	[ -n "$HUB_URL" ] || { echo "hub ($v) did not start:" >&2; cat "$TMP/hub.log" >&2; return 1; }
	echo "${HUB_URL##*:}" >"$TMP/hub.port"
}

# hub_upgrade VERSION — stop the hub and serve the same database with another version
hub_upgrade() {
	stop "$HUB_PID"
	hub_start "$@"
}

# spoke NAME VERSION [TOKEN-FILE] — a spoke database that syncs in-process
# (heph sync), called NAME in the hub's fleet
spoke() {
	version "$1" "$2"
	tf=
	[ $# -gt 2 ] && tf="--token-file $3"
	at "$1" hub set "$HUB_URL" $tf --name "$1" >/dev/null 2>&1 || at "$1" hub set "$HUB_URL" $tf >/dev/null
}

# daemon NAME — run a local hephd of NAME's version on its database (its
# background sync stays idle; heph sync goes through it); sets DAEMON_PID
daemon() {
	n=$1
	rm -f "$TMP/$n.ready"
	"$(hephd_of "$(version_of "$n")")" --mode local --db "$TMP/$n.db" --socket "$TMP/$n.sock" \
		--ready-file "$TMP/$n.ready" --sync-interval 3600 2>>"$TMP/$n.log" &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
	for _ in $(seq 200); do [ -s "$TMP/$n.ready" ] && break; sleep 0.05; done
	[ -s "$TMP/$n.ready" ] || { echo "hephd for $n did not start:" >&2; cat "$TMP/$n.log" >&2; return 1; }
}

# syncs DESC NAME... — each node syncs once, and must succeed
syncs() {
	d=$1
	shift
	for n in "$@"; do expect_status "$d: $n syncs" 0 at "$n" sync; done
}

# digest NAME [LEVEL] — the node's state digest (at LEVEL: as a build of that level holds it)
digest() {
	if [ $# -gt 1 ]; then at "$1" digest --level "$2"; else at "$1" digest; fi
}

# field NAME ID KEY — a task's field from heph show --json ("None" when absent)
field() { at "$1" show "$2" --json | json_get "d.get('$3')"; }

# unapplied NAME — the number of ops the node holds of types it cannot apply
unapplied() { at "$1" call ops.unapplied | json_get 'd["ops"]'; }

# schema NAME — PRAGMA user_version of the node's database
schema() { sqlite3 "$TMP/$1.db" 'PRAGMA user_version'; }

# has_column NAME TABLE COLUMN — 1 when the node's table has that column
has_column() { sqlite3 "$TMP/$1.db" "SELECT count(*) FROM pragma_table_info('$2') WHERE name = '$3'"; }

# no_errors_logged — the hub's log holds no error line
no_errors_logged() {
	if grep -iE 'error|fail' "$TMP/hub.log" >/dev/null 2>&1; then
		_report "the hub logged no error" "$(grep -iE 'error|fail' "$TMP/hub.log" | head -3)"
	else
		_ok
	fi
}
