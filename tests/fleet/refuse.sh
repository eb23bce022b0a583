#!/bin/bash
# refuse.sh — what a node cannot use, it refuses clearly and leaves alone.
#  - A database newer than the binary (a level-2 database, a newer level-1
#    one, one whose level-2 migrations sit on another level-1 numbering) is
#    refused by heph and by hephd with a message naming both versions, and
#    the file is not changed.
#  - A spoke whose sync protocol the hub cannot speak gets HTTP 426, a
#    message naming both protocols, and loses nothing: its ops stay, wait to
#    be pushed, and are pushed by a heph that speaks the hub's protocol.
. "$(dirname "$0")/lib.sh"
: "${HEPH_PROTO2:?HEPH_PROTO2 must point at heph speaking sync protocol 2}"

# the state of a database file: its bytes and its WAL's
fingerprint() { cat "$TMP/$1.db" "$TMP/$1.db-wal" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# ---- a database newer than the binary ----
version new 2
at new task "made at level 2" >/dev/null
at new call task.edit "{\"id\":\"$(at new list --json | json_get 'd[0]["node_id"]')\",\"effort\":\"1h\"}" >/dev/null
expect_eq "a level-2 database has level 2's schema" "$S2" "$(schema new)"
before=$(fingerprint new)
version new 1
expect_status "level-1 heph refuses it" 8 at new list
expect_contains "naming its version" "schema version $S2" "$ERR"
expect_contains "and its own" "this heph ($S1)" "$ERR"
expect_status "level-1 heph refuses to write to it" 8 at new task "from level 1"
expect_status "level-1 hephd (hub) will not serve it" 8 "$HEPHD" --mode server --db "$TMP/new.db" --http-addr 127.0.0.1:0 --no-auth
expect_contains "and says why" "schema version $S2" "$ERR"
expect_status "level-1 hephd (spoke) will not serve it" 8 "$HEPHD" --mode local --db "$TMP/new.db" --socket "$TMP/x.sock"
expect_eq "the file is untouched" "$before" "$(fingerprint new)"
version new 2
expect_eq "and the level-2 heph still reads it" "made at level 2" "$(at new list --json | json_get 'd[0]["title"]')"

# level-2 migrations laid on another level-1 numbering (as when level 1
# gains a migration after a level-2 database was made): refused by both
cp "$TMP/new.db" "$TMP/moved.db"
[ -f "$TMP/new.db-wal" ] && cp "$TMP/new.db-wal" "$TMP/moved.db-wal"
sqlite3 "$TMP/moved.db" "UPDATE meta SET value = '$((S1 - 1))' WHERE key = 'feature_base'"
before=$(fingerprint moved)
version moved 2
expect_status "level 2 refuses level-2 migrations on another base" 8 at moved list
expect_contains "naming both bases" "level-1 schema $((S1 - 1)), but this heph lays them on level-1 schema $S1" "$ERR"
version moved 1
sqlite3 "$TMP/moved.db" "PRAGMA user_version = $S1" >/dev/null
before=$(fingerprint moved)
expect_status "level 1 refuses a stamped database even at its own version" 8 at moved list
expect_contains "saying where it came from" "feature-level-2 heph" "$ERR"
expect_eq "that file is untouched too" "$before" "$(fingerprint moved)"

# a level-1 database from a newer heph (its schema S2 is some other level-1
# migration, not level 2's): the level-2 build must not take it for its own
version newer 1
at newer task "from a newer level 1" >/dev/null
sqlite3 "$TMP/newer.db" "PRAGMA user_version = $S2" >/dev/null
before=$(fingerprint newer)
version newer 2
expect_status "level 2 refuses a newer level-1 schema" 8 at newer list
expect_contains "naming both" "level-1 schema version $S2, newer than this heph's level-1 schema ($S1" "$ERR"
version newer 1
expect_status "level 1 refuses it as newer" 8 at newer list
expect_eq "untouched" "$before" "$(fingerprint newer)"

# ---- a sync protocol the hub does not speak ----
hub_start 1
spoke p p2
at p task "written by a protocol-2 spoke" >/dev/null
at p task "and another" >/dev/null
ops_before=$(at p ops --json | wc -l)
state_before=$(at p digest)
pending_before=$(at p sync --status --json | json_get 'd["pending_push"]')
expect_status "the hub refuses the protocol-2 spoke" 13 at p sync
expect_contains "naming the spoke's protocol" "protocol version 2" "$ERR"
expect_contains "and the hub's" "the hub speaks protocol 1" "$ERR"
expect_contains "and which side to upgrade" "upgrade the hub" "$ERR"
r=$(http GET "$HUB_URL/sync/pull?protocol=2&after=0")
expect_eq "on the wire it is HTTP 426" 426 "${r%% *}"
st=$(at p sync --status --json)
expect_contains "sync --status keeps the error" "protocol version 2" "$(echo "$st" | json_get 'd["last_error"]')"
expect_eq "nothing is lost: the ops" "$ops_before" "$(at p ops --json | wc -l)"
expect_eq "nothing is lost: the state" "$state_before" "$(at p digest)"
expect_eq "nothing is lost: the ops still wait to be pushed" "$pending_before" "$(echo "$st" | json_get 'd["pending_push"]')"
expect_eq "the hub took nothing" 0 "$(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog')"
version p 1   # the same database with a heph that speaks protocol 1
syncs "the same database with the hub's protocol" p
expect_eq "every op reached the hub" "$ops_before" "$(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog')"
expect_eq "the hub holds the spoke's state" "$state_before" "$(digest hub)"
expect_eq "nothing waits any more" 0 "$(at p sync --status --json | json_get 'd["pending_push"]')"
finish
