#!/bin/bash
# converge.sh — a hub and three spokes, each a real hephd on its own
# database. The spokes change the same task concurrently while the hub is
# down (titles, attention, dates, a project, a link one adds while another
# removes it); once the hub is back and each has synced, all four hold the
# same state and every replica's conflicts queue keeps the losing values.
. "$(dirname "$0")/lib.sh"

new_token hub devices
start_hub hub
PORT=${HUB_URL##*:}
for s in a b c; do
	on $s hub set "$HUB_URL" --token-file "$TMP/devices.token" >/dev/null
	start_spoke $s --sync-interval 3600
done

# shared starting point, made on a and synced everywhere
T=$(on a task "shared task")
P=$(on a project add Shared)
D=$(on a doc "notes")
on a link add "$T" "$D" related >/dev/null
for s in a b c; do expect_status "$s syncs the base" 0 on $s sync; done
expect_eq "b has the shared task" "shared task" "$(on b show "$T" --json | json_get 'd["title"]')"
expect_contains "heph sync went through the spoke's hephd" '"daemon"' "$(on b sync --status --json)"

# the hub goes away; every spoke keeps working offline
stop "$HUB_PID"
on a edit "$T" --title "title from A" --attention red >/dev/null
on b edit "$T" --title "title from B" >/dev/null
on c edit "$T" --attention orange --do-date 2026-12-24 --project Shared >/dev/null
on a link add "$T" "$D" related >/dev/null   # a fresh add ...
on b link rm "$T" "$D" related >/dev/null    # ... concurrent with a remove of the old one
C1=$(on c task "c's own task")
rpc "$TMP/c.sock" '{"jsonrpc":"2.0","id":1,"method":"task.create","params":{"title":"from c over the socket"}}' >/dev/null
expect_status "sync without a hub fails" 14 on a sync
expect_contains "the error names the hub" "$HUB_URL" "$ERR"
st=$(on a sync --status --json)
expect_eq "status keeps the last error" True "$(echo "$st" | json_get 'd["last_error"] is not None')"
expect_eq "status is not an auth failure" False "$(echo "$st" | json_get 'd["auth_failed"]')"
expect_eq "a's ops wait to be pushed" True "$(echo "$st" | json_get 'd["pending_push"] > 0')"
expect_eq "a still answers locally" "title from A" "$(on a show "$T" --json | json_get 'd["title"]')"

# the hub comes back on its port; two rounds reach everyone
start_hub hub --http-addr "127.0.0.1:$PORT"
for s in a b c a b; do expect_status "$s syncs" 0 on $s sync; done

want=$(h --db "$TMP/hub.db" digest)
for s in a b c; do expect_eq "$s holds the hub's state" "$want" "$(on $s digest)"; done
for s in a b c; do
	expect_eq "$s has nothing left to push" 0 "$(on $s sync --status --json | json_get 'd["pending_push"]')"
done
expect_eq "the hub holds every op once" "$(sqlite3 "$TMP/hub.db" 'SELECT count(DISTINCT op_id) FROM oplog')" \
	"$(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog')"

# the merge: latest writes win, losers are kept, the concurrent add survives
for s in a b c hub; do
	if [ $s = hub ]; then db="$TMP/hub.db"; else db="$TMP/$s.db"; fi
	show=$(h --db "$db" show "$T" --json)
	expect_eq "$s: the later title wins" "title from B" "$(echo "$show" | json_get 'd["title"]')"
	expect_eq "$s: the later attention wins" orange "$(echo "$show" | json_get 'd["attention"]')"
	expect_eq "$s: c's do-date and project arrive" "2026-12-24 Shared" "$(echo "$show" | json_get 'd["do_date"]+" "+d["project"]')"
	c=$(h --db "$db" conflicts --json)
	expect_eq "$s: the losing title is in the conflicts queue" "title from A" \
		"$(echo "$c" | json_get '[x["other"] for x in d if x["field"]=="title"][0]')"
	expect_eq "$s: the losing attention is in the conflicts queue" red \
		"$(echo "$c" | json_get '[x["other"] for x in d if x["field"]=="attention"][0]')"
	expect_eq "$s: the add concurrent with the remove survives" 1 \
		"$(h --db "$db" links "$T" --json | json_get 'len([l for l in d if l["type"]=="related"])')"
done
expect_contains "a sees c's socket task" "from c over the socket" "$(on a list)"
expect_contains "b sees c's task" "c's own task" "$(on b list)"
expect_eq "a counts c's conflicts too" True "$(on a sync --status --json | json_get 'd["conflicts"] >= 2')"

# a resolution on one spoke reaches the others through the hub
cid=$(on a conflicts --json | json_get '[c["id"] for c in d if c["field"]=="title"][0]')
on a conflicts resolve "$cid" --keep mine >/dev/null
on a sync >/dev/null
on c sync >/dev/null
expect_eq "the resolution reaches c" "title from A" "$(on c show "$T" --json | json_get 'd["title"]')"
finish
