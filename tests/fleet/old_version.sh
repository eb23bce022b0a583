#!/bin/bash
# old_version.sh — a real earlier heph, built from this repository's history
# at commit $OLD_COMMIT (tests/meson.build pins it; fleet/build-old.sh builds
# it), still syncs with this one, both ways: an old spoke through a current
# hub, and current spokes (level 1 and level 2) through an old hub. The old
# version predates fleet reporting and the devices table: the current hub
# lists it as a device of unknown version, and the old hub ignores the
# report fields current spokes send.
. "$(dirname "$0")/lib.sh"
: "${HEPH_OLD:?}" "${OLD_COMMIT:?}"

expect_status "heph at $OLD_COMMIT was built" 0 "$HEPH_OLD" --version
expect_contains "it is the older schema" "schema 6" "$OUT"
expect_status "and hephd" 0 "$HEPHD_OLD" --version

# ---- an old spoke, a current hub and spoke ----
hub_start 1
spoke o old
spoke c 1
P=$(at o project add Garden)
T=$(at o task "water the plants" --project Garden)
D=$(at o doc "watering schedule")
at o link add "$T" "$D" related >/dev/null
syncs "the old spoke pushes to the current hub" o
syncs "the current spoke pulls the old one's work" c
expect_eq "current spoke sees the old spoke's task in its project" "Garden" "$(field c "$T" project)"
U=$(at c task "buy a hose" --project Garden)
at c edit "$T" --attention red >/dev/null
at o edit "$T" --title "water the plants daily" >/dev/null
syncs "both ways" c o c
for n in hub o c; do
	expect_eq "$n: the old spoke's title" "water the plants daily" "$(field $n "$T" title)"
	expect_eq "$n: the current spoke's attention" red "$(field $n "$T" attention)"
	expect_eq "$n: the current spoke's task" "buy a hose" "$(field $n "$U" title)"
	expect_eq "$n: the old spoke's link" 1 "$(at $n links "$T" --json | json_get 'len([l for l in d if l["type"]=="related"])')"
done
expected=$(digest hub)
for n in o c; do expect_eq "$n holds the hub's state" "$expected" "$(digest $n)"; done
fleet=$(at hub fleet --json)
expect_eq "the hub lists the old spoke, of unknown version" "None" \
	"$(echo "$fleet" | json_get '[x["version"] for x in d if x["origin"]=="'"$(sqlite3 "$TMP/o.db" "SELECT value FROM meta WHERE key='origin'")"'"][0]')"
expect_eq "and the current one by name and version" "0.1.0 $S1" \
	"$(echo "$fleet" | json_get '" ".join(str(x[k]) for x in d if x["name"]=="c" for k in ("version","schema"))')"
no_errors_logged

# ---- an old hub, current spokes of both levels, an old spoke ----
stop "$HUB_PID"
rm -f "$TMP/hub.db"* "$TMP/hub.port" "$TMP/hub.log"
hub_start old
spoke o2 old
spoke c2 1
spoke n 2
A=$(at c2 task "sweep the path")
B=$(at n call task.create '{"title":"oil the gate","effort":"15m"}' | json_get 'd["node_id"]')
syncs "current spokes push to the old hub" c2 n
syncs "and everyone pulls" o2 c2 n
at o2 edit "$A" --do-date 2026-12-02 >/dev/null
at n call task.snooze "{\"id\":\"$B\",\"until\":\"2026-12-09\"}" >/dev/null
syncs "both ways again" o2 n c2 o2
for x in hub o2 c2 n; do
	expect_eq "$x: the current spoke's task" "sweep the path" "$(field $x "$A" title)"
	expect_eq "$x: the old spoke's do-date" 2026-12-02 "$(field $x "$A" do_date)"
	expect_eq "$x: the level-2 spoke's task" "oil the gate" "$(field $x "$B" title)"
done
for x in hub o2 c2; do
	expect_eq "$x: the snooze is stored, not applied" "1 None" \
		"$(sqlite3 "$TMP/$x.db" "SELECT count(*) FROM oplog WHERE type = 'task.snooze' AND status = 2") $(field $x "$B" do_date)"
done
expect_eq "the level-2 spoke applied its snooze" 2026-12-09 "$(field n "$B" do_date)"
spoke n2 2
syncs "a fresh level-2 spoke pulls from the old hub" n2
expect_eq "it gets the effort the old hub kept in the payload" 15m "$(field n2 "$B" effort)"
expect_eq "and applies the snooze the old hub relayed" 2026-12-09 "$(field n2 "$B" do_date)"
expect_eq "the two level-2 spokes agree" "$(digest n)" "$(digest n2)"
expected=$(digest hub)
for x in o2 c2; do expect_eq "$x holds the old hub's state" "$expected" "$(digest $x)"; done
expect_contains "the current spoke cannot learn from an old hub who applies the snooze" "not known here" \
	"$(at c2 ops --unapplied)"
# an old hub answers task.list with the whole list, not a page
expect_status "heph --remote list asks the old hub" 0 at c2 --remote "$HUB_URL" list --json
expect_eq "and shows every task it holds" "$(at hub list --json | json_get 'sorted(t["node_id"] for t in d)')" \
	"$(echo "$OUT" | json_get 'sorted(t["node_id"] for t in d)')"
expect_status "heph fleet against an old hub says it keeps no fleet" 4 at c2 fleet
expect_contains "and why" "before fleet reporting" "$ERR"
finish
