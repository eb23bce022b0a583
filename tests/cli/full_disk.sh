#!/bin/bash
# full_disk.sh — a full disk and a read-only database give a clear error
# (exit 15) and leave the database as it was.
#
# Disk full is real: a small tmpfs when we may mount one (root with the
# capability, as in CI), otherwise a file-size limit (RLIMIT_FSIZE, with
# SIGXFSZ ignored) that makes the kernel refuse writes past a size. Read-only
# is a database file and directory without write permission; as root, which
# ignores permissions, heph runs as the unprivileged user `nobody`.
. "$(dirname "$0")/lib.sh"

# state DB — digest, op count and integrity, as one line
state() { echo "$(h --db "$1" digest) $(h --db "$1" ops --json | wc -l) $(sqlite3 "$1" 'PRAGMA integrity_check')"; }

python3 "$(dirname "$0")/../../bench/gen.py" --tasks 300 --projects 20 --seed 3 >"$TMP/big.jsonl" 2>/dev/null

# ---- disk full ----
dir="$TMP/small"
mkdir -p "$dir"
how=""
if [ -z "${FULL_DISK_RLIMIT:-}" ] && [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m tmpfs "$dir" 2>/dev/null; then
	how=tmpfs
	trap 'umount "$dir" 2>/dev/null; rm -rf "$TMP"' EXIT
fi
db="$dir/heph.db"
h --db "$db" project add Home >/dev/null
h --db "$db" task "before the disk filled" --project Home >/dev/null
before=$(state "$db")

if [ "$how" = tmpfs ]; then
	# fill what is left of the file system
	dd if=/dev/zero of="$dir/filler" bs=4k 2>/dev/null
	limited() { "$@"; }
else
	how=rlimit
	size=8192 # bytes any one file may reach: the WAL cannot take a transaction
	limited() {
		python3 -c 'import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
os.execvp(sys.argv[2], sys.argv[2:])' "$size" "$@"
	}
fi
echo "disk full by $how" >&2

expect_status "apply on a full disk fails with exit 15" 15 limited "$HEPH" --db "$db" apply "$TMP/big.jsonl"
expect_contains "the error says the disk is full" "disk full" "$ERR"
expect_eq "the error is one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
expect_status "a task on a full disk fails with exit 15" 15 limited "$HEPH" --db "$db" task "lost"
expect_contains "and says why" "disk full" "$ERR"
rm -f "$dir/filler"
expect_eq "nothing was half-written" "$before" "$(state "$db")"
expect_status "with room again the same stream applies" 0 h --db "$db" apply "$TMP/big.jsonl"
expect_eq "and the database is sound" "ok" "$(sqlite3 "$db" 'PRAGMA integrity_check')"
if [ "$how" = tmpfs ]; then
	h --db "$db" list >/dev/null # let go of the files before unmounting
	umount "$dir"
	trap 'rm -rf "$TMP"' EXIT
fi

# ---- read-only database ----
ro="$TMP/ro"
mkdir -p "$ro"
h --db "$ro/heph.db" task "written while writable" >/dev/null
before=$(state "$ro/heph.db")
# SQLite reads a read-only WAL database only when its -wal and -shm files
# exist; heph leaves them (the sqlite3 shell in state() removes them).
h --db "$ro/heph.db" list >/dev/null
chmod 0555 "$ro"
chmod 0444 "$ro"/heph.db*
if [ "$(id -u)" = 0 ]; then
	chmod 0755 "$TMP"
	as() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
else
	as() { "$@"; }
fi
expect_status "a write to a read-only database fails with exit 15" 15 as "$HEPH" --db "$ro/heph.db" task "refused"
expect_contains "and says it cannot write" "cannot write" "$ERR"
expect_status "reading a read-only database still works" 0 as "$HEPH" --db "$ro/heph.db" list
expect_contains "and shows the task" "written while writable" "$OUT"
chmod 0755 "$ro"
chmod 0644 "$ro"/heph.db*
expect_eq "the read-only database is unchanged" "$before" "$(state "$ro/heph.db")"
finish
