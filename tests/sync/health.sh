#!/bin/bash
# health.sh — heph health says, line by line, whether this device is fine:
# a damaged file, a hub that refuses the token, one that cannot be reached,
# a daemon (or none), conflicts, and the clock against the hub's; exit 1
# when a line is a warning or an error, 0 when all are ok.
. "$(dirname "$0")/lib.sh"

check() { # check NAME FIELD — a field of one check of the last health --json
	printf '%s' "$OUT" | json_get "[c['$2'] for c in d['checks'] if c['name'] == '$1'][0]"
}

h task "one task" >/dev/null
expect_status "a lone device is fine: exit 0" 0 h health
expect_contains "it names the database check" "database" "$OUT"
expect_status "--json" 0 h health --json
expect_eq "every check is ok" "ok" "$(printf '%s' "$OUT" | json_get 'd["status"]')"
expect_eq "the checks, in order" "database schema daemon hub push conflicts unapplied clock" \
	"$(printf '%s' "$OUT" | json_get '" ".join(c["name"] for c in d["checks"])')"
expect_eq "the schema is this build's" "ok" "$(check schema status)"
expect_eq "database false leaves the file check out (the TUI's way)" "schema" \
	"$(h call health '{"database": false}' | json_get 'd["checks"][0]["name"]')"
expect_status "an unknown type of database is refused" 3 h call health '{"database": "no"}'

# a hub that cannot be reached
echo "heph_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" > "$TMP/bad.token"
h hub set http://127.0.0.1:9 --token-file "$TMP/bad.token" >/dev/null
h sync >/dev/null 2>&1
expect_status "an unreachable hub: exit 1" 1 h health --json
expect_eq "the hub line is a warning" "warning" "$(check hub status)"
expect_contains "it says unreachable" "unreachable" "$(check hub detail)"
expect_eq "ops wait, and the last sync failed" "warning" "$(check push status)"
expect_eq "no daemon with a hub is a warning" "heph daemon start" "$(check daemon fix)"
expect_contains "the human screen says the fix" "fix: heph daemon start" "$(h health)"
expect_contains "and stderr counts what is wrong" "3 warnings" "$(h health 2>&1 >/dev/null)"

# a hub that refuses the token
start_hub hub
h hub set "$HUB_URL" --token-file "$TMP/bad.token" >/dev/null
h sync >/dev/null 2>&1
expect_status "a refused token: exit 1" 1 h health --json
expect_eq "the hub line is an error" "error" "$(check hub status)"
expect_contains "its fix is to log in or set a token" "heph auth login" "$(check hub fix)"
expect_eq "the whole is an error" "error" "$(printf '%s' "$OUT" | json_get 'd["status"]')"

# a good token: synced, the clock compared with the hub's
new_token hub laptop
h hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null
expect_status "sync" 0 h sync
OUT=$(h health --json)
expect_eq "the hub line is ok after a sync" "ok" "$(check hub status)"
expect_contains "it names the last success" "last success" "$(check hub detail)"
expect_eq "the clock is compared at the pull" "ok" "$(check clock status)"
expect_contains "and found within a second or so" "of the hub's at the last pull" "$(check clock detail)"
expect_eq "sync --status carries the skew" "True" "$(h sync --status --json | json_get 'isinstance(d["hub_skew_ms"], int) and abs(d["hub_skew_ms"]) < 60000')"

# with a hephd serving the database, health asks it, and the daemon line is ok
h --db "$TMP/laptop.db" task "on the laptop" >/dev/null
h --db "$TMP/laptop.db" hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null
start_spoke laptop --sync-interval 3600
OUT=$(on laptop health --json)
expect_eq "the daemon line names the hephd" "ok" "$(check daemon status)"
expect_contains "with its pid" "pid $SPOKE_PID" "$(check daemon detail)"
stop "$SPOKE_PID"

# conflicts: two replicas change one title concurrently
A="$TMP/a.db" B="$TMP/b.db"
T=$(h --db "$A" task "first title")
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$A" edit "$T" --title "title from A" >/dev/null
h --db "$B" edit "$T" --title "title from B" >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
expect_status "a conflict waiting: exit 1" 1 h --db "$A" health --json
expect_eq "the conflicts line is a warning" "warning" "$(check conflicts status)"
expect_contains "with its fix" "heph conflicts" "$(check conflicts fix)"

# a damaged file: a b-tree page's cell pointer out of range
D="$TMP/damaged.db"
for i in 1 2 3; do h --db "$D" task "task $i" >/dev/null; done
python3 - "$D" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'nodes'").fetchone()[0]
size = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
with open(sys.argv[1], "r+b") as f:
    f.seek((root - 1) * size + 8)  # the first cell pointer of a leaf page
    f.write(b"\xff\xf0")
PY
expect_status "a damaged database: exit 1" 1 h --db "$D" health --json
expect_eq "the database line is an error" "error" "$(check database status)"
expect_contains "it quotes quick_check" "quick_check" "$(check database detail)"
finish
