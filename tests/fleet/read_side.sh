#!/bin/bash
# read_side.sh — row 3 of the data-evolution table: a new read-side query
# over data every version already keeps. Level 2's project.rollup counts a
# project subtree's tasks by attention, late and done, from parent links and
# task fields that level 1 writes. Everything it reads is written here by the
# level-1 hub and spoke (older schema); a level-2 spoke answers from what it
# pulled, asking nothing of them and writing nothing; and when the old
# spoke's binary is replaced, it answers the same from the data it already
# held, before any sync.
. "$(dirname "$0")/lib.sh"

hub_start 1
spoke old 1
spoke new 2

# the data, all from level-1 nodes: Home > Garden, Home > Kitchen, Work
at old project add Home >/dev/null
at old project add Garden --parent Home >/dev/null
at old project add Kitchen --parent Home >/dev/null
at old project add Work >/dev/null
at old task "prune the roses" --project Garden --attention red --late-on 2026-11-01 >/dev/null
at old task "mow" --project Garden >/dev/null
at old task "buy seeds" --project Garden --attention blue >/dev/null
D=$(at old task "fix the tap" --project Kitchen --attention orange)
at old done "$D" >/dev/null
at old task "clean the oven" --project Kitchen --attention orange --late-on 2026-12-01 >/dev/null
at old task "tidy the shed" --project Home >/dev/null
syncs "the old spoke's projects" old
at hub task "report" --project Work --attention red --late-on 2026-11-10 >/dev/null
syncs "the hub's own task" old new

# what the rollup must say, in tree order: title open red orange white blue late done
expected="Home 5 1 1 2 1 1 1|Garden 3 1 0 1 1 1 0|Kitchen 1 0 1 0 0 0 1|Work 1 1 0 0 0 1 0"
rollup() { at "$1" call project.rollup | json_get '"|".join("%s %d %d %d %d %d %d %d" % (p["title"], p["open"], p["red"], p["orange"], p["white"], p["blue"], p["late"], p["done"]) for p in d)'; }
before=$(at new ops --json | wc -l)
expect_eq "the new spoke rolls up what old nodes wrote" "$expected" "$(rollup new)"
expect_eq "asking writes no op" "$before" "$(at new ops --json | wc -l)"
expect_eq "it agrees with the old nodes' own project counts" \
	"$(at hub project list --json | json_get '"|".join("%s %d" % (p["title"], p["open_count_total"]) for p in d)')" \
	"$(at new call project.rollup | json_get '"|".join("%s %d" % (p["title"], p["open"]) for p in d)')"

# the old nodes needed nothing new: no method, no op, no schema change
expect_status "the old hub does not have the query" 4 at hub call project.rollup
expect_contains "and says so plainly" "unknown method" "$ERR"
expect_eq "the old spoke is still on the older schema" "$S1" "$(schema old)"
expect_eq "and holds nothing it cannot apply" 0 "$(unapplied old)"

# the old spoke gets the new binary: the query works at once on the data
# it already held, with no sync and no new op
head_before=$(sqlite3 "$TMP/old.db" 'SELECT max(seq) FROM oplog')
version old 2
expect_eq "upgraded, the old spoke answers the same before any sync" "$expected" "$(rollup old)"
expect_eq "and wrote no op to do it" "$head_before" "$(sqlite3 "$TMP/old.db" 'SELECT max(seq) FROM oplog')"
expect_eq "its data is what it was (level-1 view)" "$(digest hub)" "$(digest old 1)"

# a change made on the old hub shows in the new query after a sync
at hub task "invoice" --project Work >/dev/null
syncs "one more task from the old hub" new
expect_eq "the rollup follows" "Work 2 1 0 1 0 1 0" "$(rollup new | tr '|' '\n' | grep '^Work')"
no_errors_logged
finish
