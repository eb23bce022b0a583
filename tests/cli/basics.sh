#!/bin/bash
# basics.sh — the everyday verbs against a real database file.
. "$(dirname "$0")/lib.sh"

W=$(h project add Work)
expect_eq "project add prints an id" 26 "${#W}"
C=$(h project add Clients --parent Work)
H=$(h --json project add Home | json_get 'd["node_id"]')
expect_eq "--json project add gives node_id" 26 "${#H}"

T1=$(h task Buy milk --project Home --do-date tomorrow --attention orange)
T2=$(h task "Send invoice" --project Clients --late-on 2026-11-20 --attention red)
T3=$(h task Inbox thing)
T4=$(h --json task "Later" --attention blue | json_get 'd["node_id"]')
expect_eq "task with --json gives node_id" 26 "${#T4}"

out=$(h list)
expect_contains "list shows a task" "Buy milk" "$out"
expect_contains "list shows the project" "#Home" "$out"
first=$(h list | sed -n 2p)
expect_contains "the late red task comes first" "Send invoice" "$first"

json=$(h list --json)
expect_eq "list --json has every outstanding task" 4 "$(echo "$json" | json_get 'len(d)')"
expect_eq "list --json fields" "Buy milk orange 2026-11-19 None Home" \
	"$(echo "$json" | json_get '" ".join(str(t[k]) for t in d if t["title"]=="Buy milk" for k in ("title","attention","do_date","late_on","project"))')"
expect_eq "list --json carries project_id" "$C" "$(echo "$json" | json_get '[t["project_id"] for t in d if t["title"]=="Send invoice"][0]')"

# A whole list streams its rows from the query to the printer; one page
# (--limit) is printed from the collected answer: the same output.
expect_eq "list prints what its one-page answer prints" "$(h list --limit 5000 2>&1)" "$(h list 2>&1)"
expect_eq "list --json is the rows of its one-page answer" yes "$(python3 -c '
import json, sys
whole, page = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("yes" if whole == page["tasks"] and len(whole) == 4 else "no")' "$(h list --json)" "$(h list --limit 5000 --json)")"
expect_eq "list --project takes the subtree" "Send invoice" "$(h list --project Work --json | json_get '",".join(t["title"] for t in d)')"

tree=$(h project list)
expect_eq "project list indents children under parents" "Home  1
Work  0 / 1
  Clients  1" "$tree"
expect_eq "project list --json is in tree order with depth and counts" "Home 0 1 1|Work 0 0 1|Clients 1 1 1" \
	"$(h project list --json | json_get '"|".join("%s %d %d %d" % (p["title"], p["depth"], p["open_count"], p["open_count_total"]) for p in d)')"
expect_eq "project list --json has parent_id" "$W" "$(h project list --json | json_get '[p["parent_id"] for p in d if p["title"]=="Clients"][0]')"

show=$(h show "$(echo "$T2" | cut -c1-12)" --json)
expect_eq "show accepts a prefix" "$T2" "$(echo "$show" | json_get 'd["node_id"]')"
expect_eq "show lists links" "canonical-context,in-project" "$(echo "$show" | json_get '",".join(sorted(l["type"] for l in d["links"]))')"

h done "$T1" >/dev/null
expect_eq "done removes from the outstanding list" 3 "$(h list --json | json_get 'len(d)')"
expect_eq "list --all keeps done tasks" 4 "$(h list --all --json | json_get 'len(d)')"
expect_eq "count says how many list shows" 3 "$(h count)"
expect_eq "count --all counts every state" 4 "$(h count --all)"
expect_eq "count --project counts the subtree" 1 "$(h count --project Work)"
expect_eq "count --json" 1 "$(h --json count --project Clients | json_get 'd["count"]')"
expect_status "count of an unknown project is not found" 4 h count --project Nowhere
expect_status "done twice is fine" 0 h done "$T1"
expect_status "drop after done is a conflict" 6 h drop "$T1"

h edit "$T3" --title "Inbox thing, renamed" --attention red --do-date 2026-12-01 --project Home >/dev/null
expect_eq "edit changes fields" "Inbox thing, renamed red 2026-12-01 Home" \
	"$(h show "$T3" --json | json_get '" ".join(str(d[k]) for k in ("title","attention","do_date","project"))')"
h edit "$T3" --do-date none --project none >/dev/null
expect_eq "none clears a date and the project" "None None" \
	"$(h show "$T3" --json | json_get '" ".join(str(d[k]) for k in ("do_date","project_id"))')"

h drop "$T4" >/dev/null
expect_eq "drop sets the state" dropped "$(h show "$T4" --json | json_get 'd["state"]')"

D=$(h doc "Meeting notes" --body "first line")
expect_eq "doc body" "first line" "$(h show "$D" --json | json_get 'd["body"]')"
D2=$(echo "from stdin" | h doc Stdin doc --body -)
expect_eq "doc body from stdin" "from stdin" "$(h show "$D2" --json | json_get 'd["body"].strip()')"

h link add "$D" "$T2" related >/dev/null
expect_eq "links lists outgoing" related "$(h links "$D" --json | json_get 'd[0]["type"]')"
expect_eq "backlinks lists incoming" "$D" "$(h backlinks "$T2" --json | json_get '[l["src"] for l in d if l["type"]=="related"][0]')"
h link add "$D" "$T2" related >/dev/null
expect_eq "a link added twice is listed once" 1 "$(h links "$D" --json | json_get 'len([l for l in d if l["type"]=="related"])')"
expect_eq "and backlinked once" 1 "$(h backlinks "$T2" --json | json_get 'len([l for l in d if l["type"]=="related"])')"
h link rm "$D" "$T2" related >/dev/null
expect_eq "link rm removes" 0 "$(h links "$D" --json | json_get 'len(d)')"
expect_status "link rm of a missing link" 4 h link rm "$D" "$T2" related

h rm "$T3" >/dev/null
expect_eq "rm hides a task" 1 "$(h list --json | json_get 'len(d)')"

ops=$(h ops --json | wc -l)
expect_eq "every change is in the op-log" 1 "$([ "$ops" -gt 20 ] && echo 1 || echo 0)"
expect_eq "ops --json lines have the five fields" "hlc,op_id,origin,payload,type" \
	"$(h ops --json | head -1 | json_get '",".join(sorted(d))')"

d1=$(h digest)
expect_eq "digest is 64 hex" 64 "${#d1}"
expect_eq "digest is stable" "$d1" "$(h digest)"

# a deleted project holds nothing: its tasks are unfiled, its subprojects roots
DP=$(h project add Doomed)
h project add "Doomed child" --parent Doomed >/dev/null
DT=$(h task "orphan to be" --project Doomed)
h rm "$DP" --yes >/dev/null 2>&1
expect_eq "a task of a deleted project is unfiled" None "$(h show "$DT" --json | json_get 'd["project_id"]')"
expect_contains "and waits in the inbox" "orphan to be" "$(h view inbox)"
expect_eq "its subproject becomes a root" "0 None" \
	"$(h project list --json | json_get '[ "%d %s" % (p["depth"], p["parent_id"]) for p in d if p["title"]=="Doomed child"][0]')"

# the default database lives under XDG_DATA_HOME
XDG_DATA_HOME="$TMP/xdg" HEPH_DB= h task "xdg task" >/dev/null
expect_eq "default database under XDG_DATA_HOME" yes "$([ -f "$TMP/xdg/heph/heph.db" ] && echo yes)"

finish
