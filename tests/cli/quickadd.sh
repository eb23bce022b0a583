#!/bin/bash
# quickadd.sh — heph add: the quick-add grammar end to end, --dry-run adding
# nothing, --json previews, and bad input changing nothing.
. "$(dirname "$0")/lib.sh"

h project add Work >/dev/null
h project add "Deep Work" >/dev/null
h project add Home >/dev/null

task_of() { h list --json | json_get "[(t['title'], t['do_date'], t['attention'], t['project'], t['recurrence']) for t in d if t['title'] == '$1']"; }

out=$(h add "Buy milk tomorrow p2 #Work every week")
expect_contains "add says what it added" "added" "$out"
expect_contains "and the title" "Buy milk" "$out"
expect_eq "the spec's example" "[('Buy milk', '2026-11-19', 'orange', 'Work', 'FREQ=WEEKLY')]" "$(task_of "Buy milk")"
h add Call mum on friday p1 >/dev/null
expect_eq "words need no quotes" "[('Call mum', '2026-11-20', 'red', None, None)]" "$(task_of "Call mum")"
h add "Plan the offsite #Deep Work in 2 weeks" >/dev/null
expect_eq "a multi-word project" "[('Plan the offsite', '2026-12-02', 'white', 'Deep Work', None)]" "$(task_of "Plan the offsite")"
h add "Sort photos #someday p3" >/dev/null
expect_eq "an unmatched #word stays in the title" "[('Sort photos #someday', None, 'blue', None, None)]" "$(task_of "Sort photos #someday")"
h add "Water plants every mon,wed #Home" >/dev/null
expect_eq "a recurrence without a date starts on its first day" "[('Water plants', '2026-11-18', 'white', 'Home', 'FREQ=WEEKLY;BYDAY=MO,WE')]" "$(task_of "Water plants")"
expect_contains "and reads back in words" "(every Mon, Wed)" "$(h list)"

# --dry-run: what it understood, nothing created
before=$(h digest)
out=$(h add "Pay rent every month on the 1st p1 #Home" --dry-run)
expect_contains "dry run: the title" "would add: Pay rent" "$out"
expect_contains "dry run: the do-date" "2026-12-01" "$out"
expect_contains "dry run: the project" "Home" "$out"
expect_contains "dry run: the rule in words" "every month on the 1st" "$out"
json=$(h add "Pay rent every month on the 1st p1 #Home" --dry-run --json)
expect_eq "dry run --json: the preview" "Pay rent 2026-12-01 red Home FREQ=MONTHLY;BYMONTHDAY=1 every month on the 1st" \
	"$(echo "$json" | json_get '" ".join(d[k] for k in ("title","do_date","attention","project","recurrence","recurrence_text"))')"
expect_eq "dry run --json: chips in text order" "recurrence:every month on the 1st attention:p1 project:#Home" \
	"$(echo "$json" | json_get '" ".join(c["kind"] + ":" + c["text"] for c in d["chips"])')"
expect_eq "dry run changes nothing" "$before" "$(h digest)"
expect_eq "add --json gives the task" "Pay rent" \
	"$(h add "Pay rent every month on the 1st p1 #Home" --json | json_get 'd["task"]["title"]')"
expect_eq "quickadd.parse is the same preview" "Pay rent" \
	"$(h call quickadd.parse '{"text":"Pay rent p1"}' | json_get 'd["title"]')"

# bad input: a clear error, nothing changed
before=$(h digest)
expect_status "nothing left for a title" 3 h add "tomorrow p1 #Work"
expect_contains "the error says why" "title" "$ERR"
expect_status "no text" 2 h add
expect_status "unknown option" 2 h add "x" --dryrun
h project add Twin >/dev/null
h project add twin --parent Work >/dev/null
before=$(h digest)
expect_status "two projects of one name" 5 h add "x #Twin"
expect_eq "nothing changed" "$before" "$(h digest)"

finish
