# pg.sh — a private PostgreSQL 15 cluster for a test: initdb in a temporary
# directory, listening on a Unix socket only (no TCP port), run as the
# postgres user because PostgreSQL refuses to run as root. Source it after
# lib.sh; pg_start sets PG_URL (a libpq URI) and registers the cluster for
# teardown, which stops it by its postmaster's pid.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# as_pg CMD... — run CMD as the postgres user when we are root, else as we are
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start — initdb and start the cluster under $TMP/pg; sets PG_DIR,
# PG_SOCK, PG_URL and PG_PID.
pg_start() {
	[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 is not installed ($PG_BIN): sh scripts/deps.sh" >&2; exit 1; }
	PG_DIR=$TMP/pg/data PG_SOCK=$TMP/pg/sock
	mkdir -p "$PG_DIR" "$PG_SOCK"
	chmod 755 "$TMP"
	[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$TMP/pg"
	as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U heph -A trust --no-sync -E UTF8 >"$TMP/pg/initdb.log" 2>&1 ||
		{ cat "$TMP/pg/initdb.log" >&2; exit 1; }
	pg_up
	PG_URL="postgresql:///heph?host=$PG_SOCK&user=heph"
	as_pg "$PG_BIN/createdb" -h "$PG_SOCK" -U heph heph
}

# pg_up — start the cluster made by pg_start (again, after pg_stop).
pg_up() {
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -w -l "$TMP/pg/server.log" \
		-o "-k $PG_SOCK -c listen_addresses='' -c fsync=off" start >/dev/null ||
		{ cat "$TMP/pg/server.log" >&2; exit 1; }
	PG_PID=$(head -1 "$PG_DIR/postmaster.pid")
	PIDS="$PIDS $PG_PID"
}

# pg_stop [MODE] — stop the cluster (pg_ctl's fast mode unless told).
pg_stop() {
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -w -m "${1:-fast}" stop >/dev/null 2>&1 || true
}

# psql_q SQL — one query's rows, unaligned, no header
psql_q() { as_pg "$PG_BIN/psql" -X -q -A -t -h "$PG_SOCK" -U heph -d heph -c "$1"; }

# pg_owner OWNER [TOKEN...] — add OWNER to the hub's database at PG_URL and
# a device token of each name for it, in $TMP/TOKEN.token
pg_owner() {
	local owner=$1 t
	shift
	"$HEPHD" owner add "$owner" --store "$PG_URL" 2>/dev/null || { echo "cannot add owner $owner" >&2; exit 1; }
	for t in "$@"; do
		"$HEPHD" token create "$t" --owner "$owner" --store "$PG_URL" >"$TMP/$t.token" 2>/dev/null ||
			{ echo "cannot make token $t of $owner" >&2; exit 1; }
	done
}
