#!/bin/bash
# foreign.sh — heph opens only its own databases: a new, empty file, or a
# file marked with heph's PRAGMA application_id (or, from before the mark, a
# heph schema). Any other file is refused with a clear error and left
# byte-identical, with nothing made beside it; a heph database that cannot be
# written (a backup on read-only media: no -wal or -shm, a directory that
# refuses files) is still read.
. "$(dirname "$0")/lib.sh"
: "${HEPHD:?HEPHD must point at hephd}"
app_id=$(printf '%d' 0x68657068) # "heph"

# refused NAME FILE — every kind of command refuses FILE, exit 3, and leaves
# it as it was, with no -wal, -shm or -journal beside it
refused() {
	name=$1 f=$2
	sum=$(sha256sum <"$f")
	for cmd in list "task x" digest "ops --json" "search x"; do
		# shellcheck disable=SC2086
		expect_status "$name: heph $cmd is refused" 3 h --db "$f" $cmd
	done
	expect_contains "$name: the error names the file" "$f" "$ERR"
	expect_contains "$name: and says it was not changed" "did not change it" "$ERR"
	expect_eq "$name: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	expect_status "$name: hephd refuses it too" 3 "$HEPHD" --db "$f" token create laptop
	expect_eq "$name: byte-identical afterwards" "$sum" "$(sha256sum <"$f")"
	expect_eq "$name: nothing beside it" "" "$(ls "$f"-* 2>/dev/null)"
}

sqlite3 "$TMP/plain.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes(text) VALUES ('mine');"
refused "another program's database" "$TMP/plain.db"
expect_contains "the error says it is not heph's" "not heph's" "$ERR"

sqlite3 "$TMP/wal.db" "PRAGMA journal_mode = WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);" >/dev/null
refused "another program's database in WAL mode" "$TMP/wal.db"

sqlite3 "$TMP/marked.db" "PRAGMA application_id = 42; CREATE TABLE t(x);"
refused "a database marked as another program's" "$TMP/marked.db"
expect_contains "the error shows the other id" "0x0000002a" "$ERR"

sqlite3 "$TMP/versioned.db" "PRAGMA user_version = 3;"
refused "a database with only a user_version" "$TMP/versioned.db"

printf 'not a database at all\n' >"$TMP/text.db"
refused "a text file" "$TMP/text.db"
expect_contains "the error says it is not SQLite" "not an SQLite database" "$ERR"

# a mark of heph with a foreign id in the header alone is refused before
# SQLite reads the file: an application id that is not ours, bytes 68-71
python3 - "$TMP/plain.db" "$TMP/patched.db" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[68:72] = (7).to_bytes(4, 'big')
open(sys.argv[2], 'wb').write(b)
PY
refused "a header with another id" "$TMP/patched.db"

# ---- what heph does open ----
: >"$TMP/empty.db"
expect_status "an empty file becomes a heph database" 0 h --db "$TMP/empty.db" task "first"
expect_eq "marked as heph's" "$app_id" "$(sqlite3 "$TMP/empty.db" 'PRAGMA application_id')"
expect_status "a missing file too" 0 h --db "$TMP/new.db" list
expect_eq "marked as heph's" "$app_id" "$(sqlite3 "$TMP/new.db" 'PRAGMA application_id')"

# a heph database from before the mark (schema version 1) opens, migrates
# and gets it
sqlite3 "$TMP/v1.db" <"$TESTDATA/schema-v1.sql"
expect_eq "the old fixture has no mark" 0 "$(sqlite3 "$TMP/v1.db" 'PRAGMA application_id')"
expect_status "an old heph database opens" 0 h --db "$TMP/v1.db" list --all
expect_eq "and is marked on its migration" "$app_id" "$(sqlite3 "$TMP/v1.db" 'PRAGMA application_id')"

# ---- a read-only copy (a backup on read-only media) ----
ro="$TMP/ro"
mkdir -p "$ro"
h --db "$ro/heph.db" task "kept on the backup" >/dev/null
sqlite3 "$ro/heph.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
rm -f "$ro"/heph.db-wal "$ro"/heph.db-shm
sum=$(sha256sum <"$ro/heph.db")
chmod 0555 "$ro"
chmod 0444 "$ro/heph.db"
if [ "$(id -u)" = 0 ]; then
	chmod 0755 "$TMP"
	as() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
else
	as() { "$@"; }
fi
expect_status "a read-only copy with no -wal or -shm can be listed" 0 as "$HEPH" --db "$ro/heph.db" list
expect_contains "and shows its task" "kept on the backup" "$OUT"
expect_status "searched" 0 as "$HEPH" --db "$ro/heph.db" search backup
expect_contains "with a hit" "kept on the backup" "$OUT"
expect_status "a write to it fails with exit 15" 15 as "$HEPH" --db "$ro/heph.db" task "refused"
expect_contains "saying it is read-only" "read-only" "$ERR"
expect_eq "nothing was made beside it" "" "$(ls "$ro"/heph.db-* 2>/dev/null)"
chmod 0755 "$ro"
chmod 0644 "$ro/heph.db"
expect_eq "the copy is byte-identical" "$sum" "$(sha256sum <"$ro/heph.db")"
finish
