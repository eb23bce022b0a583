#!/bin/bash
# next.sh — heph next, heph view and heph attention against a real
# database, with HEPH_NOW fixing today (2026-11-18 from lib.sh).
. "$(dirname "$0")/lib.sh"

titles() { json_get '",".join(t["title"] for t in d)'; }

h project add Work >/dev/null
h project add Clients --parent Work >/dev/null
h project add Home >/dev/null
h task "white old" --project Home >/dev/null
O=$(h task "orange" --attention orange --project Clients)
h task "red" --attention red >/dev/null
h task "late white" --late-on 2026-11-15 --project Work >/dev/null
h task "later" --do-date 2026-11-25 --attention red >/dev/null
h task "blue" --attention blue --project Home >/dev/null
h task "due today" --do-date today --project Home >/dev/null

expect_eq "next ranks late, then red, orange, white, oldest first" "late white,red,orange,white old,due today" \
	"$(h next --json | titles)"
expect_eq "next --limit keeps the first N" "late white,red" "$(h next --limit 2 --json | titles)"
expect_eq "red tasks are shown beyond the limit" "late white,red" "$(h next --limit 1 --json | titles)"
expect_eq "next --project takes the subtree" "late white,orange" "$(h next --project Work --json | titles)"
out=$(h next)
expect_contains "next prints a table" "late white" "$out"
expect_contains "next shows how late a late task is" "late 3d" "$out"
expect_eq "a later today makes the do-date task a candidate" "late white,red,later,orange,white old,due today" \
	"$(HEPH_NOW=2026-11-25 h next --json | titles)"

# views
list=$(h view)
for v in tom ondeck chores work tasks inbox; do
	expect_contains "heph view lists $v" "$v " "$list"
done
expect_eq "view --json lists six views" 6 "$(h view --json | json_get 'len(d)')"
expect_eq "heph view says how many tasks each view holds" "tom 5|ondeck 1|tasks 7" \
	"$(echo "$list" | awk '$1 == "tom" || $1 == "ondeck" || $1 == "tasks" {print $1, $2}' | paste -sd'|')"
expect_eq "and so does view --json" "5 1 7" "$(h view --json | json_get '" ".join(str(v["count"]) for v in d if v["name"] in ("tom","ondeck","tasks"))')"
expect_eq "view tom" "late white,red,orange,white old,due today" "$(h view tom --json | titles)"
expect_eq "view ondeck" "blue" "$(h view ondeck --json | titles)"
expect_eq "view work: the Work subtree" "late white,orange" "$(h view work --json | titles)"
expect_eq "view chores: outside Work" "red,white old,due today" "$(h view chores --json | titles)"
expect_eq "view tasks: every outstanding task" "late white,red,later,orange,white old,due today,blue" \
	"$(h view tasks --json | titles)"
expect_eq "view inbox: no project" "red,later" "$(h view inbox --json | titles)"
expect_eq "view --limit (and red beyond it)" "late white,red,later" "$(h view tasks --limit 2 --json | titles)"

# attention
out=$(h attention "$O" red)
expect_contains "attention prints the colour" "red" "$out"
expect_eq "attention changes the band" "late white,orange,red,white old,due today" "$(h next --json | titles)"
expect_eq "attention is stored" red "$(h show "$O" --json | json_get 'd["attention"]')"
h attention "$O" blue >/dev/null
expect_eq "blue leaves what is next" "late white,red,white old,due today" "$(h next --json | titles)"
expect_eq "and joins ondeck" "orange,blue" "$(h view ondeck --json | titles)"

# a database without a Work project: work is empty, chores leaves nothing out
export HEPH_DB="$TMP/other.db"
h task "alone" >/dev/null
expect_eq "work without a Work project is empty" "" "$(h view work --json | titles)"
expect_eq "chores without a Work project" "alone" "$(h view chores --json | titles)"
expect_contains "heph view says the project is missing" "no project named Work" "$(h view)"
expect_status "view work without the project still succeeds" 0 h view work
expect_eq "an empty view says so" "no tasks" "$OUT"
export HEPH_DB="$TMP/heph.db"

# bad input: a clear error, nothing changed
before=$(h digest)
expect_status "unknown view" 4 h view nope
expect_contains "the error lists the views" "tom, ondeck" "$ERR"
expect_status "bad colour" 3 h attention "$O" purple
expect_contains "the colour error lists colours" "red, orange, white, blue" "$ERR"
expect_status "attention of an unknown task" 4 h attention 7ZZZZZZZZZ red
expect_status "attention without a colour" 2 h attention "$O"
expect_status "next --limit must be a number" 2 h next --limit many
expect_status "next --limit below 0" 3 h next --limit -1
expect_status "next of an unknown project" 4 h next --project Nowhere
expect_status "view --limit without a name" 2 h view --limit 3
expect_eq "nothing changed" "$before" "$(h digest)"

# a task already past its late-on is never hidden behind a do-date to come
# (it was in neither next nor tom); setting such dates warns on stderr and in
# the RPC result
expect_status "a late-on before the do-date is accepted" 0 h task "Renew passport" --attention red --do-date +5d --late-on yesterday
P=$OUT
expect_contains "with a warning on stderr" "warning: the late-on 2026-11-17 is before the do-date 2026-11-23" "$ERR"
expect_eq "next shows it among the late, before red" "late white,Renew passport,red" "$(h next --json | json_get '",".join(t["title"] for t in d[:3])')"
expect_eq "so does tom" "late white,Renew passport,red" "$(h view tom --json | json_get '",".join(t["title"] for t in d[:3])')"
expect_eq "and next --project (a scope) for a filed one" "late later" \
	"$(h task "late later" --project Home --do-date +9d --late-on 2026-11-10 2>/dev/null >/dev/null; h next --project Home --json | json_get 'd[0]["title"]')"
expect_eq "tom's count agrees with its list" "$(h view tom --json | json_get 'len(d)')" \
	"$(h view --json | json_get '[v["count"] for v in d if v["name"]=="tom"][0]')"
expect_eq "an edit that sets such dates warns in its result" "1" \
	"$(h call task.edit "{\"id\":\"$P\",\"do_date\":\"+6d\"}" 2>/dev/null | json_get 'len(d["warnings"])')"
expect_status "an edit of other fields does not warn again" 0 h edit "$P" --title "Renew the passport"
expect_eq "nothing on stderr" "" "$ERR"
expect_status "a late-on after the do-date does not warn" 0 h task "fine" --do-date +1d --late-on +3d
expect_eq "no warning" "" "$ERR"

finish
