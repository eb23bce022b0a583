#!/bin/bash
# wiki.sh — docs, wiki links, aliases, tags and journals through the CLI:
# names become ids, links follow the body, tags filter lists, a day's
# journal converges across two databases, and bad input changes nothing.
. "$(dirname "$0")/lib.sh"

G=$(h project add Garden)
C=$(h doc "Compost notes" --body "How to compost. #gardening")
P=$(h doc Plan --body "See [[Compost notes]], [[garden|the garden]] and [[Nowhere]]. #Gardening #todo/later" 2>"$TMP/note")
expect_contains "an unresolved link is noted on stderr" "[[Nowhere]] matches no node" "$(cat "$TMP/note")"
body=$(h show "$P" --json | json_get 'd["body"]')
expect_eq "names are stored as ids" "See [[$C|Compost notes]], [[$G|the garden]] and [[Nowhere]]. #Gardening #todo/later" "$body"
expect_eq "the body's links are indexed" "$(printf '%s\n%s' "$C" "$G" | sort | paste -sd,)" \
	"$(h links "$P" --json | json_get '",".join(sorted(l["dst"] for l in d if l["type"]=="wiki"))')"
expect_eq "backlinks show the wiki link" "$P wiki" "$(h backlinks "$C" --json | json_get '" ".join(d[0][k] for k in ("src","type"))')"
expect_contains "backlinks in words" "<- wiki" "$(h backlinks "$C")"
expect_eq "tags are lower-case tag nodes" "gardening todo/later" "$(h show "$P" --json | json_get '" ".join(d["tags"])')"
expect_eq "heph tags counts nodes per tag" "gardening:2 todo/later:1" \
	"$(h tags --json | json_get '" ".join("%s:%d" % (t["name"], t["count"]) for t in d)')"

# the body is the source of truth: editing it moves the links
h doc edit "$P" --body "Only [[${G:0:12}]] now" >/dev/null
expect_eq "an id prefix is stored as the full id" "Only [[$G]] now" "$(h show "$P" --json | json_get 'd["body"]')"
expect_eq "reads show the current title" "Only [[$G|Garden]] now" "$(h show "$P" --json | json_get 'd["body_expanded"]')"
expect_eq "a dropped link is unindexed" "$G" "$(h links "$P" --json | json_get '",".join(l["dst"] for l in d if l["type"]=="wiki")')"
expect_eq "a dropped tag is unlinked" "" "$(h show "$P" --json | json_get '" ".join(d["tags"])')"
expect_eq "no more backlink" 0 "$(h backlinks "$C" --json | json_get 'len(d)')"
h doc edit "$P" --append "- [[Compost notes]] again" >/dev/null
expect_eq "append adds a line and links it" "Only [[$G]] now
- [[$C|Compost notes]] again" "$(h show "$P" --json | json_get 'd["body"].rstrip()')"
h doc edit "$P" --title "Garden plan" >/dev/null
expect_eq "doc edit renames" "Garden plan" "$(h show "$P" --json | json_get 'd["title"]')"

# any title round-trips as a label: its \ [ ] | are escaped on read, and
# the read body written back keeps the link
T=$(h task 'Fix *this* `now` <b>x</b> a]]b c|d \')
L=$(h doc Odd --body "see [[$T]]")
shown=$(h show "$L" --json | json_get 'd["body_expanded"]')
expect_eq "a title with ]], | and \\ is shown escaped" "see [[$T|Fix *this* \`now\` <b>x</b> a\\]\\]b c\\|d \\\\]]" "$shown"
h doc edit "$L" --body "$shown" >/dev/null
expect_eq "the shown body written back still links the task" "$T" \
	"$(h links "$L" --json | json_get '",".join(l["dst"] for l in d if l["type"]=="wiki")')"

# aliases: [[Heap]] resolves by alias before any title
h alias "$C" --add Heap --add "compost bin" >/dev/null
expect_eq "alias lists names" "Heap
compost bin" "$(h alias "$C")"
D=$(h doc "Heap" --body "")
X=$(h doc Uses --body "[[heap]]")
expect_eq "an alias wins over a title" "[[$C|heap]]" "$(h show "$X" --json | json_get 'd["body"]')"
h alias "$C" --rm "compost bin" >/dev/null
expect_eq "alias --rm removes" "Heap" "$(h alias "$C" --json | json_get '",".join(d["aliases"])')"
expect_contains "show lists aliases" "aliases     Heap" "$(h show "$C")"

# tags on tasks: --tag on the task, #tag in its context doc
T1=$(h task "Turn the heap" --tag chores --tag '#Garden-work')
T2=$(h task "Buy seeds" --body "for spring #garden-work")
T3=$(h task "Untagged")
expect_eq "list --tag finds the task's own tags and its context doc's" "Buy seeds,Turn the heap" \
	"$(h list --tag garden-work --json | json_get '",".join(sorted(t["title"] for t in d))')"
expect_eq "list --tag takes #tag too" "Turn the heap" "$(h list --tag '#chores' --json | json_get '",".join(t["title"] for t in d)')"
expect_eq "show lists a task's tags" "chores garden-work" "$(h show "$T1" --json | json_get '" ".join(d["tags"])')"

# edit --tag adds tags, --untag removes them; each is an op that syncs
h edit "$T3" --tag errands --tag '#Chores' >/dev/null
expect_eq "edit --tag adds tags" "chores errands" "$(h show "$T3" --json | json_get '" ".join(d["tags"])')"
h edit "$T3" --tag errands >/dev/null
expect_eq "a tag it carries is not added twice (two tags, two links)" 2 "$(h ops --json | grep '"link.add"' | grep "\"src\":\"$T3\"" | grep -c '"type":"tag"')"
h edit "$T3" --untag chores >/dev/null
expect_eq "edit --untag removes a tag" "errands" "$(h show "$T3" --json | json_get '" ".join(d["tags"])')"
expect_eq "the tag stays on the other task" "Turn the heap" "$(h list --tag chores --json | json_get '",".join(t["title"] for t in d)')"
expect_status "untagging with a tag nobody has is not found" 4 h edit "$T3" --untag nosuchtag
expect_eq "and changes nothing" "errands" "$(h show "$T3" --json | json_get '" ".join(d["tags"])')"
h undo >/dev/null
expect_eq "undo puts the tag back" "chores errands" "$(h show "$T3" --json | json_get '" ".join(d["tags"])')"
expect_status "a tag with a control character is refused" 3 h edit "$T3" --tag $'a\x1bb'
expect_eq "heph task add TITLE is heph task TITLE" "Water the plants" "$(h show "$(h task add Water the plants)" --json | json_get 'd["title"]')"
expect_eq "heph doc add TITLE is heph doc TITLE" "Seed list" "$(h show "$(h doc add Seed list --json | json_get 'd["node_id"]')" --json | json_get 'd["title"]')"

# frontmatter tags count too
F=$(h doc "Imported note" --body $'---\ntags: [reading, "Garden-work"]\n---\nText.')
expect_eq "frontmatter tags tag the doc" "garden-work reading" "$(h show "$F" --json | json_get '" ".join(d["tags"])')"
expect_eq "a title's #word is not a tag" "" "$(h show "$(h task 'Call Bob #later')" --json | json_get '" ".join(d["tags"])')"

# journals
J=$(h journal --json | json_get 'd["node_id"]')
expect_eq "the journal is titled by its day" "2026-11-18 journal" "$(h show "$J" --json | json_get 'd["title"]+" "+d["kind"]')"
expect_eq "opening it again finds the same node" "$J" "$(h journal 2026-11-18 --json | json_get 'd["node_id"]')"
expect_eq "today's journal exists only once" 1 "$(h ops --json | grep -c '"kind":"journal"')"
h journal --append "Turned [[Compost notes]] #gardening" >/dev/null
expect_contains "journal prints the day" "Turned [[$C|Compost notes]]" "$(h journal)"
expect_eq "yesterday is another journal" 2026-11-17 "$(h journal yesterday --json | json_get 'd["title"]')"

# two devices open the same day offline, write, and merge
A="$TMP/a.db" B="$TMP/b.db"
h --db "$A" journal 2026-12-01 --append "from A" >/dev/null
h --db "$B" journal 2026-12-01 >/dev/null
h --db "$B" doc "B's doc" >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
expect_eq "both devices hold one journal for the day" 1 \
	"$(h --db "$A" call journal.open '{"date":"2026-12-01"}' | json_get '1 if d["created"] is False else 0')"
expect_eq "the journals converge" "$(h --db "$A" digest)" "$(h --db "$B" digest)"
expect_eq "A's text survives B opening the day later" "from A" \
	"$(h --db "$B" journal 2026-12-01 --json | json_get 'd["body"].strip()')"
expect_eq "no conflict from opening a day twice" 0 "$(h --db "$B" conflicts --json | json_get 'len(d)')"

# bad input: a clear error and nothing changed
before=$(h digest)
nops=$(h ops --json | wc -l)
expect_status "doc edit with nothing to change" 3 h doc edit "$P"
expect_status "doc edit with body and append" 3 h doc edit "$P" --body x --append y
expect_status "doc edit on a task" 3 h doc edit "$T1" --body x
expect_contains "the error points at heph context" "context" "$ERR"
expect_status "doc edit of an unknown node" 4 h doc edit 7ZZZZZZZZZ --body x
expect_status "a bad tag" 3 h task "x" --tag "two words"
expect_status "a tag that starts with a digit" 3 h task "x" --tag 9lives
expect_status "list --tag of an unknown tag" 4 h list --tag nosuch
expect_status "an alias another node has" 6 h alias "$D" --add heap
expect_status "an alias with brackets" 3 h alias "$D" --add "a]]b"
expect_status "removing an alias it lacks" 4 h alias "$D" --rm nope
expect_status "a journal of no day" 3 h journal none
expect_status "a journal of a bad date" 3 h journal 2026-02-30
expect_status "a manual wiki link" 3 h link add "$P" "$C" wiki
expect_status "removing a wiki link by hand" 3 h link rm "$P" "$G" wiki
expect_eq "nothing changed" "$before" "$(h digest)"
expect_eq "no op was added" "$nops" "$(h ops --json | wc -l)"

# conditional writes: a body saved with the hash it was read with, refused
# (changing nothing) once another write moved it on; completion of [[names]]
W=$(h doc "Window box" --body "first")
seen=$(h call node.get "{\"id\":\"$W\"}" | json_get 'd["body_hash"]')
expect_eq "body_hash is the SHA-256 of the stored body" "$(printf first | sha256sum | cut -d' ' -f1)" "$seen"
h doc edit "$W" --body "second, from elsewhere" >/dev/null
nops=$(h ops --json | wc -l)
expect_status "a write with a stale if_match is a conflict" 6 h doc edit "$W" --body "mine" --if-match "$seen"
expect_contains "the conflict says what to do" "changed since it was read" "$ERR"
expect_eq "the other write stands" "second, from elsewhere" "$(h show "$W" --json | json_get 'd["body"]')"
expect_eq "the refused write made no op" "$nops" "$(h ops --json | wc -l)"
now=$(h show "$W" --json | json_get 'd["body_hash"]')
h doc edit "$W" --body "mine" --if-match "$now" >/dev/null
expect_eq "a write with the current if_match is saved" "mine" "$(h show "$W" --json | json_get 'd["body"]')"
TW=$(h task "Water the window box")
ctxhash=$(h call context.get "{\"id\":\"$TW\"}" | json_get 'd["body_hash"]')
h context "$TW" --append "- [ ] buy soil" >/dev/null
expect_status "a context edit with a stale if_match is a conflict" 6 h context "$TW" --body "x" --if-match "$ctxhash"
expect_eq "node.complete: titles starting with the prefix first, then containing it" \
	"Window box,Water the window box" \
	"$(h call node.complete '{"prefix":"wIn"}' | json_get '",".join(n["title"] for n in d if "indow" in n["title"])')"
expect_eq "node.complete leaves out context and log docs" "task" \
	"$(h call node.complete '{"prefix":"Water the window"}' | json_get '",".join(n["kind"] for n in d)')"

finish
