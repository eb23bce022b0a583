#!/bin/bash
# upgrade.sh — the documented upgrade path (docs/how-to/upgrade.md): a
# fleet on the previous release (heph at $OLD_COMMIT, built from this
# repository's history) with a hub and two spokes; the hub is upgraded in
# place: it migrates its database once, as it starts, to this schema (and
# marks it as heph's); then the spokes keep syncing, one still on the old
# release and one upgraded afterwards, whose own database migrates too.
. "$(dirname "$0")/lib.sh"
: "${HEPH_OLD:?}" "${OLD_COMMIT:?}"
app_id=$(printf '%d' 0x68657068)

# ---- the previous release everywhere ----
hub_start old
spoke a old
spoke b old
T=$(at a task "written before the upgrade")
syncs "the old fleet syncs" a b
old_schema=$(schema hub)
expect_eq "the hub's database is the old schema" 1 "$([ "$old_schema" -lt "$S1" ] && echo 1)"
expect_eq "and carries no application id" 0 "$(sqlite3 "$TMP/hub.db" 'PRAGMA application_id')"
before=$(digest hub)

# ---- the hub upgraded in place ----
hub_upgrade 1
expect_eq "the hub migrated its database to this schema" "$S1" "$(schema hub)"
expect_eq "and marked it as heph's" "$app_id" "$(sqlite3 "$TMP/hub.db" 'PRAGMA application_id')"
expect_eq "it holds what it held" "$before" "$(digest hub)"
hub_upgrade 1
expect_eq "restarted, it stays at this schema" "$S1" "$(schema hub)"
expect_eq "with the same state" "$before" "$(digest hub)"

# ---- the spokes keep syncing ----
U=$(at a task "from the old spoke after the hub's upgrade")
syncs "an old spoke syncs with the upgraded hub" a b
expect_eq "the other old spoke has it" "from the old spoke after the hub's upgrade" "$(field b "$U" title)"
version b 1
V=$(at b task "from b, upgraded")
expect_eq "b's database migrated when the new heph opened it" "$S1" "$(schema b)"
syncs "the upgraded spoke syncs" b a
expect_eq "the old spoke has b's new task" "from b, upgraded" "$(field a "$V" title)"
expect_eq "the upgraded spoke still has the first task" "written before the upgrade" "$(field b "$T" title)"
expect_eq "hub and upgraded spoke agree" "$(digest hub)" "$(digest b)"
no_errors_logged
finish
