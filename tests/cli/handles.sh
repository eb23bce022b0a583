#!/bin/bash
# handles.sh — the short handles lists show: at least 4 and here at most 5
# characters, a prefix of the handle every replica derives from the id,
# accepted by every verb in any case; too short and ambiguous references get
# errors that say so.
. "$(dirname "$0")/lib.sh"

for i in $(seq 1 40); do h task "task $i" >/dev/null; done
rows=$(h list --json | json_get '"\n".join(t["handle"] + " " + t["node_id"] + " " + t["title"] for t in d)')
expect_eq "every task has a handle" 40 "$(echo "$rows" | grep -c .)"
expect_eq "handles are 4 or 5 characters" "" "$(echo "$rows" | awk 'length($1) < 4 || length($1) > 5')"
expect_eq "no two tasks share one" 40 "$(echo "$rows" | awk '{print $1}' | sort -u | grep -c .)"
out=$(h list)
read -r handle id _ <<<"$(echo "$rows" | sed -n 7p)"
expect_contains "heph list shows the handle" "$handle " "$out"
expect_not_contains "and not the long id prefix" "${id:0:10}" "$out"

# the same handle on another replica: it comes from the id alone
h ops --json >"$TMP/ops.jsonl"
HEPH_DB="$TMP/other.db" h apply "$TMP/ops.jsonl" >/dev/null
expect_eq "another replica shows the same handles" "$rows" \
	"$(HEPH_DB="$TMP/other.db" h list --json | json_get '"\n".join(t["handle"] + " " + t["node_id"] + " " + t["title"] for t in d)')"

# every verb takes it, in any case
lower=$(echo "$handle" | tr 'A-Z' 'a-z')
expect_eq "show takes a lower-case handle" "$id" "$(h show "$lower" --json | json_get 'd["node_id"]')"
expect_contains "show prints the handle" "handle      $handle" "$(h show "$handle")"
h edit "$lower" --attention red >/dev/null
expect_eq "edit takes it" "red" "$(h show "$id" --json | json_get 'd["attention"]')"
expect_contains "done takes it and names the task by it" "$handle: task 7 [done]" "$(h done "$lower")"
expect_eq "the task is done" "done" "$(h show "$handle" --json | json_get 'd["state"]')"

# other listings name tasks by what lists show, and every node by what can be typed
read -r h8 id8 title8 <<<"$(echo "$rows" | sed -n 8p)"
read -r h9 id9 _ <<<"$(echo "$rows" | sed -n 9p)"
h link add "$h8" "$h9" blocks >/dev/null
expect_contains "links names the task at the other end by its handle" "blocks             $h9 " "$(h links "$h8")"
expect_contains "backlinks too" "blocks             $h8 " "$(h backlinks "$h9")"
ctx=$(h show "$h8" --json | json_get 'd["context_id"]')
ctx_ref=$(h links "$h8" | awk '$2 == "canonical-context" {print $3}')
expect_eq "a doc at the other end is named by a prefix that finds it" "$ctx" "$(h show "$ctx_ref" --json | json_get 'd["node_id"]')"
expect_eq "search names a task by its handle" "$h8" "$(h search "$title8" | awk 'NR == 1 {print $1}')"
expect_eq "and --json gives it" "$h8" "$(h search "$title8" --json | json_get 'd[0]["handle"]')"

# too short, ambiguous, unknown
expect_status "a reference under 4 characters" 3 h done "${handle:0:3}"
expect_contains "says it is too short" "too short: type at least 4 characters" "$ERR"
expect_status "one second's ids share a prefix" 5 h done "${id:0:5}"
expect_contains "the error lists candidates" "(task)" "$ERR"
expect_contains "and how many more there are" " more; type more characters" "$ERR"
expect_status "an unknown handle" 4 h done ZZZZZ
expect_contains "says nothing matches" "no task matches \"ZZZZZ\"" "$ERR"
finish
