#!/bin/bash
# column.sh — the one row that needs a migration: a new column that apply
# writes (level 2's tasks.effort, filled from the "effort" payload field).
#
# 1. Hub-first rollout: the hub is upgraded, then each spoke, and only then
#    does anyone write an effort. Nothing fails at any step; all converge.
# 2. The rule broken: a spoke is upgraded before the hub and writes efforts
#    at once; the old hub and an old spoke apply those ops without the field
#    (nothing fails, nothing is held back). When each lagging node is
#    upgraded, the migration that adds the column fills it from the payloads
#    of the ops it had applied without it, and every node converges.
#    Without that backfill the lagging node would diverge for good: its ops
#    are marked applied, so no replay would ever look at them again. The
#    test makes that database too (the same migration without the backfill)
#    and shows it diverging.
. "$(dirname "$0")/lib.sh"

# ---- 1. hub first ----
hub_start 1
spoke a 1
spoke b 1
T=$(at a task "paint the fence")
syncs "before" a b
hub_upgrade 2
expect_eq "the upgraded hub has the column" 1 "$(has_column hub tasks effort)"
syncs "spokes on the old schema, hub on the new" a b
expect_eq "a is still on the older schema" 0 "$(has_column a tasks effort)"
version a 2
syncs "a upgraded" a b
version b 2
syncs "b upgraded" b a
expect_status "now an effort is written" 0 at a call task.edit "{\"id\":\"$T\",\"effort\":\"1d\"}"
expect_status "and a task created with one" 0 at b call task.create '{"title":"sand it first","effort":"2h"}'
U=$(echo "$OUT" | json_get 'd["node_id"]')
syncs "the efforts travel" a b a
for n in hub a b; do
	expect_eq "$n: the fence's effort" 1d "$(field $n "$T" effort)"
	expect_eq "$n: the new task's effort" 2h "$(field $n "$U" effort)"
	expect_eq "$n: nothing held back" 0 "$(unapplied $n)"
	expect_eq "$n: no sync error" None "$(at $n sync --status --json 2>/dev/null | json_get 'd["last_error"]' 2>/dev/null || echo None)"
done
expected=$(digest hub)
for n in a b; do expect_eq "$n converged (hub first)" "$expected" "$(digest $n)"; done
no_errors_logged

# ---- 2. the rule broken ----
stop "$HUB_PID"
rm -f "$TMP/hub.db"* "$TMP/hub.port" "$TMP/hub.log"
hub_start 1
spoke early 1
spoke late 1
X=$(at late task "file the taxes")
Y=$(at late task "renew the passport")
Z=$(at late task "call the plumber")
syncs "the starting point" late early
version early 2   # a spoke upgraded before the hub
expect_status "the early spoke sets an effort" 0 at early call task.edit "{\"id\":\"$X\",\"effort\":\"2h\"}"
expect_status "and another" 0 at early call task.edit "{\"id\":\"$Y\",\"effort\":\"30m\"}"
expect_status "and creates a task with one" 0 at early call task.create '{"title":"gather receipts","effort":"1h"}'
R=$(echo "$OUT" | json_get 'd["node_id"]')
syncs "efforts reach an old hub and an old spoke" early late
for n in hub late; do
	expect_eq "$n (old) applied every op" 0 "$(at $n ops --unapplied --json | wc -l)"
	expect_eq "$n (old) has the new task" "gather receipts" "$(field $n "$R" title)"
done
# concurrently: the old spoke edits the same task (another field), the
# early spoke changes its mind about one effort and clears another
at late edit "$X" --attention red >/dev/null
at early call task.edit "{\"id\":\"$X\",\"effort\":\"3h\"}" >/dev/null
at early call task.edit "{\"id\":\"$Y\",\"effort\":\"none\"}" >/dev/null
syncs "more of both" late early late

# the hub catches up: its migration fills the column from its op-log
hub_upgrade 2
expect_eq "upgraded hub: X's latest effort" 3h "$(field hub "$X" effort)"
expect_eq "upgraded hub: Y's effort, cleared" None "$(field hub "$Y" effort)"
expect_eq "upgraded hub: R's effort from its create" 1h "$(field hub "$R" effort)"
expect_eq "upgraded hub: the old spoke's attention too" red "$(field hub "$X" attention)"
expect_eq "upgraded hub: the early spoke's state" "$(digest early)" "$(digest hub)"

# the late spoke stays old while more efforts flow
at early call task.edit "{\"id\":\"$Z\",\"effort\":\"15m\"}" >/dev/null
syncs "efforts while the late spoke is still old" early late
expect_eq "late (old) has no effort column" 0 "$(has_column late tasks effort)"

# without a backfill: the same database, given the column and the schema
# version as the migration would but without filling it, diverges
cp "$TMP/late.db" "$TMP/nobf.db"
[ -f "$TMP/late.db-wal" ] && cp "$TMP/late.db-wal" "$TMP/nobf.db-wal"
sqlite3 "$TMP/nobf.db" "ALTER TABLE tasks ADD COLUMN effort TEXT;
	INSERT INTO meta(key, value) VALUES('feature_base', '$S1'); PRAGMA user_version = $S2;" >/dev/null
version nobf 2
expect_eq "the copy takes the level-2 binary without migrating again" "$S2" "$(schema nobf)"
expect_eq "without backfill: X has no effort" None "$(field nobf "$X" effort)"
expect_eq "without backfill: Z has no effort" None "$(field nobf "$Z" effort)"
expect_eq "without backfill: the ops count as applied, so nothing would replay them" 0 "$(unapplied nobf)"
divergent=$(digest nobf)
[ "$divergent" != "$(digest early)" ] && _ok || _report "without backfill the copy diverges" "its digest equals the early spoke's"

# the late spoke is upgraded: the real migration backfills
version late 2
expect_eq "upgraded late: X's effort" 3h "$(field late "$X" effort)"
expect_eq "upgraded late: Y's, cleared" None "$(field late "$Y" effort)"
expect_eq "upgraded late: Z's, set while it was old" 15m "$(field late "$Z" effort)"
expect_eq "upgraded late: R's" 1h "$(field late "$R" effort)"
expect_eq "the real migration made the same table as the hand-made one" \
	"$(sqlite3 "$TMP/nobf.db" .schema | grep 'TABLE tasks' -A0)" "$(sqlite3 "$TMP/late.db" .schema | grep 'TABLE tasks' -A0)"
expect_eq "the same columns too" "$(sqlite3 "$TMP/nobf.db" "SELECT group_concat(name) FROM pragma_table_info('tasks')")" \
	"$(sqlite3 "$TMP/late.db" "SELECT group_concat(name) FROM pragma_table_info('tasks')")"
syncs "after the upgrade" late early
expected=$(digest early)
for n in hub late; do expect_eq "$n converged (rule broken, backfilled)" "$expected" "$(digest $n)"; done
expect_eq "the no-backfill copy stays diverged" "$divergent" "$(digest nobf)"
no_errors_logged
finish
