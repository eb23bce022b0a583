#!/bin/bash
# features.sh — the keys backed by lifecycle features: o (the context doc in
# $EDITOR), / (full-text search), a (quick add with its preview), S (skip),
# u (undo), P (promote a checklist item), views in the sidebar, recurrence in
# words and the log tail.
# A key whose method this libheph lacks must say so and change nothing.
. "$(dirname "$0")/lib.sh"

h project add Home >/dev/null
h project add "Deep Work" >/dev/null
OVEN=$(h task "Bake bread" --project Home --body "- [ ] buy flour")
h task "Water plants" >/dev/null
h doc "Bread notes" --body "a sourdough starter wants feeding" >/dev/null
# a task with a log doc (linked by a log-of op, as any device may send it)
PLUMBER=$(h task "Call the plumber")
LOG=$(h doc "Call the plumber: log" --body "- 2026-11-10: left a message
- 2026-11-17: called again")
printf '{"op_id":"01JZZZZZZZZZZZZZZZZZZZZZZY","hlc":"%015d-00000-aaaaaaaaaaaaaaaa","origin":"aaaaaaaaaaaaaaaa","type":"link.add","payload":{"link_id":"01JZZZZZZZZZZZZZZZZZZZZZZX","src":"%s","dst":"%s","type":"log-of"}}\n' \
	"$(($(date +%s%N) / 1000000))" "$LOG" "$PLUMBER" | h apply - >/dev/null

cat >"$TMP/editor.sh" <<'SH'
#!/bin/sh
# an $EDITOR that appends a line, as a person would
printf '%s\n' '- [ ] preheat the oven' >>"$1"
SH
chmod +x "$TMP/editor.sh"
cat >"$TMP/noop-editor.sh" <<'SH'
#!/bin/sh
exit 0
SH
chmod +x "$TMP/noop-editor.sh"

start_tui 120 30 EDITOR="$TMP/editor.sh" VISUAL=
select_entry tasks

# the preview ends with the tail of the task's log
select_task "Call the plumber"
expect_eq "the preview shows the log's tail" "Log
- 2026-11-10: left a message
- 2026-11-17: called again" "$(pane 3 | sed -E 's/^ //; s/ +$//' | sed -n '/^Log$/,/called again/p')"

# o: edit the context doc in $EDITOR and save it back
select_task "Bake bread"
keys o
wait_for "o saves the context doc" "context saved"
ctx=$(h show "$OVEN" --json | json_get 'd["context"]')
expect_eq "o writes the edited text back" "- [ ] buy flour
- [ ] preheat the oven" "$ctx"
wait_for "the preview shows the new checklist line" "- [ ] preheat the oven"

# /: full-text search over titles and bodies
keys /
wait_for "/ asks for a query" "search:"
type_text "sourdough"
keys Enter
wait_for "/ lists the hits" "Search \"sourdough\" (1)"
expect_contains "a doc hit shows its kind" "(doc)" "$(line_of 'Bread notes')"
wait_for "the preview shows the hit's body" "a sourdough starter wants feeding"
expect_contains "the search is the sidebar's first entry" "/ sourdough" "$(pane 1 | sed -n 2p)"
keys /
type_text "bread"
keys Enter
wait_for "a second search replaces the first" "Search \"bread\" (2)"
keys x
wait_for "x on a doc hit is refused" "no task selected"
select_task "Bake bread"
keys b
wait_for "a task hit can be triaged" "on deck: Bake bread"
expect_eq "b on a search hit reached the database" blue "$(task_field "$OVEN" attention)"
select_entry tasks
wait_for "the views are still there below the search" "tasks ("

# a: quick add with a preview of what the parser understood
keys a
wait_for "a asks for the task" "add:"
type_text "Buy milk tomorrow p2 #Deep Work every week"
wait_for "the preview shows the parsed title" "Buy milk"
wait_for "the preview shows the project" "Deep Work"
keys Enter
wait_for "a adds it" "added: Buy milk"
if _poll "$WAIT" _preview_is "Buy milk"; then _ok; else _report "the new task is selected" "$(screen)"; fi
got=$(h list --json | json_get '[(t["title"], t["attention"], t["do_date"], t["project"], bool(t["recurrence"])) for t in d if t["title"] == "Buy milk"]')
expect_eq "quick add stored what it previewed" "[('Buy milk', 'orange', '2026-11-19', 'Deep Work', True)]" "$got"
keys a Escape
wait_for "Esc adds nothing" "nothing added"

# S: skip a recurring task's occurrence
select_task "Water plants"
W=$(h list --json | json_get '[t["node_id"] for t in d if t["title"] == "Water plants"][0]')
h edit "$W" --do-date 2026-11-18 --recur daily >/dev/null
wait_for "recurrence in words" "every day"
keys S
wait_for "S skips" "skipped: Water plants"
expect_eq "S moves the do-date on" 2026-11-19 "$(task_field "$W" do_date)"
select_task "Water plants"
keys x
wait_for "x on a recurring task says when it comes back" "done: Water plants (next on 2026-11-20)"
expect_eq "x rolls a recurring task forward" "outstanding 2026-11-20" \
	"$(h show "$W" --json | json_get 'd["state"] + " " + d["do_date"]')"
last=$(h call log.tail "{\"id\": \"$W\"}" | json_get 'd["entries"][-1]')
expect_contains "the occurrence is logged" "2026-11-19" "$last"
wait_for "the preview's log tail shows it" "$last"
expect_eq "under the Log heading" "$last" "$(pane 3 | sed -E 's/^ //; s/ +$//' | sed -n '/^Log$/,$p' | grep -F -x -- "$last")"

# u: undo the last change
before=$(h list --json | json_get 'len(d)')
select_task "Water plants"
keys d
wait_for "d before u" "dropped: Water plants"
keys u
wait_for "u undoes the last change and says which" "undone: task.drop"
expect_eq "u brings the dropped task back" "$before" "$(h list --json | json_get 'len(d)')"

# P: promote a checklist item of the context doc to a task
select_task "Bake bread"
keys P
wait_for "P asks which item" "promote which checklist item"
type_text "buy fl"
keys Enter
wait_for "P promotes it and says so" "promoted to a task: buy flour"
F=$(h list --json | json_get '[t["node_id"] for t in d if t["title"] == "buy flour"][0]')
expect_eq "the new task is in the task's project" Home "$(task_field "$F" project)"
expect_contains "the item's line is a wiki link to it now" "[[$F]]" "$(h context "$OVEN")"
keys P Escape
wait_for "Esc promotes nothing" "nothing promoted"

stop_tui

# an editor that changes nothing saves nothing
start_tui 120 30 EDITOR="$TMP/noop-editor.sh" VISUAL=
select_entry tasks
select_task "Bake bread"
n=$(h ops --json | wc -l)
keys o
wait_for "an unchanged doc is not saved" "context unchanged"
expect_eq "no op for an unchanged doc" "$n" "$(h ops --json | wc -l)"
stop_tui
finish
