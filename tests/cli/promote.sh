#!/bin/bash
# promote.sh — heph promote turns an open checklist item of a context doc
# into a task in the same project, linked back, the item's line replaced by
# a wiki link to it, as one change that heph undo reverses; anything else
# (a done item, a line that is no item, an unknown or ambiguous text) is
# refused and changes nothing.
. "$(dirname "$0")/lib.sh"

h project add Travel >/dev/null
T=$(h task "Plan the trip" --project Travel --body $'Notes\n- [ ] book the hotel\n- [x] pick dates\n  - [ ] pack bags\n- [ ] pack snacks\n```\n- [ ] not an item\n```')
DOC=$(h context "$T" --json | json_get 'd["context_id"]')
line_of() { h context "$T" --json | json_get "[c['line'] for c in d['checklist'] if c['text'] == '$1'][0]"; }

expect_status "promote by line number" 0 h promote "$T" "$(line_of 'book the hotel')"
expect_contains "it says what it made" "book the hotel" "$OUT"
N=$(h list --json | json_get '[t["node_id"] for t in d if t["title"] == "book the hotel"][0]')
expect_eq "the new task is in the same project" "Travel" "$(h show "$N" --json | json_get 'd["project"]')"
expect_eq "it links back to the task" "$T" \
	"$(h links "$N" --json | json_get '[l["dst"] for l in d if l["type"] == "promoted-from"][0]')"
expect_eq "the line became a wiki link to it" "- [[$N]]" "$(h context "$T" | sed -n 2p)"
expect_eq "every other line is as it was" "$(printf '%s\n' Notes "- [[$N]]" "- [x] pick dates" "  - [ ] pack bags" "- [ ] pack snacks" '```' "- [ ] not an item" '```')" \
	"$(h context "$T")"
expect_eq "the doc is a backlink of the new task" "$DOC" \
	"$(h backlinks "$N" --json | json_get '[l["src"] for l in d if l["type"] == "wiki"][0]')"
expect_eq "the item left the checklist" 0 \
	"$(h context "$T" --json | json_get 'len([c for c in d["checklist"] if c["text"] == "book the hotel"])')"

# by the start of its text, through the doc's id; nesting is kept
expect_status "promote by text, given the doc" 0 h promote "$DOC" pack bags
P=$(h list --json | json_get '[t["node_id"] for t in d if t["title"] == "pack bags"][0]')
expect_eq "a nested item keeps its indentation" "  - [[$P]]" "$(h context "$T" | sed -n 4p)"
expect_eq "promoted from the doc, still filed with its task" "Travel" "$(h show "$P" --json | json_get 'd["project"]')"

# one change: undo reverses all of it
before_undo=$(h context "$T")
expect_status "undo" 0 h undo
expect_eq "the line is an item again" "  - [ ] pack bags" "$(h context "$T" | sed -n 4p)"
expect_eq "the task is gone" 0 "$(h list --json | json_get 'len([t for t in d if t["title"] == "pack bags"])')"
expect_not_contains "the body is back" "[[$P]]" "$(h context "$T")"

# refusals change nothing
digest=$(h digest)
expect_status "a done item is refused: exit 6" 6 h promote "$T" "$(line_of 'pick dates')"
expect_contains "it says why" "done already" "$ERR"
expect_status "a line that is no item: exit 4" 4 h promote "$T" 1
expect_contains "it says how to find the lines" "heph context ID --json" "$ERR"
expect_status "an item in fenced code is no item" 4 h promote "$T" 7
expect_status "a line past the end: exit 4" 4 h promote "$T" 999
expect_status "text no open item starts with: exit 4" 4 h promote "$T" "book the hotel"
expect_status "text several items start with: exit 5" 5 h promote "$T" pack
expect_contains "it asks for the line number" "give its line number" "$ERR"
expect_status "line 0: exit 3" 3 h promote "$T" 0
expect_status "no item: usage, exit 2" 2 h promote "$T"
expect_status "an unknown id: exit 4" 4 h promote 0000000000 1
expect_status "a project has no checklist: exit 4" 4 h promote Travel 1
expect_status "an item that no longer reads as expected: exit 6" 6 h call checklist.promote \
	"{\"id\": \"$T\", \"item\": $(line_of 'pack snacks'), \"text\": \"pack crisps\"}"
expect_contains "it says the doc changed" "the doc changed" "$ERR"
expect_eq "nothing changed" "$digest" "$(h digest)"

expect_status "the item as expected, by a number" 0 h call checklist.promote \
	"{\"id\": \"$T\", \"item\": $(line_of 'pack snacks'), \"text\": \"pack snacks\"}"
expect_eq "it is promoted" 1 "$(h list --json | json_get 'len([t for t in d if t["title"] == "pack snacks"])')"

# CRLF lines keep their ending
C=$(h task "Windows notes" --body $'- [ ] one\r\n- [ ] two\r\n')
expect_status "promote in a CRLF body" 0 h promote "$C" two
W=$(h list --json | json_get '[t["node_id"] for t in d if t["title"] == "two"][0]')
expect_eq "the line ending stays" "True" "$(h context "$C" --json | json_get 'd["body"] == "- [ ] one\r\n- [['"$W"']]\r\n"')"
expect_eq "the first line is untouched" "- [ ] one" "$(h context "$C" --json | json_get 'd["body"].split("\r\n")[0]')"
finish
