#!/bin/bash
# fleet.sh — the fleet, visible. Every sync request carries the device's
# version, schema and op types; the hub keeps one row per device; heph fleet
# (through the hub) lists them with the op types each lacks or adds, when
# it was last heard from and how many ops it holds unapplied; heph ops
# --unapplied and heph sync --status say which version would apply them.
. "$(dirname "$0")/lib.sh"

HUB_AUTH=1
version hub 1
at hub hub set none --name hub >/dev/null   # the hub's own name in the list
for d in laptop tablet phone; do "$HEPHD" --db "$TMP/hub.db" token create "$d" >"$TMP/$d.token" 2>/dev/null; done
hub_start 1
spoke laptop 1 "$TMP/laptop.token"
spoke tablet 2 "$TMP/tablet.token"
spoke phone 1 "$TMP/phone.token"
daemon laptop
T=$(at laptop task "pack for the trip")
syncs "everyone" laptop tablet phone

fleet=$(at phone fleet --json)
row() { echo "$fleet" | json_get "[x for x in d if x['name']=='$1'][0]$2"; }
expect_eq "one row per device, the hub first" "hub laptop phone tablet" "$(echo "$fleet" | json_get '" ".join(x["name"] for x in d)')"
expect_eq "the hub is the hub" hub "$(row hub "['role']")"
expect_eq "the laptop: level-1 version and schema" "0.1.0 $S1" "$(row laptop "['version']") $(row laptop "['schema']")"
expect_eq "the tablet: level-2 version and schema" "0.1.0+fl2 $S2" "$(row tablet "['version']") $(row tablet "['schema']")"
expect_eq "the tablet knows an op type the hub does not" "['task.snooze'] []" \
	"$(row tablet "['extra_op_types']") $(row tablet "['missing_op_types']")"
expect_eq "each device is known by its token" laptop "$(row laptop "['token']")"
expect_eq "nothing unapplied anywhere" "0 0 0 0" "$(echo "$fleet" | json_get '" ".join(str(x["unapplied"]) for x in d)')"
seen=$(row phone "['last_seen_ms']")

# the tablet snoozes; the others store the op and say who applies it
at tablet call task.snooze "{\"id\":\"$T\",\"until\":\"2026-12-20\"}" >/dev/null
syncs "the snooze" tablet phone laptop
at phone task "charge the camera" >/dev/null
syncs "the phone reports again" phone
fleet=$(at laptop fleet --json)
expect_eq "the phone reports the op it cannot apply" 1 "$(row phone "['unapplied']")"
expect_eq "the hub holds it unapplied too" 1 "$(row hub "['unapplied']")"
expect_eq "the phone was seen again" True "$(row phone "['last_seen_ms'] > $seen")"
out=$(at phone ops --unapplied)
expect_contains "ops --unapplied lists the op" "task.snooze" "$out"
expect_contains "and says which version applies it, on which device" "applied by heph 0.1.0+fl2 (tablet)" "$out"
expect_eq "with --json each line says it too" "unknown_type 0.1.0+fl2 tablet" \
	"$(at phone ops --unapplied --json | json_get 'd["status"]+" "+d["applied_by"][0]["version"]+" "+d["applied_by"][0]["devices"][0]')"
expect_contains "sync --status says so" "applied by heph 0.1.0+fl2 (tablet)" "$(at phone sync --status)"
expect_eq "sync --status --json too" "task.snooze 1" \
	"$(at phone sync --status --json | json_get 'd["unapplied"]["types"][0]["type"]+" "+str(d["unapplied"]["ops"])')"
expect_contains "the hub's own ops --unapplied knows from its table" "applied by heph 0.1.0+fl2 (tablet)" "$(at hub ops --unapplied)"

# human output: one line per device
out=$(at tablet fleet)
expect_contains "heph fleet has a header" "DEVICE" "$out"
expect_contains "and shows the extra op type" "+task.snooze" "$out"
expect_eq "one line per device and a header" 5 "$(echo "$out" | wc -l)"
expect_status "heph --remote fleet asks that hub" 0 "$HEPH" --remote "$HUB_URL" --token-file "$TMP/phone.token" fleet --json
expect_eq "and gets the same devices" "hub laptop phone tablet" "$(echo "$OUT" | json_get '" ".join(x["name"] for x in d)')"

# the hub is upgraded: now the phone and laptop lack what the hub knows
hub_upgrade 2
syncs "after the hub's upgrade" phone laptop tablet
fleet=$(at phone fleet --json)
expect_eq "the hub is level 2 now" "0.1.0+fl2 $S2" "$(row hub "['version']") $(row hub "['schema']")"
expect_eq "the phone lacks the hub's op type" "['task.snooze']" "$(row phone "['missing_op_types']")"
expect_eq "the tablet is level with the hub" "[] []" "$(row tablet "['missing_op_types']") $(row tablet "['extra_op_types']")"
expect_eq "the hub applied the snooze" 0 "$(row hub "['unapplied']")"
expect_contains "the phone now hears of two devices that apply it" "applied by heph 0.1.0+fl2 (hub, tablet)" "$(at phone ops --unapplied)"
expect_eq "still one row per device" 3 "$(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM devices')"

# bad reports are bad input: 400, and nothing of the request applied
ops=$(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog')
printf '{"protocol":1,"node":{"origin":"not-a-device"},"ops":[]}' >"$TMP/bad.json"
r=$(http POST "$HUB_URL/sync/push" "$(cat "$TMP/phone.token")" "$TMP/bad.json")
expect_eq "a push with a malformed report: 400" 400 "${r%% *}"
expect_contains "naming the field" "origin" "$r"
r=$(http GET "$HUB_URL/sync/pull?protocol=1&after=0&origin=0123456789abcdef&op_types=Not%20a%20type" "$(cat "$TMP/phone.token")")
expect_eq "a pull with a malformed op type: 400" 400 "${r%% *}"
expect_eq "nothing changed on the hub" "$ops 3" "$(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM oplog') $(sqlite3 "$TMP/hub.db" 'SELECT count(*) FROM devices')"
finish
