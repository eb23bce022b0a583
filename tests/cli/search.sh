#!/bin/bash
# search.sh — heph search: ranked hits with snippets, kept in step with
# local writes and with ops merged from another database; bad queries are
# clear errors.
. "$(dirname "$0")/lib.sh"

T=$(h task "Repair the bike" --body "Order a new chain and brake pads")
D=$(h doc "Bike maintenance" --body "Chain: clean monthly. Tyres: check pressure.")
h doc "Shopping" --body "milk, bread" >/dev/null

out=$(h search bike)
expect_contains "search prints the task" "Repair the bike" "$out"
expect_contains "search prints the doc" "Bike maintenance" "$out"
expect_contains "search shows a snippet with the match marked" "**chain**" "$(h search chain)"
expect_eq "a hit in a task's context doc is the task" "$T task" \
	"$(h search brake --json | json_get '" ".join((d[0]["node_id"], d[0]["kind"]))')"
expect_eq "every word must occur" "Bike maintenance" "$(h search tyres chain --json | json_get '"|".join(x["title"] for x in d)')"
expect_eq "--kind filters" "Bike maintenance" "$(h search bike --kind doc --json | json_get '"|".join(x["title"] for x in d)')"
expect_eq "--raw takes FTS5 syntax" "Shopping|Repair the bike" \
	"$(h search --raw 'milk OR brake' --json | json_get '"|".join(sorted((x["title"] for x in d), key=len))')"
expect_eq "no match is an empty list" 0 "$(h search xyzzy --json | json_get 'len(d)')"
expect_eq "no match in words" "no matches" "$(h search xyzzy)"

h doc edit "$D" --body "Nothing about wheels now" >/dev/null
expect_eq "an edit leaves the index in step" "Repair the bike" "$(h search chain --json | json_get '"|".join(x["title"] for x in d)')"
h rm "$T" >/dev/null
expect_eq "a deleted task is not found, its context doc still is" "doc" "$(h search brake --json | json_get '"|".join(x["kind"] for x in d)')"

# ops made on another device are searchable once merged
h --db "$TMP/other.db" doc "Far away note" --body "zanzibar" >/dev/null
h --db "$TMP/other.db" ops --json | h apply - >/dev/null
expect_eq "synced ops are indexed" "Far away note" "$(h search zanzibar --json | json_get 'd[0]["title"]')"

before=$(h digest)
expect_status "a query of punctuation" 3 h search '!!'
expect_contains "says there is nothing to search" "nothing to search" "$ERR"
expect_status "a bad raw query" 3 h search --raw '"open'
expect_contains "names the problem" "bad search query" "$ERR"
expect_status "no query" 2 h search
expect_status "a bad limit" 3 h search bike --limit 0
expect_status "a bad kind" 3 h search bike --kind "Not a kind"
expect_eq "nothing changed" "$before" "$(h digest)"
finish
