#!/bin/bash
# backup.sh — heph backup and hephd backup take a consistent copy while
# writers run (the copy opens, passes SQLite's integrity check and holds
# every op committed before it began, and only whole transactions); heph
# restore refuses a bad file and changes nothing, keeps the database it
# replaces, and gives the restored database a new origin, so that a spoke
# restored from an older copy of itself syncs without colliding with the
# ops it had pushed after the backup.
. "$(dirname "$0")/lib.sh"

# digest and op count of a database, as one line
state() { echo "$(h --db "$1" digest) $(h --db "$1" ops --json | wc -l)"; }
origin() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'origin'"; }

# ---- a backup under concurrent writes ----
db="$TMP/live.db"
h --db "$db" project add Home >/dev/null
# the writer: one task per transaction, noting each one heph reported (by
# rename, so that a reader never finds the note truncated and not yet written)
(for i in $(seq 1 400); do
	h --db "$db" task "w$i" --project Home >/dev/null || exit 1
	echo "$i" >"$TMP/committed.new" && mv "$TMP/committed.new" "$TMP/committed"
done) &
WRITER=$!
PIDS="$PIDS $WRITER"
wait_for "the writer has committed some tasks" 60 test -s "$TMP/committed"
before=$(cat "$TMP/committed")
expect_status "heph backup while a writer runs" 0 h --db "$db" backup "$TMP/copy.db"
expect_contains "it says how many ops" "op(s)" "$OUT"
mkdir -p "$TMP/hub-backups"
expect_status "hephd backup DIR while the writer runs" 0 "$HEPHD" --db "$db" backup "$TMP/hub-backups"
dated=$OUT
expect_contains "named by the time" "$TMP/hub-backups/heph-" "$dated"
running=1
kill -0 "$WRITER" 2>/dev/null || running=0
wait "$WRITER"
expect_eq "the writer was still writing during the backups" 1 "$running"

for copy in "$TMP/copy.db" "$dated"; do
	expect_eq "$copy passes SQLite's integrity check" ok "$(sqlite3 "$copy" 'PRAGMA integrity_check')"
	expect_eq "$copy is one plain file" "" "$(ls "$copy"-* 2>/dev/null)"
	titles=$(h --db "$copy" list --all --json | json_get '" ".join(sorted(t["title"] for t in d))')
	n=$(echo "$titles" | wc -w)
	expect_eq "$copy holds every task committed before it began ($before), and more" 1 "$([ "$n" -ge "$before" ] && echo 1)"
	expect_eq "$copy holds whole transactions only: w1..w$n" \
		"$(seq 1 "$n" | sed 's/^/w/' | sort | tr '\n' ' ' | sed 's/ $//')" "$titles"
	# every op of the copy is one of the live database's, and the copy
	# holds all of the live database's first ops up to its own count
	expect_eq "$copy's ops are the live database's first ones" \
		"$(h --db "$db" ops --json | head -n "$(h --db "$copy" ops --json | wc -l)" | sort)" \
		"$(h --db "$copy" ops --json | sort)"
done
expect_status "a backup never replaces a file" 6 h --db "$db" backup "$TMP/copy.db"
expect_contains "and says so" "exists" "$ERR"
expect_status "backup takes one FILE" 2 h --db "$db" backup

# ---- restore refuses what is not a sound heph database ----
live_before=$(state "$db")
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
live_sum=$(sha256sum <"$db")
printf 'not a database\n' >"$TMP/text.db"
sqlite3 "$TMP/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
head -c 20000 "$TMP/copy.db" >"$TMP/truncated.db"
: >"$TMP/empty.db"
sqlite3 "$TMP/copy.db" ".backup '$TMP/newer.db'"
sqlite3 "$TMP/newer.db" "PRAGMA user_version = 999"
for bad in text other truncated empty; do
	expect_status "restore refuses $bad.db" 3 h --db "$db" restore "$TMP/$bad.db"
	expect_contains "naming it" "$bad.db" "$ERR"
done
expect_status "restore refuses a newer schema" 8 h --db "$db" restore "$TMP/newer.db"
expect_status "restore refuses a missing file" 4 h --db "$db" restore "$TMP/missing.db"
expect_eq "nothing was replaced" "$live_before" "$(state "$db")"
expect_eq "nor kept" "" "$(ls "$db".replaced-* 2>/dev/null)"
expect_eq "the live file is byte-identical" "$live_sum" "$(sha256sum <"$db")"

# ---- a spoke restored from an older copy of itself ----
new_token hub laptop
start_hub hub
h --db "$TMP/spoke.db" hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null
A=$(h --db "$TMP/spoke.db" task "before the backup")
expect_status "the spoke syncs" 0 h --db "$TMP/spoke.db" sync
h --db "$TMP/spoke.db" backup "$TMP/spoke-backup.db" >/dev/null
B=$(h --db "$TMP/spoke.db" task "after the backup, pushed")
expect_status "it syncs what it wrote after the backup" 0 h --db "$TMP/spoke.db" sync
old_origin=$(origin "$TMP/spoke.db")
pushed=$(state "$TMP/spoke.db")

expect_status "restore the older copy" 0 h --db "$TMP/spoke.db" restore "$TMP/spoke-backup.db"
expect_contains "it says where the replaced one is" "kept in $TMP/spoke.db.replaced-" "$OUT"
kept=$(ls "$TMP"/spoke.db.replaced-*)
expect_eq "the kept database is the one replaced" "$pushed" "$(state "$kept")"
new_origin=$(origin "$TMP/spoke.db")
expect_eq "the restored database has a new origin" 1 "$([ "$new_origin" != "$old_origin" ] && [ ${#new_origin} = 16 ] && echo 1)"
expect_eq "it holds the backup's state" "$(state "$TMP/spoke-backup.db")" "$(state "$TMP/spoke.db")"
expect_status "the task written after the backup is gone" 4 h --db "$TMP/spoke.db" show "$B"

C=$(h --db "$TMP/spoke.db" task "after the restore")
expect_eq "a new op carries the new origin" "$new_origin" \
	"$(h --db "$TMP/spoke.db" ops --json | tail -n 1 | json_get 'd["origin"]')"
expect_status "the restored spoke syncs" 0 h --db "$TMP/spoke.db" sync
expect_eq "the pushed task came back from the hub" "after the backup, pushed" \
	"$(h --db "$TMP/spoke.db" show "$B" --json | json_get 'd["title"]')"
expect_eq "the hub has the new task" "after the restore" "$(h --db "$TMP/hub.db" show "$C" --json | json_get 'd["title"]')"
expect_eq "spoke and hub agree" "$(h --db "$TMP/hub.db" digest)" "$(h --db "$TMP/spoke.db" digest)"
expect_eq "no op id is held twice at the hub" "" \
	"$(sqlite3 "$TMP/hub.db" 'SELECT op_id FROM oplog GROUP BY op_id HAVING count(*) > 1')"
expect_eq "every op of the new origin is new (none reuses a clock of the old one)" 0 \
	"$(sqlite3 "$TMP/hub.db" "SELECT count(*) FROM oplog WHERE origin = '$new_origin' AND hlc IN (SELECT hlc FROM oplog WHERE origin = '$old_origin')")"
finish
