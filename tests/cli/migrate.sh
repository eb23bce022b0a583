#!/bin/bash
# migrate.sh — a database file from schema version 1 opens in this heph,
# is migrated in place and keeps its data.
. "$(dirname "$0")/lib.sh"

db="$TMP/v1.db"
sqlite3 "$db" < "$TESTDATA/schema-v1.sql"
expect_eq "fixture is version 1" 1 "$(sqlite3 "$db" 'PRAGMA user_version')"
out=$(h --db "$db" list --all --json)
expect_eq "tasks survive the migration" "closed task,open task" "$(echo "$out" | json_get '",".join(sorted(t["title"] for t in d))')"
expect_eq "schema is current after" "$(h --version | sed 's/.*schema \([0-9]*\).*/\1/')" "$(sqlite3 "$db" 'PRAGMA user_version')"
expect_eq "project tree survives" "Parent 0 1|Child 1 1" \
	"$(h --db "$db" project list --json | json_get '"|".join("%s %d %d" % (p["title"], p["open_count"], p["open_count_total"]) for p in d)')"
expect_status "a migrated database takes changes" 0 h --db "$db" task "new one" --project Child
finish
