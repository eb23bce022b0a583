#!/bin/bash
# optional_field.sh — row 2 of the data-evolution table: a new optional
# field in an op's payload. Level 2 carries "effort" in task.create and
# task.set. The level-1 hub and spoke apply those ops and ignore the field
# (keeping it in the op-log as received); level-2 spokes use it, including
# one that only ever saw the ops through the old hub; no node errors.
. "$(dirname "$0")/lib.sh"

hub_start 1
spoke old 1
spoke new 2

S=$(at old task "shared, made on the old spoke")
syncs "a task from the old spoke" old new

# the new spoke creates a task with an effort, and sets one (with another
# field) on the old spoke's task
expect_status "level 2 creates a task with an effort" 0 at new call task.create '{"title":"sized on the new spoke","effort":"2h"}'
N=$(echo "$OUT" | json_get 'd["node_id"]')
expect_status "level 2 sets an effort and an attention" 0 at new call task.edit "{\"id\":\"$S\",\"effort\":\"30m\",\"attention\":\"red\"}"
expect_status "level 2 checks the field" 3 at new call task.edit "{\"id\":\"$S\",\"effort\":\"a while\"}"
syncs "ops with the new field" new old

# old nodes: the ops applied, the field ignored, nothing held back
for n in hub old; do
	expect_eq "$n: the new spoke's task arrived" "sized on the new spoke" "$(field $n "$N" title)"
	expect_eq "$n: the other field of the set applied" red "$(field $n "$S" attention)"
	expect_eq "$n: shows no effort (it does not know the field)" None "$(field $n "$N" effort)"
	expect_eq "$n: every op applied" 0 "$(at $n ops --unapplied --json | wc -l)"
	expect_eq "$n: has no effort column" 0 "$(has_column $n tasks effort)"
	expect_eq "$n: keeps the field in the stored payloads" 2 \
		"$(sqlite3 "$TMP/$n.db" "SELECT count(*) FROM oplog WHERE json_extract(payload, '\$.effort') IS NOT NULL")"
	expect_eq "$n: sync reports no error" None "$(at $n sync --status --json | json_get 'd["last_error"]')"
done

# new nodes use it, even one that only ever heard of the ops through the old hub
spoke fresh 2
syncs "a fresh level-2 spoke pulls from the old hub" fresh
for n in new fresh; do
	expect_eq "$n: the created task's effort" 2h "$(field $n "$N" effort)"
	expect_eq "$n: the set effort" 30m "$(field $n "$S" effort)"
	expect_eq "$n: and the attention" red "$(field $n "$S" attention)"
done
expect_eq "the two level-2 spokes agree" "$(digest new)" "$(digest fresh)"

# an old node's own change does not disturb the field it does not know
at old edit "$S" --title "renamed on the old spoke" >/dev/null
syncs "an old node's edit" old new
expect_eq "the new spoke takes the old spoke's title" "renamed on the old spoke" "$(field new "$S" title)"
expect_eq "and keeps the effort" 30m "$(field new "$S" effort)"

expected=$(digest hub)
expect_eq "the old spoke holds the hub's state" "$expected" "$(digest old)"
expect_eq "the new spoke holds it too (level-1 view)" "$expected" "$(digest new 1)"
no_errors_logged
finish
