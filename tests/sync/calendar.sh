#!/bin/bash
# calendar.sh — the hub's calendar feed (heph calendar url|revoke|alarms):
# fetched over HTTP from a real hub and read back with libical (ical-dump),
# compared with what the hub's own task list says it must hold; it follows
# `heph done` (ETag, the done task gone, a recurring task's next day), an
# unchanged feed answers 304, a revoked or wrong secret is a bare 404, and
# `heph export --ical --events` is the same writer's text.
. "$(dirname "$0")/lib.sh"
: "${ICAL_DUMP:?ICAL_DUMP must point at the ical-dump tool}"

export XDG_CONFIG_HOME="$TMP/config"
start_hub hub
new_token hub laptop
L="$TMP/laptop.db"
lh() { h --db "$L" "$@"; }
hub() { h --remote "$HUB_URL" --token-file "$TMP/laptop.token" "$@"; }
lh hub set "$HUB_URL" --token-file "$TMP/laptop.token" >/dev/null

# fetch URL [Header:Value...] — GET it; ST is the status, $TMP/body the body
# as it came, $TMP/headers the answer's headers
fetch() {
	u=$1
	shift
	HEADERS=1 BODY_FILE="$TMP/body" python3 "$HERE/httpreq.py" GET "$u" "" "" "$@" >"$TMP/answer"
	ST=$(head -1 "$TMP/answer" | cut -d' ' -f1)
	tail -n +2 "$TMP/answer" >"$TMP/headers"
}
header() { grep -i "^$1: " "$TMP/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# The fixture: every kind of date a task can have, and tasks the feed leaves out.
P=$(lh project add Home)
RENT=$(lh task "Pay rent" --attention red --do-date 2026-11-20 --late-on 2026-11-25 --project "$P")
WATER=$(lh task "Water plants" --attention orange --recur weekly --do-date 2026-11-18)
DENT=$(lh task "Book dentist" --late-on 2026-12-01)
READ=$(lh task "Read the paper" --attention blue --do-date 2026-11-30)
TAX=$(lh task "File taxes" --attention red --do-date 2026-12-07 --late-on 2026-12-07)
lh task "Someday" --attention orange >/dev/null
OLD=$(lh task "Old bill" --attention red --late-on 2026-11-19)
lh done "$OLD" >/dev/null
lh sync >/dev/null

# expected FILE ALARM-COLOURS OFFSET — the VEVENTs the hub's task list (FILE,
# heph list --json) calls for, as ical_items prints them
expected() {
	python3 - "$@" <<'PY'
import json, sys
tasks, colours, offset = json.load(open(sys.argv[1])), set(filter(None, sys.argv[2].split(","))), sys.argv[3]
out = []
for t in tasks:
    if t["state"] != "outstanding":
        continue
    do, late, rule = t.get("do_date"), t.get("late_on"), t.get("recurrence")
    if do and not (late and not rule and do == late):
        out.append("VEVENT|%s@heph|%s|%s|%s|-" % (t["node_id"], t["title"], do, rule or "-"))
    if late:
        out.append("VEVENT|%s-late@heph|Last day: %s|%s|-|%s" % (t["node_id"], t["title"], late,
                                                               offset if t["attention"] in colours else "-"))
print("\n".join(sorted(out)))
PY
}
# ical_items FILE — what libical reads in an iCalendar file, one line a component
ical_items() {
	"$ICAL_DUMP" "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if d["errors"]:
    print("libical found errors:", d["errors"])
for i in sorted(d["items"], key=lambda i: i["uid"]):
    al = ",".join("%s/%s/%s" % (a["action"], a["trigger"], a["related"]) if a["related"] == "END" else a["trigger"]
                  for a in i["alarms"] if a["action"] == "DISPLAY") or "-"
    print("%s|%s|%s|%s|%s|%s" % (i["kind"], i["uid"], i["summary"], i["dtstart"], i["rrule"] or "-", al))
' | sort
}

# ---- the URL: made once, kept on this device, shown again from there
expect_status "calendar url" 0 lh calendar url
URL=$(echo "$OUT" | head -1)
expect_contains "a feed URL on the hub" "$HUB_URL/calendar/" "$URL"
SECRET=${URL##*/calendar/}
SECRET=${SECRET%.ics}
expect_eq "the secret is 64 hex digits" 64 "$(echo -n "$SECRET" | tr -cd '0-9a-f' | wc -c)"
expect_eq "asked again, the same URL" "$URL" "$(lh calendar url)"
expect_eq "--json says it was not made now" "False $URL" "$(lh calendar url --json | json_get 'd["created"], d["url"]' | tr -d '(),'"'"'')"
expect_eq "kept in the credentials file by hub URL" "$URL" \
	"$(json_get "d['calendar_urls']['$HUB_URL']" <"$TMP/config/heph/credentials.json")"
expect_eq "the credentials file stays private" 600 "$(stat -c %a "$TMP/config/heph/credentials.json")"
expect_eq "the hub's database files hold no secret" "" "$(grep -l "$SECRET" "$TMP"/hub.db* 2>/dev/null)"
expect_eq "only its hash" "$(printf %s "$SECRET" | sha256sum | cut -d' ' -f1)" \
	"$(sqlite3 "$TMP/hub.db" "SELECT json_extract(value, '\$.hash') FROM settings WHERE key = 'calendar.feed'")"

# ---- the feed, read with libical, against the hub's tasks
fetch "$URL"
expect_eq "200" 200 "$ST"
expect_eq "text/calendar" "text/calendar; charset=utf-8" "$(header Content-Type)"
expect_eq "not kept by shared caches" "private, no-cache" "$(header Cache-Control)"
expect_eq "nosniff" nosniff "$(header X-Content-Type-Options)"
expect_eq "no CORS" "" "$(header Access-Control-Allow-Origin)"
cp "$TMP/body" "$TMP/feed1.ics"
ETAG1=$(header ETag)
LM1=$(header Last-Modified)
hub list --all --json >"$TMP/tasks1.json"
expect_eq "one VEVENT per do-date and late-on, alarms on red and orange late-ons at PT9H" \
	"$(expected "$TMP/tasks1.json" red,orange PT9H)" "$(ical_items "$TMP/feed1.ics")"
expect_eq "the fixture's late-ons that ring: rent and taxes (red; the dentist is white)" 2 \
	"$(ical_items "$TMP/feed1.ics" | grep -c '|PT9H$')"
expect_eq "nothing of the undated, the done" "" "$(ical_items "$TMP/feed1.ics" | grep -e Someday -e 'Old bill')"
expect_eq "a do-date that is the late-on, not recurring: one event" "VEVENT|$TAX-late@heph" \
	"$(ical_items "$TMP/feed1.ics" | grep 'File taxes' | cut -d'|' -f1,2)"
expect_eq "the recurring task repeats" "FREQ=WEEKLY" "$(ical_items "$TMP/feed1.ics" | grep "^VEVENT|$WATER@" | cut -d'|' -f5)"
expect_eq "apps are asked to look every 15 minutes" PT15M "$("$ICAL_DUMP" "$TMP/feed1.ics" | json_get 'd["refresh"]')"
expect_eq "lines end in CRLF" 0 "$(python3 -c 'import re,sys; print(len(re.findall(rb"[^\r]\n", open(sys.argv[1],"rb").read())))' "$TMP/feed1.ics")"

# one writer: heph export --ical --events of the hub is the feed, but for the refresh lines
hub export --ical "$TMP/export.ics" --events >/dev/null
expect_eq "export --ical --events is the feed's text" "$(grep -v -e REFRESH-INTERVAL -e X-PUBLISHED-TTL "$TMP/feed1.ics")" \
	"$(cat "$TMP/export.ics")"
lh export --ical "$TMP/todos.ics" >/dev/null
expect_eq "export --ical still writes VTODOs, with the same alarms, relative to DUE" \
	"$(python3 -c '
import json,sys
for t in json.load(open(sys.argv[1])):
    if t["state"] == "outstanding" and t["late_on"] and t["attention"] in ("red", "orange"):
        print("VTODO|%s@heph|DISPLAY/PT9H/END" % t["node_id"])' "$TMP/tasks1.json" | sort)" \
	"$(ical_items "$TMP/todos.ics" | grep -v '|-$' | cut -d'|' -f1,2,6)"

# ---- unchanged: 304, with either validator
fetch "$URL" "If-None-Match:$ETAG1"
expect_eq "If-None-Match, unchanged: 304" 304 "$ST"
expect_eq "with no body" 0 "$(stat -c %s "$TMP/body")"
expect_eq "and the same ETag" "$ETAG1" "$(header ETag)"
fetch "$URL" "If-Modified-Since:$LM1"
expect_eq "If-Modified-Since, unchanged: 304" 304 "$ST"
fetch "$URL" "If-None-Match:\"other\""
expect_eq "another ETag: the feed" 200 "$ST"

# ---- heph done changes it
lh done "$RENT" >/dev/null
lh done "$WATER" >/dev/null
lh sync >/dev/null
fetch "$URL" "If-None-Match:$ETAG1"
expect_eq "changed after done: 200" 200 "$ST"
ETAG2=$(header ETag)
expect_status "a new ETag" 1 test "$ETAG1" = "$ETAG2"
cp "$TMP/body" "$TMP/feed2.ics"
hub list --all --json >"$TMP/tasks2.json"
expect_eq "the feed is the hub's tasks after done" "$(expected "$TMP/tasks2.json" red,orange PT9H)" "$(ical_items "$TMP/feed2.ics")"
expect_eq "the done task is gone" "" "$(ical_items "$TMP/feed2.ics" | grep "$RENT")"
next=$(python3 -c 'import datetime; print(datetime.date(2026, 11, 18) + datetime.timedelta(days=7))')
expect_eq "the recurring task's next occurrence" "$next" \
	"$(ical_items "$TMP/feed2.ics" | grep "^VEVENT|$WATER@" | cut -d'|' -f4)"
fetch "$URL" "If-Modified-Since:$LM1"
expect_eq "If-Modified-Since the old time: 200" 200 "$ST"
expect_status "a later Last-Modified" 0 python3 -c '
import sys, email.utils as e
sys.exit(0 if e.parsedate_to_datetime(sys.argv[2]) > e.parsedate_to_datetime(sys.argv[1]) else 1)' "$LM1" "$(header Last-Modified)"

# ---- the alarms are a setting of the hub's
expect_status "alarms: white, the day before at 9:00" 0 lh calendar alarms --attention white --offset=-PT15H
expect_eq "the setting" "['white'] -PT15H" "$(lh calendar alarms --json | json_get 'd["attention"], d["offset"]' | tr -d '(),')"
fetch "$URL" "If-None-Match:$ETAG2"
expect_eq "a setting changes the feed too: 200" 200 "$ST"
cp "$TMP/body" "$TMP/feed3.ics"
expect_eq "alarms on white late-ons at -PT15H" "$(expected "$TMP/tasks2.json" white -PT15H)" "$(ical_items "$TMP/feed3.ics")"
expect_status "attention none: no alarms" 0 lh calendar alarms --attention none
fetch "$URL"
expect_eq "no VALARM left" 0 "$(grep -c VALARM "$TMP/body")"
digest=$(hub digest)
expect_status "a bad offset is refused" 3 lh calendar alarms --offset soon
expect_contains "saying what it wants" "RFC 5545 duration" "$ERR"
expect_status "a bad colour is refused" 3 lh calendar alarms --attention purple
expect_status "none beside a colour is refused" 3 lh calendar alarms --attention none --attention red
expect_eq "the refusals changed nothing" "[] -PT15H" "$(lh calendar alarms --json | json_get 'd["attention"], d["offset"]' | tr -d '(),')"
expect_eq "nor the hub's tasks" "$digest" "$(hub digest)"

# ---- wrong secrets: a bare 404 that tells nothing
fetch "$HUB_URL/calendar/$(printf '%064d' 0).ics"
expect_eq "a wrong secret: 404" 404 "$ST"
WRONG=$(head -1 "$TMP/answer" | cut -d' ' -f2-)
fetch "$HUB_URL/calendar/nothing.ics"
expect_eq "a malformed one: the same answer" "404 $WRONG" "$ST $(head -1 "$TMP/answer" | cut -d' ' -f2-)"
expect_not_contains "no task title in it" "Water" "$WRONG"
expect_eq "a POST: 405" 405 "$(http POST "$URL" "" /dev/null | cut -d' ' -f1)"
expect_status "the hub's log never shows a secret" 1 grep -q "$SECRET" "$TMP/hub.log"

# ---- a device that did not make it cannot show it; --new replaces it
expect_status "another device, no URL kept: exit 4" 4 env XDG_CONFIG_HOME="$TMP/other" "$HEPH" --db "$L" calendar url
expect_contains "it says why and what to do" "heph calendar url --new" "$ERR"
expect_status "--new on the other device" 0 env XDG_CONFIG_HOME="$TMP/other" "$HEPH" --db "$L" calendar url --new
URL2=$(echo "$OUT" | head -1)
fetch "$URL"
expect_eq "the old URL: 404" 404 "$ST"
fetch "$URL2"
expect_eq "the new one works" 200 "$ST"

# ---- revoke
expect_status "revoke" 0 env XDG_CONFIG_HOME="$TMP/other" "$HEPH" --db "$L" calendar revoke
fetch "$URL2"
expect_eq "a revoked URL: 404" 404 "$ST"
expect_eq "the same bare answer" "$WRONG" "$(head -1 "$TMP/answer" | cut -d' ' -f2-)"
expect_eq "forgotten on that device" "None" \
	"$(json_get "d.get('calendar_urls', {}).get('$HUB_URL')" <"$TMP/other/heph/credentials.json")"
expect_status "revoking again: exit 4" 4 lh calendar revoke
expect_status "a new URL after revoking" 0 lh calendar url
URL3=$(echo "$OUT" | head -1)
expect_status "a new secret" 1 test "$URL3" = "$URL2"
fetch "$URL3"
expect_eq "it works" 200 "$ST"

# ---- only a hub makes feeds
expect_status "no hub set: usage" 2 h --db "$TMP/alone.db" calendar url
expect_contains "saying a hub serves it" "no hub is set" "$ERR"
expect_status "calendar.url in-process: refused" 2 h --db "$TMP/alone.db" call calendar.url
expect_contains "naming the hub" "answered by a hub" "$ERR"
expect_status "alarms without a hub: this database's" 0 h --db "$TMP/alone.db" calendar alarms --attention blue
expect_contains "for export --ical" "export --ical" "$OUT"
finish
