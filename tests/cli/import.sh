#!/bin/bash
# import.sh — heph import taskwarrior with real exports made by Debian's
# `task` in a throwaway TASKDATA: the mapping of every field, nothing new on
# a second import, convergence of two devices importing one file, and bad
# input refused whole.
. "$(dirname "$0")/lib.sh"

command -v task >/dev/null || { echo "taskwarrior (Debian package taskwarrior) is needed" >&2; exit 1; }
# a zone away from UTC, so that dates must go through local time both ways
export TZ=America/New_York
export TASKDATA="$TMP/tw" TASKRC="$TMP/tw/taskrc"
mkdir -p "$TASKDATA"
printf 'data.location=%s\nconfirmation=no\nverbose=nothing\nrecurrence.confirmation=no\nnews.version=2.6.2\n' "$TASKDATA" > "$TASKRC"
t() { task rc.hooks=off "$@" >/dev/null 2>&1; }
# add a task and print its uuid (ids shift as recurrences are generated)
add() { t add "$@"; task +LATEST _uuids; }

milk=$(add "Buy milk" project:Home.Groceries priority:H due:2026-12-01 scheduled:2026-11-20 +errand +Shop)
t "$milk" annotate "called the shop"
t "$milk" annotate "they close at 6"
add "Water plants" project:Home recur:weekly due:2026-11-21 >/dev/null
add "Pay rent" project:Home recur:monthly due:2026-12-01 priority:M >/dev/null
add "Card bill" recur:monthly due:2026-12-31 >/dev/null
add "Short series" recur:daily due:2026-11-20 until:2026-11-25 >/dev/null
for r in 2wks quarterly weekdays 3d P1Y; do add "Every $r" "recur:$r" due:2026-12-01 >/dev/null; done
add "Later thing" wait:2026-12-10 priority:L scheduled:2026-12-05 >/dev/null
done_u=$(add "Done thing" project:Work.Clients.Acme)
uuid_del=$(add "Deleted thing" project:Work)
add "Blocked on milk" "depends:$milk" priority:M >/dev/null
add "Odd tag" +x.y >/dev/null
add 'Café ünïcode, "quotes" \\ back' >/dev/null
t "$done_u" done
t "$uuid_del" delete
# complete the first occurrence of the weekly task
first=$(task export | python3 -c 'import json,sys; d=[t for t in json.load(sys.stdin) if t["description"]=="Water plants" and "parent" in t]; print(min(d, key=lambda t: t["due"])["uuid"])')
t "$first" annotate "used the rain water"
t "$first" done
task export > "$TMP/tw.json"
expect_eq "the export is real" yes "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("yes" if any(t["status"]=="recurring" for t in d) and any("parent" in t for t in d) else "no")' "$TMP/tw.json")"

expect_status "import" 0 h import taskwarrior "$TMP/tw.json"
expect_contains "says what it did" "imported" "$OUT"
expect_contains "a tag heph cannot spell is noted" 'tag "x.y"' "$ERR"

get() { h list --all --json | json_get "[t for t in d if t[\"title\"]==\"$1\"][0]$2"; }
expect_eq "fields of a pending task" "outstanding red 2026-11-20 2026-12-01 Groceries" \
	"$(get 'Buy milk' '' | python3 -c 'import json,sys; d=eval(sys.stdin.read()); print(d["state"], d["attention"], d["do_date"], d["late_on"], d["project"])')"
expect_eq "dotted projects nest" "Home|  Groceries|Work|  Clients|    Acme" \
	"$(h project list --json | json_get '"|".join("  "*p["depth"]+p["title"] for p in d)')"
BM=$(get 'Buy milk' '["node_id"]')
expect_eq "tags become tag links" "errand shop" "$(h show "$BM" --json | json_get '" ".join(d["tags"])')"
today_ny=$(date +%Y-%m-%d)
expect_eq "annotations go to the task's log, dated" "- $today_ny: called the shop|- $today_ny: they close at 6" \
	"$(h log "$BM" --json | json_get '"|".join(d["entries"])')"
expect_eq "wait and scheduled: the later is the do-date; L is white" "2026-12-10 white" "$(get 'Later thing' '["do_date"]') $(get 'Later thing' '["attention"]')"
expect_eq "a recurring task is one task" 1 "$(h list --all --json | json_get 'len([t for t in d if t["title"]=="Water plants"])')"
WP=$(get 'Water plants' '["node_id"]')
expect_eq "a completed occurrence is logged done, its annotations too" "- 2026-11-21: done|- $today_ny: used the rain water" \
	"$(h log "$WP" --json | json_get '"|".join(sorted(d["entries"]))')"
expect_eq "its next occurrence is the do-date, its recur a rule" "2026-11-28 FREQ=WEEKLY None" \
	"$(get 'Water plants' '["do_date"]') $(get 'Water plants' '["recurrence"]') $(get 'Water plants' '["late_on"]')"
expect_eq "Taskwarrior's periods become rules" "FREQ=WEEKLY;INTERVAL=2|FREQ=MONTHLY;INTERVAL=3|FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR|FREQ=DAILY;INTERVAL=3|FREQ=YEARLY" \
	"$(for r in 2wks quarterly weekdays 3d P1Y; do get "Every $r" '["recurrence"]'; done | paste -sd'|')"
expect_eq "until ends the series" "FREQ=DAILY;UNTIL=20261125" "$(get 'Short series' '["recurrence"]')"
expect_eq "monthly" "FREQ=MONTHLY orange" "$(get 'Pay rent' '["recurrence"]') $(get 'Pay rent' '["attention"]')"
expect_eq "monthly due on the 31st keeps to the month's last day, as in Taskwarrior" "FREQ=MONTHLY;BYMONTHDAY=-1" \
	"$(get 'Card bill' '["recurrence"]')"
expect_eq "completed is done" done "$(get 'Done thing' '["state"]')"
expect_eq "deleted is dropped, kept" dropped "$(get 'Deleted thing' '["state"]')"
BL=$(get 'Blocked on milk' '["node_id"]')
expect_eq "depends becomes a depends-on link" "$BM" "$(h links "$BL" --json | json_get '[l["dst"] for l in d if l["type"]=="depends-on"][0]')"
expect_eq "odd text survives" 'Café ünïcode, "quotes" \ back' "$(h list --json | json_get '[t["title"] for t in d if t["title"].startswith("Caf")][0]')"
expect_eq "dropped ids come from the uuid" yes \
	"$(h call import.taskwarrior "{\"tasks\":[$(python3 -c 'import json,sys; print(json.dumps([t for t in json.load(open(sys.argv[1])) if t["uuid"]==sys.argv[2]][0]))' "$TMP/tw.json" "$uuid_del")]}" | json_get '"yes" if d["already"]==1 and d["created"]==0 else "no"')"

# importing again creates nothing new
before=$(h digest)
nops=$(h ops --json | wc -l)
expect_status "a second import succeeds (and leaks nothing under the sanitizers)" 0 h import taskwarrior "$TMP/tw.json"
expect_contains "a second import finds everything" "0 imported" "$(h import taskwarrior "$TMP/tw.json" 2>/dev/null)"
expect_eq "a second import changes nothing" "$before" "$(h digest)"
expect_eq "and adds no op" "$nops" "$(h ops --json | wc -l)"
# one task object per line (what `task import` reads) works too
python3 -c 'import json,sys; [print(json.dumps(t)) for t in json.load(open(sys.argv[1]))]' "$TMP/tw.json" > "$TMP/tw.jsonl"
expect_contains "JSON lines are read too" "0 imported" "$(h import taskwarrior - < "$TMP/tw.jsonl" 2>/dev/null)"

# two devices importing the same file converge on one set of tasks
A="$TMP/a.db" B="$TMP/b.db"
h --db "$A" import taskwarrior "$TMP/tw.json" >/dev/null 2>&1
h --db "$B" import taskwarrior "$TMP/tw.json" >/dev/null 2>&1
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
expect_eq "two imports merge into one" "$(h --db "$A" digest)" "$(h --db "$B" digest)"
expect_eq "with no duplicate tasks" "$(h list --all --json | json_get 'len(d)')" "$(h --db "$A" list --all --json | json_get 'len(d)')"
expect_eq "and no conflicts" 0 "$(h --db "$A" conflicts --json | json_get 'len(d)')"
expect_eq "nor duplicate projects" 5 "$(h --db "$A" project list --json | json_get 'len(d)')"

# undo takes a whole import back
h --db "$A" import taskwarrior - <<<'[{"uuid":"11111111-2222-4333-8444-555555555555","description":"one more","status":"pending","entry":"20261101T120000Z"}]' >/dev/null
expect_eq "the extra task is there" 1 "$(h --db "$A" list --json | json_get 'len([t for t in d if t["title"]=="one more"])')"
h --db "$A" undo >/dev/null
expect_eq "undo removes what the import made" 0 "$(h --db "$A" list --json | json_get 'len([t for t in d if t["title"]=="one more"])')"
expect_contains "importing it again finds it deleted" "1 already here (1 of them deleted here)" \
	"$(h --db "$A" import taskwarrior - <<<'[{"uuid":"11111111-2222-4333-8444-555555555555","description":"one more","status":"pending","entry":"20261101T120000Z"}]')"

# bad input: a clear error, nothing imported
before=$(h digest)
printf '[{"uuid":"u-1234567","description":"ok","status":"pending"},{"uuid":"u-7654321","description":"x","status":"sleeping"}]' > "$TMP/bad.json"
expect_status "an unknown status" 3 h import taskwarrior "$TMP/bad.json"
expect_contains "names the task" "task 2" "$ERR"
printf '[{"uuid":"u-1234567","description":"ok","status":"pending","due":"tomorrow"}]' > "$TMP/bad.json"
expect_status "a bad date" 3 h import taskwarrior "$TMP/bad.json"
expect_contains "names the field" "due" "$ERR"
printf '[{"description":"no uuid","status":"pending"}]' > "$TMP/bad.json"
expect_status "no uuid" 3 h import taskwarrior "$TMP/bad.json"
printf '[{"uuid":"u-1234567","description":"ok","status":"pending"},\n' > "$TMP/bad.json"
expect_status "malformed JSON" 3 h import taskwarrior "$TMP/bad.json"
printf '{"uuid":"u-1234567","description":"ok","status":"pending"}\nnot json\n' > "$TMP/bad.json"
expect_status "a malformed line" 3 h import taskwarrior "$TMP/bad.json"
expect_contains "names the line" "line 2" "$ERR"
expect_status "a missing file" 4 h import taskwarrior "$TMP/none.json"
expect_status "no file" 2 h import taskwarrior
expect_status "an unknown source" 2 h import todoist "$TMP/tw.json"
expect_eq "nothing changed" "$before" "$(h digest)"

# UDAs (user-defined attributes) are kept, not dropped: as lines in the
# task's context doc (so heph export carries them) and named in the summary
printf 'uda.estimate.type=duration\nuda.size.type=numeric\nuda.client.type=string\n' >> "$TASKRC"
t add "Write the report" estimate:3h size:5 client:Acme
task export > "$TMP/uda.json"
expect_status "an import with UDAs" 0 env HEPH_DB="$TMP/uda.db" "$HEPH" import taskwarrior "$TMP/uda.json"
expect_contains "the summary says what was kept where" "context doc: client (1 task), estimate (1 task), size (1 task)" "$OUT"
UT=$(HEPH_DB="$TMP/uda.db" h list --json | json_get '[t["node_id"] for t in d if t["title"]=="Write the report"][0]')
expect_eq "the context doc holds them" "Taskwarrior fields:
- client: Acme
- estimate: PT3H
- size: 5" "$(HEPH_DB="$TMP/uda.db" h context "$UT")"
HEPH_DB="$TMP/uda.db" h export "$TMP/uda-out" >/dev/null
expect_contains "and heph export writes them" "- estimate: PT3H" "$(cat "$TMP"/uda-out/doc/*.md)"
expect_eq "the JSON result counts them" '{"client": 1, "estimate": 1, "size": 1}' \
	"$(h call import.taskwarrior "{\"tasks\":$(cat "$TMP/uda.json")}" | json_get 'json.dumps(d["udas"], sort_keys=True)' 2>/dev/null)"

finish
