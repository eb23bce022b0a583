#!/bin/bash
# pg_migrate.sh — hephd migrate moves a SQLite hub into an owner of a
# PostgreSQL hub with its seqs, hub id, device tokens (hashes) and fleet: its
# spokes, pointed at the new hub with the tokens they had, continue where
# they were (no full pull, nothing pushed twice), a revoked token stays
# revoked, and a fresh spoke of the owner bootstraps to the same state.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
S="--store $PG_URL"
new_token old dev
new_token old gone
"$HEPHD" --db "$TMP/old.db" token revoke gone 2>/dev/null
start_hub old
OLD_PID=$HUB_PID
for s in a b; do h --db "$TMP/$s.db" hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null; done
for i in 1 2 3; do h --db "$TMP/a.db" task "a's task $i" >/dev/null; done
h --db "$TMP/b.db" task "b's task" >/dev/null
for s in a b a; do h --db "$TMP/$s.db" sync >/dev/null; done
printf '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"on the old hub"}}' >"$TMP/req"
http POST "$HUB_URL/rpc" "$(cat "$TMP/dev.token")" "$TMP/req" >/dev/null
stop "$OLD_PID"
old_ops=$(sqlite3 "$TMP/old.db" 'SELECT count(*) FROM oplog')

expect_status "migrate needs --to and --owner" 2 "$HEPHD" migrate --db "$TMP/old.db"
expect_status "the hub moves into an owner" 0 "$HEPHD" migrate --db "$TMP/old.db" --to "$PG_URL" --owner home
expect_status "not twice into the same owner" 1 "$HEPHD" migrate --db "$TMP/old.db" --to "$PG_URL" --owner home
expect_eq "every op came with its seq" "$(sqlite3 "$TMP/old.db" "SELECT group_concat(seq || ':' || op_id, ' ') FROM (SELECT seq, op_id FROM oplog ORDER BY seq)")" \
	"$(psql_q "SELECT string_agg(seq || ':' || op_id, ' ' ORDER BY seq) FROM heph_ops WHERE owner = 'home'")"
expect_eq "the device tokens came as hashes, the revoked one revoked" \
	"$(sqlite3 "$TMP/old.db" "SELECT group_concat(name || ':' || hash || ':' || (revoked_at IS NULL), ' ') FROM (SELECT * FROM tokens ORDER BY name)")" \
	"$(psql_q "SELECT string_agg(name || ':' || hash || ':' || (revoked_at IS NULL)::int, ' ' ORDER BY name) FROM heph_tokens WHERE owner = 'home'")"
expect_eq "(the old hub knew both spokes)" 2 "$(sqlite3 "$TMP/old.db" "SELECT count(*) FROM devices")"
expect_eq "the fleet came along" "$(sqlite3 "$TMP/old.db" "SELECT group_concat(origin || ':' || token, ' ') FROM (SELECT * FROM devices ORDER BY origin)")" \
	"$(psql_q "SELECT string_agg(origin || ':' || token, ' ' ORDER BY origin) FROM heph_devices WHERE owner = 'home'")"
expect_eq "the owner keeps the hub's id and head" "$(sqlite3 "$TMP/old.db" "SELECT (SELECT value FROM meta WHERE key = 'origin') || ' ' || max(seq) FROM oplog" 2>/dev/null || true)" \
	"$(psql_q "SELECT hub_id || ' ' || head FROM heph_owners WHERE name = 'home'")"
start_hub new $S --state-dir "$TMP/state"
expect_contains "the revoked token is refused by the new hub" "401" "$(http GET "$HUB_URL/sync/pull?protocol=1" "$(cat "$TMP/gone.token")")"
expect_status "a token name the old hub had live cannot be made again" 6 "$HEPHD" token create dev --owner home $S
# the spokes keep their old token: only the hub's address changes
for s in a b; do h --db "$TMP/$s.db" hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null; done
expect_contains "a continues: it pulls only the old hub's /rpc write" "pulled 3, pushed 0" "$(h --db "$TMP/a.db" sync)"
h --db "$TMP/a.db" task "after the move" >/dev/null
expect_contains "a's new op goes up alone" "pushed 3" "$(h --db "$TMP/a.db" sync)"
expect_contains "b pulls only what is new to it" "pulled 6, pushed 0" "$(h --db "$TMP/b.db" sync)"
expect_eq "nothing was pushed twice" "$(psql_q "SELECT count(DISTINCT op_id) FROM heph_ops WHERE owner = 'home'")" \
	"$(psql_q "SELECT count(*) FROM heph_ops WHERE owner = 'home'")"
h --db "$TMP/c.db" hub set "$HUB_URL" --token-file "$TMP/dev.token" >/dev/null
h --db "$TMP/c.db" sync >/dev/null
expect_eq "a fresh spoke and the old ones agree" "$(h --db "$TMP/a.db" digest) $(h --db "$TMP/a.db" digest)" \
	"$(h --db "$TMP/b.db" digest) $(h --db "$TMP/c.db" digest)"
expect_contains "the web app's write on the old hub is there" "on the old hub" "$(h --db "$TMP/c.db" list)"
finish
