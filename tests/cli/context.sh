#!/bin/bash
# context.sh — a task's context doc (heph context: print, --append, --body),
# its checklist items in heph show, and its log doc (heph log: tail, append).
. "$(dirname "$0")/lib.sh"

T=$(h task "Bake bread" --body "Sourdough.

- [ ] feed the starter
* [x] buy flour
  + [ ] rye
1. [X] numbered
\`\`\`
- [ ] not an item: code
\`\`\`")

expect_eq "context prints the doc" "Sourdough.

- [ ] feed the starter
* [x] buy flour
  + [ ] rye
1. [X] numbered
\`\`\`
- [ ] not an item: code
\`\`\`" "$(h context "$T")"
expect_eq "show --json lists the items with their state" \
	"feed the starter:False|buy flour:True|rye:False|numbered:True" \
	"$(h show "$T" --json | json_get '"|".join("%s:%s" % (i["text"], i["done"]) for i in d["checklist"])')"
out=$(h show "$T")
expect_contains "show lists an open item" "[ ] feed the starter" "$out"
expect_contains "show lists a done item" "[x] buy flour" "$out"
expect_not_contains "code is not an item" "[ ] not an item" "$(echo "$out" | sed -n '/^checklist/,/^$/p')"
expect_eq "context --json has the checklist" 4 "$(h context "$T" --json | json_get 'len(d["checklist"])')"

h context "$T" --append "- [ ] preheat the oven" >/dev/null
expect_eq "--append adds a line at the end" "- [ ] preheat the oven" "$(h context "$T" | tail -1)"
expect_eq "an appended item is an item" 5 "$(h show "$T" --json | json_get 'len(d["checklist"])')"
printf 'new text\n- [ ] only item\n' | h context "$T" --body - >/dev/null
expect_eq "--body - replaces the doc from standard input" "new text
- [ ] only item" "$(h context "$T")"
h context "$T" --body "[[Bake bread]] wiki link" >/dev/null
expect_contains "a body write through context indexes wiki links" "wiki" "$(h links "$(h context "$T" --json | json_get 'd["context_id"]')" --json | json_get '",".join(l["type"] for l in d)')"

# the log doc
expect_eq "no log yet" "no log entries" "$(h log "$T")"
expect_eq "log --json before any entry" "None 0" "$(h log "$T" --json | json_get 'str(d["log_id"]) + " " + str(len(d["entries"]))')"
h log "$T" "fed the starter" >/dev/null
h log "$T" "it rose" "overnight" >/dev/null
expect_eq "log prints the entries, dated today" "- 2026-11-18: fed the starter
- 2026-11-18: it rose overnight" "$(h log "$T")"
for i in 1 2 3 4 5 6 7 8 9 10 11; do h log "$T" "entry $i" >/dev/null; done
expect_eq "log prints the last 10" 10 "$(h log "$T" | wc -l)"
expect_eq "--lines N" "- 2026-11-18: entry 11" "$(h log "$T" --lines 1)"
expect_eq "--lines 0 prints all" 13 "$(h log "$T" --lines 0 | wc -l)"
L=$(h log "$T" --json | json_get 'd["log_id"]')
expect_eq "the log doc is a doc" doc "$(h show "$L" --json | json_get 'd["kind"]')"
expect_eq "titled after the task" "Log: Bake bread" "$(h show "$L" --json | json_get 'd["title"]')"
expect_eq "linked log-of the task" "$T" "$(h links "$L" --json | json_get '[l["dst"] for l in d if l["type"]=="log-of"][0]')"
expect_contains "show has the log's tail" "entry 11" "$(h show "$T")"
expect_eq "a second log doc is never made" 1 "$(h backlinks "$T" --json | json_get 'len([l for l in d if l["type"]=="log-of"])')"

# bad input: a clear error, nothing changed
before=$(h digest)
expect_status "context of an unknown task" 4 h context 7ZZZZZZZZZ
expect_status "context of a doc" 4 h context "$L"
expect_status "--append and --body together" 3 h context "$T" --append x --body y
expect_status "an empty --append" 3 h context "$T" --append "  "
expect_status "an empty log entry" 3 h log "$T" " "
expect_status "log of an unknown task" 4 h log 7ZZZZZZZZZ hello
expect_status "--lines with text" 2 h log "$T" hello --lines 3
expect_status "--lines not a number" 2 h log "$T" --lines many
expect_status "log without an id" 2 h log
expect_status "log-of links cannot be added by hand" 3 h link add "$L" "$T" log-of
expect_eq "nothing changed" "$before" "$(h digest)"

finish
